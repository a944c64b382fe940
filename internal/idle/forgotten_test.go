package idle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/resource"
)

func TestCanvas(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	app := resource.Resource{Kind: resource.CanvasApp, Name: "dana/Canvas/default", Parent: "d-1", Status: "InService", Running: true}
	end := now
	start := end.Add(-idle.CanvasWindow)
	ev := func(latestAgo time.Duration, secs float64) idle.CanvasEvidence {
		return idle.CanvasEvidence{Start: start, End: end, Latest: end.Add(-latestAgo), Seconds: secs, Complete: true}
	}
	cases := []struct {
		name  string
		r     resource.Resource
		ev    idle.CanvasEvidence
		state idle.State
		idle  time.Duration // for Idle
	}{
		{"idle since yesterday", app, ev(time.Minute, 22*3600), idle.Idle, 22 * time.Hour},
		{"active an hour ago: idle for an hour only", app, ev(time.Minute, 3600), idle.Idle, time.Hour},
		{"active a minute ago", app, ev(time.Minute, 0), idle.Active, 0},
		{"no datapoint: unknown, never idle", app, idle.CanvasEvidence{Start: start, End: end, Complete: true}, idle.Unknown, 0},
		{"partial data", app, idle.CanvasEvidence{Start: start, End: end, Latest: end.Add(-time.Minute), Seconds: 80000}, idle.Unknown, 0},
		{"newest datapoint 10 minutes old", app, ev(10*time.Minute, 80000), idle.Unknown, 0},
		{"CloudWatch error", app, idle.CanvasEvidence{Start: start, End: end, Err: errors.New("throttled")}, idle.Unknown, 0},
		{"deleted app", resource.Resource{Kind: resource.CanvasApp, Status: "Deleted"}, ev(time.Minute, 80000), idle.Stopped, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := idle.Canvas(tc.r, tc.ev, now)
			if v.State != tc.state {
				t.Fatalf("state %s (%s), want %s", v.State, v.Evidence, tc.state)
			}
			if tc.state == idle.Idle {
				if d, ok := v.IdleFor(now); !ok || d != tc.idle || !v.Actionable {
					t.Errorf("idle for %s (%v), actionable %v, want %s", d, ok, v.Actionable, tc.idle)
				}
			}
		})
	}
}

func TestMLflowAndHyperPod(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	started := now.Add(-30 * 24 * time.Hour)
	srv := resource.Resource{Kind: resource.MLflowTrackingServer, Name: "research", Status: "Started", Running: true, Created: &started}
	if v := idle.MLflow(srv, idle.MLflowEvidence{}, now); v.State != idle.Unprotected || !v.Actionable {
		t.Errorf("running server: %s %v", v.State, v.Actionable)
	}
	if v := idle.MLflow(srv, idle.MLflowEvidence{Schedule: "office-hours"}, now); v.State != idle.Managed {
		t.Errorf("scheduled server: %s", v.State)
	}
	stopped := srv
	stopped.Status, stopped.Running = "Stopped", false
	if v := idle.MLflow(stopped, idle.MLflowEvidence{}, now); v.State != idle.Stopped {
		t.Errorf("stopped server: %s, want stopped (not billed)", v.State)
	}
	g := func(group, typ string, n int) resource.Resource {
		return resource.Resource{Kind: resource.HyperPodCluster, Name: "llm", Variant: group, Status: "InService",
			InstanceType: typ, InstanceCount: n, Running: n > 0, Created: &started}
	}
	v := idle.HyperPod([]resource.Resource{g("controller", "ml.m5.xlarge", 1), g("workers", "ml.g5.8xlarge", 2)}, now)
	if v.State != idle.Unprotected || !strings.Contains(v.Evidence, "3 node(s) billing (1 x ml.m5.xlarge, 2 x ml.g5.8xlarge)") ||
		!strings.Contains(v.Evidence, "not reversible") {
		t.Errorf("cluster: %s: %s", v.State, v.Evidence)
	}
	if v := idle.HyperPod([]resource.Resource{g("workers", "ml.g5.8xlarge", 0)}, now); v.State != idle.Stopped {
		t.Errorf("cluster without nodes: %s", v.State)
	}
}
