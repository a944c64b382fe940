package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// StoreSource is the Source of `serve -f run.yaml`: the inventory the
// ticks keep in the store (blob kind tick.BlobScan, one per target),
// priced, with the latest tick's failed targets. Refresh reads it again
// after each tick; any host's ticks on the same state feed it.
type StoreSource struct {
	st       store.Store
	catalog  *pricing.Catalog
	lookback time.Duration
	trend    *Trend

	mu     sync.Mutex
	latest *Snapshot
}

// NewStoreSource reads st's inventory, pricing it with catalog, and keeps
// its history in st too (BlobTrend), with the counts of schedules.
func NewStoreSource(st store.Store, catalog *pricing.Catalog, jobLookback time.Duration, schedules []*schedule.Schedule) *StoreSource {
	return &StoreSource{st: st, catalog: catalog, lookback: jobLookback, trend: NewTrend(st, schedules)}
}

// Latest implements Source.
func (s *StoreSource) Latest() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// History implements Source.
func (s *StoreSource) History() []Point { return s.trend.Points() }

// Refresh reads the targets' inventories and the failures of run (the
// latest tick; 0: none) into a new snapshot, taken at the oldest
// target's inventory time, and adds it to the history kept in the store,
// reading what other hosts added.
func (s *StoreSource) Refresh(ctx context.Context, run int64, took time.Duration) error {
	keys, err := s.st.BlobKeys(ctx, tick.BlobScan, "")
	if err != nil {
		return fmt.Errorf("list inventories: %w", err)
	}
	var found report.Found
	accounts, regions := map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		b, at, err := s.st.Blob(ctx, tick.BlobScan, k)
		if err != nil {
			return fmt.Errorf("read inventory %s: %w", k, err)
		}
		var rs []resource.Resource
		if err := json.Unmarshal(b, &rs); err != nil {
			return fmt.Errorf("read inventory %s: %w", k, err)
		}
		found.Resources = append(found.Resources, rs...)
		// The blob is rewritten only when the inventory changed: when it
		// was last taken is the tick's record.
		if t, err := tick.InventoryAt(ctx, s.st, k); err == nil && t.After(at) {
			at = t
		}
		if found.ScannedAt.IsZero() || at.Before(found.ScannedAt) {
			found.ScannedAt = at
		}
		if acct, region, ok := strings.Cut(k, "/"); ok {
			accounts[acct], regions[region] = true, true
		}
	}
	if run > 0 {
		trs, err := s.st.TargetResults(ctx, run)
		if err != nil {
			return err
		}
		for _, tr := range trs {
			accounts[tr.Account], regions[tr.Region] = true, true
			if tr.Status == store.TargetFailed {
				found.Failures = append(found.Failures, report.Failure{Account: tr.Account, Region: tr.Region, Kind: "target",
					Class: "failed", Reason: tr.Error})
			}
		}
	}
	if len(keys) == 0 && len(found.Failures) == 0 {
		return s.trend.Load(ctx) // no inventory yet: not ready
	}
	sorted := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	scan := report.New(found, s.catalog, sorted(accounts), sorted(regions), s.lookback)
	advice, err := s.advice(ctx)
	if err != nil {
		return err
	}
	snap := &Snapshot{Scan: scan, At: found.ScannedAt, Took: took, Advice: advice}
	s.mu.Lock()
	s.latest = snap
	s.mu.Unlock()
	if err := s.trend.Add(ctx, snap); err != nil {
		return fmt.Errorf("keep history: %w", err)
	}
	return nil
}

// advice joins the targets' latest advice (blob kind tick.BlobAdvice,
// advise's JSON document per target) into one result; nil when no tick
// has advised yet. Its window is the newest target's.
func (s *StoreSource) advice(ctx context.Context) (*advise.Result, error) {
	keys, err := s.st.BlobKeys(ctx, tick.BlobAdvice, "")
	if err != nil {
		return nil, fmt.Errorf("list advice: %w", err)
	}
	var out *advise.Result
	for _, k := range keys {
		b, _, err := s.st.Blob(ctx, tick.BlobAdvice, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read advice %s: %w", k, err)
		}
		res, err := advise.ReadJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("advice %s: %w", k, err)
		}
		if out == nil {
			out = &advise.Result{JobLookback: res.JobLookback}
		}
		if res.End.After(out.End) {
			out.Start, out.End = res.Start, res.End
		}
		out.Recommendations = append(out.Recommendations, res.Recommendations...)
		out.Skipped = append(out.Skipped, res.Skipped...)
		out.Failures = append(out.Failures, res.Failures...)
	}
	return out, nil
}
