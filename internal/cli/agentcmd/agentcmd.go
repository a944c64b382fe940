// Package agentcmd is the `sagesaver agent` command tree (run, status,
// keepalive). It is shared by the full CLI and the agent build
// (cmd/sagesaver-agent), so it imports nothing the agent does not need: no
// service client but SageMaker's, no store, no emulator.
package agentcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/agent/sagemakerapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/gpu"
	"github.com/sagesaver/sagesaver/internal/jupyter"
)

// agentMaxAttempts is how often the agent tries one AWS call.
const agentMaxAttempts = 3

// envAgentConfig names the agent's config file.
const envAgentConfig = "SAGESAVER_AGENT_CONFIG"

// agentFlags are the agent's own flags, overriding its config file.
type agentFlags struct {
	file string
	cfg  agent.Config
	once bool
}

// New returns the agent command.
func New(a *root.App) *cobra.Command {
	f := &agentFlags{cfg: agent.DefaultConfig()}
	cmd := &cobra.Command{
		Use: "agent",
		Example: `  sagesaver agent --idle 1h                # what the lifecycle script starts
  sagesaver agent --once --dry-run        # one look: print the verdict, stop nothing`,
		Short: "Run on a notebook instance or Studio app: stop it when idle",
		Long: `The agent watches the local Jupyter server (kernels, terminals), CPU and GPU
use, a keep-alive file and a start-up grace period, and stops the notebook
instance (or deletes the Studio app) it runs on once everything has been
idle for --idle. It is started by the lifecycle script that
'sagesaver lifecycle render' prints. See docs/agent.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve(a, cmd)
			if err != nil {
				return err
			}
			return runAgent(cmd.Context(), a, cfg, f.once)
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.file, "agent-config", "", "agent config file (default "+agent.DefaultConfigPath+" when present; env "+envAgentConfig+")")
	pf.StringVar(&f.cfg.StateDir, "state-dir", f.cfg.StateDir, "directory of the idle clock, status and keep-alive files")
	fl := cmd.Flags()
	RegisterTuning(fl, &f.cfg)
	fl.StringVar(&f.cfg.JupyterURL, "jupyter-url", f.cfg.JupyterURL, "local Jupyter server, with its base path")
	fl.StringVar(&f.cfg.MetadataPath, "metadata", f.cfg.MetadataPath, "SageMaker resource metadata file")
	fl.BoolVar(&f.cfg.CountConnections, "count-connections", f.cfg.CountConnections, "count open kernel connections (browser tabs) as activity")
	fl.BoolVar(&f.cfg.IgnoreStuckKernels, "ignore-stuck-kernels", f.cfg.IgnoreStuckKernels, "do not count kernels stuck busy with no output and no CPU")
	fl.BoolVar(&f.cfg.DryRun, "dry-run", f.cfg.DryRun, "log the stop instead of making it")
	fl.BoolVar(&f.once, "once", false, "poll once, print the verdict and exit")
	cmd.AddCommand(newAgentStatusCmd(a, f), newAgentKeepAliveCmd(a, f))
	return cmd
}

// resolve reads the config file (named, or the default when it exists)
// and applies the flags that were set.
func (f *agentFlags) resolve(a *root.App, cmd *cobra.Command) (agent.Config, error) {
	path := f.file
	if path == "" {
		path = a.Getenv(envAgentConfig)
	}
	named := path != ""
	if !named {
		path = agent.DefaultConfigPath
	}
	cfg := agent.DefaultConfig()
	if _, err := os.Stat(path); err == nil || named {
		c, err := agent.LoadConfig(path)
		if err != nil {
			return cfg, err
		}
		cfg = c
	}
	fl := cmd.Flags()
	set := func(name string, apply func()) {
		if fl.Lookup(name) != nil && fl.Changed(name) {
			apply()
		}
	}
	set("state-dir", func() { cfg.StateDir = f.cfg.StateDir })
	set("idle", func() { cfg.IdleTime = f.cfg.IdleTime })
	set("poll", func() { cfg.PollInterval = f.cfg.PollInterval })
	set("grace", func() { cfg.Grace = f.cfg.Grace })
	set("jupyter-url", func() { cfg.JupyterURL = f.cfg.JupyterURL })
	set("metadata", func() { cfg.MetadataPath = f.cfg.MetadataPath })
	set("cpu-threshold", func() { cfg.CPUThreshold = f.cfg.CPUThreshold })
	set("gpu-threshold", func() { cfg.GPUThreshold = f.cfg.GPUThreshold })
	set("count-connections", func() { cfg.CountConnections = f.cfg.CountConnections })
	set("ignore-stuck-kernels", func() { cfg.IgnoreStuckKernels = f.cfg.IgnoreStuckKernels })
	set("dry-run", func() { cfg.DryRun = f.cfg.DryRun })
	if err := cfg.Validate(); err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			if name, ok := flagOf[fe.Field]; ok && fl.Changed(name) || fl.Changed("idle") && (fe.Field == "pollInterval" || fe.Field == "stuckAfter") {
				return cfg, FlagError(fe, cfg)
			}
			return cfg, root.UsageError("agent config: %s: %s", fe.Field, fe.Msg)
		}
		return cfg, err
	}
	return cfg, nil
}

// RegisterTuning adds the flags that tune the agent (the idle time, poll
// interval, grace period and CPU and GPU thresholds) to fl, writing to cfg:
// `agent` and `lifecycle render|install` share them. Durations read the
// one duration syntax ("90m", "1d"); thresholds refuse NaN and infinities.
func RegisterTuning(fl *pflag.FlagSet, cfg *agent.Config) {
	fl.Var(config.NewDurationFlag(&cfg.IdleTime, cfg.IdleTime), "idle", "stop after this long without activity, e.g. 1h or 1d")
	fl.Var(config.NewDurationFlag(&cfg.PollInterval, cfg.PollInterval), "poll", "time between two looks, at least 1s and at most --idle")
	fl.Var(config.NewDurationFlag(&cfg.Grace, cfg.Grace), "grace", "start-up grace period after boot")
	fl.Var(config.NewFloatFlag(&cfg.CPUThreshold, cfg.CPUThreshold), "cpu-threshold", "CPU use (percent of one core) that counts as activity; 0 = off")
	fl.Var(config.NewFloatFlag(&cfg.GPUThreshold, cfg.GPUThreshold), "gpu-threshold", "GPU utilization (percent) that counts as activity; 0 = off")
}

// flagOf maps the agent config's fields to the flags that set them.
var flagOf = map[string]string{
	"idleTime": "idle", "pollInterval": "poll", "grace": "grace",
	"cpuThreshold": "cpu-threshold", "gpuThreshold": "gpu-threshold",
	"jupyterURL": "jupyter-url", "stateDir": "state-dir",
}

// FlagError is a usage error naming the flag of the agent config field
// fe names ("--idle: must be positive"), cfg being the configuration
// checked. A poll interval longer than the idle time names both flags.
func FlagError(fe *config.FileError, cfg agent.Config) error {
	name, ok := flagOf[fe.Field]
	if fe.Field == "pollInterval" && cfg.PollInterval > cfg.IdleTime && cfg.IdleTime > 0 {
		return root.UsageError("--idle %s is shorter than the poll interval (--poll %s): the agent could not see the idle time pass",
			config.FormatDuration(cfg.IdleTime), config.FormatDuration(cfg.PollInterval))
	}
	if fe.Field == "stuckAfter" && cfg.StuckAfter < cfg.IdleTime {
		return root.UsageError("--idle %s is longer than the agent's stuckAfter (%s), which must be at least the idle time; set stuckAfter in the agent config file",
			config.FormatDuration(cfg.IdleTime), config.FormatDuration(cfg.StuckAfter))
	}
	if !ok {
		return root.UsageError("agent config: %s: %s", fe.Field, fe.Msg)
	}
	return root.UsageError("--%s: %s", name, fe.Msg)
}

func runAgent(ctx context.Context, a *root.App, cfg agent.Config, once bool) error {
	res, err := agent.ReadResource(cfg.MetadataPath)
	if err != nil {
		return fmt.Errorf("%w (not on a SageMaker notebook instance or Studio app? set --metadata)", err)
	}
	token := ""
	if cfg.JupyterTokenFile != "" {
		b, err := os.ReadFile(cfg.JupyterTokenFile)
		if err != nil {
			return fmt.Errorf("jupyter token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	jc, err := jupyter.New(cfg.JupyterURL, jupyter.Options{Token: token, CAFile: cfg.JupyterCAFile, InsecureSkipVerify: cfg.JupyterCAFile == ""})
	if err != nil {
		return err
	}
	// Three attempts (the SDK's default), not the scan's ten: a call that
	// keeps failing holds up the next poll, and the agent tries again at
	// the next poll anyway.
	sm, err := sageMaker(ctx, a, cfg, res, agentMaxAttempts)
	if err != nil {
		return err
	}
	g := gpu.Open(ctx, gpu.Options{Log: a.Log})
	defer g.Close()
	ag, err := agent.New(cfg, res, agent.Deps{
		Jupyter:   jc,
		SageMaker: sm,
		GPU:       g,
		Clock:     clock.Real{},
		Log:       a.Log,
	})
	if err != nil {
		return err
	}
	if once {
		v, err := ag.Once(ctx)
		if !v.At.IsZero() { // not interrupted
			fmt.Fprintln(a.Stdio.Out, v.Summary())
		}
		return err
	}
	return ag.Run(ctx)
}

// sageMaker is the agent's SageMaker client for res.
func sageMaker(ctx context.Context, a *root.App, cfg agent.Config, res agent.Resource, attempts int) (*sagemakerapi.Client, error) {
	region := cfg.Region
	if region == "" {
		region = res.Region()
	}
	endpoint := cfg.EndpointURL
	if endpoint == "" {
		endpoint = a.Cfg.EndpointURL
	}
	opts := a.AWSOptions(region)
	opts.EndpointURL, opts.MaxAttempts = endpoint, attempts
	awsCfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	return sagemakerapi.New(awsCfg)
}

// liveTimeout bounds `agent status`'s look at the resource's real status.
const liveTimeout = 5 * time.Second

// liveStatus asks SageMaker for the resource's status now, once, so that
// `agent status` can tell a stop by someone else from the agent's.
func liveStatus(ctx context.Context, a *root.App, cfg agent.Config, res agent.Resource) agent.Live {
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	sm, err := sageMaker(ctx, a, cfg, res, 1)
	if err != nil {
		return agent.Live{Err: err}
	}
	var status string
	if res.IsStudioApp() {
		app := sagemakerapi.App{DomainID: res.DomainID, AppType: res.AppType, AppName: res.Name, SpaceName: res.SpaceName, UserProfileName: res.UserProfileName}
		if app.SpaceName != "" {
			app.UserProfileName = ""
		}
		status, err = sm.DescribeApp(ctx, app)
	} else {
		status, err = sm.DescribeNotebookInstance(ctx, res.Name)
	}
	return agent.Live{Status: status, Err: err}
}

func newAgentStatusCmd(a *root.App, f *agentFlags) *cobra.Command {
	return &cobra.Command{
		Use: "status",
		Example: `  sagesaver agent status
  sagesaver agent status -o json`,
		Short: "Explain the running agent's verdict",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve(a, cmd)
			if err != nil {
				return err
			}
			st, err := agent.ReadState(cfg.StatePath())
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no agent state in %s: the agent has not run here (see docs/agent.md)", cfg.StateDir)
			}
			if err != nil {
				return err
			}
			if a.Cfg.Output == config.OutputJSON {
				// As report.EncodeJSON writes; the agent build does not
				// import report (it brings every service client).
				enc := json.NewEncoder(a.Stdio.Out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(newStatusDoc(&st))
			}
			_, err = fmt.Fprint(a.Stdio.Out, agent.StatusScreen(st, cfg, time.Now(), liveStatus(cmd.Context(), a, cfg, st.Resource)))
			return err
		},
	}
}

func newAgentKeepAliveCmd(a *root.App, f *agentFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "keepalive DURATION|off",
		Short: "Keep this machine running for a while, whatever the signals say",
		Example: `  sagesaver agent keepalive 2h     # not stopped for the next two hours
  sagesaver agent keepalive off    # back to normal`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.resolve(a, cmd)
			if err != nil {
				return err
			}
			var until time.Time
			if args[0] != "off" {
				d, err := config.ParseDuration(args[0])
				if err != nil || d <= 0 {
					return root.UsageError("keepalive: %q is not a positive duration such as 2h or 90m, or off", args[0])
				}
				until = time.Now().Add(d)
			}
			if err := agent.WriteKeepAlive(cfg.KeepAlivePath(), until); err != nil {
				return err
			}
			if until.IsZero() {
				_, err = fmt.Fprintln(a.Stdio.Out, "keep-alive off")
			} else {
				_, err = fmt.Fprintf(a.Stdio.Out, "kept alive until %s\n", until.UTC().Format("2006-01-02 15:04 UTC"))
			}
			return err
		},
	}
}

