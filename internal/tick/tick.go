// Package tick is one unit of unattended work, the same for every host (a
// cron line, a Kubernetes CronJob, serve, AWS Lambda): at a time T it
// claims T in the store (a second tick for the same T does nothing and
// says so), recovers what a killed run left, and for each target (account
// x region) takes a lease, and does what is due there: the inventory (a
// repeat scan through the store's describe cache), the policies (endpoint
// evidence, evaluation and, in enforce mode, the actions, through the same
// executor and claims as `apply`), the schedules (as `schedule run`) and
// the advice. Then, when due, the digest of every queued notice.
//
// What is due is decided from what the store remembers (blobs of kind
// "due"), never from local files, so a tick on a fresh machine with the
// same store continues where the last one stopped. A target's failure is
// recorded (store.RecordTarget) and reported without stopping the others.
package tick

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/scheduler"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Command is the run command of a tick in the store (store.RunInfo).
const Command = "run"

// WorkerCommand is the run command of a worker: one target of a tick
// whose time another run (the orchestrator, Options.Parent) claimed.
const WorkerCommand = "run worker"

// Blob kinds the tick keeps in the store.
const (
	// BlobDue remembers when each kind of work was last done: key
	// WORK/ACCOUNT/REGION (the digest: "digest"), value the tick's time
	// in RFC 3339.
	BlobDue = "due"
	// BlobScan is a target's last inventory (key ACCOUNT/REGION, JSON
	// list of resource.Resource), written only when it changed: its time
	// is when it last changed, not when it was last scanned.
	BlobScan = "scan"
	// BlobAdvice is a target's last advice (key ACCOUNT/REGION, the
	// advise JSON document).
	BlobAdvice = "advice"
)

// Work is a kind of work a tick does when it is due.
type Work string

// The kinds of work.
const (
	WorkInventory Work = "inventory"
	WorkPolicies  Work = "policies" // endpoint evidence, evaluation, actions
	WorkAdvice    Work = "advice"
	WorkDigest    Work = "digest"
)

// Target is one account and region, with its clients, or why it could
// not be entered (a role that cannot be assumed).
type Target struct {
	Account string
	Region  string
	Clients *awsapi.Clients
	Err     error
}

// Count is the hook that counts a target's AWS calls: it returns the
// context the target's work runs under, and read, which returns the calls
// made under it by operation ("sagemaker:ListEndpoints") and the metrics
// GetMetricData was asked for. A context-carried counter plugs in as
//
//	func(ctx context.Context) (context.Context, func() (map[string]int, int)) {
//		c := awsconfig.NewCounter()
//		return awsconfig.WithCounter(ctx, c), func() (map[string]int, int) { return c.Calls(), c.MetricsRequested() }
//	}
//
// nil records no calls.
type Count func(ctx context.Context) (counted context.Context, read func() (calls map[string]int, metricsRequested int))

// Options are everything one tick needs.
type Options struct {
	Run *runconfig.Run
	// DryRun forces a dry run whatever the file says (--dry-run).
	DryRun bool
	// At is the tick's time: the scheduler's when it gives one, else now.
	At      time.Time
	Targets []Target
	Store   store.Store
	Catalog *pricing.Catalog
	// Executor acts on the policies' plans over every target's region
	// (the same executor and claims as `apply`). The tick sets its
	// deferred digest; build it with action.WithDeferredDigest.
	Executor *action.Executor
	// ScheduleNotifier receives the schedules' digests; nil: none.
	ScheduleNotifier notify.Notifier
	Clock            clock.Clock
	Log              *slog.Logger
	Info             store.RunInfo
	// Count counts each target's AWS calls (nil: none recorded).
	Count       Count
	Concurrency int
	// Stop, once closed, stops the tick gracefully (a SIGTERM): the
	// action in flight finishes, with the AWS calls under Run's context
	// uncancelled, and what is not started yet (targets, work, plan
	// steps) is recorded as skipped with action.ErrNotDone, for the next
	// tick; the digest waits too. Cancelling Run's context instead cuts
	// the AWS calls in flight. nil: never stopped.
	Stop <-chan struct{}
	// Parent, when set, makes this tick a worker of the orchestrator's
	// run Parent, which claimed the tick's time, recovered what killed
	// runs left and sends the digest: a worker does none of these. It
	// records its targets' results under Parent (so that the tick's run
	// lists every target), and a target Parent already holds a result for
	// (a duplicate delivery of the same worker) is not worked on again.
	Parent int64
}

