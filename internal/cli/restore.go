package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/store"
)

// accountFlagHelp is restore's --account, one meaning for every subcommand.
const accountFlagHelp = "account of the resource to restore (default: the caller's)"

func newRestoreCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use: "restore",
		Example: `  sagesaver restore endpoint churn-predictor --region us-east-1
  sagesaver restore mlflow-tracking-server research-experiments --region us-east-1 --yes`,
		Short: "Bring back what apply removed",
	}
	var account string
	var yes bool
	ep := &cobra.Command{
		Use:   "endpoint NAME [--yes]",
		Short: "Re-create an endpoint deleted by apply from its snapshot (config, tags, autoscaling)",
		Long: `Re-create an endpoint that 'sagesaver apply' deleted, from the snapshot it
took first: CreateEndpoint with the same endpoint config and tags, a wait
until it is InService, then the same Application Auto Scaling targets and
policies. If someone deleted the endpoint config, it is created again from
the snapshot first. The endpoint's savings period ends; the restore is in
the audit log. Give the region with --region when it is not your default.

Without --yes, restore is a dry run: it says what it would do (a restored
endpoint is billed again) and changes nothing. Each step done is recorded:
a restore that failed half-way (the wait, the autoscaling registration)
is finished by running it again.`,
		Example: `  sagesaver restore endpoint churn-predictor --region us-east-1          # dry run
  sagesaver restore endpoint churn-predictor --region us-east-1 --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestoreEndpoint(cmd.Context(), a, account, args[0], yes)
		},
	}
	ep.Flags().StringVar(&account, "account", "", accountFlagHelp)
	ep.Flags().BoolVar(&yes, "yes", false, "act: re-create the endpoint (without it, a dry run)")
	var mlAccount string
	var mlYes bool
	ml := &cobra.Command{
		Use:   "mlflow-tracking-server NAME [--yes]",
		Short: "Start an MLflow tracking server that apply or a schedule stopped",
		Long: `Start a stopped MLflow tracking server (StartMlflowTrackingServer): its
experiments, runs and artifacts were kept while it was stopped. The server's
savings period ends; the start is in the audit log. A server that runs is
left alone; one on its way (Stopping, Starting, Creating) is refused: run
it again once it settled. Give the region with --region when it is not
your default.

Without --yes, restore is a dry run: it says what it would do (a started
server is billed again) and changes nothing.`,
		Example: `  sagesaver restore mlflow-tracking-server research-experiments --region us-east-1          # dry run
  sagesaver restore mlflow-tracking-server research-experiments --region us-east-1 --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestoreMLflow(cmd.Context(), a, mlAccount, args[0], mlYes)
		},
	}
	ml.Flags().StringVar(&mlAccount, "account", "", accountFlagHelp)
	ml.Flags().BoolVar(&mlYes, "yes", false, "act: start the tracking server (without it, a dry run)")
	cmd.AddCommand(ep, ml)
	return cmd
}

// restoreTarget is what every restore works with: the one account and
// region it works in (the caller's), the state and the executor. The
// caller closes the state.
func restoreTarget(ctx context.Context, a *app, account, kind, name string) (inventory.Target, store.Store, *action.Executor, error) {
	if len(a.Cfg.Regions) > 1 || slices.Contains(a.Cfg.Regions, "all") {
		return inventory.Target{}, nil, nil, root.UsageError("--region: restore works in one region")
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return inventory.Target{}, nil, nil, err
	}
	var tf targetFlags
	tf.roleName = DefaultRoleName
	set, err := a.buildTargets(ctx, tf, catalog)
	if err != nil {
		return inventory.Target{}, nil, nil, err
	}
	if len(set.Targets) == 0 {
		return inventory.Target{}, nil, nil, fmt.Errorf("restore %s %s: no account to work in", kind, name)
	}
	t := set.Targets[0]
	if account != "" && account != t.Account {
		return inventory.Target{}, nil, nil, root.UsageError("--account %s: restore works in the caller's account (%s)", account, t.Account)
	}
	st, err := a.openStore(ctx, "")
	if err != nil {
		return inventory.Target{}, nil, nil, err
	}
	ex, err := a.executor(ctx, set, st, catalog)
	if err != nil {
		st.Close()
		return inventory.Target{}, nil, nil, err
	}
	return t, st, ex, nil
}

