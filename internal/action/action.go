// Package action executes a policy's plan against AWS, safely: dry-run
// unless told otherwise, one claim per resource in the store so that two
// runs never act twice, a re-check of every resource just before acting
// (describe it again, re-fetch its evidence, evaluate the policy again for
// it: it may have woken up), an audit-log row written before each AWS call
// and finished after it, SDK waiters with named timeouts where AWS is
// asynchronous, savings-ledger entries, and one notification digest per
// run that includes failed actions, its items kept in the store's outbox
// from the moment each action is over until the destination accepts them
// (the next run sends what this one could not).
//
// Verbs are small steps: stop a notebook (idempotent on Stopping and
// Stopped), delete an endpoint after snapshotting what re-creating it needs
// (the endpoint config itself, tags, Application Auto Scaling targets and
// policies; Restore brings it back, step by step, resumable), delete a
// Studio app, turn on Studio idle shutdown, tag, and warn-then-act marks.
package action

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// SageMaker is the SageMaker surface the executor uses; the SDK's client
// satisfies it: the describes of awsapi.NotebookReader, EndpointReader and
// InventoryReader, StudioReader's DescribeApp, NotebookWriter's Stop,
// EndpointWriter, Tagger and StudioWriter.
type SageMaker interface {
	awsapi.EndpointWriter
	awsapi.Tagger
	awsapi.StudioWriter
	DescribeApp(context.Context, *sagemaker.DescribeAppInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeAppOutput, error)
	DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	StopNotebookInstance(context.Context, *sagemaker.StopNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	DescribeEndpoint(context.Context, *sagemaker.DescribeEndpointInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
	DescribeEndpointConfig(context.Context, *sagemaker.DescribeEndpointConfigInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointConfigOutput, error)
	CreateEndpointConfig(context.Context, *sagemaker.CreateEndpointConfigInput, ...func(*sagemaker.Options)) (*sagemaker.CreateEndpointConfigOutput, error)
	DescribeDomain(context.Context, *sagemaker.DescribeDomainInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	DescribeSpace(context.Context, *sagemaker.DescribeSpaceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeSpaceOutput, error)
	DescribeMlflowTrackingServer(context.Context, *sagemaker.DescribeMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeMlflowTrackingServerOutput, error)
	StopMlflowTrackingServer(context.Context, *sagemaker.StopMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.StopMlflowTrackingServerOutput, error)
	StartMlflowTrackingServer(context.Context, *sagemaker.StartMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.StartMlflowTrackingServerOutput, error)
	DescribeCluster(context.Context, *sagemaker.DescribeClusterInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeClusterOutput, error)
}

// Scaling is the Application Auto Scaling surface (endpoint snapshots and
// restores).
type Scaling interface {
	awsapi.ScalingReader
	awsapi.ScalingWriter
}

var (
	_ SageMaker = (*sagemaker.Client)(nil)
	_ Scaling   = (*applicationautoscaling.Client)(nil)
)

// Region is one account and region the executor works in.
type Region struct {
	Account   string
	Region    string
	SageMaker SageMaker
	Scaling   Scaling
	// Metrics reads endpoints' evidence over the whole window: for a
	// policy run, unless Evidence is set, and always in the re-check
	// just before acting on an endpoint.
	Metrics *metrics.Fetcher
	// Evidence, when set, gives the endpoints' evidence for a policy run:
	// the tick's incremental metrics.Evidence, which reads only what is
	// new since the last tick.
	Evidence EndpointEvidence
}

// EndpointEvidence gives the evidence of the endpoints of one account and
// region over a window, keyed as groups (metrics.Fetcher and
// metrics.Evidence implement it).
type EndpointEvidence interface {
	Endpoints(ctx context.Context, w metrics.Window, groups map[resource.ID][]resource.Resource) map[resource.ID]idle.EndpointEvidence
}

var (
	_ EndpointEvidence = (*metrics.Fetcher)(nil)
	_ EndpointEvidence = (*metrics.Evidence)(nil)
)

func regionKey(account, region string) string { return account + "/" + region }

// Waits are the named timeouts of the SDK waiters used after asynchronous
// calls, and the waiters' polling delays.
type Waits struct {
	// NotebookStopped: a notebook takes a minute or two to stop; 10
	// minutes covers a slow one (the instance saves its volume).
	NotebookStopped time.Duration
	// EndpointDeleted: deletion usually takes a few minutes.
	EndpointDeleted time.Duration
	// EndpointInService: creating an endpoint provisions instances and
	// pulls the image; AWS documents up to about 30 minutes for large
	// models.
	EndpointInService time.Duration
	// MinDelay and MaxDelay bound the polling interval (0: the SDK's
	// defaults, 30 s and 120 s).
	MinDelay, MaxDelay time.Duration
}

// DefaultWaits are the waits used unless WithWaits says otherwise.
var DefaultWaits = Waits{
	NotebookStopped:   10 * time.Minute,
	EndpointDeleted:   15 * time.Minute,
	EndpointInService: 30 * time.Minute,
}

// StreakOverlap is added to the policy's lookback to make the evidence
// window: the store extends an idle streak only over windows that touch,
// so runs a day apart with a 24-hour lookback must overlap a little to
// chain (a cron run that starts a few minutes late would otherwise start a
// new streak). An hour covers any scheduler's jitter, and only makes the
// idle test stricter (25 hours of silence for a 24-hour lookback).
const StreakOverlap = time.Hour

func evidenceWindow(p *policy.Policy, now time.Time) metrics.Window {
	return metrics.NewWindow(now, p.Window()+StreakOverlap)
}

// Executor runs policies against regions.
type Executor struct {
	regions  map[string]*Region
	st       store.Store
	catalog  *pricing.Catalog
	clock    clock.Clock
	log      *slog.Logger
	info     store.RunInfo
	waits    Waits
	notifier func(policy.Action) (notify.Notifier, error)
	// deferDigest: Run queues notices and sends none; Deliver sends them.
	deferDigest bool
}

// Option configures an Executor.
type Option func(*Executor)

// WithClock sets "now" (the emulator's virtual clock in tests and demo).
func WithClock(c clock.Clock) Option { return func(e *Executor) { e.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Executor) { e.log = l } }

// WithRunInfo says who runs and with which policy file, for the audit log.
func WithRunInfo(info store.RunInfo) Option { return func(e *Executor) { e.info = info } }

// WithWaits replaces DefaultWaits.
func WithWaits(w Waits) Option { return func(e *Executor) { e.waits = w } }

// WithNotifier builds the notifier of a policy notify action (its SNS
// topic and/or webhook); without it, notify actions are recorded only.
func WithNotifier(fn func(policy.Action) (notify.Notifier, error)) Option {
	return func(e *Executor) { e.notifier = fn }
}

// WithDeferredDigest makes Run queue its notices in the store's outbox
// without sending them: the caller sends the digest on its own cadence
// with Deliver (a tick sends one digest per digest period, not one per
// run). A notify step is recorded ok once its notice is queued.
func WithDeferredDigest() Option { return func(e *Executor) { e.deferDigest = true } }

// New returns an Executor over regions, recording in st and pricing with
// catalog.
func New(regions []*Region, st store.Store, catalog *pricing.Catalog, opts ...Option) *Executor {
	e := &Executor{regions: map[string]*Region{}, st: st, catalog: catalog, clock: clock.Real{},
		log: slog.New(slog.DiscardHandler), waits: DefaultWaits}
	for _, r := range regions {
		e.regions[regionKey(r.Account, r.Region)] = r
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// As returns a copy of e that records osUser as who acts (the dashboard's
// user), keeping e's caller ARN: the principal that acts is still the
// one whose credentials e holds.
func (e *Executor) As(osUser string) *Executor {
	c := *e
	c.info.OSUser = osUser
	return &c
}

// Outcome is what happened to one step of one finding.
type Outcome struct {
	Rule    string
	Key     resource.ID
	Kind    resource.Kind
	Account string
	Region  string
	Name    string
	// Verb is the action taken (stop, delete, mark, unmark, tag, ...).
	Verb string
	// Result is a notify.Result* constant: ok, failed, dry-run, skipped.
	Result string
	// Reason is why the policy decided it; Err why it failed or was
	// skipped at the re-check.
	Reason string
	Err    error
	// Saves is the monthly saving of the step (cost.Saves); Hourly, for a
	// stop, delete or delete-app, the same saving per hour (the savings
	// ledger's rate), else the resource's price per hour now.
	Saves    pricing.Price
	Hourly   pricing.Price
	ActionID int64

	// A notify step's destination (outbox key) and its audit row, written
	// once the digest was delivered or not.
	dest  string
	entry store.Action
}

// Report is what a run did.
type Report struct {
	RunID  int64
	DryRun bool
	At     time.Time
	Plan   policy.Plan
	// Evidence window of the endpoint metrics.
	Window metrics.Window
	// Outcomes are the steps that were to run (Status Act in the plan),
	// in plan order.
	Outcomes []Outcome
	// EvidenceErrors are the accounts and regions where CloudWatch
	// failed: their endpoints are unknown (reported, never acted on).
	EvidenceErrors []EvidenceError
	// ScanFailures are the parts of the scan (account, region, kind) that
	// failed: what they hold is not in the plan. The caller sets them.
	ScanFailures []inventory.Failure
	// Recovered are actions a killed run left started, resolved by this
	// run after a re-check.
	Recovered []Outcome
	// Notified is true when a digest was sent; NotifyErr is why not.
	Notified  bool
	NotifyErr error
}

// Failed reports whether any step failed.
func (r *Report) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Result == notify.ResultFailed {
			return true
		}
	}
	return r.NotifyErr != nil
}

// Count returns how many outcomes have result.
func (r *Report) Count(result string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Result == result {
			n++
		}
	}
	return n
}

// Saved is the monthly saving of the steps that ran (ok, or dry-run in a
// dry run), and how many of them have no known price.
func (r *Report) Saved() (pricing.Money, int) {
	total, unknown := pricing.Zero, 0
	for _, o := range r.Outcomes {
		if o.Result != notify.ResultOK && o.Result != notify.ResultDryRun {
			continue
		}
		if !o.Saves.Known {
			unknown++
			continue
		}
		total = total.Add(o.Saves.Amount)
	}
	return total, unknown
}

// ErrNotDone is the error of a step, or a tick's target, that a stopping
// run (WithStop) did not start: the next run does it.
var ErrNotDone = errors.New("not done: shutting down")

type stopKey struct{}

// WithStop returns ctx carrying stop: once stop is closed, a run under
// the returned context starts no further step and records each one left
// as skipped with ErrNotDone, while the step in flight finishes with
// ctx's AWS calls uncancelled (each bounded by its own timeouts). This is
// how a SIGTERM stops a tick without cutting an AWS call mid-way.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	if stop == nil {
		return ctx
	}
	return context.WithValue(ctx, stopKey{}, stop)
}

