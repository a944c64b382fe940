// Package root is the root command every sagesaver build shares: the global
// flags, the configuration they resolve to (file, env, flags), the logger,
// the streams, the version command and the exit codes. The full CLI
// (internal/cli) and the on-instance agent build (cmd/sagesaver-agent) each
// add their own subcommands to it.
package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/version"
)

// Stdio is where a command reads and writes: results to Out, logs and
// progress to Err.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// App is the state shared by all subcommands: the resolved configuration,
// the logger and the streams. Cfg and Log are ready once the root command's
// PersistentPreRunE has run, that is inside every subcommand's RunE.
type App struct {
	Stdio  Stdio
	Getenv func(string) string
	// Cfg is the resolved global configuration.
	Cfg config.Config
	Log *slog.Logger
	// Clock is "now" for commands that compare with it; nil is the wall
	// clock (tests set a manual one).
	Clock clock.Clock

	// set by flags
	configPath  string
	flagRegion  []string
	flagTimeout time.Duration
}

// NoConfigFile is the annotation (set to "true") of a command that never
// reads the config file (version, demo): a broken file does not stop it.
const NoConfigFile = "sagesaver.io/no-config-file"

// New returns an App reading the process environment.
func New(stdio Stdio) *App {
	return &App{Stdio: stdio, Getenv: os.Getenv, Cfg: config.Default()}
}

// Exit codes. Every command follows ExitCodes, the one table of them; the
// README and the root command's --help print it.
const (
	ExitOK = 0
	// ExitFailed: the command failed (an AWS error, a state database
	// error); what it was doing did not complete.
	ExitFailed = 1
	// ExitUsage: the user's mistake, found before anything was done: a bad
	// flag, argument or value, or a bad input file (-f, --accounts,
	// --config, --scenario, --agent-config: missing, unreadable or invalid).
	ExitUsage = 2
	// ExitPartial: the command completed, but part of it failed: a scan
	// unit (account, region, kind), evidence, an action or a notification.
	ExitPartial = 3
	// ExitInterrupted: stopped by SIGINT or SIGTERM (128 + SIGINT's 2, as
	// shells report it) before it completed.
	ExitInterrupted = 130
)

// ExitCode is one row of the exit code table.
type ExitCode struct {
	Code    int
	Name    string
	Meaning string
}

// ExitCodes is the exit code table, in order. Finding nothing (no
// resource, no finding, no recommendation) is success: there is no
// "nothing to do" code, so that a cron job never mistakes an empty account
// for a failure.
var ExitCodes = []ExitCode{
	{ExitOK, "ok", "done; also when there was nothing to do"},
	{ExitFailed, "failed", "the command failed (an AWS or state database error); see the last line on stderr"},
	{ExitUsage, "usage", "bad flag, argument or value, or bad input file (missing, unreadable or invalid; named with line and field); nothing was done"},
	{ExitPartial, "partial", "completed, but part failed: an account, region or kind not scanned, evidence not read, an action or a notification (apply, schedule run) that failed; the output lists them"},
	{ExitInterrupted, "interrupted", "stopped by SIGINT or SIGTERM before it completed (schedule run --daemon exits 0 when stopped; run and serve -f exit 0 once a signal let the tick drain, 130 when a second signal cut it)"},
}

// ExitCodeTable renders ExitCodes as text for --help.
func ExitCodeTable() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "  %-4d %-12s %s\n", c.Code, c.Name, c.Meaning)
	}
	return b.String()
}

// ExitCodeMarkdown renders ExitCodes as the Markdown table in the README.
func ExitCodeMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | name | meaning |\n|---|---|---|\n")
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", c.Code, c.Name, c.Meaning)
	}
	return b.String()
}

