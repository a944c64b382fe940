package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/deploy"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

// Environment of the hub function (besides the configuration's
// SAGESAVER_STATE, SAGESAVER_REGION, ... and EnvSpokeRole).
const (
	// EnvRunFile is the run configuration; default the packaged one,
	// $LAMBDA_TASK_ROOT/run.yaml.
	EnvRunFile = "SAGESAVER_RUN_FILE"
	// EnvInProcessTargets is how many targets a tick runs in the
	// orchestrator's own invocation before it fans out to workers
	// (default DefaultInProcessTargets; 0: always fan out).
	EnvInProcessTargets = "SAGESAVER_IN_PROCESS_TARGETS"
)

// LambdaTick is the hub function's tick (cmd/sagesaver hands it to
// lambdafn.Start). Every event is a `sagesaver run` of the packaged run
// file at the event's time, with the function's environment as its
// configuration and JSON logs on stderr:
//
//   - a Scheduled or Manual event is the orchestrator: it claims the
//     tick's time (a retry of the same schedule ends there), lists the
//     accounts x regions and hands each to a worker, an asynchronous
//     invocation of this same function (AWS_LAMBDA_FUNCTION_NAME), or runs
//     them itself when there are at most SAGESAVER_IN_PROCESS_TARGETS;
//   - a Worker event runs its one target under the orchestrator's run.
//
// The outcome is the run's JSON (run.schema.json). A tick that ran with
// some target failed is not a function error (it is recorded, and the
// next tick retries); a tick that could not run (a bad run file, the
// state unreachable) is.
func LambdaTick(env LambdaEnv) lambdafn.TickFunc {
	stderr, getenv := env.Stderr, env.Getenv
	return func(ctx context.Context, ev lambdafn.Event) (any, error) {
		runFile := getenv(EnvRunFile)
		if runFile == "" {
			dir := getenv("LAMBDA_TASK_ROOT")
			if dir == "" {
				dir = "/var/task"
			}
			runFile = filepath.Join(dir, deploy.RunFile)
		}
		args := []string{"run", "-f", runFile, "--at", ev.Tick.UTC().Format(time.RFC3339), "-o", "json", "--log-format", "json"}
		switch ev.Kind {
		case lambdafn.Worker:
			args = append(args, "--worker-of", strconv.FormatInt(ev.Run, 10), "--account", ev.Account, "--region", ev.Region)
		default:
			if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
				args = append(args, "--fan-out", fn)
				if v := getenv(EnvInProcessTargets); v != "" {
					if _, err := strconv.Atoi(v); err != nil {
						return nil, fmt.Errorf("%s=%q: want a number of targets", EnvInProcessTargets, v)
					}
					args = append(args, "--in-process-max", v)
				}
			}
		}
		var out bytes.Buffer
		errs := &tailWriter{w: stderr}
		a := &app{root.New(root.Stdio{In: strings.NewReader(""), Out: &out, Err: errs})}
		a.Getenv = getenv
		a.Clock = env.Clock
		code := run(ctx, a, args)
		switch code {
		case root.ExitOK, root.ExitPartial:
			return json.RawMessage(bytes.TrimSpace(out.Bytes())), nil
		}
		return nil, fmt.Errorf("sagesaver run exited %d: %s", code, errs.last())
	}
}

// LambdaEnv is where the function's tick runs.
type LambdaEnv struct {
	Stderr io.Writer
	Getenv func(string) string
	// Clock is now (nil: the wall clock; tests set the emulator's).
	Clock clock.Clock
}

// NewLambdaTick is LambdaTick on the process's own stderr and environment.
func NewLambdaTick() lambdafn.TickFunc {
	return LambdaTick(LambdaEnv{Stderr: os.Stderr, Getenv: os.Getenv})
}

// tailWriter passes writes through to w and keeps the last line, the
// command's error for a function error's message.
type tailWriter struct {
	w    io.Writer
	mu   sync.Mutex
	line []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	if s := bytes.TrimRight(p, "\n"); len(s) > 0 {
		if i := bytes.LastIndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		t.line = append(t.line[:0], s...)
	}
	t.mu.Unlock()
	return t.w.Write(p)
}

func (t *tailWriter) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.line)
}
