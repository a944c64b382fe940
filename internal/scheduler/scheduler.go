// Package scheduler applies schedules (internal/schedule) to an AWS
// account: it lists the resources each schedule targets, decides per
// resource with schedule.DecideWith, re-checks each resource just before
// acting, starts or stops it, records every action (dry-run or real) in the
// store's audit log and savings ledger, remembers what it applied only
// after the action succeeded, and sends one notification digest per run.
//
// It is the I/O half of `sagesaver schedule run` and `schedule explain`;
// the decisions themselves are schedule's, pure and tested there.
//
// Kinds: notebook instances are started and stopped; Studio apps are
// stopped only (DeleteApp: an app cannot be started by anyone but its
// owner, who opens a new one). Endpoints are not acted on yet: a schedule
// that targets them is reported once per run as not supported.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// SageMaker is the SageMaker surface a run uses, with the SDK's signatures
// (the calls are in awsapi.NotebookReader, NotebookWriter, Tagger,
// InventoryReader, StudioReader and StudioWriter); the SDK's client
// satisfies it.
type SageMaker interface {
	ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	StartNotebookInstance(context.Context, *sagemaker.StartNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StartNotebookInstanceOutput, error)
	StopNotebookInstance(context.Context, *sagemaker.StopNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
	ListMlflowTrackingServers(context.Context, *sagemaker.ListMlflowTrackingServersInput, ...func(*sagemaker.Options)) (*sagemaker.ListMlflowTrackingServersOutput, error)
	DescribeMlflowTrackingServer(context.Context, *sagemaker.DescribeMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeMlflowTrackingServerOutput, error)
	StartMlflowTrackingServer(context.Context, *sagemaker.StartMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.StartMlflowTrackingServerOutput, error)
	StopMlflowTrackingServer(context.Context, *sagemaker.StopMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.StopMlflowTrackingServerOutput, error)
	ListApps(context.Context, *sagemaker.ListAppsInput, ...func(*sagemaker.Options)) (*sagemaker.ListAppsOutput, error)
	DescribeApp(context.Context, *sagemaker.DescribeAppInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeAppOutput, error)
	DeleteApp(context.Context, *sagemaker.DeleteAppInput, ...func(*sagemaker.Options)) (*sagemaker.DeleteAppOutput, error)
}

var (
	_ SageMaker        = (*sagemaker.Client)(nil)
	_ awsapi.TagLister = (*resourcegroupstaggingapi.Client)(nil)
)

// Region is one account and region a run works on.
type Region struct {
	Account   string
	Region    string
	SageMaker SageMaker
	// Tagging reads the tags of all notebooks 100 at a time; nil makes
	// the listing call ListTags once per notebook instead.
	Tagging awsapi.TagLister
	// Err, when set, is why this account (or region) could not be entered,
	// such as a role that cannot be assumed: it is reported like a failed
	// listing, and nothing in it is decided.
	Err error
}

// Pricer prices an hour of an instance type; *pricing.Catalog is one.
// Lookup returns pricing.Unknown, never $0, when it knows nothing.
type Pricer interface {
	Lookup(region, instanceType string, component pricing.Component) pricing.Price
}

// Resource is one resource as a run saw it.
type Resource struct {
	Kind         schedule.Kind
	Account      string
	Region       string
	Name         string
	ARN          string
	InstanceType string
	// Status is the resource's own status word ("InService").
	Status string
	// State is Status as a schedule sees it.
	State schedule.State
	Tags  map[string]string
	// Created is when the resource was created (zero if not known).
	Created time.Time

	app *appKey // Studio apps: what DescribeApp and DeleteApp take
}

func (r Resource) observed() schedule.Observed {
	return schedule.Observed{State: r.State, Status: r.Status, Tags: r.Tags}
}

// inventoryKind is the resource kind of a schedule kind (the audit log's
// and digest's word for it).
var inventoryKind = map[schedule.Kind]resource.Kind{
	schedule.KindNotebook:  resource.NotebookInstance,
	schedule.KindStudioApp: resource.StudioApp,
	schedule.KindEndpoint:  resource.Endpoint,
	schedule.KindMLflow:    resource.MLflowTrackingServer,
}

// ID is the resource's identity, the one the executor claims and saves
// under: never the ARN, whose name AWS lower-cases.
func (r Resource) ID() resource.ID {
	return resource.ID{Account: r.Account, Region: r.Region, Kind: inventoryKind[r.Kind], Name: r.Name}
}

// Runner runs schedules against regions.
type Runner struct {
	schedules []*schedule.Schedule
	regions   []Region
	memory    Memory
	store     store.Store
	prices    Pricer
	notifier  notify.Notifier
	clock     clock.Clock
	log       *slog.Logger
	info      store.RunInfo
	// deferDigest: Run queues notices and sends none; Deliver sends them.
	deferDigest bool
}

// Option configures New.
type Option func(*Runner)

// WithNotifier sends each run's digest with n (default: none).
func WithNotifier(n notify.Notifier) Option { return func(r *Runner) { r.notifier = n } }

// WithDeferredDigest makes Run queue its notices in the store's outbox
// (with a notifier set) without sending them: the caller sends the digest
// on its own cadence with Deliver.
func WithDeferredDigest() Option { return func(r *Runner) { r.deferDigest = true } }

// WithClock sets the clock whose Now is the run's "now" (default
// clock.Real).
func WithClock(c clock.Clock) Option { return func(r *Runner) { r.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Runner) { r.log = l } }

// WithRunInfo says who runs and with which file, for the audit log.
func WithRunInfo(info store.RunInfo) Option { return func(r *Runner) { r.info = info } }

// New returns a Runner for schedules (from one file, in file order) over
// regions, remembering in memory, auditing in st, pricing with prices.
// st may be nil only for Explain.
func New(schedules []*schedule.Schedule, regions []Region, memory Memory, st store.Store, prices Pricer, opts ...Option) *Runner {
	r := &Runner{schedules: schedules, regions: regions, memory: memory, store: st, prices: prices,
		clock: clock.Real{}, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(r)
	}
	r.info.Command = "schedule run"
	return r
}

// Outcome is what a run did about one targeted resource.
type Outcome struct {
	Resource
	// Schedule is the schedule that governs the resource: the first in
	// the file whose targets match it.
	Schedule string
	Decision schedule.Decision
	// Result is "" when there was nothing to do, else one of notify's
	// results (ok, failed, dry-run, skipped).
	Result string
	// Err is why the action failed or was skipped.
	Err error
	// Hourly is the resource's price per hour (unknown when not priced).
	Hourly pricing.Price
	// ActionID is the audit log entry (0 when nothing was recorded).
	ActionID int64
}

// Report is a run's result.
type Report struct {
	RunID    int64
	At       time.Time
	DryRun   bool
	Outcomes []Outcome
	// Errors are regions or kinds that could not be listed (*ListError).
	Errors []error
	// Warnings are targets the scheduler does not act on (endpoints).
	Warnings []string
	// Notified is true when a digest was sent; NotifyErr when sending
	// failed.
	Notified  bool
	NotifyErr error
}

// ListError is a kind that could not be listed in a region: nothing of
// that kind there was decided on this run.
type ListError struct {
	Account, Region string
	Kind            schedule.Kind
	Err             error
}

func (e *ListError) Error() string { return e.Err.Error() }
func (e *ListError) Unwrap() error { return e.Err }

// Failed reports whether anything in the run failed: an action, a listing
// or the notification.
func (r *Report) Failed() bool {
	if len(r.Errors) > 0 || r.NotifyErr != nil {
		return true
	}
	for _, o := range r.Outcomes {
		if o.Result == notify.ResultFailed {
			return true
		}
	}
	return false
}

// Run evaluates every schedule at the clock's now and applies it: with
// dryRun, nothing in the account or the scheduler's memory changes, and
// every action it would take is recorded in the audit log as a dry run.
// The returned error is for what stops the whole run (the store); what
// fails per region or resource is in the Report.
func (r *Runner) Run(ctx context.Context, dryRun bool) (*Report, error) {
	if r.store == nil {
		return nil, errors.New("schedule run: no store for the audit log")
	}
	now := r.clock.Now()
	rep := &Report{At: now, DryRun: dryRun}
	rec, err := r.store.Recover(ctx)
	if err != nil {
		return nil, err
	}
	if !dryRun {
		r.resolveInterrupted(ctx, rec.Interrupted)
	}
	info := r.info
	info.DryRun = dryRun
	run, err := r.store.StartRun(ctx, info)
	if err != nil {
		return nil, err
	}
	rep.RunID = run.ID
	desired := make(map[*schedule.Schedule]schedule.Desired, len(r.schedules))
	for _, s := range r.schedules {
		desired[s] = s.Evaluate(now)
	}
	for _, s := range r.schedules {
		if slices.ContainsFunc(s.Targets, func(t schedule.Target) bool { return t.Kind == schedule.KindEndpoint }) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("schedule %s: endpoint targets are not acted on by schedule run yet", s.Name))
		}
	}
	for _, reg := range r.regions {
		if reg.Err != nil {
			rep.Errors = append(rep.Errors, &ListError{Account: reg.Account, Region: reg.Region, Err: reg.Err})
			r.log.Warn("account not entered", "account", reg.Account, "region", reg.Region, "err", reg.Err)
			continue
		}
		var rs []Resource
		for _, k := range []struct {
			kind schedule.Kind
			list func(context.Context, Region) ([]Resource, error)
		}{{schedule.KindNotebook, listNotebooks}, {schedule.KindStudioApp, listApps}, {schedule.KindMLflow, listMLflow}} {
			if !r.targets(k.kind) {
				continue
			}
			got, err := k.list(ctx, reg)
			if err != nil {
				rep.Errors = append(rep.Errors, &ListError{Account: reg.Account, Region: reg.Region, Kind: k.kind, Err: err})
				r.log.Warn("list failed", "region", reg.Region, "kind", k.kind, "err", err)
				continue
			}
			slices.SortFunc(got, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
			rs = append(rs, got...)
		}
		for _, res := range rs {
			s := r.governing(res)
			if s == nil {
				continue
			}
			o := r.apply(ctx, run, reg, s, desired[s], res, now, dryRun)
			rep.Outcomes = append(rep.Outcomes, o)
			if !dryRun {
				r.queue(ctx, run, (&Report{Outcomes: []Outcome{o}}).Digest(run.Actor()).Items)
			}
		}
	}
	if !dryRun {
		r.queue(ctx, run, (&Report{Errors: rep.Errors}).Digest(run.Actor()).Items)
		if !r.deferDigest {
			r.notify(ctx, rep, run)
		}
	}
	var runErr error
	if rep.Failed() {
		runErr = errors.New("some actions, listings or the notification failed")
	}
	// Record the end even when ctx was canceled (an interrupted daemon):
	// a run left "running" would look like one that died.
	if err := r.store.FinishRun(context.WithoutCancel(ctx), run.ID, runErr); err != nil {
		return rep, err
	}
	return rep, nil
}

