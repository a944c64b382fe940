package serve

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Snapshot is one priced inventory of the fleet.
type Snapshot struct {
	// Scan is the priced inventory (report.New of a scan).
	Scan *report.Scan
	// At is when it was taken (the scan's start).
	At time.Time
	// Took is how long taking it took.
	Took time.Duration
	// Advice is `advise` on this inventory (nil when not taken).
	Advice *advise.Result
}

// Source gives the dashboard its inventory.
type Source interface {
	// Latest returns the newest complete snapshot, or nil before the first
	// one; it never blocks on taking one.
	Latest() *Snapshot
	// History returns the snapshots' totals kept so far (a Trend's
	// points), oldest first.
	History() []Point
}

// Point is a snapshot's run-rate, $/hour by resource kind, for the
// overview's chart, and what each schedule managed, for the Schedules
// page's.
type Point struct {
	At     time.Time
	ByKind map[resource.Kind]float64
	// Schedules is each loaded schedule's count by name (nil when none
	// was loaded).
	Schedules map[string]ScheduleCount
}

// Evidence reads the CloudWatch series behind a resource page.
type Evidence interface {
	// Invocations returns the Invocations Sum of every variant of endpoint
	// over w, one Result per variant, in the order given.
	Invocations(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error)
	// Utilization returns the instance metrics of every variant of
	// endpoint over w with the Average statistic, in one GetMetricData
	// batch: metrics.UtilizationQueries(ep.Name, variant, "Average") for
	// each variant in the order given, concatenated (so variant i's
	// results start at i*len(metrics.UtilizationMetrics)). A metric the
	// variant does not publish is a complete Result without datapoints.
	Utilization(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error)
}

// Poller is a Source that takes a snapshot every interval with a take
// function (the scan, today). It runs one take at a time: a slow one
// delays the next, never overlaps it.
//
// The tick (internal/tick) replaces it: a Source that reads the latest
// tick's inventory from the store (blob kind "inventory") instead of
// scanning itself.
type Poller struct {
	take  func(ctx context.Context) (*Snapshot, error)
	every time.Duration
	clock clock.Clock
	log   *slog.Logger
	trend *Trend

	mu      sync.Mutex
	latest  *Snapshot
	lastErr error
}

// NewPoller returns a Poller that calls take every interval once Run
// starts, keeping its history in trend (nil: in memory, without schedule
// counts).
func NewPoller(take func(ctx context.Context) (*Snapshot, error), every time.Duration, c clock.Clock, log *slog.Logger, trend *Trend) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if trend == nil {
		trend = NewTrend(nil, nil)
	}
	return &Poller{take: take, every: every, clock: c, log: log, trend: trend}
}

// Latest implements Source.
func (p *Poller) Latest() *Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

// History implements Source.
func (p *Poller) History() []Point { return p.trend.Points() }

// LastError is the error of the latest take, or nil when it succeeded.
func (p *Poller) LastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Once takes one snapshot now and adds it to the history; an error of
// keeping the history (the store's) is returned after the snapshot is
// shown.
func (p *Poller) Once(ctx context.Context) error {
	snap, err := p.take(ctx)
	p.mu.Lock()
	p.lastErr = err
	if err == nil {
		p.latest = snap
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if err := p.trend.Add(ctx, snap); err != nil {
		return fmt.Errorf("keep history: %w", err)
	}
	return nil
}

// Run reads the history kept, then takes a snapshot now and then every
// interval until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	if err := p.trend.Load(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("history", "err", err)
	}
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		if err := p.Once(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("inventory", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func pointOf(s *Snapshot) Point {
	pt := Point{At: s.At, ByKind: map[resource.Kind]float64{}}
	for _, l := range s.Scan.Lines {
		if l.Hourly.Known {
			pt.ByKind[l.Resource.Kind] += toFloat(l.Hourly.Amount)
		}
	}
	return pt
}
