package main

import (
	"github.com/sagesaver/sagesaver/internal/cli"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

// tick runs the tick a Lambda event asks for: a Scheduled or Manual event
// is the orchestrator's tick at ev.Tick, a Worker event one target's
// (internal/cli.LambdaTick). A variable so that the runtime contract test
// can watch what the handler passes it.
var tick lambdafn.TickFunc = cli.NewLambdaTick()
