package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
)

// heartbeatPoll is how often KeepAlive looks at the clock. It reads clk
// rather than sleeping a lease, so that a virtual clock (the emulator's,
// moving minutes per wall second) is followed too.
const heartbeatPoll = time.Second

// KeepAlive renews run's liveness, and so every claim and target lease it
// holds, every half lease by clk while the caller works (waiting for an
// endpoint to be InService takes longer than a lease). A failed heartbeat
// is logged. The returned func stops it.
func KeepAlive(ctx context.Context, st Store, clk clock.Clock, run int64, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		last := clk.Now()
		t := time.NewTicker(heartbeatPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if now := clk.Now(); now.Sub(last) >= DefaultLease/2 {
					if err := st.Heartbeat(ctx, run); err != nil {
						log.Warn("heartbeat", "run", run, "err", err)
					}
					last = now
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}
