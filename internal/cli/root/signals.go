package root

import (
	"context"
	"os"
	"os/signal"
)

// SignalError is the cause (context.Cause) of a context a signal
// cancelled: "terminated", "interrupt".
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return e.Signal.String() }

type cutKey struct{}

// NotifySignals returns a context that the first of sigs cancels (a
// graceful stop: a tick lets its action in flight finish and records the
// rest as not done) and that carries a second stage, which the next
// signal cancels: Drain's contexts, the work a first signal lets finish,
// are cut by it. Both causes are a *SignalError. stop releases the
// signals; call it when the command has returned.
func NotifySignals(parent context.Context, sigs ...os.Signal) (ctx context.Context, stop func()) {
	cut, cutCancel := context.WithCancelCause(parent)
	soft, softCancel := context.WithCancelCause(context.WithValue(cut, cutKey{}, cut))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case s := <-ch:
				if n == 0 {
					softCancel(&SignalError{s})
					continue
				}
				cutCancel(&SignalError{s})
				return
			case <-done:
				return
			}
		}
	}()
	return soft, func() {
		signal.Stop(ch)
		close(done)
		softCancel(nil)
		cutCancel(nil)
	}
}

// Drain returns the context of work that ctx's end lets finish (a
// tick's AWS calls after a first signal): ctx's values, not cancelled
// with ctx, but cancelled by a second signal when ctx came from
// NotifySignals. release frees it.
func Drain(ctx context.Context) (drain context.Context, release func()) {
	d, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	cut, _ := ctx.Value(cutKey{}).(context.Context)
	if cut == nil {
		return d, func() { cancel(nil) }
	}
	stop := context.AfterFunc(cut, func() { cancel(context.Cause(cut)) })
	return d, func() { stop(); cancel(nil) }
}

// Cut reports whether a second signal cut the work a first one let
// finish (Drain), and the signal's cause.
func Cut(ctx context.Context) (bool, error) {
	cut, _ := ctx.Value(cutKey{}).(context.Context)
	if cut == nil || cut.Err() == nil {
		return false, nil
	}
	return true, context.Cause(cut)
}