// ExitError carries a specific exit code out of a command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks an error as the user's: exit code 2.
func UsageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// Command returns the root command with the global flags and the version
// subcommand; the caller adds the others.
func (a *App) Command(short, long string) *cobra.Command {
	root := &cobra.Command{
		Use:               "sagesaver",
		Short:             short,
		Long:              long + "\n\n" + strings.TrimSuffix(ExitCodeTable(), "\n"),
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.resolve(cmd) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/sagesaver/config.yaml; env "+config.EnvConfig+")")
	pf.StringVar(&a.Cfg.Profile, "profile", "", "AWS profile (env "+config.EnvProfile+" or AWS_PROFILE)")
	pf.StringArrayVar(&a.flagRegion, "region", nil, "AWS region, repeatable or comma-separated; \"all\" = every SageMaker region (env "+config.EnvRegion+")")
	pf.StringVar(&a.Cfg.EndpointURL, "endpoint-url", "", "send all AWS calls to this URL, e.g. the emulator (env "+config.EnvEndpointURL+"; AWS_ENDPOINT_URL also works)")
	pf.StringVarP(&a.Cfg.Output, "output", "o", "", "output format: table, json, csv or markdown (env "+config.EnvOutput+")")
	pf.StringVar(&a.Cfg.LogLevel, "log-level", "", "log level: debug, info, warn, error (env "+config.EnvLogLevel+")")
	pf.StringVar(&a.Cfg.LogFormat, "log-format", "", "log format: text or json (env "+config.EnvLogFormat+")")
	pf.StringVar(&a.Cfg.CloudWatchProtocol, "cloudwatch-protocol", "", "CloudWatch wire protocol: cbor (SDK default) or query (env "+config.EnvCloudWatchProtocol+")")
	pf.StringVar(&a.Cfg.State, "state", "", "state store: sqlite:PATH (or a path; default in your state directory) or dynamodb://TABLE?region=REGION (env "+config.EnvState+")")
	pf.Var(config.NewDurationFlag(&a.flagTimeout, awsconfig.DefaultTimeout).AtLeast(config.MinAWSTimeout), "aws-timeout",
		"longest wait for one attempt of one AWS call, e.g. 30s or 2m; connecting, the TLS handshake and the first byte of the answer get at most as long (env "+config.EnvAWSTimeout+")")
	// A bad flag is the user's mistake, like a bad value: exit code 2.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: ExitUsage, Err: errors.New(plainFlagError(err.Error()))}
	})
	root.AddCommand(a.versionCommand())
	return root
}

// Execute runs root with args (without the program name) and returns the
// process exit code, printing the error, if any, to Stdio.Err.
func (a *App) Execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	root.SetIn(a.Stdio.In)
	root.SetOut(a.Stdio.Out)
	root.SetErr(a.Stdio.Err)
	ran := false
	markRun(root, &ran)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil && cmd != nil && !cmd.Runnable() && len(cmd.Flags().Args()) > 0 {
		// cobra prints a command group's help for "sagesaver schedule
		// frobnicate" and returns no error: it is a usage error.
		err = fmt.Errorf("unknown command %q for %q", cmd.Flags().Args()[0], cmd.CommandPath())
	}
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	code := ExitFailed
	if !ran {
		// cobra's own errors (an unknown command, a wrong number of
		// arguments, a required flag left out) and the global flags' and
		// config file's come before the command runs: the user's.
		code = ExitUsage
	}
	if errors.As(err, &ee) {
		code = ee.Code
	}
	var fe *config.FileError
	if errors.As(err, &fe) {
		code = ExitUsage
	}
	msg := err.Error()
	if ctx.Err() != nil {
		// A command stopped by a signal returns whatever its last call
		// made of the cancelled context: say what happened first.
		code = ExitInterrupted
		msg = "interrupted: " + msg
	}
	if msg != "" {
		fmt.Fprintf(a.Stdio.Err, "sagesaver: %s\n", msg)
	}
	return code
}

// markRun makes every command under c set *ran when its RunE starts.
func markRun(c *cobra.Command, ran *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*ran = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub, ran)
	}
}

