package policy_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

// prices is a cost table by instance type, $/hour; the monthly cost is
// x 730 x count, as internal/cost computes it, plus volumeMonthly for a
// notebook's volume (which still bills when the notebook is stopped).
var prices = map[string]string{
	"ml.t3.medium": "0.05", "ml.m5.xlarge": "0.23", "ml.g5.xlarge": "1.408", "ml.g5.2xlarge": "1.515",
	"ml.p4d.24xlarge": "25.2512883",
}

func monthly(r resource.Resource) cost.Line {
	l := cost.Line{Resource: r, Basis: cost.PerInstance, Rate: pricing.Unknown, Hourly: pricing.Unknown, Monthly: pricing.Unknown}
	h, ok := prices[r.InstanceType]
	if !ok {
		return l
	}
	l.Rate = pricing.Price{Amount: pricing.MustParseMoney(h), Known: true}
	l.Hourly = pricing.Price{Known: true}
	if r.Running {
		l.Hourly = l.Rate.Mul(int64(r.InstanceCount))
	}
	l.Storage = pricing.Price{Known: true}
	if r.Kind == resource.NotebookInstance {
		l.Storage.Amount = volumeMonthly
	}
	l.Monthly = l.Hourly.Monthly()
	l.Monthly.Amount = l.Monthly.Amount.Add(l.Storage.Amount)
	return l
}

// volumeMonthly is a notebook's ML storage volume per month.
var volumeMonthly = pricing.MustParseMoney("7")

func mustDecode(t *testing.T, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Decode("test.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\n"+doc))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return p
}

func endpoint(name string, variants map[string]string, mod ...func(*resource.Resource)) []resource.Resource {
	var rs []resource.Resource
	for v, typ := range variants {
		r := resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: name, Variant: v,
			Status: "InService", Running: true, InstanceType: typ, InstanceCount: 1, Created: ago(30 * 24 * time.Hour)}
		for _, m := range mod {
			m(&r)
		}
		rs = append(rs, r)
	}
	return rs
}

func notebook(name, typ string, mod ...func(*resource.Resource)) resource.Resource {
	r := resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: name,
		Status: "InService", Running: true, InstanceType: typ, InstanceCount: 1, Started: ago(48 * time.Hour)}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func key(r resource.Resource) resource.ID { return idle.SubjectKey(&r) }

func idleFor(d time.Duration, evidence string) idle.Verdict {
	return idle.Verdict{State: idle.Idle, Since: now.Add(-d), Reason: idle.ReasonNoInvocations, Evidence: evidence, Actionable: true}
}

// summary is a finding reduced to what these tests compare.
type summary struct {
	Rule, Name string
	Steps      []string
	Saves      string
}

func summarize(p policy.Plan) []summary {
	var out []summary
	for _, f := range p.Findings {
		s := summary{Rule: f.Rule, Name: f.Name, Saves: f.Saves().String()}
		for _, st := range f.Steps {
			line := string(st.Status) + " " + string(st.Action.Type)
			if st.Reason != "" {
				line += ": " + st.Reason
			}
			s.Steps = append(s.Steps, line)
		}
		out = append(out, s)
	}
	return out
}

const notifyRule = `rules:
  - name: idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:111111111111:t
`