// Digest is what the tick did about the digest.
type Digest struct {
	Due   bool   `json:"due"`
	Sent  bool   `json:"sent"`
	Error string `json:"error,omitempty"`
}

// Result is what a tick did.
type Result struct {
	RunID  int64
	At     time.Time
	DryRun bool
	// Claimed is set when another run holds this tick's time: nothing was
	// done.
	Claimed *store.TickClaimedError
	// Recovered counts the actions a killed run left started.
	Recovered int
	Targets   []store.TargetResult
	Digest    Digest
}

// Failed reports whether some target, or the digest, failed.
func (r *Result) Failed() bool {
	if r.Digest.Error != "" {
		return true
	}
	return slices.ContainsFunc(r.Targets, func(t store.TargetResult) bool { return t.Status == store.TargetFailed })
}

// ticker is one tick in progress.
type ticker struct {
	o       Options
	at      time.Time
	enforce bool
	cad     runconfig.Cadence
	run     store.Run
	log     *slog.Logger
	// policiesForced: a killed run left actions started; the policy pass
	// (whose executor resolves them, as apply does) runs everywhere.
	policiesForced bool
}

// Run runs one tick. The returned error is for what stops the whole tick
// (the store); what fails per target is in Result.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency < 1 {
		o.Concurrency = inventory.DefaultConcurrency
	}
	ctx = action.WithStop(ctx, o.Stop)
	t := &ticker{o: o, at: store.TickTime(o.At), enforce: o.Run.Enforce(o.DryRun), cad: o.Run.Cadences(), log: o.Log}
	info := o.Info
	info.Command, info.DryRun, info.Tick = Command, !t.enforce, t.at
	if o.Parent != 0 {
		info.Command = WorkerCommand
	}
	info.PolicyFile, info.PolicyHash = o.Run.Path, o.Run.SHA256
	run, err := o.Store.StartRun(ctx, info)
	if err != nil {
		return nil, err
	}
	t.run = run
	res := &Result{RunID: run.ID, At: t.at, DryRun: !t.enforce}
	if o.Parent != 0 {
		return t.worker(ctx, res)
	}
	if err := o.Store.ClaimTick(ctx, run.ID, t.at); err != nil {
		var tc *store.TickClaimedError
		if errors.As(err, &tc) {
			res.Claimed = tc
			return res, o.Store.FinishRun(context.WithoutCancel(ctx), run.ID, nil)
		}
		_ = o.Store.FinishRun(context.WithoutCancel(ctx), run.ID, err)
		return nil, err
	}
	defer t.keepAlive(ctx)()
	// Free what dead runs held (their target leases, their claims); the
	// actions they left started are resolved by the policy pass, whose
	// executor looks at each resource again, as apply does.
	rec, err := o.Store.Recover(ctx)
	if err != nil {
		_ = o.Store.FinishRun(context.WithoutCancel(ctx), run.ID, err)
		return nil, err
	}
	res.Recovered = len(rec.Interrupted)
	t.policiesForced = t.enforce && res.Recovered > 0 && len(o.Run.Policies) > 0

	t.targets(ctx, res)
	if ctx.Err() == nil && !action.Stopping(ctx) {
		res.Digest = t.digest(ctx)
	}
	return t.finish(ctx, res, "some targets or the digest failed")
}

// worker runs the targets of a worker: no claim of the tick's time, no
// recovery, no digest (the orchestrator's).
func (t *ticker) worker(ctx context.Context, res *Result) (*Result, error) {
	defer t.keepAlive(ctx)()
	t.targets(ctx, res)
	return t.finish(ctx, res, "the target failed")
}

