package serve

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
)

// TestPollerOneAtATime: a take slower than the interval delays the next
// one and never overlaps it; a failed take keeps the last snapshot.
func TestPollerOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scan := report.New(report.Found{Resources: fleet(), ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
		var calls, inFlight, overlap atomic.Int32
		take := func(ctx context.Context) (*Snapshot, error) {
			if inFlight.Add(1) > 1 {
				overlap.Add(1)
			}
			defer inFlight.Add(-1)
			n := calls.Add(1)
			time.Sleep(90 * time.Second) // slower than the 1-minute interval
			if n == 3 {
				return nil, errors.New("throttled")
			}
			return &Snapshot{Scan: scan, At: time.Now()}, nil
		}
		p := NewPoller(take, time.Minute, clock.Real{}, nil, nil)
		if p.Latest() != nil {
			t.Fatal("a snapshot before the first take")
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		time.Sleep(5*time.Minute + 10*time.Second)
		synctest.Wait()
		if overlap.Load() != 0 {
			t.Errorf("%d takes overlapped", overlap.Load())
		}
		// Takes at 0, 1m30, 3m, 4m30 (each starts when the one before
		// ends, the ticker having fired meanwhile); the fourth ends at 6m.
		if n := calls.Load(); n != 4 {
			t.Errorf("%d takes in 5m10s of 90-second takes, want 4", n)
		}
		if p.LastError() == nil || p.Latest() == nil {
			t.Errorf("after the third take failed: error %v, snapshot %v; want the error and the second snapshot kept", p.LastError(), p.Latest())
		}
		if h := p.History(); len(h) != 2 {
			t.Errorf("history has %d points, want 2 (the failed take adds none)", len(h))
		}
		cancel()
		<-done
	})
}
