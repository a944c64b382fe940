// Command sagesaver finds, prices and safely removes idle Amazon SageMaker
// resources. See README.md. When AWS_LAMBDA_RUNTIME_API is set (on AWS
// Lambda, provided.al2023), the same binary serves Lambda invocations
// instead: see docs/deploy.md.
package main

import (
	"context"
	"os"
	"syscall"

	"github.com/sagesaver/sagesaver/internal/cli"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

func main() {
	if os.Getenv(lambdafn.RuntimeAPIEnv) != "" {
		// aws-lambda-go handles SIGTERM itself (lambdafn.Start).
		lambdafn.Start(context.Background(), lambdafn.Options{Tick: tick, Stderr: os.Stderr, Getenv: os.Getenv, Exit: os.Exit})
		return
	}
	// The first SIGINT or SIGTERM stops gracefully; a second cuts what
	// the first let finish (a tick's action in flight).
	ctx, stop := root.NotifySignals(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