// Stopping reports whether ctx's stop (WithStop) is closed.
func Stopping(ctx context.Context) bool {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	if stop == nil {
		return false
	}
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// Run evaluates p over resources (the scan's inventory of the executor's
// regions) and, unless dryRun, acts on the plan. command names the run in
// the store ("plan" or "apply"). A dry run records the run, its findings
// and every step it would take (as dry-run rows), and changes nothing in
// AWS nor in the store's marks and ledger; notifications are not sent.
func (e *Executor) Run(ctx context.Context, command string, p *policy.Policy, resources []resource.Resource, dryRun bool) (*Report, error) {
	info := e.info
	info.Command, info.DryRun = command, dryRun
	if info.PolicyFile == "" {
		info.PolicyFile, info.PolicyHash = p.File(), p.SHA256()
	}
	var rep Report
	if !dryRun {
		rec, err := e.st.Recover(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range rec.Interrupted {
			rep.Recovered = append(rep.Recovered, e.resolve(ctx, a))
		}
	}
	run, err := e.st.StartRun(ctx, info)
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	rep.RunID, rep.DryRun, rep.At = run.ID, dryRun, now
	rep.Window = evidenceWindow(p, now)

	e.closeSavings(ctx, resources, now)
	verdicts, evErrs := e.Verdicts(ctx, resources, rep.Window, !dryRun)
	rep.EvidenceErrors = evErrs
	marks, err := e.marks(ctx)
	if err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return nil, err
	}
	rep.Plan = policy.Evaluate(p, policy.Input{Resources: resources, Verdicts: verdicts, Marks: marks, Price: e.price, Now: now})
	if err := e.recordFindings(ctx, run.ID, &rep.Plan); err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return nil, err
	}
	dests := destinations(p)
	if !dryRun {
		defer e.keepAlive(ctx, run.ID)()
		e.queue(ctx, run, dests, rep.Recovered)
	}
	// Studio domains first: a space's idle shutdown is refused while its
	// domain's is off. Otherwise plan order.
	for _, domains := range []bool{true, false} {
		for fi := range rep.Plan.Findings {
			f := &rep.Plan.Findings[fi]
			if (f.Kind == resource.StudioDomain) != domains {
				continue
			}
			first := len(rep.Outcomes)
			ran := false
			for _, s := range f.Steps {
				if s.Status != policy.Act {
					continue
				}
				// Once stopping, no step starts; the notice of a step
				// already taken is still queued (it calls no AWS API).
				notDone := Stopping(ctx) && (s.Action.Type != policy.Notify || !ran)
				ran = ran || !notDone
				rep.Outcomes = append(rep.Outcomes, e.step(ctx, run, p, f, s, marks, dryRun, notDone))
			}
			if !dryRun {
				e.queue(ctx, run, dests, rep.Outcomes[first:])
			}
		}
	}
	if !dryRun {
		if e.deferDigest {
			e.recordQueued(ctx, &rep)
		} else {
			e.notify(ctx, run, &rep)
		}
	}
	var runErr error
	if rep.Failed() {
		runErr = fmt.Errorf("%d action(s) failed", rep.Count(notify.ResultFailed))
	}
	if err := e.st.FinishRun(ctx, run.ID, runErr); err != nil {
		return &rep, err
	}
	return &rep, nil
}

