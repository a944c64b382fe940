package lambdafn

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// RuntimeAPIEnv is set by Lambda (and its emulators) in a function's
// environment: its presence makes the binary a function instead of the CLI.
const RuntimeAPIEnv = "AWS_LAMBDA_RUNTIME_API"

// ShutdownGrace is how long SIGTERM waits for the invocation in flight:
// Lambda sends SIGKILL about 500 ms after SIGTERM.
const ShutdownGrace = 400 * time.Millisecond

// Options configure Start.
type Options struct {
	Tick   TickFunc
	Stderr io.Writer
	Getenv func(string) string
	// Exit ends the process after SIGTERM's flush (os.Exit).
	Exit func(code int)
}

// NewLogger is the function's logger: JSON lines on w (Lambda sends a
// function's stderr to CloudWatch Logs), at the level of
// SAGESAVER_LOG_LEVEL or else AWS_LAMBDA_LOG_LEVEL (the function's
// logging configuration), info by default.
func NewLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	level := slog.LevelInfo
	for _, k := range []string{"SAGESAVER_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			if strings.EqualFold(v, "trace") {
				v = "debug"
			} else if strings.EqualFold(v, "fatal") {
				v = "error"
			}
			if err := level.UnmarshalText([]byte(v)); err == nil {
				break
			}
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// Start serves Lambda invocations until the process is killed: it never
// returns. On SIGTERM it cancels the invocation in flight, waits up to
// ShutdownGrace for it to flush, logs, and exits 0.
func Start(ctx context.Context, opts Options) {
	log := NewLogger(opts.Stderr, opts.Getenv)
	slog.SetDefault(log)
	h := NewHandler(opts.Tick, log, nil)
	log.InfoContext(ctx, "function start", "function", opts.Getenv("AWS_LAMBDA_FUNCTION_NAME"), "version", opts.Getenv("AWS_LAMBDA_FUNCTION_VERSION"))
	lambda.StartWithOptions(h, lambda.WithContext(ctx), lambda.WithEnableSIGTERM(func() {
		finished := h.Shutdown(ShutdownGrace)
		log.InfoContext(ctx, "SIGTERM: shutting down", "in_flight_finished", finished)
		opts.Exit(0)
	}))
}