// targets reports whether any schedule targets kind k.
func (r *Runner) targets(k schedule.Kind) bool {
	for _, s := range r.schedules {
		for _, t := range s.Targets {
			if t.Kind == k {
				return true
			}
		}
	}
	return false
}

// governing returns the first schedule in file order that targets res.
func (r *Runner) governing(res Resource) *schedule.Schedule {
	for _, s := range r.schedules {
		if s.Matches(res.Kind, res.Name, res.Tags) {
			return s
		}
	}
	return nil
}

// apply decides about one resource and, when that calls for it, acts.
func (r *Runner) apply(ctx context.Context, run store.Run, reg Region, s *schedule.Schedule, d schedule.Desired, res Resource, now time.Time, dryRun bool) Outcome {
	o := Outcome{Resource: res, Schedule: s.Name, Hourly: r.price(res)}
	mem, err := r.memory.Get(ctx, s.Name, res.ID())
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, err
		return o
	}
	o.Decision = decide(s, d, res, mem, now)
	verb := auditVerb(res, o.Decision.Action)
	if !dryRun && res.State == schedule.StateRunning {
		// Running again (started by the scheduler, by hand, or a Studio
		// app its owner opened again): whatever a stop saved ends now.
		if _, err := r.store.StopSaving(ctx, res.ID(), now); err != nil {
			r.log.Warn("savings ledger", "resource", res.Name, "err", err)
		}
	}
	if o.Decision.Action == schedule.ActionNone {
		r.log.Debug("nothing to do", "resource", res.Name, "region", res.Region, "reason", o.Decision.Reason)
		if !dryRun && o.Decision.Memory != nil && o.Decision.Memory != mem {
			// Already in the desired state at a new transition: remember
			// that the transition is applied, so a manual change after it
			// is respected.
			if err := r.memory.Put(ctx, s.Name, res.ID(), *o.Decision.Memory); err != nil {
				o.Result, o.Err = notify.ResultFailed, err
			}
		}
		return o
	}
	entry := store.Action{RunID: run.ID, Actor: r.info.Actor(), Resource: res.ID().String(), Kind: string(inventoryKind[res.Kind]),
		Verb: verb, DryRun: dryRun, MonthlySaved: r.saving(o).Monthly}
	if dryRun {
		entry.Result, entry.Details = store.ResultOK, r.details(s, o)
		o.Result = notify.ResultDryRun
		o.ActionID, o.Err = r.store.RecordAction(ctx, entry)
		if o.Err != nil {
			o.Result = notify.ResultFailed
		}
		return o
	}
	if err := r.store.Claim(ctx, run.ID, res.ID(), "schedule "+verb); err != nil {
		o.Result, o.Err = notify.ResultSkipped, err
		entry.Result, entry.Error, entry.Details = store.ResultSkipped, err.Error(), r.details(s, o)
		o.ActionID, _ = r.store.RecordAction(ctx, entry)
		return o
	}
	defer r.store.Release(ctx, run.ID, res.ID())

	// Re-check just before acting: the resource may have been started,
	// stopped or snoozed since it was listed.
	fresh, err := recheck(ctx, reg, res)
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, err
		entry.Result, entry.Error, entry.Details = store.ResultFailed, err.Error(), r.details(s, o)
		o.ActionID, _ = r.store.RecordAction(ctx, entry)
		return o
	}
	o.Resource = fresh
	again := decide(s, d, fresh, mem, now)
	if again.Action != o.Decision.Action {
		o.Decision = again
		o.Result = notify.ResultSkipped
		o.Err = fmt.Errorf("changed since it was listed (now %s): %s", fresh.Status, again.Reason)
		entry.Result, entry.Error, entry.Details = store.ResultSkipped, o.Err.Error(), r.details(s, o)
		o.ActionID, _ = r.store.RecordAction(ctx, entry)
		r.log.Info("skipped", "action", verb, "resource", res.Name, "region", res.Region, "reason", o.Err)
		return o
	}
	o.Decision = again
	entry.Details = r.details(s, o)
	id, err := r.store.BeginAction(ctx, entry)
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, err
		return o
	}
	o.ActionID = id
	actErr := act(ctx, reg, fresh, o.Decision.Action)
	if err := r.store.FinishAction(ctx, id, actErr, nil); err != nil && actErr == nil {
		actErr = err
	}
	if actErr != nil {
		o.Result, o.Err = notify.ResultFailed, actErr
		r.log.Warn("action failed", "action", verb, "resource", res.Name, "region", res.Region, "err", actErr)
		return o
	}
	o.Result = notify.ResultOK
	r.log.Info("acted", "action", verb, "resource", res.Name, "region", res.Region, "schedule", s.Name, "reason", o.Decision.Reason)
	if o.Decision.Memory != nil {
		if err := r.memory.Put(ctx, s.Name, res.ID(), *o.Decision.Memory); err != nil {
			// The action happened; without the memory the next run
			// decides from the observed state again, which is safe.
			r.log.Warn("remember schedule state", "resource", res.Name, "err", err)
		}
	}
	r.ledger(ctx, o, id, now)
	return o
}

