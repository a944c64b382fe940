package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

func newRunCmd(a *app) *cobra.Command {
	var file, at string
	var dryRun, estimate bool
	var tickEvery time.Duration
	var fan fanOutFlags
	cmd := &cobra.Command{
		Use:   "run -f RUN.yaml [--dry-run] [--at TIME]",
		Short: "Run one tick of unattended work as a run file says (inventory, policies, schedules, advice, digests) and exit",
		Long: `run does one tick of unattended work and exits: run it from cron, a
Kubernetes CronJob or any scheduler, every 5 minutes (docs/run.md).

The run file (kind Run, examples/run/run.yaml) names the targets (accounts
or the Organization, the role to assume, regions), the policies and
schedules, the mode, how often each kind of work is due, where digests go
and the state backend. A tick has a time: --at (the scheduler's time) or
now. It claims that time in the state: a second tick for the same time does
nothing and says so (exit 0), so that two hosts ticking at once act once.
Then, for each account and region, it takes a lease, assumes the role and
does what is due there: a repeat scan through the describe cache in the
state, the policies (endpoint evidence, evaluation and, in enforce mode,
actions, exactly as apply does, re-checked and claimed per resource), the
schedules (as schedule run) and the advice; then the digest of the queued
notices when it is due. What is due is remembered in the state, not in
local files: a tick on a fresh machine with the same state continues.

Nothing changes in AWS unless the file says mode: enforce; --dry-run forces
a dry run whatever it says. A target that fails (a role that cannot be
assumed, a listing or an action that failed) is recorded and reported, and
the others go on: the exit code is then 3. 'sagesaver history --runs' lists
the ticks with each target's result.

SIGTERM or Ctrl-C stops the tick gracefully: the action in flight
finishes, what was not started is recorded as not done for the next tick,
and run exits 0. A second signal cuts the tick at once (exit 130).`,
		Example: `  sagesaver run -f examples/run/run.yaml
  sagesaver run -f run.yaml --dry-run -o json
  sagesaver run -f run.yaml --at 2026-12-01T07:00:00Z
  sagesaver run -f run.yaml --estimate-cost
  sagesaver run -f run.yaml --estimate-cost --tick-every 15m -o json
  */5 * * * *  sagesaver run -f /etc/sagesaver/run.yaml   # crontab`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return root.UsageError("-f RUN.yaml is required (example: examples/run/run.yaml)")
			}
			if a.Cfg.Output != config.OutputTable && a.Cfg.Output != config.OutputJSON {
				return root.UsageError("run: -o %s is not supported; use table or json", a.Cfg.Output)
			}
			if estimate {
				return runEstimate(cmd.Context(), a, cmd, file, tickEvery)
			}
			when := a.now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return root.UsageError("--at %q is not an RFC 3339 time (2026-12-01T07:00:00Z)", at)
				}
				when = t
			}
			if err := fan.check(cmd); err != nil {
				return err
			}
			return runTick(cmd.Context(), a, cmd, file, dryRun, when, fan)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "run file (YAML, kind: Run; see examples/run/)")
	f.BoolVar(&dryRun, "dry-run", false, "change nothing, whatever the file's mode says")
	f.BoolVar(&estimate, "estimate-cost", false, "print sagesaver's own monthly AWS bill for this run file (CloudWatch, Lambda, DynamoDB, SNS) and exit; runs no tick")
	f.Var(config.NewDurationFlag(&tickEvery, 5*time.Minute).AtLeast(time.Minute), "tick-every", "with --estimate-cost: how often the scheduler runs a tick")
	f.StringVar(&at, "at", "", "the tick's time, RFC 3339 (default now): the scheduler's time, so that hosts ticking together claim one tick")
	fan.register(f)
	return cmd
}

