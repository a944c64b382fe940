// Package cli wires sagesaver's subcommands: one file per subcommand, flag
// parsing and output only; the work itself lives in the packages it calls.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
)

// Stdio is where a command reads and writes: results to Out, logs and
// progress to Err.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// app is the state shared by all subcommands: the resolved configuration,
// the logger and the streams.
type app struct {
	stdio  Stdio
	getenv func(string) string

	// set by flags
	configPath string
	flagRegion []string
	cfg        config.Config

	log *slog.Logger
	// clock is "now" for commands that compare with it; nil is the wall
	// clock (tests set a manual one).
	clock clock.Clock
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Exit codes.
const (
	exitOK      = 0
	exitError1  = 1 // the command failed
	exitUsage   = 2 // bad flags or input
	exitPartial = 3 // the command completed, but some targets failed
)

// Run executes sagesaver with args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	return run(ctx, &app{stdio: stdio, getenv: os.Getenv, cfg: config.Default()}, args)
}

// run executes sagesaver with a prepared app (tests set its clock).
func run(ctx context.Context, a *app, args []string) int {
	stdio := a.stdio
	root := newRoot(a)
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	code := exitError1
	if errors.As(err, &ee) {
		code = ee.code
	}
	var fe *config.FileError
	if errors.As(err, &fe) {
		code = exitUsage
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stdio.Err, "sagesaver: %s\n", msg)
	}
	return code
}

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "sagesaver",
		Short: "Find, price and safely remove idle Amazon SageMaker resources",
		Long: `sagesaver finds what your SageMaker account pays for and nobody uses:
notebook instances and Studio apps left running, endpoints nobody calls,
GPUs where CPUs would do. It prices that waste and, where a policy says so,
removes it safely (dry-run by default, every action audited and undoable).

Try it without an AWS account:  sagesaver demo`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.resolve(cmd) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/sagesaver/config.yaml; env "+config.EnvConfig+")")
	pf.StringVar(&a.cfg.Profile, "profile", "", "AWS profile (env "+config.EnvProfile+" or AWS_PROFILE)")
	pf.StringArrayVar(&a.flagRegion, "region", nil, "AWS region, repeatable or comma-separated; \"all\" = every SageMaker region (env "+config.EnvRegion+")")
	pf.StringVar(&a.cfg.EndpointURL, "endpoint-url", "", "send all AWS calls to this URL, e.g. the emulator (env "+config.EnvEndpointURL+"; AWS_ENDPOINT_URL also works)")
	pf.StringVarP(&a.cfg.Output, "output", "o", "", "output format: table, json, csv or markdown (env "+config.EnvOutput+")")
	pf.StringVar(&a.cfg.LogLevel, "log-level", "", "log level: debug, info, warn, error (env "+config.EnvLogLevel+")")
	pf.StringVar(&a.cfg.LogFormat, "log-format", "", "log format: text or json (env "+config.EnvLogFormat+")")
	pf.StringVar(&a.cfg.CloudWatchProtocol, "cloudwatch-protocol", "", "CloudWatch wire protocol: cbor (SDK default) or query (env "+config.EnvCloudWatchProtocol+")")
	pf.StringVar(&a.cfg.State, "state", "", "path of the local state database (env "+config.EnvState+")")

	root.AddCommand(
		newVersionCmd(a),
		newEmulatorCmd(a),
		newDemoCmd(a),
		newAdviseCmd(a),
		newPricingCmd(a),
		newAgentCmd(a),
		newLifecycleCmd(a),
		newScheduleCmd(a),
		newScanCmd(a),
		newPlanCmd(a),
		newApplyCmd(a),
		newRestoreCmd(a),
		newHistoryCmd(a),
	)
	return root
}

// resolve fills a.cfg from defaults, file, env and the flags that were set,
// and builds the logger. It runs before every subcommand.
func (a *app) resolve(cmd *cobra.Command) error {
	path := a.configPath
	if path == "" {
		path = a.getenv(config.EnvConfig)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	cfg.ApplyEnv(a.getenv)
	flags := cmd.Flags()
	str := func(name string, dst *string, v string) {
		if flags.Changed(name) {
			*dst = v
		}
	}
	str("profile", &cfg.Profile, a.cfg.Profile)
	str("endpoint-url", &cfg.EndpointURL, a.cfg.EndpointURL)
	str("output", &cfg.Output, a.cfg.Output)
	str("log-level", &cfg.LogLevel, a.cfg.LogLevel)
	str("log-format", &cfg.LogFormat, a.cfg.LogFormat)
	str("cloudwatch-protocol", &cfg.CloudWatchProtocol, a.cfg.CloudWatchProtocol)
	str("state", &cfg.State, a.cfg.State)
	if flags.Changed("region") {
		cfg.Regions = nil
		for _, r := range a.flagRegion {
			cfg.Regions = append(cfg.Regions, config.SplitList(r)...)
		}
	}
	if err := cfg.Validate(); err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			// A bad value from a flag or env: name the flag.
			return &exitError{code: exitUsage, err: fmt.Errorf("--%s: %s", flagName(fe.Field), fe.Msg)}
		}
		return err
	}
	a.cfg = cfg
	a.log = newLogger(a.stdio.Err, cfg.LogLevel, cfg.LogFormat)
	return nil
}

func flagName(field string) string {
	var b strings.Builder
	for i, r := range field {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// usageError marks an error as the user's: exit code 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}
