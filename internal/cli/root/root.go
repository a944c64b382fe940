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

// Exit codes.
const (
	ExitOK      = 0
	ExitFailed  = 1 // the command failed
	ExitUsage   = 2 // bad flags or input
	ExitPartial = 3 // the command completed, but some targets failed
)

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
		Long:              long,
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
	pf.StringVar(&a.Cfg.State, "state", "", "path of the local state database (env "+config.EnvState+")")
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
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	code := ExitFailed
	if errors.As(err, &ee) {
		code = ee.Code
	}
	var fe *config.FileError
	if errors.As(err, &fe) {
		code = ExitUsage
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(a.Stdio.Err, "sagesaver: %s\n", msg)
	}
	return code
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
		Short:       "Print the version",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{NoConfigFile: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.Stdio.Out, "sagesaver %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
