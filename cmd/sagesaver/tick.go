package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/deploy"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

// runFile is where `sagesaver deploy package` puts the run configuration:
// run.yaml at the root of the function's code ($LAMBDA_TASK_ROOT,
// /var/task).
func runFile() string {
	dir := os.Getenv("LAMBDA_TASK_ROOT")
	if dir == "" {
		dir = "/var/task"
	}
	return filepath.Join(dir, deploy.RunFile)
}

// tick runs the tick a Lambda event asks for: `sagesaver run -f
// $LAMBDA_TASK_ROOT/run.yaml --at TICK`, in process (the run command is
// internal/tick's, issue #14). Its logs go to stderr (the function sets
// SAGESAVER_LOG_FORMAT=json); its report is the invocation's outcome. A
// partial run (exit 3) is an outcome, not a failure: the targets that
// failed are in it. A variable so that the runtime contract test can watch
// what the handler passes it.
var tick lambdafn.TickFunc = func(ctx context.Context, ev lambdafn.Event) (any, error) {
	if ev.Kind == lambdafn.Worker {
		return nil, errors.New("worker invocation: this build runs a tick's targets in process (the fan-out to workers is not in it yet)")
	}
	var out bytes.Buffer
	args := []string{"run", "-f", runFile(), "--at", ev.Tick.Format(time.RFC3339)}
	code := cli.Run(ctx, args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: os.Stderr})
	outcome := map[string]any{"exit_code": code, "report": out.String()}
	switch code {
	case root.ExitOK, root.ExitPartial:
		return outcome, nil
	}
	return nil, fmt.Errorf("sagesaver %s: exit %d (see the log)", strings.Join(args, " "), code)
}