// decide is schedule.DecideWith, except that
//
//   - a resource created after the schedule's last transition is left
//     alone until the next one (unless the schedule is enforced): there is
//     no missed run to catch up for it, and a notebook created in the
//     evening, or a Studio app opened in the morning under a stop-only
//     schedule, was created on purpose;
//   - a Studio app is never started: people open their apps themselves;
//     and one on a free system instance (Studio Classic's JupyterServer,
//     the UI) is never stopped: that saves nothing and closes the UI.
func decide(s *schedule.Schedule, d schedule.Desired, res Resource, mem *schedule.Memory, now time.Time) schedule.Decision {
	if res.app != nil && res.InstanceType == "" {
		return schedule.Decision{Action: schedule.ActionNone, Memory: mem, Desired: d,
			Reason: "runs on a free system instance: nothing to save, left alone"}
	}
	if !s.Enforced && d.State != schedule.StateUnknown && !d.Since.IsZero() && res.Created.After(d.Since) &&
		res.State != d.State && (mem == nil || !mem.For.Equal(d.Since)) {
		next := "no further transition"
		if d.HasNext {
			next = "the next " + d.Next.Action() + " at " + s.FormatTime(d.Next.At)
		}
		return schedule.Decision{Action: schedule.ActionNone, Memory: mem, Desired: d,
			Reason: fmt.Sprintf("created at %s, after the schedule's %s at %s: left alone until %s",
				s.FormatTime(res.Created), transitionVerb(d.State), s.FormatTime(d.Since), next)}
	}
	dec := schedule.DecideWith(s, d, res.observed(), mem, now)
	if res.Kind == schedule.KindStudioApp && dec.Action == schedule.ActionStart {
		dec.Action, dec.Memory = schedule.ActionNone, mem
		dec.Reason = "Studio apps are not started by schedules (their owners open them): " + dec.Reason
	}
	return dec
}

