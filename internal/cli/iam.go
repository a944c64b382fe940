package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/iampolicy"
)

func newIAMCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iam",
		Short: "The IAM permissions sagesaver needs, generated from the AWS calls it makes",
		Example: `  sagesaver iam policy --flavour read-only
  sagesaver iam operations`,
	}
	var flavour, runFile string
	pol := &cobra.Command{
		Use:   "policy --flavour read-only|act|hub [-f RUN.yaml]",
		Short: "Print the IAM policy document of a flavour",
		Long: `Print an IAM policy document (JSON) generated from the AWS operations
sagesaver declares next to the code that calls them (internal/awsapi):

  read-only  what scan, evidence, advise and plan call (List and Read
             access levels only)
  act        read-only, plus every write apply, restore and schedule run
             can make, and an explicit Deny of those writes on resources
             tagged sagesaver:protect=true; with -f RUN.yaml, only the
             writes the run file's policies and schedules make
  hub        the hub's own calls in an organisation deployment: assuming the
             spoke roles, listing the organisation's accounts, notices,
             prices, the DynamoDB state table, invoking its workers

Resources are "*" (most SageMaker List actions support no resource
scoping); the CloudFormation templates (sagesaver deploy template) scope
the hub's. No action is a wildcard, and every action is checked against
AWS's IAM reference data.`,
		Example: `  sagesaver iam policy --flavour read-only > sagesaver-read-only.json
  aws iam create-policy --policy-name sagesaver-act --policy-document "$(sagesaver iam policy --flavour act)"
  sagesaver iam policy --flavour act -f run.yaml`,
		Annotations: map[string]string{root.NoConfigFile: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flavour == "" && runFile != "" {
				flavour = "act" // -f is act's
			}
			if flavour == "" {
				return root.UsageError("--flavour is required: read-only, act or hub")
			}
			f, err := awsapi.FlavourNamed(flavour)
			if err != nil {
				return root.UsageError("--flavour: %v", err)
			}
			if runFile != "" {
				if f.Name != "act" {
					return root.UsageError("-f applies to --flavour act: the %s policy does not depend on the run file", f.Name)
				}
				if f, err = actForRun(runFile); err != nil {
					return err
				}
			}
			b, err := json.MarshalIndent(iampolicy.Generate(f, nil), "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Stdio.Out, "%s\n", b)
			return err
		},
	}
	pol.Flags().StringVar(&flavour, "flavour", "", "read-only, act or hub (required without -f)")
	pol.Flags().StringVarP(&runFile, "file", "f", "", "the run configuration whose policies and schedules say which writes the act flavour holds (implies --flavour act)")

	ops := &cobra.Command{
		Use:         "operations",
		Short:       "List every AWS operation sagesaver can call, with its IAM actions and flavour",
		Example:     `  sagesaver iam operations`,
		Annotations: map[string]string{root.NoConfigFile: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows := slices.Clone(awsapi.Operations)
			slices.SortFunc(rows, func(x, y awsapi.Operation) int { return strings.Compare(x.Key(), y.Key()) })
			for _, o := range rows {
				line := fmt.Sprintf("%-56s %-9s %s", o.Key(), o.Access, strings.Join(o.Actions, " "))
				if o.Why != "" {
					line += "  # " + o.Why
				}
				if _, err := fmt.Fprintln(a.Stdio.Out, line); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.AddCommand(pol, ops)
	return cmd
}