func runTick(ctx context.Context, a *app, cmd *cobra.Command, file string, dryRun bool, at time.Time, fan fanOutFlags) error {
	opts, st, _, fanned, err := prepareFanTick(ctx, a, cmd, file, dryRun, fan)
	if err != nil {
		return err
	}
	defer st.Close()
	opts.At = at
	res, err := a.drainTick(ctx, opts)
	if err != nil {
		return err
	}
	var dispatchErr error
	if fanned != nil && res.Claimed == nil && ctx.Err() == nil {
		// This run holds the tick: every worker works under its time.
		_, dispatchErr = a.dispatch(ctx, st, fan.function, res.RunID, res.At, fanned)
		if res.Targets, err = st.TargetResults(ctx, res.RunID); err != nil {
			return err
		}
	}
	if err := writeTick(a.Stdio.Out, a.Cfg.Output, res); err != nil {
		return err
	}
	if dispatchErr != nil {
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("tick %s: %w", res.At.Format(time.RFC3339), dispatchErr)}
	}
	if res.Failed() {
		failed := 0
		for _, t := range res.Targets {
			if t.Status == store.TargetFailed {
				failed++
			}
		}
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("%d of %d target(s) failed (listed above; sagesaver history --runs); the others completed", failed, len(res.Targets))}
	}
	// Stopped by a signal and drained (drainTick said so) is no failure
	// either: what was not started is for the next tick, as when a tick
	// is not due.
	return nil
}

// drainTick runs one tick that a first signal (ctx's end) stops
// gracefully: the action in flight finishes with its AWS calls uncut,
// nothing new starts, and what was not started is recorded as not done
// (tick.Options.Stop). A second signal (root.NotifySignals) cuts it: the
// AWS calls in flight are cancelled and the error, exit 130, says what
// was left.
func (a *app) drainTick(ctx context.Context, opts tick.Options) (*tick.Result, error) {
	opts.Stop = ctx.Done()
	tctx, release := root.Drain(ctx)
	defer release()
	stopping := context.AfterFunc(ctx, func() {
		a.Log.Warn("stopping the tick: the action in flight finishes, nothing new starts; a second signal cuts it",
			"signal", context.Cause(ctx))
	})
	res, err := tick.Run(tctx, opts)
	stopping()
	if cut, cause := root.Cut(ctx); cut {
		return res, &root.ExitError{Code: root.ExitInterrupted, Err: cutError(ctx, opts.Store, opts, res, cause)}
	}
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		a.Log.Warn("tick stopped: what it did not start is recorded as not done, for the next tick",
			"tick", res.At.Format(time.RFC3339), "run", res.RunID)
	}
	return res, nil
}

// cutReadTimeout bounds the state reads that say what a cut tick left:
// the process is asked to stop at once.
const cutReadTimeout = 5 * time.Second

// cutError says what a tick cut by a second signal left: the actions it
// cut mid-way (left started in the audit log: the next tick resolves
// them) and the targets it did not finish.
func cutError(ctx context.Context, st store.Store, opts tick.Options, res *tick.Result, cause error) error {
	if res == nil {
		return fmt.Errorf("tick cut by a second signal (%v) before it started; the next tick runs it", cause)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cutReadTimeout)
	defer cancel()
	left := "no action was in flight"
	if acts, err := startedActions(rctx, st, res.RunID); err != nil {
		left = fmt.Sprintf("actions in flight unknown (%v)", err)
	} else if len(acts) > 0 {
		left = strings.Join(acts, ", ") + " cut mid-way, left started (the next tick resolves it)"
	}
	done := 0
	for _, t := range res.Targets {
		if t.Status == store.TargetOK {
			done++
		}
	}
	return fmt.Errorf("tick %s cut by a second signal (%v): %s; %d of %d target(s) left for the next tick (sagesaver history --runs)",
		res.At.Format(time.RFC3339), cause, left, len(opts.Targets)-done, len(opts.Targets))
}

// startedActions lists the actions this process's runs left started
// since the tick's run began, as "delete ACCOUNT/REGION/KIND/NAME".
func startedActions(ctx context.Context, st store.Store, runID int64) ([]string, error) {
	tr, err := st.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	acts, err := st.Actions(ctx, store.ActionFilter{Since: tr.Started})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, act := range acts {
		if act.Result != store.ResultStarted || act.DryRun {
			continue
		}
		r, err := st.Run(ctx, act.RunID)
		if err != nil {
			return nil, err
		}
		if r.PID == tr.PID && r.Host == tr.Host {
			out = append(out, act.Verb+" "+act.Resource)
		}
	}
	return out, nil
}

// prepareTick reads the run file and builds what a tick needs (targets,
// state store, executor, notifier): `run` runs one, `serve -f` one every
// interval. The caller closes the store.
func prepareTick(ctx context.Context, a *app, cmd *cobra.Command, file string, dryRun bool) (tick.Options, store.Store, *runconfig.Run, error) {
	opts, st, r, _, err := prepareFanTick(ctx, a, cmd, file, dryRun, fanOutFlags{})
	return opts, st, r, err
}