func runRestoreMLflow(ctx context.Context, a *app, account, name string, yes bool) error {
	t, st, ex, err := restoreTarget(ctx, a, account, "MLflow tracking server", name)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := ex.StartMLflow(ctx, t.Account, t.Region, name, !yes)
	if err != nil {
		return err
	}
	w := a.Stdio.Out
	switch {
	case res.AlreadyRunning:
		_, err = fmt.Fprintf(w, "MLflow tracking server %s (%s/%s) is %s: nothing to start\n", name, t.Account, t.Region, res.Status)
	case !yes:
		_, err = fmt.Fprintf(w, "dry run (no --yes): nothing changed; restore mlflow-tracking-server %s --yes would start it (status %s; it bills again once started) and close its savings period\n", name, res.Status)
	default:
		saved := ""
		if res.Saved != nil && res.Saved.Until != nil {
			saved = fmt.Sprintf("; stopped since %s (%s not billed)", res.Saved.From.UTC().Format("2006-01-02 15:04 UTC"),
				idle.FormatDuration(res.Saved.Until.Sub(res.Saved.From)))
		}
		_, err = fmt.Fprintf(w, "started MLflow tracking server %s (%s/%s): Starting%s\n", name, t.Account, t.Region, saved)
	}
	return err
}

func runRestoreEndpoint(ctx context.Context, a *app, account, name string, yes bool) error {
	t, st, ex, err := restoreTarget(ctx, a, account, "endpoint", name)
	if err != nil {
		return err
	}
	defer st.Close()
	if yes {
		fmt.Fprintf(a.Stdio.Err, "restoring endpoint %s in %s/%s (waits until InService)...\n", name, t.Account, t.Region)
	}
	res, err := ex.Restore(ctx, t.Account, t.Region, name, !yes)
	if err != nil {
		return err
	}
	if !yes {
		return writeRestorePlan(a, res)
	}
	if len(res.Resumed) > 0 {
		fmt.Fprintf(a.Stdio.Err, "finished the restore an earlier run began (it had done: %s)\n", strings.Join(res.Resumed, ", "))
	}
	return writeRestore(a, res.Snapshot)
}

// writeRestorePlan says what restore --yes would do.
func writeRestorePlan(a *app, res action.Restoration) error {
	snap := res.Snapshot
	w := a.Stdio.Out
	fmt.Fprintf(w, "dry run (no --yes): nothing changed; restore endpoint %s --yes would, from the snapshot of %s:\n",
		snap.Endpoint, snap.TakenAt.UTC().Format("2006-01-02 15:04 UTC"))
	if len(res.Resumed) > 0 {
		fmt.Fprintf(w, "  (an earlier restore did: %s)\n", strings.Join(res.Resumed, ", "))
	}
	for _, s := range res.Steps {
		fmt.Fprintf(w, "  - %s\n", s)
	}
	_, err := fmt.Fprintln(w, "  - close the savings period and mark the snapshot restored")
	return err
}

func writeRestore(a *app, snap store.EndpointSnapshot) error {
	targets, policies := action.ScalingCounts(snap)
	_, err := fmt.Fprintf(a.Stdio.Out, "restored endpoint %s (%s/%s) from the snapshot of %s: config %s, %d tag(s), %d scalable target(s), %d scaling polic(ies); InService\n",
		snap.Endpoint, snap.Account, snap.Region, snap.TakenAt.UTC().Format("2006-01-02 15:04 UTC"), snap.Config, len(snap.Tags), targets, policies)
	return err
}
