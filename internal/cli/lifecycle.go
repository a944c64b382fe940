package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/agentcmd"
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
	agentcmd.RegisterTuning(fl, &r.cfg)
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
			return "", agentcmd.FlagError(fe, r.cfg)
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
		Use:   "install",
		Short: "Create or update the lifecycle configuration and attach it to a notebook instance",
		Long: `install creates (or updates) a lifecycle configuration holding the script that
'lifecycle render' prints, and attaches it to the notebook instance. Attaching
needs the instance stopped: an InService instance is stopped, updated and
started again.

Without --yes, install is a dry run: it reads the notebook and the
configuration and says what it would do, changing nothing.`,
		Example: `  sagesaver lifecycle install --notebook dev-alice --binary-url s3://my-bucket/tools/sagesaver-agent --binary dist/sagesaver-agent-linux-amd64          # dry run
  sagesaver lifecycle install --notebook dev-alice --binary-url s3://my-bucket/tools/sagesaver-agent --sha256 <hex> --yes`,
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
			o.DryRun = !o.Yes
			res, err := lifecycle.Install(ctx, sm, o)
			if err != nil {
				return err
			}
			writeInstall(a.Stdio.Out, o, res)
			return nil
		},
	}
	r.add(cmd)
	cmd.Flags().StringVar(&o.Notebook, "notebook", "", "notebook instance name")
	cmd.Flags().StringVar(&o.Name, "name", lifecycle.DefaultName, "lifecycle configuration name")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "act: create or update the configuration and attach it, stopping and starting an InService instance (without it, a dry run)")
	cmd.Flags().Var(config.NewDurationFlag(&o.WaitTimeout, 15*time.Minute).AtLeast(time.Second), "wait", "longest wait for the instance to stop")
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
	cfg, err := awsconfig.Load(ctx, a.AWSOptions(region))
	if err != nil {
		return nil, err
	}
	return awsapi.NewClients(cfg, cfg.Region, false).SageMaker, nil
}

// writeInstall says what install did, or would do in a dry run.
func writeInstall(w io.Writer, o lifecycle.InstallOptions, res lifecycle.InstallResult) {
	if res.DryRun {
		verb := map[string]string{"created": "create", "updated": "update"}[res.Config]
		if verb == "" {
			verb = "keep (unchanged)"
		}
		fmt.Fprintf(w, "dry run (no --yes): nothing changed; install --yes would %s lifecycle configuration %s", verb, o.Name)
		switch {
		case res.Attached && res.Stopped:
			fmt.Fprintf(w, "; stop notebook %s (InService), attach the configuration and start it again\n", o.Notebook)
		case res.Attached:
			fmt.Fprintf(w, "; attach it to notebook %s (the agent starts at its next start)\n", o.Notebook)
		default:
			fmt.Fprintf(w, " (already attached to %s)\n", o.Notebook)
		}
		return
	}
	fmt.Fprintf(w, "lifecycle configuration %s %s", o.Name, res.Config)
	switch {
	case res.Attached && res.Started:
		fmt.Fprintf(w, "; attached to %s (stopped and started again)\n", o.Notebook)
	case res.Attached:
		fmt.Fprintf(w, "; attached to %s: the agent starts at its next start\n", o.Notebook)
	default:
		fmt.Fprintf(w, "; already attached to %s: the new script runs at its next start\n", o.Notebook)
	}
}
