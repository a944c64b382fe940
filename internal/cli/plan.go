package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
)

// policyFlags are the flags of plan and apply.
type policyFlags struct {
	targets targetFlags
	file    string
}

func (f *policyFlags) register(cmd *cobra.Command) {
	f.targets.register(cmd.Flags())
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "policy file (YAML, kind: Policy; see examples/policies/)")
}

func newPlanCmd(a *app) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "plan -f POLICY",
		Short: "Show what a policy would do: each finding, the action, why, and the $/month saved (read-only)",
		Long: `Scan the accounts and regions, fetch the idle evidence (CloudWatch
Invocations per variant and inference component, async backlogs, the
agent's last activity, Studio idle settings), evaluate the policy, and show
each finding with the action the policy would take, why, and what it saves
per month. Nothing in AWS changes; the run and its findings are recorded in
the state database (as a dry run).

Evidence that cannot decide (no datapoints for a young endpoint, a
CloudWatch error) is "unknown" and never acted on.`,
		Example: `  sagesaver plan -f examples/policies/idle-endpoints-notify.yaml
  sagesaver plan -f policy.yaml --region us-east-1,eu-west-1 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicy(cmd.Context(), a, f, "plan", true)
		},
	}
	f.register(cmd)
	return cmd
}

// executorOptions are added to every executor the commands build: tests
// set fast waiter polling (the emulator's clock is virtual); nil otherwise.
var executorOptions []action.Option

// runPolicy is plan and apply: scan, evaluate, act unless dryRun, print.
func runPolicy(ctx context.Context, a *app, f policyFlags, command string, dryRun bool) error {
	if f.file == "" {
		return root.UsageError("-f POLICY is required (examples in examples/policies/)")
	}
	// The policy is read before anything else: a bad file changes nothing.
	p, err := policy.Read(f.file)
	if err != nil {
		return err
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	set, err := a.buildTargets(ctx, f.targets, catalog)
	if err != nil {
		return err
	}
	res := a.inventory(ctx, set.Targets, scanOptions{lookback: inventory.DefaultJobLookback, concurrency: inventory.DefaultConcurrency})
	resources, fails := res.Resources, append(res.Failures, set.Failures...)
	st, err := a.openStore(ctx, "")
	if err != nil {
		return err
	}
	defer st.Close()
	ex, err := a.executor(ctx, set, st, catalog)
	if err != nil {
		return err
	}
	rep, err := ex.Run(ctx, command, p, resources, dryRun)
	if err != nil {
		return err
	}
	rep.ScanFailures = fails
	if err := rep.Write(a.Stdio.Out, a.Cfg.Output); err != nil {
		return err
	}
	failed := 0
	for _, o := range rep.Outcomes {
		if o.Result == notify.ResultFailed && o.Verb != string(policy.Notify) {
			failed++
		}
	}
	if failed > 0 {
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("%d action(s) failed (listed above; the audit log has them: sagesaver history)", failed)}
	}
	if rep.NotifyErr != nil {
		// The same exit code as schedule run for the same failure.
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("notification not delivered (kept; the next apply sends it again): %w", rep.NotifyErr)}
	}
	if len(rep.EvidenceErrors) > 0 && len(fails) == 0 {
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("CloudWatch failed in %d account/region(s): the endpoints and Canvas apps it judges there are unknown and were not acted on (listed above)", len(rep.EvidenceErrors))}
	}
	return partialError(len(fails))
}

// clk is the command's clock.
func (a *app) clk() clock.Clock {
	if a.Clock != nil {
		return a.Clock
	}
	return clock.Real{}
}

// inventory scans targets as of now with the default collectors, through
// the inventory cache unless o.noCache. The cache is not saved when ctx is
// done.
func (a *app) inventory(ctx context.Context, targets []inventory.Target, o scanOptions) *inventory.Result {
	env := &inventory.Env{Now: a.now(), JobLookback: o.lookback}
	var cache *inventory.MemCache
	cachePath, cacheErr := a.inventoryCachePath()
	if !o.noCache && cacheErr == nil {
		cache = inventory.LoadCache(cachePath, a.clk())
		env.Cache = cache
	}
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors(), Concurrency: o.concurrency, Log: a.Log}
	prog := newProgress(a.Stdio.Err, a.Log, "scanning")
	sc.Progress = prog.update
	res := sc.Scan(ctx, targets, env)
	prog.finish()
	if cache != nil && ctx.Err() == nil {
		if err := cache.Save(cachePath); err != nil {
			a.Log.Warn("inventory cache not saved; the next scan will describe again", "err", err)
		}
	}
	return res
}

// executor builds the action executor over every target of set.
func (a *app) executor(ctx context.Context, set *targetSet, st store.Store, catalog *pricing.Catalog, opts ...action.Option) (*action.Executor, error) {
	return a.executorWith(ctx, set, st, catalog, nil, opts...)
}

// executorWith is executor with each region passed to region, when not
// nil, before the executor is built (run sets the incremental evidence).
func (a *app) executorWith(ctx context.Context, set *targetSet, st store.Store, catalog *pricing.Catalog, region func(*action.Region, *awsapi.Clients), opts ...action.Option) (*action.Executor, error) {
	keys := make([]string, 0, len(set.Clients))
	for k := range set.Clients {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var regions []*action.Region
	var first *awsapi.Clients
	for _, k := range keys {
		cl := set.Clients[k]
		acct := k[:len(k)-len(cl.Region)-1]
		reg := &action.Region{Account: acct, Region: cl.Region, SageMaker: cl.SageMaker,
			Scaling: cl.ApplicationAutoScaling, Metrics: metrics.New(cl.Metrics)}
		if region != nil {
			region(reg, cl)
		}
		regions = append(regions, reg)
		if first == nil {
			first = cl
		}
	}
	// The actor is who runs sagesaver, not the role it assumed in the
	// first target account (assumed-role/ROLE/sagesaver there).
	info := store.RunInfo{OSUser: osUser(a.Getenv), CallerARN: set.CallerARN}
	if info.CallerARN == "" && first != nil {
		if id, err := first.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			info.CallerARN = aws.ToString(id.Arn)
		}
	}
	base := set.Base
	notifier := func(act policy.Action) (notify.Notifier, error) {
		var ns notify.Multi
		if act.SNS != "" {
			region, err := notify.TopicRegion(act.SNS)
			if err != nil {
				return nil, err
			}
			ns = append(ns, notify.NewSNS(awsapi.NewClients(base, region, false).SNS, act.SNS))
		}
		if act.Webhook != "" {
			ns = append(ns, notify.NewWebhook(act.Webhook, nil))
		}
		return ns, nil
	}
	all := append([]action.Option{action.WithClock(a.clk()), action.WithLogger(a.Log), action.WithRunInfo(info),
		action.WithNotifier(notifier)}, opts...)
	all = append(all, executorOptions...)
	return action.New(regions, st, catalog, all...), nil
}