func TestEvaluateIdleEndpoints(t *testing.T) {
	p := mustDecode(t, notifyRule)
	idleEP := endpoint("idle-ep", map[string]string{"A": "ml.g5.xlarge", "B": "ml.m5.xlarge"})
	busyEP := endpoint("busy-ep", map[string]string{"A": "ml.g5.xlarge", "B": "ml.g5.xlarge"})
	youngEP := endpoint("young-ep", map[string]string{"AllTraffic": "ml.g5.xlarge"})
	protected := endpoint("protected-ep", map[string]string{"AllTraffic": "ml.p4d.24xlarge"}, func(r *resource.Resource) {
		r.Tags = map[string]string{"sagesaver:protect": "", "team": "ml"}
	})
	serverless := endpoint("sls-ep", map[string]string{"AllTraffic": ""}, func(r *resource.Resource) { r.Serverless = true })
	noVerdict := endpoint("no-verdict-ep", map[string]string{"AllTraffic": "ml.g5.xlarge"})
	var rs []resource.Resource
	for _, e := range [][]resource.Resource{idleEP, busyEP, youngEP, protected, serverless, noVerdict} {
		rs = append(rs, e...)
	}
	slsVerdict := idleFor(30*time.Hour, "0 invocations on 1 variant over 24h (no datapoints); serverless: costs nothing when idle, not acted on")
	slsVerdict.Actionable = false
	plan := policy.Evaluate(p, policy.Input{
		Resources: rs,
		Verdicts: map[resource.ID]idle.Verdict{
			key(idleEP[0]):     idleFor(26*time.Hour, "0 invocations on 2 variants over 24h (no datapoints)"),
			key(busyEP[0]):     {State: idle.Active, Reason: idle.ReasonInvocations, Evidence: "412 invocations on variant B over 24h", Actionable: true},
			key(youngEP[0]):    {State: idle.Unknown, Reason: idle.ReasonYoung, Evidence: "in service for 2h, less than the 24h window (no datapoints)"},
			key(protected[0]):  idleFor(72*time.Hour, "0 invocations on 1 variant over 24h (no datapoints)"),
			key(serverless[0]): slsVerdict,
		},
		Price: monthly,
		Now:   now,
	})
	want := []summary{
		{Rule: "idle-endpoints", Name: "idle-ep", Steps: []string{"act notify"}, Saves: "$0.00"},
		{Rule: "idle-endpoints", Name: "young-ep", Steps: []string{"skip notify: unknown: no idle evidence (in service for 2h, less than the 24h window (no datapoints))"}, Saves: "$0.00"},
		{Rule: "idle-endpoints", Name: "protected-ep", Steps: []string{"skip notify: protected: tag sagesaver:protect"}, Saves: "$0.00"},
		{Rule: "idle-endpoints", Name: "sls-ep", Steps: []string{"skip notify: not actionable: " + slsVerdict.Evidence}, Saves: "$0.00"},
		{Rule: "idle-endpoints", Name: "no-verdict-ep", Steps: []string{"skip notify: unknown: no idle evidence (no evidence collected)"}, Saves: "$0.00"},
	}
	// Map iteration built the variants in any order; findings follow the
	// inventory's subject order, which is the order of first appearance.
	if diff := cmp.Diff(want, summarize(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	f := plan.Findings[0]
	if f.Why != "0 invocations on 2 variants over 24h (no datapoints); idle 26h >= 24h" {
		t.Errorf("Why = %q", f.Why)
	}
	// 1.408 + 0.23 per hour, x 730.
	if want := pricing.MustParseMoney("1195.74"); !f.Monthly.Known || !f.Monthly.Amount.Equal(want) {
		t.Errorf("Monthly = %v, want %s", f.Monthly, want)
	}
	if len(f.Resources) != 2 || f.Key.String() != "111111111111/us-east-1/endpoint/idle-ep" {
		t.Errorf("finding groups %d resources under %q, want the endpoint's 2 variants", len(f.Resources), f.Key)
	}
	if plan.Changes != 0 {
		t.Errorf("notify counted as %d changes", plan.Changes)
	}
}

func TestEvaluateExampleDevNotebooks(t *testing.T) {
	p, err := policy.Read(filepath.Join(examplesDir, "dev-notebooks-stop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// agent is a running agent's report: its last activity d ago, checked
	// a minute ago.
	agent := func(d time.Duration) func(*resource.Resource) {
		return func(r *resource.Resource) {
			r.AgentLastActivity = ago(d)
			r.Tags = map[string]string{agenttag.Heartbeat: agenttag.FormatTime(*ago(time.Minute))}
		}
	}
	rs := []resource.Resource{
		notebook("dev-alice", "ml.t3.medium", agent(3*time.Hour)),
		notebook("dev-bob", "ml.g5.xlarge", agent(time.Minute)),
		notebook("prod-carol", "ml.g5.xlarge", agent(30*time.Hour)),
		notebook("dev-dan", "ml.m5.xlarge"),
		notebook("dev-erin", "ml.t3.medium", agent(30*time.Hour), func(r *resource.Resource) { r.Running = false; r.Status = "Stopped" }),
		notebook("dev-frank", "ml.g5.2xlarge", agent(5*time.Hour), func(r *resource.Resource) { r.Tags["sagesaver:protect"] = "true" }),
	}
	verdicts := map[resource.ID]idle.Verdict{}
	for _, r := range rs {
		verdicts[key(r)] = idle.Notebook(r, idle.NotebookEvidence{}, now)
	}
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: verdicts, Price: monthly, Now: now})
	// dev-alice costs $43.50 a month ($36.50 of instance-hours and a $7
	// volume); stopping her saves $36.50: the volume of a stopped notebook
	// still bills.
	want := []summary{
		{Rule: "stop-idle-dev-notebooks", Name: "dev-alice", Steps: []string{"act stop", "act notify"}, Saves: "$36.50"},
		{Rule: "stop-idle-dev-notebooks", Name: "dev-dan", Steps: []string{
			"skip stop: unknown: no idle evidence (unprotected: no auto-stop (no agent and no schedule), running for 2d)",
			"skip notify: unknown: no idle evidence (unprotected: no auto-stop (no agent and no schedule), running for 2d)"}, Saves: "$0.00"},
		{Rule: "stop-idle-dev-notebooks", Name: "dev-frank", Steps: []string{
			"skip stop: protected: tag sagesaver:protect", "skip notify: protected: tag sagesaver:protect"}, Saves: "$0.00"},
		{Rule: "unprotected-dev-notebooks", Name: "dev-dan", Steps: []string{"act notify"}, Saves: "$0.00"},
	}
	if diff := cmp.Diff(want, summarize(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if plan.Changes != 1 {
		t.Errorf("Changes = %d, want 1 (the stop)", plan.Changes)
	}
	if s, unknown := plan.Savings(); !s.Equal(pricing.MustParseMoney("36.5")) || unknown != 0 {
		t.Errorf("Savings = %s, %d", s.Plain(), unknown)
	}
}

func TestEvaluateRunLimit(t *testing.T) {
	p := mustDecode(t, `maxActions: 3
rules:
  - name: stop-idle
    resource: notebook-instance
    conditions: {idleFor: 1h}
    actions: [{type: stop}]
`)
	types := []string{"ml.t3.medium", "ml.p4d.24xlarge", "ml.m5.xlarge", "ml.g5.xlarge", "ml.g5.2xlarge"}
	var rs []resource.Resource
	verdicts := map[resource.ID]idle.Verdict{}
	for i, typ := range types {
		r := notebook(fmt.Sprintf("nb-%d", i), typ)
		rs = append(rs, r)
		verdicts[key(r)] = idleFor(2*time.Hour, "agent idle")
	}
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: verdicts, Price: monthly, Now: now})
	var acted, skipped []string
	for _, f := range plan.Findings {
		switch st := f.Steps[0]; st.Status {
		case policy.Act:
			acted = append(acted, f.Name)
		case policy.Skip:
			if st.Reason != "skipped: run limit (maxActions 3)" {
				t.Errorf("%s: reason %q", f.Name, st.Reason)
			}
			skipped = append(skipped, f.Name)
		}
	}
	// The three most expensive act: p4d, g5.2xlarge, g5.xlarge.
	if diff := cmp.Diff([]string{"nb-1", "nb-3", "nb-4"}, acted); diff != "" {
		t.Errorf("acted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nb-0", "nb-2"}, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if plan.Changes != 3 || plan.Limit != 3 {
		t.Errorf("Changes = %d, Limit = %d", plan.Changes, plan.Limit)
	}
	// 25.2512883 + 1.515 + 1.408 per hour, x 730, exactly.
	want := pricing.MustParseMoney("25.2512883").Add(pricing.MustParseMoney("1.515")).Add(pricing.MustParseMoney("1.408")).Mul(730)
	if got, _ := plan.Savings(); !got.Equal(want) {
		t.Errorf("Savings = %s, want %s", got.Plain(), want.Plain())
	}
}

func TestEvaluateConditions(t *testing.T) {
	p := mustDecode(t, `rules:
  - name: costly-idle
    resource: notebook-instance
    match:
      tags: [team=ml]
      instanceFamily: [gpu]
    exclude:
      names: ["*-keep"]
      tags: [owner=ceo]
    conditions:
      idleFor: 4h
      runningFor: 24h
      costAbove: $100/month
    actions: [{type: stop}]
`)
	ml := func(r *resource.Resource) {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		r.Tags["team"] = "ml"
	}
	rs := []resource.Resource{
		notebook("gpu-idle", "ml.g5.xlarge", ml),
		notebook("gpu-short-idle", "ml.g5.xlarge", ml),
		notebook("gpu-new", "ml.g5.xlarge", ml, func(r *resource.Resource) { r.Started = ago(time.Hour) }),
		notebook("cpu-idle", "ml.m5.xlarge", ml),
		notebook("gpu-other-team", "ml.g5.xlarge"),
		notebook("gpu-keep", "ml.g5.xlarge", ml),
		notebook("gpu-ceo", "ml.g5.xlarge", ml, func(r *resource.Resource) { r.Tags["owner"] = "ceo" }),
		notebook("gpu-unpriced", "ml.g6.xlarge", ml),
		notebook("gpu-no-start", "ml.g5.xlarge", ml, func(r *resource.Resource) { r.Started = nil }),
	}
	verdicts := map[resource.ID]idle.Verdict{}
	for _, r := range rs {
		verdicts[key(r)] = idleFor(6*time.Hour, "agent idle")
	}
	verdicts[key(rs[1])] = idleFor(time.Hour, "agent idle")
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: verdicts, Price: monthly, Now: now})
	want := []summary{
		{Rule: "costly-idle", Name: "gpu-idle", Steps: []string{"act stop"}, Saves: "$1,027.84"},
		{Rule: "costly-idle", Name: "gpu-keep", Steps: []string{"skip stop: excluded: by name *-keep"}, Saves: "$0.00"},
		{Rule: "costly-idle", Name: "gpu-ceo", Steps: []string{"skip stop: excluded: by tag owner=ceo"}, Saves: "$0.00"},
		{Rule: "costly-idle", Name: "gpu-unpriced", Steps: []string{"skip stop: unknown: cost not known"}, Saves: "$0.00"},
		{Rule: "costly-idle", Name: "gpu-no-start", Steps: []string{"skip stop: unknown: start time not known"}, Saves: "$0.00"},
	}
	if diff := cmp.Diff(want, summarize(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	// costAbove judges what the notebook costs (its volume included);
	// the stop saves only the instance-hours (the volume still bills).
	if got := plan.Findings[0].Why; got != "agent idle; idle 6h >= 4h; running 2d >= 24h; $1,034.84/month > $100/month" {
		t.Errorf("Why = %q", got)
	}
}

func TestEvaluateWarnThenAct(t *testing.T) {
	p, err := policy.Read(filepath.Join(examplesDir, "endpoints-warn-then-delete.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	marked := func(r *resource.Resource) { r.Tags = map[string]string{"sagesaver:marked": "delete after ..."} }
	fresh := endpoint("fresh", map[string]string{"AllTraffic": "ml.g5.xlarge"})
	waiting := endpoint("waiting", map[string]string{"AllTraffic": "ml.g5.xlarge"}, marked)
	due := endpoint("due", map[string]string{"AllTraffic": "ml.g5.xlarge"}, marked)
	removed := endpoint("tag-removed", map[string]string{"AllTraffic": "ml.g5.xlarge"})
	woke := endpoint("woke-up", map[string]string{"AllTraffic": "ml.g5.xlarge"}, marked)
	unknown := endpoint("unknown-now", map[string]string{"AllTraffic": "ml.g5.xlarge"}, marked)
	prod := endpoint("api-prod", map[string]string{"AllTraffic": "ml.g5.xlarge"})
	var rs []resource.Resource
	for _, e := range [][]resource.Resource{fresh, waiting, due, removed, woke, unknown, prod} {
		rs = append(rs, e...)
	}
	idle4d := idleFor(4*24*time.Hour, "0 invocations on 1 variant over 24h (no datapoints)")
	verdicts := map[resource.ID]idle.Verdict{
		key(fresh[0]): idle4d, key(waiting[0]): idle4d, key(due[0]): idle4d, key(removed[0]): idle4d, key(prod[0]): idle4d,
		key(woke[0]):    {State: idle.Active, Evidence: "3 invocations on variant AllTraffic over 24h", Actionable: true},
		key(unknown[0]): {State: idle.Unknown, Evidence: "CloudWatch error: Throttling"},
	}
	rule := "delete-idle-endpoints"
	marks := []policy.Mark{
		{Key: key(waiting[0]), Rule: rule, MarkedAt: now.Add(-24 * time.Hour), ActAfter: now.Add(48 * time.Hour)},
		{Key: key(due[0]), Rule: rule, MarkedAt: now.Add(-73 * time.Hour), ActAfter: now.Add(-time.Hour)},
		{Key: key(removed[0]), Rule: rule, MarkedAt: now.Add(-73 * time.Hour), ActAfter: now.Add(-time.Hour)},
		{Key: key(woke[0]), Rule: rule, MarkedAt: now.Add(-73 * time.Hour), ActAfter: now.Add(-time.Hour)},
		{Key: key(unknown[0]), Rule: rule, MarkedAt: now.Add(-73 * time.Hour), ActAfter: now.Add(-time.Hour)},
	}
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: verdicts, Marks: marks, Price: monthly, Now: now})
	want := []summary{
		{Rule: rule, Name: "fresh", Steps: []string{
			"act mark: mark with tag sagesaver:marked: delete after 2026-11-28T12:00:00Z unless the tag is removed", "act notify"}, Saves: "$0.00"},
		{Rule: rule, Name: "waiting", Steps: []string{"skip mark: marked: delete after 2026-11-27T12:00:00Z", "act notify"}, Saves: "$0.00"},
		{Rule: rule, Name: "due", Steps: []string{"act delete: marked 2026-11-22T11:00:00Z, grace over", "act notify"}, Saves: "$1,027.84"},
		{Rule: rule, Name: "tag-removed", Steps: []string{"act unmark: the owner removed tag sagesaver:marked: delete cancelled", "act notify"}, Saves: "$0.00"},
		{Rule: rule, Name: "woke-up", Steps: []string{"act unmark: no longer meets the rule: active"}, Saves: "$0.00"},
		{Rule: rule, Name: "unknown-now", Steps: []string{
			"skip mark: unknown: no idle evidence (CloudWatch error: Throttling)", "skip notify: unknown: no idle evidence (CloudWatch error: Throttling)"}, Saves: "$0.00"},
		{Rule: rule, Name: "api-prod", Steps: []string{"skip mark: excluded: by name *-prod", "skip notify: excluded: by name *-prod"}, Saves: "$0.00"},
	}
	if diff := cmp.Diff(want, summarize(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if st := plan.Findings[2].Steps[0]; !st.FromMark {
		t.Error("the due delete is not flagged FromMark")
	}
	if st := plan.Findings[0].Steps[0]; !st.ActAfter.Equal(now.Add(72 * time.Hour)) {
		t.Errorf("ActAfter = %v", st.ActAfter)
	}
}

func TestEvaluateStudioAndRuleOrder(t *testing.T) {
	p := mustDecode(t, `rules:
  - name: domains
    resource: studio-domain
    conditions: {unprotected: true}
    actions: [{type: set-idle-shutdown, timeoutMinutes: 60}]
  - name: tag-domains
    resource: studio-domain
    conditions: {unprotected: true}
    actions: [{type: tag, tags: {sagesaver:seen: "yes"}}]
`)
	on, off := true, false
	rs := []resource.Resource{
		{Account: "1", Region: "r", Kind: resource.StudioDomain, Name: "d-off", IdleShutdown: &off},
		{Account: "1", Region: "r", Kind: resource.StudioDomain, Name: "d-on", IdleShutdown: &on},
		{Account: "1", Region: "r", Kind: resource.StudioDomain, Name: "d-unknown"},
	}
	verdicts := map[resource.ID]idle.Verdict{}
	for _, r := range rs {
		verdicts[key(r)] = idle.Studio(r, now)
	}
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: verdicts, Price: monthly, Now: now})
	want := []summary{
		{Rule: "domains", Name: "d-off", Steps: []string{"act set-idle-shutdown"}, Saves: "$0.00"},
		{Rule: "domains", Name: "d-unknown", Steps: []string{"skip set-idle-shutdown: unknown: idle shutdown setting of the domain not known"}, Saves: "$0.00"},
		{Rule: "tag-domains", Name: "d-off", Steps: []string{"skip tag: already acted on by rule domains"}, Saves: "$0.00"},
		{Rule: "tag-domains", Name: "d-unknown", Steps: []string{"skip tag: unknown: idle shutdown setting of the domain not known"}, Saves: "$0.00"},
	}
	if diff := cmp.Diff(want, summarize(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestEvaluateUnvalidatedPolicyMatchesNothing(t *testing.T) {
	p := &policy.Policy{APIVersion: policy.APIVersion, Kind: policy.FileKind, Rules: []policy.Rule{{
		Name: "x", Resource: policy.KindNotebook, Actions: []policy.Action{{Type: policy.Stop}}}}}
	r := notebook("nb", "ml.t3.medium")
	plan := policy.Evaluate(p, policy.Input{Resources: []resource.Resource{r},
		Verdicts: map[resource.ID]idle.Verdict{key(r): idleFor(time.Hour, "x")}, Now: now})
	if len(plan.Findings) != 0 {
		t.Errorf("an unvalidated policy produced %d findings", len(plan.Findings))
	}
	if !strings.Contains(string(policy.Schema()), `"$schema"`) {
		t.Error("Schema() is empty")
	}
}

// TestStepHourlyIsTheSaving: a step's Hourly (what the ledger records) and
// Saves (what plan shows) are one saving, from cost.Saves.
func TestStepHourlyIsTheSaving(t *testing.T) {
	p := mustDecode(t, `rules:
  - name: stop-idle
    resource: notebook-instance
    conditions:
      idleFor: 1h
    actions:
      - type: stop
`)
	nb := notebook("dev-bob", "ml.g5.xlarge")
	plan := policy.Evaluate(p, policy.Input{Resources: []resource.Resource{nb},
		Verdicts: map[resource.ID]idle.Verdict{key(nb): idleFor(5*time.Hour, "agent idle")}, Price: monthly, Now: now})
	st := plan.Findings[0].Steps[0]
	if got, want := st.Hourly.String(), "$1.41"; got != want {
		t.Errorf("Hourly = %s, want %s", got, want)
	}
	if st.Saves.Amount.Cmp(st.Hourly.Amount.Mul(pricing.HoursPerMonth)) != 0 {
		t.Errorf("Saves %s is not Hourly %s x 730", st.Saves, st.Hourly)
	}
	if got := plan.Findings[0].Monthly.String(); got != "$1,034.84" {
		t.Errorf("Monthly = %s, want the notebook's cost with its volume, $1,034.84", got)
	}
}

// A notify rule tells about a subject once per idle streak: the notified
// mark silences it until the mark's ActAfter (renotifyAfter after the
// notice), and a streak that began after the notice (the endpoint was
// active in between) is told about at once.
func TestEvaluateNotifyOncePerStreak(t *testing.T) {
	p := mustDecode(t, `rules:
  - name: tell
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:111111111111:t
`)
	if got := p.Rules[0].Renotify(); got != policy.DefaultRenotifyAfter {
		t.Errorf("default renotify %s, want %s", got, policy.DefaultRenotifyAfter)
	}
	rs := endpoint("ep", map[string]string{"A": "ml.m5.xlarge"})
	k := key(rs[0])
	notifyStep := func(v idle.Verdict, marks []policy.Mark) policy.Step {
		t.Helper()
		plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: map[resource.ID]idle.Verdict{k: v}, Marks: marks, Price: monthly, Now: now})
		if len(plan.Findings) != 1 || len(plan.Findings[0].Steps) != 1 {
			t.Fatalf("plan %+v, want one finding with one step", plan.Findings)
		}
		return plan.Findings[0].Steps[0]
	}
	s := notifyStep(idleFor(48*time.Hour, "idle"), nil)
	if s.Status != policy.Act || !s.ActAfter.Equal(now.Add(24*time.Hour)) {
		t.Errorf("never notified: %s until %s, want act, again after 24h", s.Status, s.ActAfter)
	}
	told := []policy.Mark{{Key: k, Rule: policy.NotifiedMarkRule("tell"), MarkedAt: now.Add(-time.Hour), ActAfter: now.Add(23 * time.Hour)}}
	s = notifyStep(idleFor(48*time.Hour, "idle"), told)
	if s.Status != policy.Skip || !strings.HasPrefix(s.Reason, policy.ReasonNotified+" at 2026-11-25T11:00:00Z") {
		t.Errorf("told an hour ago, same streak: %s %q, want skipped as already notified", s.Status, s.Reason)
	}
	s = notifyStep(idleFor(30*time.Hour, "idle"), []policy.Mark{{Key: k, Rule: policy.NotifiedMarkRule("tell"), MarkedAt: now.Add(-25 * time.Hour), ActAfter: now.Add(-time.Hour)}})
	if s.Status != policy.Act {
		t.Errorf("renotify interval over: %s %q, want act", s.Status, s.Reason)
	}
	// Told 30h ago; active since, idle again for the last 25h: a new streak.
	s = notifyStep(idleFor(25*time.Hour, "idle"), []policy.Mark{{Key: k, Rule: policy.NotifiedMarkRule("tell"), MarkedAt: now.Add(-30 * time.Hour), ActAfter: now.Add(time.Hour)}})
	if s.Status != policy.Act {
		t.Errorf("new idle streak after the notice: %s %q, want act", s.Status, s.Reason)
	}
	// The notified mark is not the rule's own mark: no unmark when active.
	plan := policy.Evaluate(p, policy.Input{Resources: rs, Verdicts: map[resource.ID]idle.Verdict{k: {State: idle.Active, Actionable: true, Evidence: "busy"}},
		Marks: told, Price: monthly, Now: now})
	if len(plan.Findings) != 0 {
		t.Errorf("active endpoint with a notified mark: %+v, want no finding", plan.Findings)
	}
}