// targets works on each target in turn, by account and region, into
// res.Targets, until ctx ends.
func (t *ticker) targets(ctx context.Context, res *Result) {
	targets := slices.Clone(t.o.Targets)
	slices.SortFunc(targets, func(a, b Target) int {
		return strings.Compare(a.Account+"/"+a.Region, b.Account+"/"+b.Region)
	})
	for _, tg := range targets {
		if ctx.Err() != nil {
			break
		}
		res.Targets = append(res.Targets, t.target(ctx, tg))
	}
}

// finish ends the tick's run: failed (with the error failed when res
// did), stopped (action.ErrNotDone) or cut (ctx's error).
func (t *ticker) finish(ctx context.Context, res *Result, failed string) (*Result, error) {
	var runErr error
	if res.Failed() {
		runErr = errors.New(failed)
	}
	if action.Stopping(ctx) {
		runErr = action.ErrNotDone
	}
	if ctx.Err() != nil {
		runErr = ctx.Err()
	}
	if err := t.o.Store.FinishRun(context.WithoutCancel(ctx), t.run.ID, runErr); err != nil {
		return res, err
	}
	return res, nil
}

// doneBefore reports whether the parent run already holds a result for
// tg that is not a skip: a duplicate delivery of its worker.
func (t *ticker) doneBefore(ctx context.Context, tg Target) (bool, error) {
	rs, err := t.o.Store.TargetResults(ctx, t.o.Parent)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(rs, func(r store.TargetResult) bool {
		return r.Account == tg.Account && r.Region == tg.Region && r.Status != store.TargetSkipped
	}), nil
}

// target does what is due in one target and records it.
func (t *ticker) target(ctx context.Context, tg Target) store.TargetResult {
	r := store.TargetResult{Account: tg.Account, Region: tg.Region, Started: t.o.Clock.Now(), Counts: map[string]int{}}
	var read func() (map[string]int, int)
	if t.o.Count != nil {
		ctx, read = t.o.Count(ctx)
	}
	recordUnder := t.run.ID
	if t.o.Parent != 0 {
		recordUnder = t.o.Parent
	}
	finish := func(status string, err error) store.TargetResult {
		r.Status, r.Finished = status, t.o.Clock.Now()
		if err != nil {
			r.Error = err.Error()
		}
		if read != nil {
			r.Calls, r.MetricsRequested = read()
		}
		// The result is recorded even when the tick is being stopped.
		if err := t.o.Store.RecordTarget(context.WithoutCancel(ctx), recordUnder, r); err != nil {
			t.log.Warn("record target", "account", tg.Account, "region", tg.Region, "err", err)
		}
		if status == store.TargetFailed {
			t.log.Warn("target failed", "account", tg.Account, "region", tg.Region, "err", r.Error)
		}
		return r
	}
	if action.Stopping(ctx) {
		return finish(store.TargetSkipped, action.ErrNotDone)
	}
	if tg.Err != nil {
		return finish(store.TargetFailed, tg.Err)
	}
	lease := resource.TargetID(tg.Account, tg.Region)
	if err := t.o.Store.Claim(ctx, t.run.ID, lease, "tick"); err != nil {
		if errors.Is(err, store.ErrClaimed) {
			if t.o.Parent != 0 {
				// A duplicate of this worker holds it: its result, not
				// this skip, is the tick's.
				t.log.Info("target leased by another worker of this tick: skipped", "account", tg.Account, "region", tg.Region)
				r.Status, r.Finished, r.Error = store.TargetSkipped, t.o.Clock.Now(), err.Error()
				return r
			}
			// Another host works on it now: not a failure of this one.
			return finish(store.TargetSkipped, err)
		}
		return finish(store.TargetFailed, err)
	}
	defer func() {
		if err := t.o.Store.Release(context.WithoutCancel(ctx), t.run.ID, lease); err != nil {
			t.log.Warn("release target", "account", tg.Account, "region", tg.Region, "err", err)
		}
	}()
	if t.o.Parent != 0 {
		// Under the lease: a duplicate that ran before this one recorded
		// its result first.
		done, err := t.doneBefore(ctx, tg)
		if err != nil {
			return finish(store.TargetFailed, err)
		}
		if done {
			t.log.Info("target already done in this tick: duplicate worker ends", "account", tg.Account, "region", tg.Region)
			r.Status, r.Finished, r.Error = store.TargetSkipped, t.o.Clock.Now(), "already done in this tick"
			return r
		}
	}
	errs, stopped := t.work(ctx, tg, r.Counts)
	if len(errs) > 0 {
		return finish(store.TargetFailed, errors.Join(errs...))
	}
	if stopped {
		// What was done is in the counts and the audit log.
		return finish(store.TargetSkipped, action.ErrNotDone)
	}
	return finish(store.TargetOK, nil)
}

