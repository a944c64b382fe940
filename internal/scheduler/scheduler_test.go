package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/scheduler"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The seed's office hours: dev- notebooks up 07:00-21:00 UTC on weekdays.
const seedSchedules = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: dev-office-hours
    timezone: UTC
    start: cron(0 7 ? * MON-FRI *)
    stop: cron(0 21 ? * MON-FRI *)
    targets:
      - kind: notebook
        namePrefix: dev-
`

// A fleet on Monday 2026-11-30 00:00 UTC: the dev- notebooks were stopped
// on Friday evening, the prod- ones run around the clock.
const fleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-30T00:00:00Z
accounts:
- id: "123456789012"
  name: ml-dev
  regions:
    us-east-1:
      topics: [sagesaver-notices]
      notebooks:
      - {name: dev-alice, instanceType: ml.t3.medium, status: Stopped, age: 30d, tags: {team: research}}
      - {name: dev-bob, instanceType: ml.g4dn.xlarge, status: Stopped, age: 12d}
      - {name: prod-api, instanceType: ml.m5.xlarge, age: 90d, tags: {env: prod}}
      - {name: prod-batch, instanceType: ml.t3.medium, status: Stopped, age: 40d}
    eu-west-1:
      notebooks:
      - {name: dev-dan, instanceType: ml.t3.large, status: Stopped, age: 3d}
      - {name: prod-eu, instanceType: ml.t3.large, age: 3d}
`

const topicARN = "arn:aws:sns:us-east-1:123456789012:sagesaver-notices"

var monday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// rig is the emulator, a store and a runner over two regions, all on the
// emulator's virtual clock.
type rig struct {
	t      *testing.T
	env    *emulatortest.Env
	store  store.Store
	runner *scheduler.Runner
	memory scheduler.Memory
	// acted is every action taken, "Mon 07:00 start dev-alice".
	acted []string
	runs  []*scheduler.Report
}

func newRig(t *testing.T, schedules string) *rig { return newRigWith(t, fleet, schedules, nil) }

// newRigWith is newRig with the run's SageMaker client of each region
// wrapped by wrap (nil: the client itself).
func newRigWith(t *testing.T, scenario, schedules string, wrap func(*sagemaker.Client) scheduler.SageMaker) *rig {
	t.Helper()
	return newRigPriced(t, scenario, schedules, wrap, pricing.Embedded())
}

// newRigPriced is newRigWith pricing with catalog.
func newRigPriced(t *testing.T, scenario, schedules string, wrap func(*sagemaker.Client) scheduler.SageMaker, catalog *pricing.Catalog) *rig {
	t.Helper()
	ctx := context.Background()
	env := emulatortest.Start(t, scenario)
	clk := env.Emu.Clock()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "sagesaver.db"), store.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ss, err := schedule.Decode("schedules.yaml", []byte(schedules))
	if err != nil {
		t.Fatal(err)
	}
	var regions []scheduler.Region
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		c := env.Clients(r)
		var sm scheduler.SageMaker = c.SageMaker
		if wrap != nil {
			sm = wrap(c.SageMaker)
		}
		regions = append(regions, scheduler.Region{Account: "123456789012", Region: r, SageMaker: sm, Tagging: c.Tagging})
	}
	mem := scheduler.NewStoreMemory(st)
	runner := scheduler.New(ss, regions, mem, st, catalog,
		scheduler.WithClock(clk),
		scheduler.WithNotifier(notify.NewSNS(env.Clients("us-east-1").SNS, topicARN)),
		scheduler.WithRunInfo(store.RunInfo{OSUser: "cron", PolicyFile: "schedules.yaml"}))
	return &rig{t: t, env: env, store: st, runner: runner, memory: mem}
}

// run runs the scheduler for real at the emulator's now.
func (r *rig) run() *scheduler.Report {
	r.t.Helper()
	rep, err := r.runner.Run(context.Background(), false)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		switch o.Result {
		case "":
		case notify.ResultOK:
			r.acted = append(r.acted, fmt.Sprintf("%s %s %s", rep.At.Format("Mon 15:04"), o.Decision.Action, o.Name))
		default:
			r.t.Errorf("%s: %s %s: %s: %v", rep.At.Format("Mon 15:04"), o.Decision.Action, o.Name, o.Result, o.Err)
		}
	}
	for _, err := range rep.Errors {
		r.t.Errorf("%s: %v", rep.At.Format("Mon 15:04"), err)
	}
	if rep.NotifyErr != nil {
		r.t.Errorf("notify: %v", rep.NotifyErr)
	}
	r.runs = append(r.runs, rep)
	return rep
}