func (e *Executor) marks(ctx context.Context) ([]policy.Mark, error) {
	ms, err := e.st.Marks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Mark, len(ms))
	for i, m := range ms {
		out[i] = policy.Mark{Key: m.Resource, Rule: m.Rule, MarkedAt: m.MarkedAt, ActAfter: m.ActAfter}
	}
	return out, nil
}

// price and hourly price a resource from the catalog.
func (e *Executor) price(r resource.Resource) cost.Line {
	if e.catalog == nil {
		return cost.Line{Resource: r, Rate: pricing.Unknown, Hourly: pricing.Unknown, Storage: pricing.Unknown, Monthly: pricing.Unknown}
	}
	return cost.PriceOne(e.catalog, r)
}

func (e *Executor) hourly(rs []resource.Resource) pricing.Price {
	total := pricing.Price{Known: true}
	for _, r := range rs {
		if e.catalog == nil {
			return pricing.Unknown
		}
		h := cost.PriceOne(e.catalog, r).Hourly
		if !h.Known {
			return pricing.Unknown
		}
		total.Amount = total.Amount.Add(h.Amount)
		total.Estimate = total.Estimate || h.Estimate
	}
	return total
}

func (e *Executor) recordFindings(ctx context.Context, runID int64, plan *policy.Plan) error {
	var fs []store.Finding
	for _, f := range plan.Findings {
		act := ""
		for _, s := range f.Steps {
			if s.Status == policy.Act {
				if act != "" {
					act += ","
				}
				act += string(s.Action.Type)
			}
		}
		fs = append(fs, store.Finding{RunID: runID, Resource: f.Key.String(), Kind: string(f.Kind), Rule: f.Rule,
			Verdict: string(f.Verdict.State), Action: act, Evidence: f.Why, Monthly: f.Monthly})
	}
	if len(fs) == 0 {
		return nil
	}
	return e.st.AddFindings(ctx, runID, fs)
}