// resolve fills a.Cfg from defaults, file, env and the flags that were set,
// and builds the logger. It runs before every subcommand.
func (a *App) resolve(cmd *cobra.Command) error {
	path := a.configPath
	if path == "" {
		path = a.Getenv(config.EnvConfig)
	}
	cfg := config.Default()
	if cmd.Annotations[NoConfigFile] != "true" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return err
		}
	}
	if err := cfg.ApplyEnv(a.Getenv); err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	flags := cmd.Flags()
	str := func(name string, dst *string, v string) {
		if flags.Changed(name) {
			*dst = v
		}
	}
	str("profile", &cfg.Profile, a.Cfg.Profile)
	str("endpoint-url", &cfg.EndpointURL, a.Cfg.EndpointURL)
	str("output", &cfg.Output, a.Cfg.Output)
	str("log-level", &cfg.LogLevel, a.Cfg.LogLevel)
	str("log-format", &cfg.LogFormat, a.Cfg.LogFormat)
	str("cloudwatch-protocol", &cfg.CloudWatchProtocol, a.Cfg.CloudWatchProtocol)
	str("state", &cfg.State, a.Cfg.State)
	if flags.Changed("region") {
		cfg.Regions = nil
		for _, r := range a.flagRegion {
			cfg.Regions = append(cfg.Regions, config.SplitList(r)...)
		}
	}
	if flags.Changed("aws-timeout") {
		cfg.AWSTimeout = a.flagTimeout
	}
	if err := cfg.Validate(); err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			// A bad value from a flag or env: name the flag.
			name := FlagName(fe.Field)
			if strings.HasPrefix(fe.Field, "regions[") {
				name = "region"
			}
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--%s: %s", name, fe.Msg)}
		}
		return err
	}
	// The SDK reads AWS_ENDPOINT_URL itself when no endpoint is set: check
	// it as --endpoint-url is checked, before any call.
	if v := a.Getenv("AWS_ENDPOINT_URL"); cfg.EndpointURL == "" && v != "" {
		if err := config.CheckEndpointURL(v); err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("AWS_ENDPOINT_URL: %w", err)}
		}
	}
	a.Cfg = cfg
	a.Log = NewLogger(a.Stdio.Err, cfg.LogLevel, cfg.LogFormat)
	for _, r := range cfg.Regions {
		if warn, _ := config.CheckRegion(r); warn != "" && r != "all" {
			a.Log.Warn(warn)
		}
	}
	return nil
}

// AWSOptions are the awsconfig.Options every AWS client of the command is
// built from: profile, endpoint, timeout and logger from the resolved
// configuration, and region.
func (a *App) AWSOptions(region string) awsconfig.Options {
	return awsconfig.Options{Profile: a.Cfg.Profile, Region: region, EndpointURL: a.Cfg.EndpointURL, Timeout: a.Cfg.AWSTimeout, Log: a.Log}
}

// strconvError is how pflag passes on strconv's errors: `invalid argument
// "x" for "--concurrency" flag: strconv.ParseInt: parsing "x": invalid
// syntax`.
var strconvError = regexp.MustCompile(`strconv\.Parse(Int|Uint|Float|Bool): parsing "((?:[^"\\]|\\.)*)": (invalid syntax|value out of range)`)

// plainFlagError rewrites Go's strconv wording in a flag error as the
// user's: "x" is not a whole number.
func plainFlagError(msg string) string {
	return strconvError.ReplaceAllStringFunc(msg, func(m string) string {
		p := strconvError.FindStringSubmatch(m)
		want := map[string]string{"Int": "a whole number", "Uint": "a whole number, not negative", "Float": "a number", "Bool": "true or false"}[p[1]]
		if p[3] == "value out of range" {
			return fmt.Sprintf("%q is out of range for %s", p[2], want)
		}
		return fmt.Sprintf("%q is not %s", p[2], want)
	})
}

// FlagName turns a config field name (camelCase) into its flag's name
// (kebab-case): "logLevel" is "log-level", "endpointURL" is "endpoint-url".
func FlagName(field string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range field {
		upper := r >= 'A' && r <= 'Z'
		if upper && prevLower {
			b.WriteByte('-')
		}
		prevLower = !upper
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// NewLogger returns a text or JSON logger at level writing to w.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Example:     `  sagesaver version`,
		Short:       "Print the version",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{NoConfigFile: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.Stdio.Out, "sagesaver %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