// SchemaStatus is the schema identifier of `agent status -o json`, in
// the convention of internal/report's (which the agent build cannot import).
const SchemaStatus = "sagesaver.io/agent-status/v1"

// statusDoc is `agent status -o json` (docs/agent-status.schema.json): the
// agent's state file in the JSON convention of every command's output. The
// state file itself is the agent's own and may change between versions.
type statusDoc struct {
	Schema             string         `json:"schema"`
	Resource           statusResource `json:"resource"`
	Boot               time.Time      `json:"boot"`
	PID                int            `json:"pid"`
	LastActivity       time.Time      `json:"last_activity"`
	LastActivitySource string         `json:"last_activity_source,omitempty"`
	LastPoll           time.Time      `json:"last_poll"`
	// Stopped is when the stop was made (or, with StopDryRun, logged).
	Stopped    *time.Time    `json:"stopped,omitempty"`
	StopDryRun bool          `json:"stop_dry_run,omitempty"`
	Verdict    statusVerdict `json:"verdict"`
}

type statusResource struct {
	ARN         string `json:"arn"`
	Name        string `json:"name"`
	DomainID    string `json:"domain_id,omitempty"`
	UserProfile string `json:"user_profile,omitempty"`
	Space       string `json:"space,omitempty"`
	AppType     string `json:"app_type,omitempty"`
}

