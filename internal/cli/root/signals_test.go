package root

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

// TestNotifySignalsTwoStages: the first signal ends the command's
// context but not the work Drain lets finish; the second ends that too,
// and Cut says which signal.
func TestNotifySignalsTwoStages(t *testing.T) {
	ctx, stop := NotifySignals(t.Context(), syscall.SIGUSR1)
	defer stop()
	drain, release := Drain(ctx)
	defer release()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	var se *SignalError
	if !errors.As(context.Cause(ctx), &se) || se.Signal != syscall.SIGUSR1 {
		t.Errorf("cause after the first signal: %v, want SIGUSR1", context.Cause(ctx))
	}
	if drain.Err() != nil {
		t.Fatalf("the first signal ended the drain: %v", drain.Err())
	}
	if cut, _ := Cut(ctx); cut {
		t.Fatal("Cut after one signal")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	<-drain.Done()
	cut, cause := Cut(ctx)
	if !cut || !errors.As(cause, &se) || !errors.As(context.Cause(drain), &se) {
		t.Errorf("after the second signal: Cut = %v, %v; drain's cause %v", cut, cause, context.Cause(drain))
	}
}

// TestDrainWithoutSignals: a context not from NotifySignals drains until
// released, whatever its parent does.
func TestDrainWithoutSignals(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	drain, release := Drain(ctx)
	cancel()
	if drain.Err() != nil {
		t.Fatalf("drain ended with its parent: %v", drain.Err())
	}
	if cut, _ := Cut(ctx); cut {
		t.Error("Cut without NotifySignals")
	}
	release()
	if drain.Err() == nil {
		t.Error("release did not end the drain")
	}
}