// Verdicts judges every subject of resources: endpoints from CloudWatch
// over w (one batched fetch per account and region), Canvas apps from
// CloudWatch's TimeSinceLastActive over the last idle.CanvasWindow (one
// batched fetch per account and region), notebooks from the agent's tag,
// Studio from its settings, MLflow tracking servers and HyperPod clusters
// from their status. When observe is true, idle
// endpoints extend their idle streak in the store and their verdict's
// Since becomes the streak's start (so "idle for 3 days" is reached after
// three daily runs), and active ones reset it; otherwise (dry runs) the
// recorded streaks are read, not written.
func (e *Executor) Verdicts(ctx context.Context, resources []resource.Resource, w metrics.Window, observe bool) (map[resource.ID]idle.Verdict, []EvidenceError) {
	var errs []EvidenceError
	now := e.clock.Now()
	out := map[resource.ID]idle.Verdict{}
	endpoints := map[string]map[resource.ID][]resource.Resource{} // region key -> subject -> resources
	var compKeys []resource.ID
	for _, r := range resources {
		switch r.Kind {
		case resource.Endpoint, resource.InferenceComponent:
			rk := regionKey(r.Account, r.Region)
			if endpoints[rk] == nil {
				endpoints[rk] = map[resource.ID][]resource.Resource{}
			}
			key := idle.SubjectKey(&r)
			if r.Kind == resource.InferenceComponent {
				key = resource.ID{Account: r.Account, Region: r.Region, Kind: resource.Endpoint, Name: r.Parent}
				compKeys = append(compKeys, key)
			}
			endpoints[rk][key] = append(endpoints[rk][key], r)
		case resource.NotebookInstance:
			out[idle.SubjectKey(&r)] = idle.Notebook(r, idle.NotebookEvidence{}, now)
		case resource.StudioDomain, resource.StudioSpace:
			out[idle.SubjectKey(&r)] = idle.Studio(r, now)
		case resource.StudioApp:
			out[idle.SubjectKey(&r)] = idle.StudioApp(r, idle.StudioAppEvidence{}, now)
		}
	}
	errs = append(errs, e.forgottenVerdicts(ctx, resources, now, out)...)
	var streaks map[resource.ID]store.IdleRecord
	if !observe && len(endpoints) > 0 {
		var err error
		if streaks, err = e.st.IdleSince(ctx); err != nil {
			e.log.Warn("idle streaks", "err", err)
		}
	}
	keys := make([]string, 0, len(endpoints))
	for k := range endpoints {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, rk := range keys {
		groups := endpoints[rk]
		reg := e.regions[rk]
		var evs map[resource.ID]idle.EndpointEvidence
		if reg != nil && reg.Evidence != nil {
			evs = reg.Evidence.Endpoints(ctx, w, groups)
		} else if reg == nil || reg.Metrics == nil {
			evs = map[resource.ID]idle.EndpointEvidence{}
			for k := range groups {
				evs[k] = idle.EndpointEvidence{Start: w.Start, End: w.End, Err: errors.New("no CloudWatch client for " + rk)}
			}
		} else {
			evs = reg.Metrics.Endpoints(ctx, w, groups)
		}
		var failed EvidenceError
		for k, rs := range groups {
			v := idle.Endpoint(rs, evs[k], now)
			if err := evs[k].Err; err != nil {
				failed.Endpoints++
				if failed.Err == "" {
					failed.Err = err.Error()
				}
			}
			if observe {
				v = e.observe(ctx, k, v, evs[k])
			} else if rec, ok := streaks[k]; ok && v.State == idle.Idle && !rec.LastSeen.Before(evs[k].Start) && rec.FirstIdle.Before(v.Since) {
				// A dry run reads the streak the real runs recorded, so
				// that plan shows what apply would do.
				v.Since = rec.FirstIdle
			}
			out[k] = v
		}
		if failed.Endpoints > 0 {
			failed.Account, failed.Region, _ = strings.Cut(rk, "/")
			e.log.Warn("CloudWatch evidence unknown: not acted on", "account", failed.Account, "region", failed.Region,
				"endpoints", failed.Endpoints, "err", failed.Err)
			errs = append(errs, failed)
		}
	}
	return out, errs
}

// EvidenceError is CloudWatch failing for the endpoints of one account
// and region: their verdicts are unknown and nothing is done to them.
type EvidenceError struct {
	Account   string `json:"account"`
	Region    string `json:"region"`
	Endpoints int    `json:"endpoints"`
	// CanvasApps counts the Canvas apps whose TimeSinceLastActive could
	// not be read there.
	CanvasApps int `json:"canvas_apps,omitempty"`
	// Err is the first error met.
	Err string `json:"error"`
}

// observe extends or resets an endpoint's idle streak.
func (e *Executor) observe(ctx context.Context, key resource.ID, v idle.Verdict, ev idle.EndpointEvidence) idle.Verdict {
	switch v.State {
	case idle.Idle:
		first, err := e.st.ObserveIdle(ctx, key, ev.Start, ev.End)
		if err != nil {
			e.log.Warn("idle streak", "endpoint", key, "err", err)
			return v
		}
		if first.Before(v.Since) {
			v.Since = first
		}
	case idle.Active, idle.Stopped:
		if err := e.st.ResetIdle(ctx, key); err != nil {
			e.log.Warn("idle streak", "endpoint", key, "err", err)
		}
	}
	return v
}

// closeSavings ends the savings period of every resource that runs again:
// a stopped notebook or Studio app started again, a deleted endpoint
// re-created by hand. The period ends when it started, where known.
func (e *Executor) closeSavings(ctx context.Context, resources []resource.Resource, now time.Time) {
	seen := map[resource.ID]bool{}
	for _, r := range resources {
		if !r.Running || r.Kind == resource.InferenceComponent {
			continue
		}
		key := idle.SubjectKey(&r)
		if seen[key] {
			continue
		}
		seen[key] = true
		// When it started running again: a notebook's start (or last
		// modification, which a start is), a re-created endpoint's or a
		// new app's creation.
		at := now
		for _, t := range []*time.Time{r.Started, r.LastModified, r.Created} {
			if t != nil && !t.After(now) {
				at = *t
				break
			}
		}
		closed, err := e.st.StopSaving(ctx, key, at)
		if err != nil {
			e.log.Warn("savings ledger", "resource", key, "err", err)
		} else if closed {
			e.log.Info("running again: savings period closed", "resource", key, "at", at)
		}
	}
}

// keepAlive renews the run's liveness and claims every half lease while
// it acts: waiting for an endpoint to be InService takes longer than a
// lease. The returned func stops it.
func (e *Executor) keepAlive(ctx context.Context, runID int64) func() {
	return store.KeepAlive(ctx, e.st, e.clock, runID, e.log)
}