type statusVerdict struct {
	At           time.Time `json:"at"`
	Active       []string  `json:"active"`
	Notes        []string  `json:"notes"`
	LastActivity time.Time `json:"last_activity"`
	Source       string    `json:"source,omitempty"`
	IdleSeconds  int64     `json:"idle_seconds"`
	// IdleTimeSeconds is the configured idle time.
	IdleTimeSeconds int64     `json:"idle_time_seconds"`
	StopAt          time.Time `json:"stop_at"`
	Idle            bool      `json:"idle"`
	Action          string    `json:"action,omitempty"`
}

func newStatusDoc(st *agent.State) statusDoc {
	v := st.Verdict
	doc := statusDoc{
		Schema: SchemaStatus,
		Resource: statusResource{ARN: st.Resource.ARN, Name: st.Resource.Name, DomainID: st.Resource.DomainID,
			UserProfile: st.Resource.UserProfileName, Space: st.Resource.SpaceName, AppType: st.Resource.AppType},
		Boot: st.Boot.UTC(), PID: st.PID, LastActivity: st.LastActivity.UTC(), LastActivitySource: st.LastActivitySource,
		LastPoll: st.LastPoll.UTC(), StopDryRun: st.StopDryRun,
		Verdict: statusVerdict{At: v.At.UTC(), Active: nonNil(v.Active), Notes: nonNil(v.Notes), LastActivity: v.LastActivity.UTC(),
			Source: v.Source, IdleSeconds: int64(v.IdleFor / time.Second), IdleTimeSeconds: int64(v.IdleTime / time.Second),
			StopAt: v.StopAt.UTC(), Idle: v.Idle, Action: v.Action},
	}
	if !st.Stopped.IsZero() {
		t := st.Stopped.UTC()
		doc.Stopped = &t
	}
	return doc
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