func transitionVerb(st schedule.State) string {
	if st == schedule.StateRunning {
		return "start"
	}
	return "stop"
}

// auditVerb is the audit log's verb: Studio apps are stopped by deleting
// them.
func auditVerb(res Resource, a schedule.Action) string {
	if res.Kind == schedule.KindStudioApp && a == schedule.ActionStop {
		return "delete-app"
	}
	return string(a)
}

// recheck reads res afresh just before acting on it.
func recheck(ctx context.Context, reg Region, res Resource) (Resource, error) {
	switch res.Kind {
	case schedule.KindStudioApp:
		return describeApp(ctx, reg, *res.app, true)
	case schedule.KindMLflow:
		return describeMLflow(ctx, reg, res.Name)
	}
	return describeNotebook(ctx, reg, res.Name)
}

// act starts or stops res.
func act(ctx context.Context, reg Region, res Resource, a schedule.Action) error {
	if res.Kind == schedule.KindStudioApp {
		if a != schedule.ActionStop {
			return fmt.Errorf("%s Studio app %s: only stop (delete) is possible", a, res.Name)
		}
		return deleteApp(ctx, reg, *res.app)
	}
	if res.Kind == schedule.KindMLflow {
		return actMLflow(ctx, reg, res.Name, a)
	}
	return actNotebook(ctx, reg, res.Name, a)
}

