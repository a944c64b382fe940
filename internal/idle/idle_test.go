package idle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/resource"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

func variant(name string, created time.Duration, mod ...func(*resource.Resource)) resource.Resource {
	r := resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint,
		Name: "ep", Variant: name, Status: "InService", Running: true, InstanceType: "ml.g5.xlarge",
		InstanceCount: 1, Created: ago(created), LastModified: ago(created)}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func window(d time.Duration, series ...idle.Series) idle.EndpointEvidence {
	return idle.EndpointEvidence{Start: now.Add(-d), End: now, Series: series}
}

func inv(variant string, sum float64, points int) idle.Series {
	return idle.Series{Metric: idle.MetricInvocations, Variant: variant, Sum: sum, Max: sum, Datapoints: points, Complete: true}
}

func TestEndpoint(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		rs   []resource.Resource
		ev   idle.EndpointEvidence
		want idle.Verdict
	}{
		{
			name: "idle on every variant",
			rs:   []resource.Resource{variant("A", 3*day), variant("B", 3*day)},
			ev:   window(day, inv("A", 0, 0), inv("B", 0, 0)),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-day), Reason: idle.ReasonNoInvocations, Actionable: true,
				Evidence: "0 invocations on 2 variants over 24h (no datapoints)"},
		},
		{
			name: "idle on A while B has traffic is active",
			rs:   []resource.Resource{variant("A", 3*day), variant("B", 3*day)},
			ev:   window(day, inv("A", 0, 0), inv("B", 412, 96)),
			want: idle.Verdict{State: idle.Active, Reason: idle.ReasonInvocations, Actionable: true,
				Evidence: "412 invocations on variant B over 24h"},
		},
		{
			name: "created 2h ago with no datapoints is unknown",
			rs:   []resource.Resource{variant("AllTraffic", 2*time.Hour)},
			ev:   window(day, inv("AllTraffic", 0, 0)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonYoung,
				Evidence: "in service for 2h, less than the 24h window (no datapoints)"},
		},
		{
			name: "updated 2h ago is judged from the update",
			rs: []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) {
				r.LastModified = ago(2 * time.Hour)
			})},
			ev:   window(day, inv("AllTraffic", 0, 0)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonYoung, Evidence: "in service for 2h, less than the 24h window (no datapoints)"},
		},
		{
			name: "young endpoint with traffic is active",
			rs:   []resource.Resource{variant("AllTraffic", 2*time.Hour)},
			ev:   window(day, inv("AllTraffic", 3, 2)),
			want: idle.Verdict{State: idle.Active, Reason: idle.ReasonInvocations, Actionable: true,
				Evidence: "3 invocations on variant AllTraffic over 24h"},
		},
		{
			name: "cloudwatch error is unknown even with zero sums",
			rs:   []resource.Resource{variant("AllTraffic", 3*day)},
			ev: func() idle.EndpointEvidence {
				e := window(day, inv("AllTraffic", 0, 0))
				e.Err = errors.New("Throttling: Rate exceeded")
				return e
			}(),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonMetricsError, Evidence: "CloudWatch error: Throttling: Rate exceeded"},
		},
		{
			name: "missing series for a variant is unknown",
			rs:   []resource.Resource{variant("A", 3*day), variant("B", 3*day)},
			ev:   window(day, inv("A", 0, 0)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no complete Invocations data for variant B over 24h"},
		},
		{
			name: "partial data is unknown",
			rs:   []resource.Resource{variant("A", 3*day)},
			ev:   window(day, idle.Series{Metric: idle.MetricInvocations, Variant: "A", Complete: false}),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no complete Invocations data for variant A over 24h"},
		},
		{
			name: "inference component with traffic is active",
			rs: []resource.Resource{variant("AllTraffic", 3*day),
				{Kind: resource.InferenceComponent, Name: "ic-1", Parent: "ep", Running: true}},
			ev: window(day, inv("AllTraffic", 0, 0),
				idle.Series{Metric: idle.MetricInvocations, Component: "ic-1", Sum: 7, Datapoints: 3, Complete: true}),
			want: idle.Verdict{State: idle.Active, Reason: idle.ReasonInvocations, Actionable: true,
				Evidence: "7 invocations on inference component ic-1 over 24h"},
		},
		{
			name: "inference component without data is unknown",
			rs: []resource.Resource{variant("AllTraffic", 3*day),
				{Kind: resource.InferenceComponent, Name: "ic-1", Parent: "ep", Running: true}},
			ev:   window(day, inv("AllTraffic", 0, 0)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no complete Invocations data for inference component ic-1 over 24h"},
		},
		{
			name: "idle with a component",
			rs: []resource.Resource{variant("AllTraffic", 3*day),
				{Kind: resource.InferenceComponent, Name: "ic-1", Parent: "ep", Running: true}},
			ev: window(day, inv("AllTraffic", 0, 0),
				idle.Series{Metric: idle.MetricInvocations, Component: "ic-1", Complete: true}),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-day), Reason: idle.ReasonNoInvocations, Actionable: true,
				Evidence: "0 invocations on 1 variant and 1 inference component over 24h (no datapoints)"},
		},
		{
			name: "async with backlog is active",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Async = true })},
			ev: window(day,
				idle.Series{Metric: idle.MetricBacklog, Max: 7, Datapoints: 1440, Complete: true},
				idle.Series{Metric: idle.MetricAsyncProcessed, Complete: true}),
			want: idle.Verdict{State: idle.Active, Reason: idle.ReasonBacklog, Actionable: true,
				Evidence: "backlog of up to 7 requests over 24h"},
		},
		{
			name: "async processing requests is active",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Async = true })},
			ev: window(day,
				idle.Series{Metric: idle.MetricBacklog, Datapoints: 1440, Complete: true},
				idle.Series{Metric: idle.MetricAsyncProcessed, Sum: 20, Datapoints: 4, Complete: true}),
			want: idle.Verdict{State: idle.Active, Reason: idle.ReasonAsyncProcessed, Actionable: true,
				Evidence: "20 requests processed over 24h"},
		},
		{
			name: "async without backlog and nothing processed is idle, Invocations not needed",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Async = true })},
			ev: window(day,
				idle.Series{Metric: idle.MetricBacklog, Datapoints: 1440, Complete: true},
				idle.Series{Metric: idle.MetricAsyncProcessed, Complete: true}),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-day), Reason: idle.ReasonNoInvocations, Actionable: true,
				Evidence: "asynchronous: no backlog and 0 requests processed over 24h (1440 datapoints)"},
		},
		{
			name: "async without backlog data is unknown",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Async = true })},
			ev:   window(day, inv("AllTraffic", 0, 0), idle.Series{Metric: idle.MetricAsyncProcessed, Complete: true}),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no complete ApproximateBacklogSize data over 24h"},
		},
		{
			name: "serverless idle is reported, not actionable",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Serverless = true; r.InstanceType = "" })},
			ev:   window(day, inv("AllTraffic", 0, 0)),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-day), Reason: idle.ReasonNoInvocations, Actionable: false,
				Evidence: "0 invocations on 1 variant over 24h (no datapoints); serverless: costs nothing when idle, not acted on"},
		},
		{
			name: "updating endpoint without traffic is unknown",
			rs:   []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Status = "Updating" })},
			ev:   window(day, inv("AllTraffic", 0, 0)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNotInService, Evidence: "status Updating, not InService"},
		},
		{
			name: "failed endpoint is not billed",
			rs: []resource.Resource{variant("AllTraffic", 3*day, func(r *resource.Resource) {
				r.Status = "Failed"
				r.Running = false
			})},
			ev:   window(day),
			want: idle.Verdict{State: idle.Stopped, Reason: idle.ReasonNotRunning, Evidence: "status Failed: not billed"},
		},
		{
			name: "window ending in the future is unknown",
			rs:   []resource.Resource{variant("AllTraffic", 3*day)},
			ev:   idle.EndpointEvidence{Start: now.Add(-day), End: now.Add(time.Hour), Series: []idle.Series{inv("AllTraffic", 0, 0)}},
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no valid metrics window"},
		},
		{
			name: "no window is unknown",
			rs:   []resource.Resource{variant("AllTraffic", 3*day)},
			ev:   idle.EndpointEvidence{},
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no valid metrics window"},
		},
		{
			name: "no variants",
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no endpoint variants in the inventory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := idle.Endpoint(tt.rs, tt.ev, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Endpoint() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotebook(t *testing.T) {
	nb := func(mod ...func(*resource.Resource)) resource.Resource {
		r := resource.Resource{Kind: resource.NotebookInstance, Name: "dev-alice", Status: "InService", Running: true,
			InstanceType: "ml.t3.medium", Created: ago(30 * 24 * time.Hour), Started: ago(50 * time.Hour)}
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	// agent is an agent's report: its last activity, and its heartbeat
	// (nil: an agent from before heartbeats).
	agent := func(last, heartbeat *time.Time) func(*resource.Resource) {
		return func(r *resource.Resource) {
			r.AgentLastActivity = last
			r.Tags = map[string]string{agenttag.LastActivity: agenttag.FormatTime(*last)}
			if heartbeat != nil {
				r.Tags[agenttag.Heartbeat] = agenttag.FormatTime(*heartbeat)
			}
		}
	}
	checked := ago(2 * time.Minute)
	tests := []struct {
		name string
		r    resource.Resource
		ev   idle.NotebookEvidence
		want idle.Verdict
	}{
		{
			name: "agent idle for 26h",
			r:    nb(agent(ago(26*time.Hour), checked)),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-26 * time.Hour), Reason: idle.ReasonAgentIdle, Actionable: true,
				Evidence: "no activity for 26h (agent, last at 2026-11-24T10:00:00Z)"},
		},
		{
			name: "agent saw activity a minute ago",
			r:    nb(agent(ago(time.Minute), checked)),
			want: idle.Verdict{State: idle.Active, Since: now.Add(-time.Minute), Reason: idle.ReasonAgentActive, Actionable: true,
				Evidence: "agent saw activity at 2026-11-25T11:59:00Z"},
		},
		{
			name: "agent wins over schedule",
			r:    nb(agent(ago(3*time.Hour), checked)),
			ev:   idle.NotebookEvidence{Schedule: "office-hours"},
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-3 * time.Hour), Reason: idle.ReasonAgentIdle, Actionable: true,
				Evidence: "no activity for 3h (agent, last at 2026-11-25T09:00:00Z)"},
		},
		{
			name: "no agent, no schedule: unprotected",
			r:    nb(),
			want: idle.Verdict{State: idle.Unprotected, Reason: idle.ReasonNoAgent, Actionable: true,
				Evidence: "unprotected: no auto-stop (no agent and no schedule), running for 50h"},
		},
		{
			name: "no agent but a schedule: managed",
			r:    nb(),
			ev:   idle.NotebookEvidence{Schedule: "office-hours"},
			want: idle.Verdict{State: idle.Managed, Reason: idle.ReasonScheduled, Actionable: true,
				Evidence: "no agent; stopped by schedule office-hours"},
		},
		{
			name: "restarted after the last activity: idle since the start, not before",
			r:    nb(agent(ago(72*time.Hour), checked), func(r *resource.Resource) { r.Started = ago(3 * time.Hour) }),
			want: idle.Verdict{State: idle.Idle, Since: now.Add(-3 * time.Hour), Reason: idle.ReasonAgentIdle, Actionable: true,
				Evidence: "no activity for 3h, since it started (agent, last activity before the start)"},
		},
		{
			name: "started a minute ago with an old tag is active",
			r:    nb(agent(ago(72*time.Hour), ago(30*time.Second)), func(r *resource.Resource) { r.Started = ago(time.Minute) }),
			want: idle.Verdict{State: idle.Active, Since: now.Add(-time.Minute), Reason: idle.ReasonAgentActive, Actionable: true,
				Evidence: "started at 2026-11-25T11:59:00Z"},
		},
		{
			// The agent died 21 minutes ago: its tag froze at an activity
			// 26 hours old. It may be busy now: unknown, never idle.
			name: "frozen tag: heartbeat older than two tag intervals",
			r:    nb(agent(ago(26*time.Hour), ago(21*time.Minute))),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonAgentStale, Actionable: true,
				Evidence: "agent last checked 21m ago (at 2026-11-25T11:39:00Z), more than 20m: not running?"},
		},
		{
			name: "an agent from before heartbeats: freshness unknown",
			r:    nb(agent(ago(26*time.Hour), nil)),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonAgentStale, Actionable: true,
				Evidence: "agent tag has no heartbeat (sagesaver:heartbeat; an older agent): last activity 2026-11-24T10:00:00Z not known to be current"},
		},
		{
			name: "restarted and the agent has not checked since",
			r:    nb(agent(ago(72*time.Hour), ago(10*time.Minute)), func(r *resource.Resource) { r.Started = ago(5 * time.Minute) }),
			want: idle.Verdict{State: idle.Unknown, Reason: idle.ReasonAgentStale, Actionable: true,
				Evidence: "agent has not checked since the start at 2026-11-25T11:55:00Z"},
		},
		{
			// A machine in use publishes a new time only every tag
			// interval: 15 minutes is within what the tag cannot tell
			// from activity (agenttag.Fresh).
			name: "activity 15 minutes ago, heartbeat 14 minutes ago: active",
			r:    nb(agent(ago(15*time.Minute), ago(14*time.Minute))),
			want: idle.Verdict{State: idle.Active, Since: now.Add(-15 * time.Minute), Reason: idle.ReasonAgentActive, Actionable: true,
				Evidence: "agent saw activity at 2026-11-25T11:45:00Z"},
		},
		{
			name: "stopped notebook",
			r: nb(func(r *resource.Resource) {
				r.Status = "Stopped"
				r.Running = false
				r.AgentLastActivity = ago(48 * time.Hour)
			}),
			want: idle.Verdict{State: idle.Stopped, Reason: idle.ReasonNotRunning, Evidence: "status Stopped: not billed for instance hours"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := idle.Notebook(tt.r, tt.ev, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Notebook() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStudio(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		r    resource.Resource
		want idle.Verdict
	}{
		{"domain without idle shutdown", resource.Resource{Kind: resource.StudioDomain, Name: "d-1", IdleShutdown: &no},
			idle.Verdict{State: idle.Unprotected, Reason: idle.ReasonNoIdleShutdown, Actionable: true, Evidence: "unprotected: domain has no built-in idle shutdown"}},
		{"space with idle shutdown", resource.Resource{Kind: resource.StudioSpace, Name: "s-1", IdleShutdown: &yes},
			idle.Verdict{State: idle.Managed, Reason: idle.ReasonIdleShutdown, Actionable: true, Evidence: "space has built-in idle shutdown"}},
		{"domain with setting unknown", resource.Resource{Kind: resource.StudioDomain, Name: "d-2"},
			idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "idle shutdown setting of the domain not known"}},
		{"app goes to the app detector", resource.Resource{Kind: resource.StudioApp, Name: "default", Running: true, AgentLastActivity: ago(2 * time.Hour),
			Tags: map[string]string{agenttag.Heartbeat: agenttag.FormatTime(*ago(time.Minute))}},
			idle.Verdict{State: idle.Idle, Since: now.Add(-2 * time.Hour), Reason: idle.ReasonAgentIdle, Actionable: true, Evidence: "no activity for 2h (agent, last at 2026-11-25T10:00:00Z)"}},
		{"training job is unsupported", resource.Resource{Kind: resource.TrainingJob, Name: "j"},
			idle.Verdict{State: idle.Unknown, Reason: idle.ReasonUnsupported, Evidence: "no idle detector for training-job"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, idle.Studio(tt.r, now)); diff != "" {
				t.Errorf("Studio() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStudioAppLastUserActivityIsNotActivity documents that DescribeApp's
// LastUserActivityTimestamp never decides a verdict: AWS refreshes it on
// the app's health checks, so a recent value does not mean use and an old
// one (which health checks would have refreshed anyway) does not mean idle.
func TestStudioAppLastUserActivityIsNotActivity(t *testing.T) {
	app := resource.Resource{Kind: resource.StudioApp, Name: "default", AppType: "JupyterLab", Status: "InService", Running: true}
	for _, last := range []*time.Time{nil, ago(time.Minute), ago(30 * 24 * time.Hour)} {
		got := idle.StudioApp(app, idle.StudioAppEvidence{LastUserActivity: last}, now)
		if got.State != idle.Unknown || got.Reason != idle.ReasonNoAgent {
			t.Errorf("LastUserActivity=%v: got %s (%s), want unknown (no-agent)", last, got.State, got.Reason)
		}
	}
	// With the agent, the agent decides, whatever LastUserActivity says.
	app.AgentLastActivity = ago(10 * time.Hour)
	app.Tags = map[string]string{agenttag.Heartbeat: agenttag.FormatTime(*ago(time.Minute))}
	got := idle.StudioApp(app, idle.StudioAppEvidence{LastUserActivity: ago(time.Minute)}, now)
	if got.State != idle.Idle {
		t.Errorf("agent idle 10h, LastUserActivity 1m ago: got %s, want idle", got.State)
	}
	d, ok := got.IdleFor(now)
	if !ok || d != 10*time.Hour {
		t.Errorf("IdleFor = %v, %v; want 10h, true", d, ok)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 48 * time.Hour: "2d", 50 * time.Hour: "50h", 150 * time.Minute: "2h30m",
		45 * time.Minute: "45m", 30 * time.Second: "30s", -time.Hour: "-1h",
	} {
		if got := idle.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSubjectKey(t *testing.T) {
	a := variant("A", time.Hour)
	b := variant("B", time.Hour)
	if idle.SubjectKey(&a) != idle.SubjectKey(&b) || idle.SubjectKey(&a).String() != "111111111111/us-east-1/endpoint/ep" {
		t.Errorf("variants of one endpoint must share a key: %q, %q", idle.SubjectKey(&a), idle.SubjectKey(&b))
	}
	nb := resource.Resource{Account: "1", Region: "r", Kind: resource.NotebookInstance, Name: "n"}
	if idle.SubjectKey(&nb) != nb.ID() {
		t.Errorf("notebook key %q, want %q", idle.SubjectKey(&nb), nb.ID())
	}
}

// TestEndpointQueriesFeedEndpoint checks the contract between the queries
// and the detector: answering every query with a complete, empty series
// makes an old endpoint idle, and leaving any one out makes it unknown.
func TestEndpointQueriesFeedEndpoint(t *testing.T) {
	day := 24 * time.Hour
	fleets := map[string][]resource.Resource{
		"two variants": {variant("A", 3*day), variant("B", 3*day)},
		"component": {variant("AllTraffic", 3*day),
			{Kind: resource.InferenceComponent, Name: "ic-1", Parent: "ep", Running: true}},
		"async": {variant("AllTraffic", 3*day, func(r *resource.Resource) { r.Async = true })},
	}
	for name, rs := range fleets {
		t.Run(name, func(t *testing.T) {
			qs := idle.EndpointQueries(rs)
			if len(qs) == 0 {
				t.Fatal("no queries")
			}
			answer := func(skip int) idle.EndpointEvidence {
				ev := window(day)
				for i, q := range qs {
					if i != skip {
						ev.Series = append(ev.Series, idle.Series{Metric: q.Metric, Variant: q.Variant, Component: q.Component, Complete: true})
					}
				}
				return ev
			}
			if v := idle.Endpoint(rs, answer(-1), now); v.State != idle.Idle {
				t.Errorf("all answered: %s (%s), want idle", v.State, v.Evidence)
			}
			for i := range qs {
				if v := idle.Endpoint(rs, answer(i), now); v.State != idle.Unknown {
					t.Errorf("query %d (%s) unanswered: %s, want unknown", i, qs[i].Metric, v.State)
				}
			}
			for _, q := range qs {
				if q.Namespace != "AWS/SageMaker" || len(q.Dimensions) == 0 || (q.Stat != "Sum" && q.Stat != "Maximum") {
					t.Errorf("malformed query %+v", q)
				}
			}
		})
	}
}
