package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/lifecycle"
	"github.com/sagesaver/sagesaver/internal/report"
)

// renderFlags are the flags shared by render and install.
type renderFlags struct {
	from, sum, binary string
	cfg               agent.Config
}

func (r *renderFlags) add(cmd *cobra.Command) {
	r.cfg = agent.DefaultConfig()
	fl := cmd.Flags()
	fl.StringVar(&r.from, "binary-url", "", "where instances download the agent: s3://bucket/key (works with only an S3 VPC endpoint) or https://...")
	// --from was --binary-url's name; schedule preview's --from is a date.
	fl.StringVar(&r.from, "from", "", "")
	_ = fl.MarkDeprecated("from", "use --binary-url")
	fl.StringVar(&r.sum, "sha256", "", "SHA-256 of the agent binary at --binary-url")
	fl.StringVar(&r.binary, "binary", "", "local copy of the binary at --binary-url (the agent build, sagesaver-agent, for the instances' architecture), to compute --sha256")
	fl.DurationVar(&r.cfg.IdleTime, "idle", r.cfg.IdleTime, "stop after this long without activity")
	fl.DurationVar(&r.cfg.PollInterval, "poll", r.cfg.PollInterval, "time between two looks")
	fl.DurationVar(&r.cfg.Grace, "grace", r.cfg.Grace, "start-up grace period after boot")
	fl.Float64Var(&r.cfg.CPUThreshold, "cpu-threshold", r.cfg.CPUThreshold, "CPU use (percent of one core) that counts as activity; 0 = off")
	fl.Float64Var(&r.cfg.GPUThreshold, "gpu-threshold", r.cfg.GPUThreshold, "GPU utilization (percent) that counts as activity; 0 = off")
	fl.BoolVar(&r.cfg.CountConnections, "count-connections", r.cfg.CountConnections, "count open kernel connections (browser tabs) as activity")
	fl.BoolVar(&r.cfg.IgnoreStuckKernels, "ignore-stuck-kernels", r.cfg.IgnoreStuckKernels, "do not count kernels stuck busy with no output and no CPU")
	// Not --dry-run: beside install's --yes, that would read as a dry run
	// of the install itself.
	fl.BoolVar(&r.cfg.DryRun, "agent-dry-run", r.cfg.DryRun, "the agents log the stop instead of making it (the agent's --dry-run)")
	fl.StringVar(&r.cfg.JupyterURL, "jupyter-url", r.cfg.JupyterURL, "local Jupyter server, with its base path")
}

func (r *renderFlags) render(a *app) (string, error) {
	if r.from == "" {
		return "", root.UsageError("--binary-url is required: where the instances download the agent (s3://bucket/key or https://...)")
	}
	sum := r.sum
	if sum == "" {
		path := r.binary
		if path == "" {
			return "", root.UsageError("give --binary, the file you upload to %s (the agent build for the instances: dist/sagesaver-agent-linux-amd64 or -arm64, see docs/agent.md), or its --sha256", r.from)
		}
		f, err := os.Open(path)
		if err != nil {
			// The user's input file, like -f: exit code 2.
			return "", &root.ExitError{Code: root.ExitUsage, Err: fmt.Errorf("--binary: %w", err)}
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("--binary: %w", err)
		}
		sum = lifecycle.SHA256Hex(h.Sum(nil))
	}
	s, err := lifecycle.Render(lifecycle.Options{From: r.from, SHA256: sum, Agent: r.cfg})
	if err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			return "", root.UsageError("--%s: %s", root.FlagName(fe.Field), fe.Msg)
		}
		return "", root.UsageError("%s", err)
	}
	return s, nil
}

func newLifecycleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use: "lifecycle",
		Example: `  sagesaver lifecycle audit --region us-east-1
  sagesaver lifecycle install --notebook dev-alice --idle 1h --binary-url s3://my-bucket/tools/sagesaver-agent --binary dist/sagesaver-agent-linux-amd64`,
		Short: "Lifecycle configurations that run the agent on notebook instances",
	}
	cmd.AddCommand(newLifecycleRenderCmd(a), newLifecycleInstallCmd(a), newLifecycleAuditCmd(a))
	return cmd
}