// prepareFanTick is prepareTick for the hub function's orchestrator
// (fan.function: the targets it hands out to workers are returned, and
// the tick itself has none) and workers (fan.workerOf: the one target).
func prepareFanTick(ctx context.Context, a *app, cmd *cobra.Command, file string, dryRun bool, fan fanOutFlags) (tick.Options, store.Store, *runconfig.Run, []fanOutTarget, error) {
	// The run file and everything it names are read before anything else:
	// a bad file changes nothing and asks nothing of AWS.
	r, err := runconfig.Read(file)
	if err != nil {
		return tick.Options{}, nil, nil, nil, err
	}
	if fl := cmd.Flag("region"); (fl == nil || !fl.Changed) && len(r.Targets.Regions) > 0 {
		a.Cfg.Regions = r.Targets.Regions
	}
	loc, err := runStateLocation(a, cmd, r)
	if err != nil {
		return tick.Options{}, nil, nil, nil, err
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return tick.Options{}, nil, nil, nil, err
	}
	tf := runTargetFlags(r)
	if r.Targets.RoleName == "" {
		if role := a.Getenv(EnvSpokeRole); role != "" {
			tf.roleName = role
		}
	}
	var fanned []fanOutTarget
	var set *targetSet
	switch {
	case fan.workerOf != 0:
		if tf, err = workerTargets(r, tf, fan.account, a.Cfg.Regions[0]); err != nil {
			return tick.Options{}, nil, nil, nil, err
		}
	case fan.function != "":
		// The orchestrator enters no account: it lists them, and hands
		// them out unless there are few enough to run here.
		base, err := a.awsConfig(ctx)
		if err != nil {
			return tick.Options{}, nil, nil, nil, err
		}
		all, err := a.enumerate(ctx, base, tf, catalog)
		if err != nil {
			return tick.Options{}, nil, nil, nil, err
		}
		if len(all) > fan.inProcessMax {
			fanned = all
			set = &targetSet{Base: base}
		}
	}
	if set == nil {
		if set, err = a.buildTargets(ctx, tf, catalog); err != nil {
			return tick.Options{}, nil, nil, nil, err
		}
	}
	notifyCfg := r.ScheduleNotify
	if r.Notify != nil {
		notifyCfg = &schedule.Notify{SNSTopicARN: r.Notify.SNSTopicARN, WebhookURLEnv: r.Notify.WebhookURLEnv}
	}
	schedNotifier, err := a.scheduleNotifier(set.Base, &schedule.File{Notify: notifyCfg}, &scheduleRunFlags{})
	if err != nil {
		return tick.Options{}, nil, nil, nil, err
	}
	st, err := a.openLocation(ctx, loc)
	if err != nil {
		return tick.Options{}, nil, nil, nil, err
	}
	// Endpoint evidence is incremental: each endpoint's sums per period
	// are kept in the state and only the periods since the last fetch are
	// asked for, at most once per evidence cadence.
	every := r.Cadences().Evidence
	ex, err := a.executorWith(ctx, set, st, catalog, func(reg *action.Region, cl *awsapi.Clients) {
		reg.Evidence = metrics.NewEvidence(metrics.New(cl.Metrics), metrics.StoreMemory(st), metrics.EvidenceKey(reg.Account, reg.Region),
			metrics.WithEvery(every-tick.DueSlack(every)), metrics.WithEvidenceLog(a.Log))
	}, action.WithDeferredDigest())
	if err != nil {
		st.Close()
		return tick.Options{}, nil, nil, nil, err
	}
	var targets []tick.Target
	for _, f := range set.Failures {
		// An account whose role cannot be assumed fails in every region.
		for _, region := range set.Regions {
			targets = append(targets, tick.Target{Account: f.Account, Region: region, Err: errors.New(f.Reason)})
		}
	}
	for _, t := range set.Targets {
		targets = append(targets, tick.Target{Account: t.Account, Region: t.Region, Clients: set.Clients[t.Account+"/"+t.Region]})
	}
	opts := tick.Options{Run: r, DryRun: dryRun, Targets: targets, Store: st, Catalog: catalog, Executor: ex,
		Clock: a.clk(), Log: a.Log, Info: store.RunInfo{OSUser: osUser(a.Getenv), CallerARN: set.CallerARN}, Count: countCalls,
		Parent: fan.workerOf}
	if schedNotifier != nil {
		opts.ScheduleNotifier = schedNotifier
	}
	return opts, st, r, fanned, nil
}