// price is the resource's price per hour.
func (r *Runner) price(res Resource) pricing.Price {
	if r.prices == nil || res.InstanceType == "" {
		return pricing.Unknown
	}
	if res.Kind == schedule.KindMLflow {
		// A tracking server is priced by size, as the scan prices it:
		// only a catalog knows how (unknown otherwise, never $0).
		if c, ok := r.prices.(*pricing.Catalog); ok {
			return cost.PriceOne(c, resource.Resource{Kind: resource.MLflowTrackingServer, Region: res.Region,
				Size: res.InstanceType, InstanceCount: 1, Running: true}).Hourly
		}
		return pricing.Unknown
	}
	c := pricing.NotebookInstance
	if res.app != nil {
		c = appComponent(res.app.typ)
	}
	return r.prices.Lookup(res.Region, res.InstanceType, c)
}

// saving is what the action saves (cost.Saves): a stop saves the
// instance-hours (a notebook's ML storage volume still bills while it is
// stopped), a start saves nothing (it ends a saving).
func (r *Runner) saving(o Outcome) cost.Saving {
	if o.Decision.Action != schedule.ActionStop {
		zero := pricing.Price{Known: true}
		return cost.Saving{Hourly: zero, Monthly: zero}
	}
	kind, app := resource.NotebookInstance, ""
	if o.app != nil {
		kind, app = resource.StudioApp, string(o.app.typ)
	}
	if o.Kind == schedule.KindMLflow {
		kind = resource.MLflowTrackingServer
	}
	// The catalog's rate of the one instance the stop ends (Hourly is
	// that rate, or unknown).
	l := cost.Line{Resource: resource.Resource{Kind: kind, AppType: app, Region: o.Region, InstanceType: o.InstanceType,
		InstanceCount: 1, Running: true}, Basis: cost.PerInstance, Rate: o.Hourly, Hourly: o.Hourly}
	return cost.Saves(l, cost.Change{Verb: cost.Stop})
}