// runUntil runs every step of virtual time until (excluded) the emulator
// reaches until, skipping the runs skip says to skip.
func (r *rig) runUntil(until time.Time, step time.Duration, skip func(time.Time) bool) {
	r.t.Helper()
	for r.env.Emu.Now().Before(until) {
		if skip == nil || !skip(r.env.Emu.Now()) {
			r.run()
		}
		r.env.Emu.Advance(step)
	}
}

// status returns each notebook's status in the emulator, "name=Status".
func (r *rig) status() []string {
	r.t.Helper()
	var out []string
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		p := sagemaker.NewListNotebookInstancesPaginator(r.env.Clients(region).SageMaker, &sagemaker.ListNotebookInstancesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				r.t.Fatal(err)
			}
			for _, n := range page.NotebookInstances {
				out = append(out, aws.ToString(n.NotebookInstanceName)+"="+string(n.NotebookInstanceStatus))
			}
		}
	}
	slices.Sort(out)
	return out
}

func (r *rig) sm(region string) *sagemaker.Client { return r.env.Clients(region).SageMaker }

func day(d int, hh, mm int) time.Time {
	return monday.AddDate(0, 0, d).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// officeHours is what the seed's schedule must do over the days given:
// start the three dev- notebooks at 07:00 and stop them at 21:00 on each
// weekday, in the order the run lists them (us-east-1, then eu-west-1).
func officeHours(days ...int) []string {
	var want []string
	for _, d := range days {
		at := monday.AddDate(0, 0, d)
		for _, ev := range []struct {
			hh     int
			action string
		}{{7, "start"}, {21, "stop"}} {
			for _, n := range []string{"dev-alice", "dev-bob", "dev-dan"} {
				want = append(want, fmt.Sprintf("%s %02d:00 %s %s", at.Format("Mon"), ev.hh, ev.action, n))
			}
		}
	}
	return want
}

func TestSeedOfficeHoursOverAWeek(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	var during, weekend []string
	// Hourly runs for the whole week (the five-minute cadence is in the
	// tests below, around the transitions they are about).
	r.runUntil(day(7, 0, 0), time.Hour, func(now time.Time) bool {
		// Look at the fleet in the middle of Tuesday and of Saturday.
		switch now {
		case day(1, 12, 0):
			during = r.status()
		case day(5, 12, 0):
			weekend = r.status()
		}
		return false
	})
	if diff := cmp.Diff(officeHours(0, 1, 2, 3, 4), r.acted); diff != "" {
		t.Errorf("actions over the week (-want +got):\n%s", diff)
	}
	wantDuring := []string{"dev-alice=InService", "dev-bob=InService", "dev-dan=InService", "prod-api=InService", "prod-batch=Stopped", "prod-eu=InService"}
	if diff := cmp.Diff(wantDuring, during); diff != "" {
		t.Errorf("Tuesday 12:00 (-want +got):\n%s", diff)
	}
	wantWeekend := []string{"dev-alice=Stopped", "dev-bob=Stopped", "dev-dan=Stopped", "prod-api=InService", "prod-batch=Stopped", "prod-eu=InService"}
	if diff := cmp.Diff(wantWeekend, weekend); diff != "" {
		t.Errorf("Saturday 12:00 (-want +got):\n%s", diff)
	}

	// The audit log holds each action once, real, ok, with who and the
	// money a stop saves per month.
	actions, err := r.store.Actions(ctx, store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for i := len(actions) - 1; i >= 0; i-- {
		a := actions[i]
		if a.DryRun || a.Result != store.ResultOK || a.Actor != "cron" || a.Kind != "notebook-instance" {
			t.Errorf("audit entry %+v", a)
		}
		audit = append(audit, fmt.Sprintf("%s %s %s", a.Started.Format("Mon 15:04"), a.Verb, a.Resource[strings.LastIndex(a.Resource, "/")+1:]))
		if a.Verb == "stop" && a.Resource == "123456789012/us-east-1/notebook-instance/dev-alice" {
			// ml.t3.medium notebook in us-east-1 at the catalog's price, 730 h.
			want := pricing.Embedded().Lookup("us-east-1", "ml.t3.medium", pricing.NotebookInstance).Monthly()
			if !want.Known || !a.MonthlySaved.Known || !a.MonthlySaved.Amount.Equal(want.Amount) {
				t.Errorf("dev-alice stop saves %v a month, want %v", a.MonthlySaved, want)
			}
		}
	}
	if diff := cmp.Diff(officeHours(0, 1, 2, 3, 4), audit); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}

	// One digest per run that acted: ten, each naming the three notebooks.
	pub := r.env.Emu.Published()
	if len(pub) != 10 {
		t.Fatalf("%d digests published, want 10 (one per run that acted)", len(pub))
	}
	if pub[0].Subject != "sagesaver schedule run: 3 done" || !strings.Contains(pub[0].Message, "dev-alice (us-east-1, notebook-instance, account 123456789012): started;") {
		t.Errorf("first digest: %q\n%s", pub[0].Subject, pub[0].Message)
	}
	if !strings.Contains(pub[1].Message, "dev-dan (eu-west-1, notebook-instance, account 123456789012): stopped;") {
		t.Errorf("second digest:\n%s", pub[1].Message)
	}

	// Every stop opened a savings period and every start closed one.
	periods, err := r.store.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, p := range periods {
		if p.Until != nil {
			closed++
		}
	}
	if len(periods) != 15 || closed != 12 {
		t.Errorf("%d savings periods, %d closed; want 15 and 12 (Friday's stops still save)", len(periods), closed)
	}
}

func TestMissedRunIsCaughtUp(t *testing.T) {
	r := newRig(t, seedSchedules)
	// The host running the cron job is down from 06:30 to 08:00 Monday.
	r.runUntil(day(0, 8, 5), 5*time.Minute, func(now time.Time) bool {
		return !now.Before(day(0, 6, 30)) && now.Before(day(0, 8, 0))
	})
	want := []string{"Mon 08:00 start dev-alice", "Mon 08:00 start dev-bob", "Mon 08:00 start dev-dan"}
	if diff := cmp.Diff(want, r.acted); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	late := r.runs[len(r.runs)-2] // the 08:00 run
	for _, o := range late.Outcomes {
		if o.Result == notify.ResultOK && !strings.Contains(o.Decision.Reason, "catching up the start at Mon 2026-11-30 07:00 UTC") {
			t.Errorf("%s: reason %q does not say it catches up", o.Name, o.Decision.Reason)
		}
	}
}

func TestManualStartOffHoursIsLeftAlone(t *testing.T) {
	r := newRig(t, seedSchedules)
	r.runUntil(day(0, 22, 0), 5*time.Minute, nil)
	// At 22:00 on Monday, after the scheduler's 21:00 stop, alice starts
	// her notebook to work late.
	if _, err := r.sm("us-east-1").StartNotebookInstance(context.Background(), &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")}); err != nil {
		t.Fatal(err)
	}
	r.acted = nil
	r.runUntil(day(1, 7, 0), 5*time.Minute, nil)
	if len(r.acted) != 0 {
		t.Errorf("the scheduler acted overnight: %v", r.acted)
	}
	if got := r.status(); !slices.Contains(got, "dev-alice=InService") {
		t.Errorf("Tuesday 06:55: %v, want dev-alice still InService", got)
	}
	last := r.runs[len(r.runs)-1]
	for _, o := range last.Outcomes {
		if o.Name == "dev-alice" && !strings.Contains(o.Decision.Reason, "running by hand after the scheduler's stop at Mon 2026-11-30 21:00 UTC: left alone until the next start at Tue 2026-12-01 07:00 UTC") {
			t.Errorf("reason: %q", o.Decision.Reason)
		}
	}
	// The next transitions apply again: at 07:00 the others start (alice
	// is already running), at 21:00 all three stop.
	r.runUntil(day(1, 21, 5), 5*time.Minute, nil)
	want := []string{"Tue 07:00 start dev-bob", "Tue 07:00 start dev-dan",
		"Tue 21:00 stop dev-alice", "Tue 21:00 stop dev-bob", "Tue 21:00 stop dev-dan"}
	if diff := cmp.Diff(want, r.acted); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestSnoozeHoldsPast21(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.env.Emu.Advance(day(1, 6, 0).Sub(r.env.Emu.Now()))
	r.runUntil(day(1, 20, 0), 5*time.Minute, nil)
	// Tuesday 20:00: bob keeps his notebook up until 23:00 tonight.
	bob := "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-bob"
	if _, err := r.sm("us-east-1").AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(bob),
		Tags: []smtypes.Tag{{Key: aws.String(schedule.DefaultSnoozeTag), Value: aws.String("2026-12-01T23:00Z")}}}); err != nil {
		t.Fatal(err)
	}
	r.acted = nil
	r.runUntil(day(1, 23, 5), 5*time.Minute, nil)
	want := []string{"Tue 21:00 stop dev-alice", "Tue 21:00 stop dev-dan", "Tue 23:00 stop dev-bob"}
	if diff := cmp.Diff(want, r.acted); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	for _, rep := range r.runs {
		if !rep.At.Equal(day(1, 22, 0)) {
			continue
		}
		for _, o := range rep.Outcomes {
			if o.Name == "dev-bob" && !strings.Contains(o.Decision.Reason, "snoozed until Tue 2026-12-01 23:00 UTC by tag sagesaver:snooze-until") {
				t.Errorf("22:00 reason for dev-bob: %q", o.Decision.Reason)
			}
		}
	}
}

