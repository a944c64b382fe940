package metrics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// TestCanvas reads TimeSinceLastActive of 40 Canvas apps (and one whose
// user has none) in one GetMetricData call, through the SDK against the
// emulator: the verdicts follow each user's last activity, and a user with
// no metric is unknown, never idle.
func TestCanvas(t *testing.T) {
	var b strings.Builder
	b.WriteString(`apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        domains:
          - {name: analytics, id: d-analytics001, age: 90d}
        userProfiles:
`)
	for i := range 40 {
		fmt.Fprintf(&b, "          - {domain: analytics, name: u%02d, age: 60d}\n", i)
	}
	b.WriteString("        apps:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "          - {domain: analytics, user: u%02d, type: Canvas, age: 30h, lastActive: %dh}\n", i, i%4*8)
	}
	env := emulatortest.Start(t, b.String())
	f := metrics.New(env.Clients("us-east-1").CloudWatch)
	apps := map[resource.ID]resource.Resource{}
	app := func(user string) resource.Resource {
		return resource.Resource{Account: "123456789012", Region: "us-east-1", Kind: resource.CanvasApp,
			Name: user + "/Canvas/default", Parent: "d-analytics001", Status: "InService", Running: true}
	}
	for i := range 41 {
		r := app(fmt.Sprintf("u%02d", i)) // u40 has no app, so no metric
		apps[r.ID()] = r
	}
	env.Emu.ResetCounters()
	w := metrics.CanvasWindow(metrics.Window{End: env.Emu.Now()})
	evs := f.Canvas(context.Background(), w, apps)
	if got := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]; got != 1 {
		t.Errorf("GetMetricData calls = %d, want 1 for 41 apps", got)
	}
	now := env.Emu.Now()
	for id, r := range apps {
		v := idle.Canvas(r, evs[id], now)
		var i int
		fmt.Sscanf(strings.TrimPrefix(r.Name, "u"), "%d", &i)
		switch {
		case i == 40:
			if v.State != idle.Unknown {
				t.Errorf("%s without a metric: %s (%s), want unknown", r.Name, v.State, v.Evidence)
			}
		case i%4 == 0:
			if v.State != idle.Active {
				t.Errorf("%s active now: %s (%s)", r.Name, v.State, v.Evidence)
			}
		default:
			d, ok := v.IdleFor(now)
			want := time.Duration(i%4*8) * time.Hour
			if !ok || d > want || d < want-time.Minute {
				t.Errorf("%s: %s for %s (%s), want idle for %s", r.Name, v.State, d, v.Evidence, want)
			}
		}
	}
}