// ledger opens a savings period when a stop succeeded and closes it when a
// start did: a stopped notebook saves its instance-hours until it is
// started again.
func (r *Runner) ledger(ctx context.Context, o Outcome, actionID int64, now time.Time) {
	var err error
	switch o.Decision.Action {
	case schedule.ActionStop:
		h := r.saving(o).Hourly
		if !h.Known {
			return
		}
		_, err = r.store.StartSaving(ctx, o.ID(), actionID, h, now)
		if errors.Is(err, store.ErrAlreadySaving) {
			err = nil
		}
	case schedule.ActionStart:
		_, err = r.store.StopSaving(ctx, o.ID(), now)
	}
	if err != nil {
		r.log.Warn("savings ledger", "resource", o.Name, "err", err)
	}
}

// details is the audit entry's JSON: the schedule, why, and the price.
func (r *Runner) details(s *schedule.Schedule, o Outcome) json.RawMessage {
	v := map[string]any{
		"schedule": s.Name, "reason": o.Decision.Reason, "region": o.Region, "account": o.Account,
		"name": o.Name, "status": o.Status, "instanceType": o.InstanceType,
	}
	if t := resource.Team(o.Tags); t != "" {
		v["team"] = t // the savings ledger's "by team"
	}
	if !o.Decision.Desired.Since.IsZero() {
		v["transition"] = o.Decision.Desired.Since.UTC().Format(time.RFC3339)
	}
	if o.Hourly.Known {
		v["hourly"] = o.Hourly.Amount.Plain()
	}
	b, _ := json.Marshal(v)
	return b
}