func TestFailedActionIsNotifiedAndRetried(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.runUntil(day(0, 7, 0), 5*time.Minute, nil)
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{{
		Operation: "sagemaker:StartNotebookInstance", Region: "eu-west-1", Code: "ResourceLimitExceeded",
		Message: "The account-level service limit 'ml.t3.large for notebook instance usage' is 0 Instances", Status: 400,
	}}})
	rep, err := r.runner.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, o := range rep.Outcomes {
		if o.Result != "" {
			results = append(results, o.Name+" "+o.Result)
		}
	}
	if diff := cmp.Diff([]string{"dev-alice ok", "dev-bob ok", "dev-dan failed"}, results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if !rep.Failed() {
		t.Error("report does not say the run failed")
	}
	pub := r.env.Emu.Published()
	msg := pub[len(pub)-1]
	if msg.Subject != "sagesaver schedule run: 2 done, 1 failed" || !strings.Contains(msg.Message, "dev-dan (eu-west-1, notebook-instance, account 123456789012): start FAILED: ") ||
		!strings.Contains(msg.Message, "ResourceLimitExceeded") {
		t.Errorf("digest: %q\n%s", msg.Subject, msg.Message)
	}
	failed, err := r.store.Actions(ctx, store.ActionFilter{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, a := range failed {
		audit = append(audit, a.Resource[strings.LastIndex(a.Resource, "/")+1:]+" "+string(a.Result))
	}
	slices.Sort(audit)
	if diff := cmp.Diff([]string{"dev-alice ok", "dev-bob ok", "dev-dan failed"}, audit); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	runRow, err := r.store.Run(ctx, rep.RunID)
	if err != nil || runRow.Status != store.RunFailed {
		t.Errorf("run row %+v, %v: want failed", runRow, err)
	}
	// Nothing was remembered for dev-dan: the next run tries again.
	r.env.Emu.SetFaults(emulator.FaultConfig{})
	r.env.Emu.Advance(5 * time.Minute)
	r.acted = nil
	r.run()
	if diff := cmp.Diff([]string{"Mon 07:05 start dev-dan"}, r.acted); diff != "" {
		t.Errorf("retry (-want +got):\n%s", diff)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.env.Emu.Clock().Set(day(0, 7, 0))
	before := r.status()
	rep, err := r.runner.Run(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, r.status()); diff != "" {
		t.Errorf("a dry run changed the fleet (-before +after):\n%s", diff)
	}
	var would []string
	for _, o := range rep.Outcomes {
		if o.Result == notify.ResultDryRun {
			would = append(would, string(o.Decision.Action)+" "+o.Name)
		}
	}
	if diff := cmp.Diff([]string{"start dev-alice", "start dev-bob", "start dev-dan"}, would); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	actions, err := r.store.Actions(ctx, store.ActionFilter{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		if !a.DryRun || a.Verb != "start" {
			t.Errorf("audit entry %+v, want a dry-run start", a)
		}
		var details map[string]string
		if err := json.Unmarshal(a.Details, &details); err != nil || details["schedule"] != "dev-office-hours" || !strings.Contains(details["reason"], "running since Mon 2026-11-30 07:00 UTC") {
			t.Errorf("details %s (%v)", a.Details, err)
		}
		// The team tag, for the savings ledger's "by team" (only dev-alice has one).
		if want := map[bool]string{true: "research"}[strings.HasSuffix(a.Resource, "/dev-alice")]; details["team"] != want {
			t.Errorf("%s: team %q, want %q", a.Resource, details["team"], want)
		}
	}
	if len(actions) != 3 {
		t.Errorf("%d audit entries, want 3", len(actions))
	}
	// Publishing acts too: a dry run sends nothing.
	if pub := r.env.Emu.Published(); len(pub) != 0 {
		t.Errorf("a dry run published: %+v", pub)
	}
	// The dry run remembered nothing: a real run now starts all three.
	r.run()
	if len(r.acted) != 3 {
		t.Errorf("real run after the dry run: %v", r.acted)
	}
}

func TestExplain(t *testing.T) {
	r := newRig(t, seedSchedules+`
  - name: everything-stops-at-night
    timezone: Europe/Berlin
    stop: cron(0 23 * * ? *)
    targets:
      - kind: notebook
        nameGlob: "*"
`)
	ctx := context.Background()
	r.runUntil(day(0, 22, 0), 15*time.Minute, nil)
	if _, err := r.sm("us-east-1").AddTags(ctx, &sagemaker.AddTagsInput{
		ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-alice"),
		Tags:        []smtypes.Tag{{Key: aws.String(schedule.DefaultSnoozeTag), Value: aws.String("tonight")}}}); err != nil {
		t.Fatal(err)
	}
	ex, err := r.runner.Explain(ctx, "dev-alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 1 {
		t.Fatalf("%d explanations, want 1", len(ex))
	}
	want := `dev-alice (us-east-1, notebook-instance ml.t3.medium): Stopped
  schedule:    dev-office-hours (time zone UTC, start-stop)
  start:       cron(0 7 ? * MON-FRI *)
  stop:        cron(0 21 ? * MON-FRI *)
  also matched by everything-stops-at-night (ignored: the first schedule in the file that matches governs)
  now:         Mon 2026-11-30 22:00 UTC
  desired:     stopped since Mon 2026-11-30 21:00 UTC by cron(0 21 ? * MON-FRI *); next start at Tue 2026-12-01 07:00 UTC
  snooze:      sagesaver:snooze-until=tonight (not a time: holds it up (fails closed))
  remembered:  stopped applied at Mon 2026-11-30 21:00 UTC for the transition at Mon 2026-11-30 21:00 UTC
  a run now:   nothing: already stopped; stopped since Mon 2026-11-30 21:00 UTC by cron(0 21 ? * MON-FRI *); next start at Tue 2026-12-01 07:00 UTC
  next:        start at Tue 2026-12-01 07:00 UTC (cron(0 7 ? * MON-FRI *))
`
	if diff := cmp.Diff(want, ex[0].Text()); diff != "" {
		t.Errorf("explain (-want +got):\n%s", diff)
	}
	ex, err = r.runner.Explain(ctx, "prod-eu")
	if err != nil || len(ex) != 1 || ex[0].Schedule == nil || ex[0].Schedule.Name != "everything-stops-at-night" {
		t.Fatalf("prod-eu: %+v, %v", ex, err)
	}
	if ex, err := r.runner.Explain(ctx, "nobody"); err != nil || len(ex) != 0 {
		t.Errorf("unknown notebook: %+v, %v", ex, err)
	}
}

// meddling is the real SageMaker client with someone else acting on the
// account at the moment the run re-checks a resource: between its listing
// and its action.
type meddling struct {
	*sagemaker.Client
	before func(name string)
}

func (m meddling) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	m.before(aws.ToString(in.NotebookInstanceName))
	return m.Client.DescribeNotebookInstance(ctx, in, opts...)
}

func TestRecheckBeforeActing(t *testing.T) {
	ctx := context.Background()
	snoozed := false
	var r *rig
	r = newRigWith(t, fleet, seedSchedules, func(c *sagemaker.Client) scheduler.SageMaker {
		return meddling{Client: c, before: func(name string) {
			// At 21:00, after the run listed dev-bob as InService and
			// decided to stop it, bob snoozes it.
			if name != "dev-bob" || snoozed || !r.env.Emu.Now().Equal(day(0, 21, 0)) {
				return
			}
			snoozed = true
			if _, err := c.AddTags(ctx, &sagemaker.AddTagsInput{
				ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-bob"),
				Tags:        []smtypes.Tag{{Key: aws.String(schedule.DefaultSnoozeTag), Value: aws.String("2026-11-30T22:30Z")}}}); err != nil {
				t.Error(err)
			}
		}}
	})
	r.runUntil(day(0, 21, 0), time.Hour, nil)
	rep, err := r.runner.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range rep.Outcomes {
		got = append(got, o.Name+" "+o.Result)
		if o.Name == "dev-bob" && (o.Err == nil || !strings.Contains(o.Err.Error(), "changed since it was listed (now InService): snoozed until Mon 2026-11-30 22:30 UTC")) {
			t.Errorf("dev-bob: %v", o.Err)
		}
	}
	if diff := cmp.Diff([]string{"dev-alice ok", "dev-bob skipped", "dev-dan ok"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	actions, err := r.store.Actions(ctx, store.ActionFilter{RunID: rep.RunID, Resource: "123456789012/us-east-1/notebook-instance/dev-bob"})
	if err != nil || len(actions) != 1 || actions[0].Result != store.ResultSkipped || actions[0].Verb != "stop" {
		t.Errorf("audit of dev-bob: %+v, %v", actions, err)
	}
	if pub := r.env.Emu.Published(); !strings.Contains(pub[len(pub)-1].Subject, "2 done, 1 skipped") {
		t.Errorf("digest subject %q", pub[len(pub)-1].Subject)
	}
	// The snooze holds until 22:30; the run after it stops dev-bob.
	r.env.Emu.Advance(time.Hour)
	r.acted = nil
	r.runUntil(day(0, 23, 0), 30*time.Minute, nil)
	if diff := cmp.Diff([]string{"Mon 22:30 stop dev-bob"}, r.acted); diff != "" {
		t.Errorf("after the snooze (-want +got):\n%s", diff)
	}
}

// Studio on Monday 20:00 UTC: a JupyterLab space on a GPU, a Code Editor
// space, and a Studio Classic user with a kernel gateway and the (free)
// JupyterServer app.
const studioFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-30T20:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      topics: [sagesaver-notices]
      domains:
      - {name: research, id: d-research0001, age: 90d}
      userProfiles:
      - {domain: research, name: alice, age: 60d}
      - {domain: research, name: carol, age: 60d}
      spaces:
      - {domain: research, name: alice-lab, owner: alice, instanceType: ml.g4dn.xlarge, age: 20d}
      - {domain: research, name: team-code, appType: CodeEditor, age: 10d}
      apps:
      - {domain: research, space: alice-lab, type: JupyterLab, instanceType: ml.g4dn.xlarge, age: 10h}
      - {domain: research, space: team-code, type: CodeEditor, age: 3h}
      - {domain: research, user: carol, type: JupyterServer, age: 200d}
      - {domain: research, user: carol, type: KernelGateway, name: datascience-1a2b, instanceType: ml.t3.medium, age: 5h}
`

// Stop JupyterLab and kernel gateway apps every evening; leave the Code
// Editor space alone. Studio Classic's JupyterServer (the UI, on a free
// system instance) matches too but is never stopped.
const studioSchedules = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: studio-evening-stop
    timezone: UTC
    stop: cron(0 21 * * ? *)
    targets:
      - kind: studio-app
        nameRegex: "/(JupyterLab|KernelGateway|JupyterServer)/"
`

func TestStudioAppsStoppedEveryEvening(t *testing.T) {
	r := newRigWith(t, studioFleet, studioSchedules, nil)
	ctx := context.Background()
	r.runUntil(day(0, 21, 30), 15*time.Minute, nil)
	want := []string{"Mon 21:00 stop alice-lab/JupyterLab/default", "Mon 21:00 stop carol/KernelGateway/datascience-1a2b"}
	if diff := cmp.Diff(want, r.acted); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	apps := func() []string {
		var out []string
		p := sagemaker.NewListAppsPaginator(r.sm("us-east-1"), &sagemaker.ListAppsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Apps {
				out = append(out, string(a.AppType)+"="+string(a.Status))
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff([]string{"CodeEditor=InService", "JupyterLab=Deleted", "JupyterServer=InService", "KernelGateway=Deleted"}, apps()); diff != "" {
		t.Errorf("apps at 21:30 (-want +got):\n%s", diff)
	}
	actions, err := r.store.Actions(ctx, store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		if a.Verb != "delete-app" || a.Kind != "studio-app" || a.Result != store.ResultOK || !strings.HasPrefix(a.Resource, "123456789012/us-east-1/studio-app/") {
			t.Errorf("audit entry %+v", a)
		}
	}
	if pub := r.env.Emu.Published(); len(pub) != 1 || !strings.Contains(pub[0].Message, "alice-lab/JupyterLab/default (us-east-1, studio-app, account 123456789012): deleted app;") {
		t.Errorf("digest: %+v", pub)
	}

	// Tuesday 09:00 alice opens her space again: left alone until 21:00,
	// and the saving her app's deletion opened ends.
	r.runUntil(day(1, 9, 0), 30*time.Minute, nil)
	if _, err := r.sm("us-east-1").CreateApp(ctx, &sagemaker.CreateAppInput{DomainId: aws.String("d-research0001"),
		SpaceName: aws.String("alice-lab"), AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default"),
		ResourceSpec: &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceTypeMlG4dnXlarge}}); err != nil {
		t.Fatal(err)
	}
	r.acted = nil
	r.runUntil(day(1, 21, 30), 15*time.Minute, nil)
	if diff := cmp.Diff([]string{"Tue 21:00 stop alice-lab/JupyterLab/default"}, r.acted); diff != "" {
		t.Errorf("Tuesday (-want +got):\n%s", diff)
	}
	periods, err := r.store.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ledger []string
	for _, p := range periods {
		until := "open"
		if p.Until != nil {
			until = p.Until.Format("Mon 15:04")
		}
		ledger = append(ledger, p.Resource.Name+" "+p.From.Format("Mon 15:04")+"-"+until)
	}
	slices.Sort(ledger)
	// Alice's app runs again from the first run that sees it (09:15 after
	// its creation at 09:00 became InService).
	wantLedger := []string{
		"alice-lab/JupyterLab/default Mon 21:00-Tue 09:15",
		"alice-lab/JupyterLab/default Tue 21:00-open",
		"carol/KernelGateway/datascience-1a2b Mon 21:00-open",
	}
	if diff := cmp.Diff(wantLedger, ledger); diff != "" {
		t.Errorf("savings ledger (-want +got):\n%s", diff)
	}
}

func TestNotebookCreatedOffHours(t *testing.T) {
	for _, enforced := range []bool{false, true} {
		t.Run(fmt.Sprintf("enforced=%v", enforced), func(t *testing.T) {
			schedules := seedSchedules
			if enforced {
				schedules = strings.Replace(schedules, "    timezone: UTC\n", "    timezone: UTC\n    enforced: true\n", 1)
			}
			r := newRig(t, schedules)
			ctx := context.Background()
			r.env.Emu.Advance(day(0, 21, 30).Sub(r.env.Emu.Now()))
			// Monday 21:30, after the 21:00 stop, eve creates a notebook.
			if _, err := r.sm("us-east-1").CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
				NotebookInstanceName: aws.String("dev-eve"), InstanceType: smtypes.InstanceTypeMlT3Medium,
				RoleArn: aws.String("arn:aws:iam::123456789012:role/notebooks")}); err != nil {
				t.Fatal(err)
			}
			r.runUntil(day(1, 7, 5), 15*time.Minute, nil)
			want := []string{"Tue 07:00 start dev-alice", "Tue 07:00 start dev-bob", "Tue 07:00 start dev-dan"}
			if enforced {
				// Enforced undoes it on the first run that sees it
				// InService, and starts it with the others.
				want = []string{"Mon 21:45 stop dev-eve", "Tue 07:00 start dev-alice", "Tue 07:00 start dev-bob",
					"Tue 07:00 start dev-eve", "Tue 07:00 start dev-dan"}
			}
			if diff := cmp.Diff(want, r.acted); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if enforced {
				return
			}
			for _, rep := range r.runs {
				if !rep.At.Equal(day(1, 3, 0)) {
					continue
				}
				for _, o := range rep.Outcomes {
					if o.Name == "dev-eve" && o.Decision.Reason != "created at Mon 2026-11-30 21:30 UTC, after the schedule's stop at Mon 2026-11-30 21:00 UTC: left alone until the next start at Tue 2026-12-01 07:00 UTC" {
						t.Errorf("03:00 reason for dev-eve: %q", o.Decision.Reason)
					}
				}
			}
		})
	}
}

func TestInterruptedActionIsResolved(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.env.Emu.Advance(day(0, 7, 0).Sub(r.env.Emu.Now()))
	// A run at 07:00 recorded two starts and died: one after AWS took the
	// call, one before.
	dead, err := r.store.StartRun(ctx, store.RunInfo{Command: "schedule run", OSUser: "cron"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, name := range []string{"dev-alice", "dev-bob"} {
		details, _ := json.Marshal(map[string]string{"region": "us-east-1", "name": name, "schedule": "dev-office-hours"})
		ids[name], err = r.store.BeginAction(ctx, store.Action{RunID: dead.ID, Actor: "cron", Kind: "notebook-instance", Verb: "start",
			Resource: "123456789012/us-east-1/notebook-instance/" + name, Details: details})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.sm("us-east-1").StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")}); err != nil {
		t.Fatal(err)
	}
	// The next run comes once the dead run's lease has run out.
	r.env.Emu.Advance(store.DefaultLease + time.Minute)
	r.run()
	got := map[string]string{}
	for name, id := range ids {
		a, err := r.store.Action(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = string(a.Result) + ": " + a.Error
	}
	want := map[string]string{
		"dev-alice": "ok: interrupted; re-checked by run of 2026-11-30 07:11: InService, so the start happened",
		"dev-bob":   "failed: interrupted; re-checked by run of 2026-11-30 07:11: Stopped, so the start did not happen",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
	// This run started dev-bob (and dev-dan), not dev-alice, which was
	// already running: the memory of the dead run was never written.
	if diff := cmp.Diff([]string{"Mon 07:11 start dev-bob", "Mon 07:11 start dev-dan"}, r.acted); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestRegionThatCannotBeListed(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.env.Emu.Advance(day(0, 7, 0).Sub(r.env.Emu.Now()))
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{{
		Operation: "sagemaker:ListNotebookInstances", Region: "eu-west-1", Code: "AccessDeniedException",
		Message: "User is not authorized to perform: sagemaker:ListNotebookInstances", Status: 400,
	}}})
	rep, err := r.runner.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var acted []string
	for _, o := range rep.Outcomes {
		acted = append(acted, o.Name+" "+o.Result)
	}
	if diff := cmp.Diff([]string{"dev-alice ok", "dev-bob ok"}, acted); diff != "" {
		t.Errorf("us-east-1 must still be acted on (-want +got):\n%s", diff)
	}
	var le *scheduler.ListError
	if len(rep.Errors) != 1 || !errors.As(rep.Errors[0], &le) || le.Region != "eu-west-1" || le.Kind != schedule.KindNotebook || !rep.Failed() {
		t.Fatalf("errors %v", rep.Errors)
	}
	pub := r.env.Emu.Published()
	msg := pub[len(pub)-1].Message
	if !strings.Contains(msg, "Failed (1):\n  - (all) (eu-west-1, notebook-instance, account 123456789012): list FAILED: list notebook instances in eu-west-1: ") {
		t.Errorf("digest:\n%s", msg)
	}
}

// TestUndeliveredDigestIsRetried: a digest SNS refuses (here: publishing
// is denied) is not lost: the run reports it, and the next run that
// publishes sends the earlier run's notices with its own.
func TestUndeliveredDigestIsRetried(t *testing.T) {
	r := newRig(t, seedSchedules)
	ctx := context.Background()
	r.env.Emu.Advance(day(0, 7, 0).Sub(r.env.Emu.Now()))
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{{
		Operation: "sns:Publish", Code: "AuthorizationError", Message: "not authorized to publish", Status: 403}}})
	rep, err := r.runner.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.NotifyErr == nil || !rep.Failed() {
		t.Fatalf("notify error %v: want the refused publish reported and the run failed", rep.NotifyErr)
	}
	unsent, err := r.store.UnsentNotices(ctx)
	if err != nil || len(unsent) == 0 {
		t.Fatalf("unsent notices %d (%v), want the run's", len(unsent), err)
	}
	r.env.Emu.SetFaults(emulator.FaultConfig{})
	r.env.Emu.Advance(5 * time.Minute)
	if rep, err = r.runner.Run(ctx, false); err != nil || rep.NotifyErr != nil {
		t.Fatalf("second run: %v %v", err, rep.NotifyErr)
	}
	pub := r.env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "undelivered notice of run") || !strings.Contains(pub[0].Message, "dev-alice") {
		t.Errorf("second run's digest does not carry the first run's notices: %+v", pub)
	}
	if unsent, _ := r.store.UnsentNotices(ctx); len(unsent) != 0 {
		t.Errorf("%d notices still unsent", len(unsent))
	}
}
