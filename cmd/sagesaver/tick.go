package main

import (
	"context"
	"errors"

	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

// errNoTick is the function's answer until the tick is wired in.
var errNoTick = errors.New("this build has no tick yet: internal/tick (issue #14) is wired into cmd/sagesaver/tick.go")

// tick runs the tick a Lambda event asks for: internal/tick's entry point
// (a Scheduled or Manual event is the orchestrator's tick at ev.Tick; a
// Worker event is one target's). A variable so that the runtime contract
// test can watch what the handler passes it.
var tick lambdafn.TickFunc = func(ctx context.Context, ev lambdafn.Event) (any, error) {
	return nil, errNoTick
}