// countCalls counts a target's AWS calls, by operation, and the metrics
// GetMetricData was asked for (awsconfig's context-carried Counter).
func countCalls(ctx context.Context) (context.Context, func() (map[string]int, int)) {
	c := awsconfig.NewCounter()
	return awsconfig.WithCounter(ctx, c), func() (map[string]int, int) { return c.Calls(), c.MetricsRequested() }
}

// tickTarget is one target's result in the JSON of run and history --runs.
type tickTarget struct {
	Account          string         `json:"account"`
	Region           string         `json:"region"`
	Status           string         `json:"status"`
	Started          time.Time      `json:"started"`
	Finished         time.Time      `json:"finished"`
	DurationSeconds  float64        `json:"duration_seconds"`
	Error            string         `json:"error,omitempty"`
	Counts           map[string]int `json:"counts"`
	Calls            map[string]int `json:"calls"`
	MetricsRequested int            `json:"metrics_requested"`
}

func newTickTargets(rs []store.TargetResult) []tickTarget {
	out := []tickTarget{}
	for _, r := range rs {
		t := tickTarget{Account: r.Account, Region: r.Region, Status: r.Status, Started: r.Started.UTC(), Finished: r.Finished.UTC(),
			DurationSeconds: r.Finished.Sub(r.Started).Seconds(), Error: r.Error, Counts: r.Counts, Calls: r.Calls, MetricsRequested: r.MetricsRequested}
		if t.Counts == nil {
			t.Counts = map[string]int{}
		}
		if t.Calls == nil {
			t.Calls = map[string]int{}
		}
		out = append(out, t)
	}
	return out
}

// tickDoc is `run -o json`.
type tickDoc struct {
	Schema string    `json:"schema"`
	RunID  int64     `json:"run_id"`
	Tick   time.Time `json:"tick"`
	DryRun bool      `json:"dry_run"`
	// ClaimedBy is the run that holds this tick when it was not this one
	// (nothing was done).
	ClaimedBy *int64       `json:"claimed_by"`
	Recovered int          `json:"recovered"`
	Targets   []tickTarget `json:"targets"`
	Digest    tick.Digest  `json:"digest"`
}

func writeTick(w io.Writer, output string, res *tick.Result) error {
	doc := tickDoc{Schema: report.SchemaRun, RunID: res.RunID, Tick: res.At.UTC(), DryRun: res.DryRun, Recovered: res.Recovered,
		Targets: newTickTargets(res.Targets), Digest: res.Digest}
	if res.Claimed != nil {
		doc.ClaimedBy = &res.Claimed.RunID
	}
	if output == config.OutputJSON {
		return report.EncodeJSON(w, doc)
	}
	if res.Claimed != nil {
		_, err := fmt.Fprintf(w, "tick %s already claimed by run %d: nothing done\n", doc.Tick.Format(time.RFC3339), res.Claimed.RunID)
		return err
	}
	mode := "enforce"
	if doc.DryRun {
		mode = "dry run: nothing changed"
	}
	fmt.Fprintf(w, "tick %s, run %d (%s)\n", doc.Tick.Format(time.RFC3339), doc.RunID, mode)
	if doc.Recovered > 0 {
		fmt.Fprintf(w, "%d action(s) left started by a killed run: resolved by the policy pass\n", doc.Recovered)
	}
	if err := writeTickTargets(w, doc.Targets, "  "); err != nil {
		return err
	}
	switch {
	case doc.Digest.Error != "":
		fmt.Fprintf(w, "digest failed (notices kept for the next tick): %s\n", oneLineText(doc.Digest.Error))
	case doc.Digest.Sent:
		fmt.Fprintln(w, "digest sent")
	}
	return nil
}

func writeTickTargets(w io.Writer, ts []tickTarget, indent string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%sACCOUNT\tREGION\tSTATUS\tTIME\tDONE\tCALLS\tDETAIL\n", indent)
	for _, t := range ts {
		calls := 0
		for _, n := range t.Calls {
			calls += n
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%.1fs\t%s\t%d\t%s\n", indent, t.Account, t.Region, t.Status, t.DurationSeconds, countsText(t.Counts), calls, oneLineText(t.Error))
	}
	return tw.Flush()
}

// countsText writes counts as "actions=1 resources=12", by name.
func countsText(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, c[k])
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
