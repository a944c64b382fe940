package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/deploy"
	"github.com/sagesaver/sagesaver/internal/iampolicy"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/version"
)

func newDeployCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy sagesaver into AWS: CloudFormation templates and the Lambda package",
		Long: `Run sagesaver inside AWS, across an organisation's accounts: one hub account
runs the binary as a Lambda function on an EventBridge Scheduler schedule,
and every member account (a service-managed StackSet) has a role the hub
assumes. See docs/deploy.md for a first deployment, an upgrade and a
removal.`,
		Example: `  sagesaver deploy template --hub > hub.yaml
  sagesaver deploy template --spoke -o json > spoke.json
  sagesaver deploy package -f run.yaml --bootstrap dist/bootstrap`,
	}
	var hub, spoke bool
	var runFile string
	tpl := &cobra.Command{
		Use:   "template --hub|--spoke [-f RUN.yaml]",
		Short: "Print the hub's or the spokes' CloudFormation template (YAML; -o json for JSON)",
		Long: `Print a CloudFormation template, YAML by default or JSON with -o json.

--hub: the function (provided.al2023, arm64 by default), its role, the
EventBridge Scheduler schedule (rate(5 minutes), FlexibleTimeWindow OFF, a
bounded RetryPolicy) and its execution role, an EventInvokeConfig with no
Lambda-side retries, the DynamoDB state table (on demand, point-in-time
recovery, encryption; kept when the stack is deleted), the log group with
its retention, and optionally the SNS topic.

--spoke: the role the hub assumes in each member account, with a fixed
name, trusting the hub account only for the hub's role
(aws:PrincipalArn) inside the organisation (aws:PrincipalOrgID), in the
read-only or act flavour (parameter Flavour); act never touches resources
tagged sagesaver:protect=true. Act holds every write sagesaver can make;
with -f RUN.yaml, only the writes the run file's policies (their actions
on their kinds) and schedules (their target kinds) make, whatever its
mode.

The IAM policies are generated from the AWS operations sagesaver declares
(sagesaver iam policy), not written by hand.`,
		Example: `  sagesaver deploy template --hub > hub.yaml
  sagesaver deploy template --spoke -o json > spoke.json
  sagesaver deploy template --spoke -f run.yaml > spoke.yaml`,
		Annotations: map[string]string{root.NoConfigFile: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runFile != "" && !hub && !spoke {
				spoke = true // -f is the spokes'
			}
			if hub == spoke {
				return root.UsageError("give one of --hub or --spoke")
			}
			if hub && runFile != "" {
				return root.UsageError("-f applies to --spoke: the hub's policy does not depend on the run file")
			}
			t := deploy.Hub(version.Version)
			if spoke {
				t = deploy.Spoke(version.Version)
			}
			if spoke && runFile != "" {
				act, err := actForRun(runFile)
				if err != nil {
					return err
				}
				t = deploy.SpokeFor(version.Version, act)
			}
			var b []byte
			var err error
			switch a.Cfg.Output {
			case config.OutputJSON:
				b, err = t.JSON()
			case config.OutputTable, "":
				b, err = t.YAML()
			default:
				return root.UsageError("--output %s: a template is YAML (the default) or JSON (-o json)", a.Cfg.Output)
			}
			if err != nil {
				return err
			}
			_, err = a.Stdio.Out.Write(b)
			return err
		},
	}
	tpl.Flags().BoolVar(&hub, "hub", false, "the hub account's template")
	tpl.Flags().BoolVar(&spoke, "spoke", false, "the member accounts' template (a StackSet)")
	tpl.Flags().StringVarP(&runFile, "file", "f", "", "the run configuration whose policies and schedules say which writes the spoke's act flavour holds (implies --spoke)")

	var file, binary, out string
	pkg := &cobra.Command{
		Use:   "package -f RUN.yaml --bootstrap BINARY [--out FILE]",
		Short: "Write the Lambda function's zip: the binary as bootstrap and the run configuration",
		Long: `Write the zip the hub template's function runs: BINARY (a Linux build of
sagesaver, e.g. CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags
lambda.norpc -o bootstrap ./cmd/sagesaver) as bootstrap with mode 0755 at
the zip's root, the run configuration as run.yaml, and the policy and
schedule files it names, at their paths relative to it.

The configuration travels in the zip: changing it is a redeploy (upload
the new zip, update the hub stack's CodeS3Key). The same inputs make the
same zip, byte for byte.`,
		Example:     `  sagesaver deploy package -f run.yaml --bootstrap dist/bootstrap --out sagesaver.zip`,
		Annotations: map[string]string{root.NoConfigFile: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return root.UsageError("-f RUN.yaml is required")
			}
			if _, _, err := deploy.ReadRun(file); err != nil {
				return err
			}
			if binary == "" {
				return root.UsageError("--bootstrap is required: a Linux build of sagesaver (see --help)")
			}
			bin, err := os.ReadFile(binary)
			if err != nil {
				return config.ReadError(binary, err)
			}
			if _, err := deploy.BinaryArch(bin); err != nil {
				return root.UsageError("--bootstrap %s: %v", binary, err)
			}
			var buf bytes.Buffer
			p, err := deploy.WritePackage(&buf, file, bin)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write package: %w", err)
			}
			_, err = fmt.Fprintf(a.Stdio.Out, "wrote %s (%d bytes): %d files, %s (the hub stack's Architecture parameter)\n", out, buf.Len(), len(p.Files), p.Arch)
			return err
		},
	}
	pkg.Flags().StringVarP(&file, "file", "f", "", "the run configuration (kind Run)")
	pkg.Flags().StringVar(&binary, "bootstrap", "", "the Linux build of sagesaver (GOOS=linux, -tags lambda.norpc) to run as the function's bootstrap")
	pkg.Flags().StringVar(&out, "out", "sagesaver-lambda.zip", "the zip to write")
	cmd.AddCommand(tpl, pkg)
	return cmd
}

// actForRun is the act flavour of the run file at path (iampolicy.ForRun).
func actForRun(path string) (awsapi.Flavour, error) {
	r, err := runconfig.Read(path)
	if err != nil {
		return awsapi.Flavour{}, err
	}
	return iampolicy.ForRun(r)
}
