package scheduler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// MLflow tracking servers on Monday 2026-11-30 00:00 UTC: one the
// research team leaves running around the clock, one already stopped, one
// of another team that no schedule targets.
const mlflowFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-30T00:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      topics: [sagesaver-notices]
      mlflowTrackingServers:
      - {name: research-experiments, size: Small, status: Started, age: 45d, lastModified: 30d, tags: {team: research}}
      - {name: research-archive, size: Medium, status: Stopped, age: 90d, lastModified: 60d, tags: {team: research}}
      - {name: platform-mlflow, size: Large, status: Started, age: 45d, tags: {team: platform}}
`

const mlflowSchedules = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: research-office-hours
    timezone: UTC
    start: cron(0 7 ? * MON-FRI *)
    stop: cron(0 21 ? * MON-FRI *)
    targets:
      - kind: mlflow-tracking-server
        tags: {team: research}
`

func (r *rig) mlflowStatus() []string {
	r.t.Helper()
	var out []string
	p := sagemaker.NewListMlflowTrackingServersPaginator(r.sm("us-east-1"), &sagemaker.ListMlflowTrackingServersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, s := range page.TrackingServerSummaries {
			out = append(out, aws.ToString(s.TrackingServerName)+"="+string(s.TrackingServerStatus))
		}
	}
	slices.Sort(out)
	return out
}

// TestMLflowOfficeHours: a schedule stops the research team's running
// tracking server out of office hours and starts it in the morning; the
// stopped one is started with it and never stopped twice; the platform
// team's server, which no target selects, is never touched. The ledger
// holds the night's saved hours.
func TestMLflowOfficeHours(t *testing.T) {
	// What `pricing refresh` adds (the embedded snapshot has no MLflow
	// prices: unknown, and an unpriced stop records no saving).
	catalog := pricing.Embedded().Overlay(nil, []pricing.StorageRow{
		{Region: "us-east-1", Item: string(pricing.MLflowSmall), Unit: "Hrs", USD: pricing.MustParseMoney("0.6"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
		{Region: "us-east-1", Item: string(pricing.MLflowMedium), Unit: "Hrs", USD: pricing.MustParseMoney("1.4"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
	})
	r := newRigPriced(t, mlflowFleet, mlflowSchedules, nil, catalog)
	ctx := context.Background()

	// A dry run changes nothing.
	dry, err := r.runner.Run(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.mlflowStatus(); !slices.Contains(got, "research-experiments=Started") {
		t.Fatalf("after a dry run: %v, want research-experiments still Started", got)
	}
	if len(dry.Outcomes) != 2 || dry.Outcomes[1].Name != "research-experiments" || dry.Outcomes[1].Result != "dry-run" {
		t.Fatalf("dry run outcomes: %+v", dry.Outcomes)
	}

	// Monday 00:00 to Tuesday 00:00, a run every 5 minutes around the
	// transitions, hourly otherwise.
	r.runUntil(day(0, 7, 30), 5*time.Minute, nil)
	r.runUntil(day(0, 20, 30), time.Hour, nil)
	r.runUntil(day(1, 0, 0), 5*time.Minute, nil)
	want := []string{
		"Mon 00:00 stop research-experiments", // catching up Friday's 21:00
		"Mon 07:00 start research-archive",
		"Mon 07:00 start research-experiments",
		"Mon 21:00 stop research-archive",
		"Mon 21:00 stop research-experiments",
	}
	if d := cmp.Diff(want, r.acted); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	wantStatus := []string{"platform-mlflow=Started", "research-archive=Stopped", "research-experiments=Stopped"}
	if d := cmp.Diff(wantStatus, r.mlflowStatus()); d != "" {
		t.Errorf("Tuesday 00:00 (-want +got):\n%s", d)
	}
	// Every run between two transitions found the stopped server
	// stopped and did nothing to it.
	for _, rep := range r.runs[1:] {
		for _, o := range rep.Outcomes {
			if o.Name == "platform-mlflow" {
				t.Errorf("%s: platform-mlflow was decided (%s), but no target selects it", rep.At, o.Decision.Reason)
			}
		}
	}

	// explain finds a tracking server by name.
	ex, err := r.runner.Explain(ctx, "research-experiments")
	if err != nil || len(ex) != 1 {
		t.Fatalf("explain: %+v, %v", ex, err)
	}
	if txt := ex[0].Text(); !strings.HasPrefix(txt, "research-experiments (us-east-1, mlflow-tracking-server Small): Stopped") ||
		!strings.Contains(txt, "a run now:   nothing: already stopped") {
		t.Errorf("explain:\n%s", txt)
	}

	// The ledger: Monday 00:00 -> 07:00 saved (closed by the start), and
	// the period opened at 21:00 is still open.
	periods, err := r.store.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range periods {
		if p.Resource.Kind != resource.MLflowTrackingServer {
			t.Errorf("period of %s", p.Resource)
			continue
		}
		until := "open"
		if p.Until != nil {
			until = p.Until.Format("Mon 15:04")
		}
		got = append(got, p.Resource.Name+" "+p.From.Format("Mon 15:04")+"-"+until)
	}
	slices.Sort(got)
	wantPeriods := []string{
		"research-archive Mon 21:00-open",
		"research-experiments Mon 00:00-Mon 07:00",
		"research-experiments Mon 21:00-open",
	}
	if d := cmp.Diff(wantPeriods, got); d != "" {
		t.Errorf("savings periods (-want +got):\n%s", d)
	}
}

// TestStudioScheduleLeavesCanvas: a studio-app schedule that selects every
// app stops the JupyterLab app and never lists the Canvas app, which is
// its own kind (canvas-app, judged by its activity metric), not a Studio
// app on a free system instance.
func TestStudioScheduleLeavesCanvas(t *testing.T) {
	r := newRigWith(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-30T22:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      topics: [sagesaver-notices]
      domains:
      - {name: analytics, id: d-analytics001, age: 90d}
      userProfiles:
      - {domain: analytics, name: dana, age: 60d}
      spaces:
      - {domain: analytics, name: dana-lab, owner: dana, age: 60d}
      apps:
      - {domain: analytics, user: dana, type: Canvas, age: 30h, lastActive: 20h}
      - {domain: analytics, space: dana-lab, type: JupyterLab, instanceType: ml.t3.medium, age: 30h}
`, `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: studio-evening-stop
    timezone: UTC
    stop: cron(0 21 * * ? *)
    targets:
      - kind: studio-app
        nameGlob: "*"
`, nil)
	rep := r.run()
	var names []string
	for _, o := range rep.Outcomes {
		names = append(names, o.Name+" "+string(o.Decision.Action))
	}
	if d := cmp.Diff([]string{"dana-lab/JupyterLab/default stop"}, names); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
}