// Digest is the run's notification: every resource acted on, that would
// be (dry run), or whose action failed or was skipped, and every listing
// that failed.
func (rep *Report) Digest(actor string) notify.Digest {
	d := notify.Digest{Command: "schedule run", RunID: rep.RunID, DryRun: rep.DryRun, At: rep.At, Actor: actor}
	for _, o := range rep.Outcomes {
		if o.Result == "" {
			continue
		}
		it := notify.Item{Account: o.Account, Region: o.Region, Kind: string(inventoryKind[o.Kind]), Name: o.Name, ARN: o.ARN,
			Action: auditVerb(o.Resource, o.Decision.Action), Result: o.Result, Reason: o.Decision.Reason, Schedule: o.Schedule, Hourly: o.Hourly}
		if o.Err != nil {
			it.Error = o.Err.Error()
		}
		if it.Action == string(schedule.ActionNone) {
			it.Action = "schedule"
		}
		d.Items = append(d.Items, it)
	}
	for _, err := range rep.Errors {
		it := notify.Item{Name: "(all)", Action: notify.ActionList, Result: notify.ResultFailed, Error: err.Error()}
		var le *ListError
		if errors.As(err, &le) {
			it.Account, it.Region, it.Kind = le.Account, le.Region, string(inventoryKind[le.Kind])
		}
		d.Items = append(d.Items, it)
	}
	return d
}

// noticeKey is the outbox key of schedule run's notices
// (store.Notice.Key): they go to the notifier of the run that sends them.
const noticeKey = "schedule run"

// queue writes digest items to the outbox as soon as their action is over,
// so that a run killed before it publishes leaves them for the next run.
func (r *Runner) queue(ctx context.Context, run store.Run, items []notify.Item) {
	if r.notifier == nil || len(items) == 0 {
		return
	}
	var ns []store.Notice
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			continue
		}
		ns = append(ns, store.Notice{RunID: run.ID, Key: noticeKey, Item: b})
	}
	if err := r.store.AddNotices(ctx, ns); err != nil {
		r.log.Warn("queue notices", "err", err)
	}
}

// Deliver sends, for run (a running run that takes the notices), one
// digest with every schedule notice not delivered yet, as Run does at its
// end unless WithDeferredDigest. It reports whether a digest was sent, and
// why not when delivery failed (the notices stay in the outbox).
func (r *Runner) Deliver(ctx context.Context, run store.Run) (bool, error) {
	rep := &Report{RunID: run.ID, At: r.clock.Now()}
	r.notify(ctx, rep, run)
	return rep.Notified, rep.NotifyErr
}

// notify sends one digest with every notice not yet delivered: this run's
// and those of earlier runs that could not deliver them (a missing topic,
// a webhook that failed, a process killed before it published). They are
// marked sent only once the notifier accepted the digest. A dry run sends
// nothing: publishing needs --yes like every other call that acts.
func (r *Runner) notify(ctx context.Context, rep *Report, run store.Run) {
	if r.notifier == nil {
		return
	}
	pending, err := r.store.ClaimNotices(ctx, run.ID, noticeKey)
	if err != nil {
		rep.NotifyErr = err
		return
	}
	d := notify.Digest{Command: "schedule run", RunID: rep.RunID, DryRun: rep.DryRun, At: rep.At, Actor: run.Actor()}
	var ids []int64
	for _, n := range pending {
		var it notify.Item
		if err := json.Unmarshal(n.Item, &it); err != nil {
			r.log.Warn("notice item", "id", n.ID, "err", err)
			continue
		}
		if n.RunID != run.ID {
			it.Reason = fmt.Sprintf("undelivered notice of run %d: %s", n.RunID, it.Reason)
		}
		ids = append(ids, n.ID)
		d.Items = append(d.Items, it)
	}
	if !d.Worth() {
		return
	}
	if err := r.notifier.Notify(ctx, d); err != nil {
		rep.NotifyErr = fmt.Errorf("%w (%d notice(s) kept for the next run)", err, len(ids))
		r.log.Warn("notification failed", "err", err)
		if err := r.store.NoticesFailed(ctx, ids, err.Error()); err != nil {
			r.log.Warn("record notices", "err", err)
		}
		return
	}
	rep.Notified = true
	if err := r.store.NoticesSent(ctx, ids); err != nil {
		r.log.Warn("record notices", "err", err)
	}
}
