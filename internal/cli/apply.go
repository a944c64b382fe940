package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newApplyCmd(a *app) *cobra.Command {
	var f policyFlags
	var yes bool
	cmd := &cobra.Command{
		Use:   "apply -f POLICY [--yes]",
		Short: "Do what a policy says, safely (without --yes: a dry run, like plan)",
		Long: `Scan, evaluate the policy like 'sagesaver plan', and, with --yes, act:
each resource is claimed in the state database (two applies never act on
the same resource), described again and its evidence fetched again just
before acting (if it woke up, it is skipped and that is recorded), then
changed, waiting where AWS is asynchronous. Every action is in the audit
log (started before the AWS call, finished after), savings go to the
ledger, and the policy's notify actions get one digest for the run,
failed actions included.

Endpoints are snapshotted before deletion (config, tags, autoscaling):
'sagesaver restore endpoint NAME' brings one back.

A run killed mid-way leaves the state consistent: the next apply checks
the actions it left unfinished and reports them.`,
		Example: `  sagesaver apply -f examples/policies/dev-notebooks-stop.yaml          # dry run
  sagesaver apply -f examples/policies/dev-notebooks-stop.yaml --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd.Context(), a, f, yes)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&yes, "yes", false, "act (without it, apply is a dry run)")
	return cmd
}

func runApply(ctx context.Context, a *app, f policyFlags, yes bool) error {
	if !yes {
		fmt.Fprintln(a.Stdio.Err, "sagesaver apply: dry run (no --yes): nothing will change; this is what apply --yes would do.")
	}
	return runPolicy(ctx, a, f, "apply", !yes)
}
