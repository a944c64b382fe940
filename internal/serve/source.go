package serve

import (
	"context"
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
	// History returns the snapshots' totals kept so far, oldest first.
	History() []Point
}

// Point is a snapshot's run-rate, $/hour by resource kind, for the
// overview's chart.
type Point struct {
	At     time.Time
	ByKind map[resource.Kind]float64
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

	mu      sync.Mutex
	latest  *Snapshot
	history []Point
	lastErr error
}

// maxHistory bounds the points kept for the overview's chart: a week of
// five-minute snapshots.
const maxHistory = 7 * 24 * 12

// NewPoller returns a Poller that calls take every interval once Run
// starts.
func NewPoller(take func(ctx context.Context) (*Snapshot, error), every time.Duration, c clock.Clock, log *slog.Logger) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{take: take, every: every, clock: c, log: log}
}

// Latest implements Source.
func (p *Poller) Latest() *Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

// History implements Source.
func (p *Poller) History() []Point {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Point(nil), p.history...)
}

// LastError is the error of the latest take, or nil when it succeeded.
func (p *Poller) LastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Once takes one snapshot now.
func (p *Poller) Once(ctx context.Context) error {
	snap, err := p.take(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastErr = err
	if err != nil {
		return err
	}
	p.latest = snap
	p.history = append(p.history, pointOf(snap))
	if len(p.history) > maxHistory {
		p.history = p.history[len(p.history)-maxHistory:]
	}
	return nil
}

// Run takes a snapshot now and then every interval until ctx ends.
func (p *Poller) Run(ctx context.Context) {
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