// work does what is due in tg, counting in counts, and returns what
// failed, and whether the tick's stop left some of it not done.
func (t *ticker) work(ctx context.Context, tg Target, counts map[string]int) (errs []error, stopped bool) {
	// Each kind of work starts only while the tick is not stopping.
	start := func() bool {
		stopped = stopped || action.Stopping(ctx)
		return !stopped
	}
	key := tg.Account + "/" + tg.Region
	policiesDue := len(t.o.Run.Policies) > 0 && (t.policiesForced || t.due(ctx, WorkPolicies, key, t.cad.Evidence))
	adviceDue := t.due(ctx, WorkAdvice, key, t.cad.Advice)
	// Policies and advice need a current inventory.
	inventoryDue := policiesDue || adviceDue || t.due(ctx, WorkInventory, key, t.cad.Inventory)

	var resources []resource.Resource
	if inventoryDue && start() {
		// The describe cache is the store's, so that whichever host
		// ticks next continues it; the target's lease makes this tick its
		// only writer.
		it := inventory.Target{Account: tg.Account, Region: tg.Region, API: inventory.API{SageMaker: tg.Clients.SageMaker, Tagging: tg.Clients.Tagging}}
		cache := inventory.NewStoreCache(t.o.Store, t.o.Clock)
		if err := cache.Load(ctx, it); err != nil {
			t.log.Warn("inventory cache not read; describing again", "account", tg.Account, "region", tg.Region, "err", err)
		}
		res := (&inventory.Scanner{Collectors: inventory.DefaultCollectors(), Concurrency: t.o.Concurrency, Log: t.log}).Scan(ctx,
			[]inventory.Target{it}, &inventory.Env{Now: t.o.Clock.Now(), JobLookback: inventory.DefaultJobLookback, Cache: cache})
		if ctx.Err() == nil {
			if err := cache.Save(ctx); err != nil {
				t.log.Warn("inventory cache not saved; the next scan describes again", "account", tg.Account, "region", tg.Region, "err", err)
			}
		}
		resources = res.Resources
		counts["resources"] = len(resources)
		for _, f := range res.Failures {
			errs = append(errs, fmt.Errorf("scan %s: %s", f.Kind, f.Reason))
		}
		if len(res.Failures) == 0 {
			t.putScan(ctx, key, resources)
			t.done(ctx, WorkInventory, key)
		}
	}
	if policiesDue && start() {
		perrs, pstopped := t.policies(ctx, tg, resources, counts)
		errs = append(errs, perrs...)
		stopped = stopped || pstopped
		if len(perrs) == 0 && !pstopped {
			t.done(ctx, WorkPolicies, key)
		}
	}
	if len(t.o.Run.Schedules) > 0 && start() {
		errs = append(errs, t.schedules(ctx, tg, counts)...)
	}
	if adviceDue && start() {
		if err := t.advice(ctx, tg, resources, counts); err != nil {
			errs = append(errs, err)
		} else {
			t.done(ctx, WorkAdvice, key)
		}
	}
	return errs, stopped
}

