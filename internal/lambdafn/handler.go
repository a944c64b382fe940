package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sagesaver/sagesaver/internal/clock"
)

// TickFunc runs the tick an event asks for and returns what it did (a
// JSON-encodable summary). For a Scheduled or Manual event it is the
// orchestrator's tick; for a Worker event, one target's. It is
// internal/tick's entry point, wired in cmd/sagesaver.
type TickFunc func(ctx context.Context, ev Event) (any, error)

// Result is the function's response to an invocation.
type Result struct {
	Schema   string    `json:"schema"`
	Kind     Kind      `json:"kind"`
	Tick     time.Time `json:"tick"`
	Attempt  int       `json:"attempt,omitempty"`
	Account  string    `json:"account,omitempty"`
	Region   string    `json:"region,omitempty"`
	Outcome  any       `json:"outcome,omitempty"`
	Duration string    `json:"duration"`
}

// ResultSchema names Result's shape.
const ResultSchema = "sagesaver.io/lambda-result/v1"

// Handler serves invocations: it implements aws-lambda-go's lambda.Handler.
type Handler struct {
	tick  TickFunc
	log   *slog.Logger
	clock clock.Clock

	mu       sync.Mutex
	cancel   context.CancelFunc // the invocation in flight, if any
	finished chan struct{}      // closed when it returns
}

// NewHandler returns a handler that runs tick for every accepted event.
func NewHandler(tick TickFunc, log *slog.Logger, clk clock.Clock) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Handler{tick: tick, log: log, clock: clk}
}

// Invoke decodes payload and runs its tick. A refused event is an error
// (a function error, which an asynchronous invocation with no retries
// sends to its failure destination, if any) and runs nothing.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := h.clock.Now()
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	ev, err := Decode(payload, start)
	if err != nil {
		log.ErrorContext(ctx, "event refused", "err", err, "bytes", len(payload))
		return nil, err
	}
	log = log.With("kind", ev.Kind, "tick", ev.Tick)
	if ev.Kind == Worker {
		log = log.With("account", ev.Account, "region", ev.Region)
	}
	if ev.Attempt > 1 {
		log = log.With("attempt", ev.Attempt)
	}
	log.InfoContext(ctx, "tick start")
	if h.tick == nil {
		return nil, errors.New("this build has no tick to run")
	}
	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	h.mu.Lock()
	h.cancel, h.finished = cancel, finished
	h.mu.Unlock()
	defer func() {
		cancel()
		close(finished)
		h.mu.Lock()
		h.cancel, h.finished = nil, nil
		h.mu.Unlock()
	}()
	out, err := h.tick(ctx, ev)
	d := h.clock.Now().Sub(start)
	if err != nil {
		log.ErrorContext(ctx, "tick failed", "err", err, "duration", d)
		return nil, err
	}
	log.InfoContext(ctx, "tick done", "duration", d)
	return json.Marshal(Result{Schema: ResultSchema, Kind: ev.Kind, Tick: ev.Tick, Attempt: ev.Attempt,
		Account: ev.Account, Region: ev.Region, Outcome: out, Duration: d.Round(time.Millisecond).String()})
}

// Shutdown cancels the invocation in flight, if any, so that the tick
// stops and its deferred work (closing the store, writing its last log
// lines) runs, and waits for it up to grace. Lambda sends SIGTERM about
// 500 ms before SIGKILL; cmd/sagesaver calls Shutdown then.
func (h *Handler) Shutdown(grace time.Duration) (finished bool) {
	h.mu.Lock()
	cancel, done := h.cancel, h.finished
	h.mu.Unlock()
	if cancel == nil {
		return true
	}
	cancel()
	select {
	case <-done:
		return true
	case <-time.After(grace):
		return false
	}
}
