package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
)

func TestHandlerRefusedEventRunsNothing(t *testing.T) {
	var calls atomic.Int32
	h := NewHandler(func(ctx context.Context, ev Event) (any, error) { calls.Add(1); return nil, nil }, nil, clock.NewManual(received))
	for _, p := range []string{`{"sagesaver":"worker","account":"1"}`, `[]`, `{"detail-type":"Scheduled Event"}`} {
		if _, err := h.Invoke(context.Background(), []byte(p)); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want a refusal", p, err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the tick ran %d times for refused events", n)
	}
	out, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil || calls.Load() != 1 {
		t.Fatalf("manual invoke: %v, %d calls", err, calls.Load())
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil || res.Kind != Manual || !res.Tick.Equal(received.Truncate(time.Second)) || res.Schema != ResultSchema {
		t.Errorf("result %s (%v)", out, err)
	}
}

func TestHandlerShutdownCancelsInFlight(t *testing.T) {
	started := make(chan struct{})
	h := NewHandler(func(ctx context.Context, ev Event) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}, nil, nil)
	if !h.Shutdown(time.Millisecond) {
		t.Error("Shutdown with nothing in flight: want finished")
	}
	errc := make(chan error, 1)
	go func() { _, err := h.Invoke(context.Background(), nil); errc <- err }()
	<-started
	if !h.Shutdown(10 * time.Second) {
		t.Error("the cancelled invocation did not finish")
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("invocation: %v, want context.Canceled", err)
	}
}