// policies evaluates every policy over the target's resources and, in
// enforce mode, acts, through the executor `apply` uses. stopped: the
// tick's stop left some policy or step not done.
func (t *ticker) policies(ctx context.Context, tg Target, resources []resource.Resource, counts map[string]int) (errs []error, stopped bool) {
	if t.o.Executor == nil {
		return []error{errors.New("policies: no executor")}, false
	}
	command := "plan"
	if t.enforce {
		command = "apply"
	}
	for _, p := range t.o.Run.Policies {
		if action.Stopping(ctx) {
			return errs, true
		}
		rep, err := t.o.Executor.Run(ctx, command, p, resources, !t.enforce)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s: %w", p.File(), err))
			continue
		}
		counts["findings"] += len(rep.Plan.Findings)
		counts["recovered"] += len(rep.Recovered)
		for _, o := range rep.Outcomes {
			switch {
			case errors.Is(o.Err, action.ErrNotDone):
				stopped = true
			case o.Verb == "notify":
				counts["notices"]++
			case o.Result == notify.ResultOK || o.Result == notify.ResultDryRun:
				counts["actions"]++
			case o.Result == notify.ResultFailed:
				counts["actions_failed"]++
				errs = append(errs, fmt.Errorf("policy %s: %s %s: %v", p.File(), o.Verb, o.Name, o.Err))
			}
		}
		for _, ev := range rep.EvidenceErrors {
			errs = append(errs, fmt.Errorf("endpoint evidence: %d endpoint(s) unknown: %s", ev.Endpoints, ev.Err))
		}
	}
	return errs, stopped
}

// schedules applies the schedules to the target, as `schedule run` does.
func (t *ticker) schedules(ctx context.Context, tg Target, counts map[string]int) []error {
	info := t.o.Info
	info.Command = "schedule run"
	info.PolicyFile, info.PolicyHash = t.o.Run.Path, t.o.Run.SHA256
	opts := []scheduler.Option{scheduler.WithLogger(t.log), scheduler.WithClock(t.o.Clock), scheduler.WithRunInfo(info), scheduler.WithDeferredDigest()}
	if t.o.ScheduleNotifier != nil {
		opts = append(opts, scheduler.WithNotifier(t.o.ScheduleNotifier))
	}
	reg := scheduler.Region{Account: tg.Account, Region: tg.Region, SageMaker: tg.Clients.SageMaker, Tagging: tg.Clients.Tagging}
	runner := scheduler.New(t.o.Run.Schedules, []scheduler.Region{reg}, scheduler.NewStoreMemory(t.o.Store), t.o.Store, t.o.Catalog, opts...)
	rep, err := runner.Run(ctx, !t.enforce)
	if err != nil {
		return []error{fmt.Errorf("schedules: %w", err)}
	}
	var errs []error
	for _, o := range rep.Outcomes {
		switch o.Result {
		case notify.ResultOK, notify.ResultDryRun:
			counts["scheduled"]++
		case notify.ResultFailed:
			errs = append(errs, fmt.Errorf("schedule %s: %s %s: %v", o.Schedule, o.Decision.Action, o.Name, o.Err))
		}
	}
	for _, err := range rep.Errors {
		errs = append(errs, fmt.Errorf("schedules: %w", err))
	}
	return errs
}