func newLifecycleRenderCmd(a *app) *cobra.Command {
	r := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Print an on-start script that installs and starts the agent",
		Example: `  sagesaver lifecycle render --idle 1h --binary-url s3://my-bucket/tools/sagesaver-agent --binary dist/sagesaver-agent-linux-amd64
  sagesaver lifecycle render --idle 2h --binary-url https://example.com/sagesaver-agent --sha256 <hex>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := r.render(a)
			if err != nil {
				return err
			}
			_, err = io.WriteString(a.Stdio.Out, s)
			return err
		},
	}
	r.add(cmd)
	return cmd
}

func newLifecycleInstallCmd(a *app) *cobra.Command {
	r := &renderFlags{}
	var o lifecycle.InstallOptions
	cmd := &cobra.Command{
		Use: "install",
		Example: `  sagesaver lifecycle install --notebook dev-alice --idle 1h \\
    --binary-url s3://my-bucket/tools/sagesaver-agent --binary dist/sagesaver-agent-linux-amd64
  sagesaver lifecycle install --notebook dev-alice --binary-url s3://my-bucket/tools/sagesaver-agent --sha256 <hex> --yes`,
		Short: "Create or update the lifecycle configuration and attach it to a notebook instance",
		Long: `install creates (or updates) a lifecycle configuration holding the script that
'lifecycle render' prints, and attaches it to the notebook instance. Attaching
needs the instance stopped: an InService instance is stopped, updated and
started again only when you confirm, or with --yes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := r.render(a)
			if err != nil {
				return err
			}
			o.Script, o.Log = s, a.Log
			ctx := cmd.Context()
			sm, err := a.lifecycleClient(ctx)
			if err != nil {
				return err
			}
			res, err := lifecycle.Install(ctx, sm, o)
			if errors.Is(err, lifecycle.ErrNeedsStop) && a.askYes(fmt.Sprintf("Notebook %s is InService. Stop it, attach the configuration and start it again? [y/N] ", o.Notebook)) {
				o.Yes = true
				res, err = lifecycle.Install(ctx, sm, o)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdio.Out, "lifecycle configuration %s %s", o.Name, res.Config)
			switch {
			case res.Attached && res.Started:
				fmt.Fprintf(a.Stdio.Out, "; attached to %s (stopped and started again)\n", o.Notebook)
			case res.Attached:
				fmt.Fprintf(a.Stdio.Out, "; attached to %s: the agent starts at its next start\n", o.Notebook)
			default:
				fmt.Fprintf(a.Stdio.Out, "; already attached to %s: the new script runs at its next start\n", o.Notebook)
			}
			return nil
		},
	}
	r.add(cmd)
	cmd.Flags().StringVar(&o.Notebook, "notebook", "", "notebook instance name")
	cmd.Flags().StringVar(&o.Name, "name", lifecycle.DefaultName, "lifecycle configuration name")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "stop an InService instance to attach, without asking")
	cmd.Flags().DurationVar(&o.WaitTimeout, "wait", 15*time.Minute, "longest wait for the instance to stop")
	_ = cmd.MarkFlagRequired("notebook")
	return cmd
}

func newLifecycleAuditCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use: "audit",
		Example: `  sagesaver lifecycle audit --region us-east-1
  sagesaver lifecycle audit --region eu-west-1 -o json`,
		Short: "List notebook instances and whether they stop themselves when idle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sm, err := a.lifecycleClient(ctx)
			if err != nil {
				return err
			}
			fs, err := lifecycle.Audit(ctx, sm)
			if err != nil {
				return err
			}
			if a.Cfg.Output == config.OutputJSON {
				if fs == nil {
					fs = []lifecycle.Finding{}
				}
				return report.EncodeJSON(a.Stdio.Out, struct {
					Schema    string              `json:"schema"`
					Notebooks []lifecycle.Finding `json:"notebooks"`
				}{report.SchemaLifecycleAudit, fs})
			}
			tw := tabwriter.NewWriter(a.Stdio.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NOTEBOOK\tSTATUS\tTYPE\tLIFECYCLE CONFIG\tAUTO-STOP\tIDLE TIME")
			none := 0
			for _, f := range fs {
				if f.AutoStop == lifecycle.AutoStopNone {
					none++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Notebook, f.Status, f.InstanceType, orDash(f.LifecycleConfig), f.AutoStop, orDash(f.IdleTime))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdio.Out, "\n%d of %d notebook instances have no auto-stop; fix one with: sagesaver lifecycle install --notebook NAME --binary-url s3://...\n", none, len(fs))
			return nil
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// lifecycleClient returns a SageMaker client for the first configured region.
func (a *app) lifecycleClient(ctx context.Context) (*sagemaker.Client, error) {
	region := ""
	if len(a.Cfg.Regions) > 0 {
		region = a.Cfg.Regions[0]
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: a.Cfg.Profile, Region: region, EndpointURL: a.Cfg.EndpointURL})
	if err != nil {
		return nil, err
	}
	return awsapi.NewClients(cfg, cfg.Region, false).SageMaker, nil
}

// askYes asks on the terminal; anything but y/yes, or no terminal, is no.
func (a *app) askYes(prompt string) bool {
	f, ok := a.Stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	fmt.Fprint(a.Stdio.Err, prompt)
	line, _ := bufio.NewReader(f).ReadString('\n')
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes"
}
