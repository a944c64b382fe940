package cli

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// demoPolicy is examples/policies/demo.yaml (a test keeps them equal).
//
//go:embed demo_policy.yaml
var demoPolicy []byte

// demoPolicyFile is how the demo names its policy.
const demoPolicyFile = "examples/policies/demo.yaml"

// demoTopic is the SNS topic the demo policy notifies; the demo creates
// it in the emulator.
const demoTopic = "sagesaver-demo"

// demoWaits poll the emulator quickly; demoTick is how far its virtual
// clock moves every demoTickEvery of wall time while apply waits, so that
// a stop or deletion that takes AWS minutes takes the demo a moment.
var demoWaits = action.Waits{NotebookStopped: 30 * time.Second, EndpointDeleted: 30 * time.Second, EndpointInService: 30 * time.Second,
	MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond}

const (
	demoTick      = 30 * time.Second
	demoTickEvery = 2 * time.Millisecond
)

// demoApply runs plan and then apply --yes with the demo policy on the
// demo fleet, real actions against the emulator with a throw-away state
// file, and shows the SNS message it sent and the savings. Table and
// Markdown only: JSON and CSV stay one document (the scan's).
func demoApply(ctx context.Context, a *app, env *demoEnv) error {
	if a.Cfg.Output != config.OutputTable && a.Cfg.Output != config.OutputMarkdown && a.Cfg.Output != "" {
		return nil
	}
	out := a.Stdio.Out
	p, err := policy.Decode(demoPolicyFile, demoPolicy)
	if err != nil {
		return fmt.Errorf("demo policy: %w", err)
	}
	dir, err := os.MkdirTemp("", "sagesaver-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "state.db"), store.WithClock(env.emu.Clock()))
	if err != nil {
		return err
	}
	defer st.Close()
	ex, targets, err := env.executor(ctx, a, st)
	if err != nil {
		return err
	}
	scan := func() []resource.Resource {
		sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors(), Log: a.Log}
		return sc.Scan(ctx, targets, &inventory.Env{Now: env.emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: inventory.NewMemCache(env.emu.Clock())}).Resources
	}

	fmt.Fprintf(out, "\nNext, `sagesaver plan -f %s` (read-only): what the demo policy would do, and why:\n\n", demoPolicyFile)
	plan, err := ex.Run(ctx, "plan", p, scan(), true)
	if err != nil {
		return err
	}
	if err := plan.Write(out, a.Cfg.Output); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nThen `sagesaver apply -f %s --yes`: each resource re-checked just before acting, endpoints snapshotted first:\n\n", demoPolicyFile)
	published := len(env.emu.Published())
	// Scan before the clock ticks: the ticking clock runs 15,000 times
	// faster than the wall clock, and a scan that took 80 ms under the race
	// detector moved it 20 minutes, past the agent heartbeats' freshness.
	found := scan()
	stop := tickEmulator(env)
	rep, err := ex.Run(ctx, "apply", p, found, false)
	stop()
	if err != nil {
		return err
	}
	if err := rep.Write(out, a.Cfg.Output); err != nil {
		return err
	}
	for _, m := range env.emu.Published()[published:] {
		fmt.Fprintf(out, "\nThe SNS digest it sent to %s:\n\n  Subject: %s\n\n", m.TopicArn, m.Subject)
		for _, line := range strings.Split(strings.TrimRight(m.Message, "\n"), "\n") {
			fmt.Fprintf(out, "  %s\n", line)
		}
	}
	// What the savings ledger recorded, as `sagesaver history` shows it:
	// the same figures as the plan's and the digest's (cost.Saves decides
	// all of them).
	doc, err := readHistory(ctx, st, 0, env.emu.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nAnd `sagesaver history` (its savings ledger; the instance-hours a stop or deletion ends, while a stopped notebook's volume still bills):\n\n")
	if err := writeLedger(out, doc); err != nil {
		return err
	}
	t := rep.Totals()
	fmt.Fprintf(out, "\nSavings: %s/month from now on", t.MonthlyText())
	if t.UnknownPrices > 0 {
		fmt.Fprintf(out, " (+%d action(s) with unknown price)", t.UnknownPrices)
	}
	fmt.Fprintf(out, ", as the savings ledger above records; `sagesaver history` shows the audit log and what has been saved so far, `sagesaver restore endpoint NAME` undoes a deletion, `sagesaver restore mlflow-tracking-server NAME` starts a stopped server.\n")
	if n := rep.Totals().Failed; n > 0 {
		return &root.ExitError{Code: root.ExitFailed, Err: fmt.Errorf("demo: %d action(s) failed", n)}
	}
	return nil
}

// tickEmulator moves the emulator's virtual clock while apply waits for
// AWS; the returned func stops it.
func tickEmulator(env *demoEnv) func() {
	return advanceEvery(env, demoTickEvery, demoTick)
}

// advanceEvery advances env's emulator clock by step every wall-clock
// interval until the returned func is called.
func advanceEvery(env *demoEnv, every, step time.Duration) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				env.emu.Advance(step)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// executor creates the demo's SNS topic and returns an executor of the
// demo policy against the emulator, recording into st, and the scan
// targets (the caller's account in demoRegions). demo and serve --demo
// share it.
func (env *demoEnv) executor(ctx context.Context, a *app, st store.Store) (*action.Executor, []inventory.Target, error) {
	home := awsapi.NewClients(env.cfg, "us-east-1", false)
	if _, err := home.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(demoTopic)}); err != nil {
		return nil, nil, fmt.Errorf("demo: create topic: %w", err)
	}
	id, err := home.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	acct := aws.ToString(id.Account)
	var targets []inventory.Target
	var regions []*action.Region
	for _, r := range demoRegions {
		cl := awsapi.NewClients(env.cfg, r, false)
		targets = append(targets, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging}})
		regions = append(regions, &action.Region{Account: acct, Region: r, SageMaker: cl.SageMaker,
			Scaling: cl.ApplicationAutoScaling, Metrics: metrics.New(cl.CloudWatch)})
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return nil, nil, err
	}
	ex := action.New(regions, st, catalog, action.WithClock(env.emu.Clock()), action.WithLogger(a.Log), action.WithWaits(demoWaits),
		action.WithRunInfo(store.RunInfo{OSUser: osUser(a.Getenv), CallerARN: aws.ToString(id.Arn)}),
		action.WithNotifier(func(act policy.Action) (notify.Notifier, error) {
			region, err := notify.TopicRegion(act.SNS)
			if err != nil {
				return nil, err
			}
			return notify.NewSNS(awsapi.NewClients(env.cfg, region, false).SNS, act.SNS), nil
		}))
	return ex, targets, nil
}