// advice writes the target's right-sizing advice to the store, over
// advise's default window, as `sagesaver advise` reads.
func (t *ticker) advice(ctx context.Context, tg Target, resources []resource.Resource, counts map[string]int) error {
	now := t.o.Clock.Now()
	src := []advise.Source{{Account: tg.Account, Region: tg.Region, CloudWatch: tg.Clients.Metrics, Scaling: tg.Clients.ApplicationAutoScaling}}
	ev := advise.Gather(ctx, src, resources, now, advise.DefaultLookback, inventory.DefaultJobLookback)
	out := advise.Advise(resources, ev, t.o.Catalog, advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
	var b bytes.Buffer
	if err := advise.Write(&b, config.OutputJSON, out); err != nil {
		return fmt.Errorf("advice: %w", err)
	}
	if err := t.o.Store.PutBlob(ctx, BlobAdvice, tg.Account+"/"+tg.Region, b.Bytes()); err != nil {
		return fmt.Errorf("advice: %w", err)
	}
	counts["recommendations"] = len(out.Recommendations)
	if len(ev.Failures) > 0 {
		return fmt.Errorf("advice: %d evidence read(s) failed", len(ev.Failures))
	}
	return nil
}

// digest sends the queued notices when the digest is due (enforce mode:
// a dry run queues none).
func (t *ticker) digest(ctx context.Context) Digest {
	var d Digest
	if !t.enforce || !t.due(ctx, WorkDigest, "", t.cad.Digest) {
		return d
	}
	d.Due = true
	var errs []error
	if t.o.Executor != nil {
		sent, err := t.o.Executor.Deliver(ctx, t.run)
		d.Sent = d.Sent || sent
		if err != nil {
			errs = append(errs, err)
		}
	}
	if t.o.ScheduleNotifier != nil {
		runner := scheduler.New(nil, nil, nil, t.o.Store, t.o.Catalog, scheduler.WithLogger(t.log), scheduler.WithClock(t.o.Clock),
			scheduler.WithNotifier(t.o.ScheduleNotifier))
		sent, err := runner.Deliver(ctx, t.run)
		d.Sent = d.Sent || sent
		if err != nil {
			errs = append(errs, fmt.Errorf("schedules' digest: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		d.Error = err.Error()
		return d // due again at the next tick
	}
	t.done(ctx, WorkDigest, "")
	return d
}

// DueSlack is how much earlier than its cadence work is due again: a
// cron tick a few seconds early (or the previous one late) would
// otherwise wait a whole tick. A tenth of the cadence, at most a minute.
func DueSlack(every time.Duration) time.Duration { return min(every/10, time.Minute) }

func dueKey(w Work, key string) string {
	if key == "" {
		return string(w)
	}
	return string(w) + "/" + key
}

// due reports whether work w for key was last done at least every before
// the tick (or never). A store error makes it due: doing the work again
// is safe, never doing it is not.
func (t *ticker) due(ctx context.Context, w Work, key string, every time.Duration) bool {
	v, _, err := t.o.Store.Blob(ctx, BlobDue, dueKey(w, key))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			t.log.Warn("when was it done", "work", w, "key", key, "err", err)
		}
		return true
	}
	last, err := time.Parse(time.RFC3339, string(v))
	if err != nil {
		return true
	}
	return !t.at.Before(last.Add(every - DueSlack(every)))
}

// done remembers that work w for key was done by this tick.
func (t *ticker) done(ctx context.Context, w Work, key string) {
	if err := t.o.Store.PutBlob(ctx, BlobDue, dueKey(w, key), []byte(t.at.Format(time.RFC3339))); err != nil {
		t.log.Warn("remember work done", "work", w, "key", key, "err", err)
	}
}

// InventoryAt returns when the inventory of target key (ACCOUNT/REGION)
// was last taken: the time of the tick that last scanned it. BlobScan is
// written only when the inventory changed, so its own time says when it
// last changed; read this for how fresh it is. ErrNotFound when no tick
// has scanned the target.
func InventoryAt(ctx context.Context, st store.Store, key string) (time.Time, error) {
	v, _, err := st.Blob(ctx, BlobDue, dueKey(WorkInventory, key))
	if err != nil {
		return time.Time{}, err
	}
	at, err := time.Parse(time.RFC3339, string(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("inventory time of %s: %w", key, err)
	}
	return at, nil
}

// putScan stores a target's inventory (BlobScan) when it differs from
// the one stored: a fleet's inventory seldom changes between ticks, and a
// write of it (about 80 KB of JSON for 150 resources, 5 KB compressed) is
// the tick's most expensive DynamoDB request, billed per KB written,
// while the read that spares it is billed per 4 KB at a fifth of the
// price. The blob's time is therefore when the inventory last changed.
func (t *ticker) putScan(ctx context.Context, key string, resources []resource.Resource) {
	b, err := json.Marshal(resources)
	if err == nil {
		var old []byte
		old, _, err = t.o.Store.Blob(ctx, BlobScan, key)
		if err == nil && bytes.Equal(old, b) {
			return
		}
		err = t.o.Store.PutBlob(ctx, BlobScan, key, b)
	}
	if err != nil {
		t.log.Warn("store "+BlobScan, "key", key, "err", err)
	}
}

// keepAlive renews the tick's run, and so its target lease, every half
// lease while it works. The returned func stops it.
func (t *ticker) keepAlive(ctx context.Context) func() {
	return store.KeepAlive(ctx, t.o.Store, t.o.Clock, t.run.ID, t.log)
}
