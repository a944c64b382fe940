package action_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The costs teams forget (issue 17): two Canvas sessions (one idle since
// yesterday, one used an hour ago), MLflow tracking servers (one running
// for weeks, one stopped, one too young for the rule), and a small GPU
// HyperPod cluster.
const forgottenScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        topics: [sagesaver-idle]
        domains:
          - {name: analytics, id: d-analytics001, age: 90d}
        userProfiles:
          - {domain: analytics, name: dana, age: 60d}
          - {domain: analytics, name: eli, age: 60d}
          - {domain: analytics, name: fay, age: 60d}
        apps:
          - {domain: analytics, user: dana, type: Canvas, age: 30h, lastActive: 22h}
          - {domain: analytics, user: eli, type: Canvas, age: 3h, lastActive: 1h}
          - {domain: analytics, user: fay, type: Canvas, age: 30h, lastActive: 20h, tags: {"sagesaver:protect": "true"}}
        mlflowTrackingServers:
          - {name: research-experiments, size: Small, status: Started, age: 45d, lastModified: 30d}
          - {name: research-archive, size: Medium, status: Stopped, age: 90d, lastModified: 60d}
          - {name: fresh-server, size: Small, status: Created, age: 2h, lastModified: 2h}
        hyperPodClusters:
          - name: llm-finetune
            age: 6d
            tags: {team: research}
            instanceGroups:
              - {name: controller, instanceType: ml.m5.xlarge, count: 1}
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
`

const forgottenPolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: delete-idle-canvas
    resource: canvas-app
    conditions:
      idleFor: 2h
    actions:
      - type: delete-app
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
  - name: stop-long-running-mlflow
    resource: mlflow-tracking-server
    conditions:
      runningFor: 12h
    actions:
      - type: stop
  - name: report-hyperpod
    resource: hyperpod-cluster
    conditions:
      unprotected: true
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
`

// forgottenCatalog is the embedded catalog with what `pricing refresh`
// adds for these kinds (the embedded snapshot has no HyperPod node, MLflow
// or Canvas prices: unknown, never $0).
func forgottenCatalog() *pricing.Catalog {
	rows := []pricing.Row{
		{Region: "us-east-1", InstanceType: "ml.m5.xlarge", Component: pricing.HyperPodCluster, USDPerHour: pricing.MustParseMoney("0.27"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
		{Region: "us-east-1", InstanceType: "ml.g5.8xlarge", Component: pricing.HyperPodCluster, USDPerHour: pricing.MustParseMoney("3.10"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
	}
	services := []pricing.StorageRow{
		{Region: "us-east-1", Item: string(pricing.CanvasSession), Unit: "Hrs", USD: pricing.MustParseMoney("1.9"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
		{Region: "us-east-1", Item: string(pricing.MLflowSmall), Unit: "Hrs", USD: pricing.MustParseMoney("0.6"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
		{Region: "us-east-1", Item: string(pricing.MLflowMedium), Unit: "Hrs", USD: pricing.MustParseMoney("1.4"), AsOf: "2026-11-01", Source: pricing.SourceRefresh},
	}
	return pricing.Embedded().Overlay(rows, services)
}

func TestApplyForgottenKinds(t *testing.T) {
	r := newRigOf(t, forgottenScenario, 0)
	r.catalog = forgottenCatalog()
	ctx := context.Background()

	// Verdicts first: the Canvas session used an hour ago is not idle.
	vs, _ := r.executor().Verdicts(ctx, r.scan(), metrics.NewWindow(r.env.Emu.Now(), 24*time.Hour), false)
	canvas := func(user string) idle.Verdict {
		return vs[resource.ID{Account: acct, Region: "us-east-1", Kind: resource.CanvasApp, Name: user + "/Canvas/default"}]
	}
	// The newest datapoint is a minute's; the detector counts from the
	// minute's end, so idle times read up to a minute short, never long.
	now := r.env.Emu.Now()
	if v := canvas("dana"); v.State != idle.Idle || now.Sub(v.Since) < 22*time.Hour-time.Minute || now.Sub(v.Since) > 22*time.Hour {
		t.Errorf("dana: %s since %s: %s, want idle for 22h", v.State, v.Since, v.Evidence)
	}
	if v := canvas("eli"); v.State != idle.Idle || now.Sub(v.Since) < time.Hour-time.Minute || now.Sub(v.Since) > time.Hour {
		t.Errorf("eli: %s since %s: %s, want idle for 1h only", v.State, v.Since, v.Evidence)
	}

	dry := r.run(forgottenPolicy, true)
	want := []string{
		"delete-app dana/Canvas/default dry-run",
		"notice llm-finetune dry-run",
		"notify dana/Canvas/default dry-run",
		"stop research-experiments dry-run",
	}
	got := outcomes(dry)
	for i := range got {
		got[i] = strings.Replace(got[i], "notify llm-finetune", "notice llm-finetune", 1)
	}
	sort.Strings(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("dry run (-want +got):\n%s", d)
	}
	if w := writes(r.env.Emu.Counters()); len(w) != 0 {
		t.Errorf("dry run wrote to AWS: %v", w)
	}
	for _, f := range dry.Plan.Findings {
		switch f.Name {
		case "eli/Canvas/default", "research-archive", "fresh-server":
			t.Errorf("%s selected by %s: %s", f.Name, f.Rule, f.Why)
		case "fay/Canvas/default":
			if f.Acting() {
				t.Errorf("protected Canvas app acted on: %+v", f.Steps)
			}
		}
	}

	rep := r.run(forgottenPolicy, false)
	for _, o := range rep.Outcomes {
		if o.Result != "ok" {
			t.Errorf("%s %s: %s: %v", o.Verb, o.Name, o.Result, o.Err)
		}
		switch {
		case o.Verb == "delete-app" && !strings.Contains(o.Reason, "loses nothing saved in Canvas"):
			t.Errorf("Canvas notice %q does not say that nothing saved in Canvas is lost", o.Reason)
		case o.Name == "llm-finetune" && (!o.Hourly.Known || !strings.Contains(o.Reason, "never acted on (deleting a cluster is not reversible)")):
			t.Errorf("HyperPod notice: %q at %v/h, want its cost and that it is reported only", o.Reason, o.Hourly)
		}
	}
	sm := r.clients().SageMaker
	app, err := sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-analytics001"), UserProfileName: aws.String("dana"),
		AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")})
	if err != nil || (app.Status != smtypes.AppStatusDeleting && app.Status != smtypes.AppStatusDeleted) {
		t.Errorf("dana's Canvas app after apply: %v %v, want deleted", app, err)
	}
	for name, status := range map[string]smtypes.TrackingServerStatus{
		"research-experiments": smtypes.TrackingServerStatusStopping, "research-archive": smtypes.TrackingServerStatusStopped,
		"fresh-server": smtypes.TrackingServerStatusCreated,
	} {
		out, err := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
		if err != nil || out.TrackingServerStatus != status {
			t.Errorf("%s after apply: %v %v, want %s", name, out.TrackingServerStatus, err, status)
		}
	}
	cl, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String("llm-finetune")})
	if err != nil || cl.ClusterStatus != smtypes.ClusterStatusInservice {
		t.Errorf("llm-finetune after apply: %v %v, want InService (never acted on)", cl.ClusterStatus, err)
	}
	for _, k := range writes(r.env.Emu.Counters()) {
		if strings.Contains(k, "Cluster") {
			t.Errorf("a write to a HyperPod cluster: %s", k)
		}
	}

	// Once stopped, the server is not stopped again; and the Canvas app
	// is gone.
	r.env.Emu.Advance(10 * time.Minute)
	again := r.run(forgottenPolicy, false)
	for _, o := range again.Outcomes {
		if o.Verb == "stop" || o.Verb == "delete-app" {
			t.Errorf("second run: %s %s %s", o.Verb, o.Name, o.Result)
		}
	}

	// The ledger holds the stopped server's hours; restore starts it and
	// closes the period.
	periods, err := r.st.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]bool{}
	for _, p := range periods {
		open[p.Resource.Name] = p.Until == nil
	}
	if !open["research-experiments"] {
		t.Errorf("savings periods %+v: want an open one for research-experiments", periods)
	}
	ex := r.executor()
	plan, err := ex.StartMLflow(ctx, acct, "us-east-1", "research-experiments", true)
	if err != nil || plan.Started || plan.Status != "Stopped" {
		t.Fatalf("dry-run restore: %+v %v", plan, err)
	}
	if _, err := ex.StartMLflow(ctx, acct, "us-east-1", "fresh-server", false); err != nil {
		t.Errorf("start a running server: %v, want nothing to do", err)
	}
	res, err := ex.StartMLflow(ctx, acct, "us-east-1", "research-experiments", false)
	if err != nil || !res.Started || res.Saved == nil || res.Saved.Until == nil {
		t.Fatalf("restore: %+v %v, want started and its savings period closed", res, err)
	}
	out, _ := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String("research-experiments")})
	if out.TrackingServerStatus != smtypes.TrackingServerStatusStarting {
		t.Errorf("after restore: %s, want Starting", out.TrackingServerStatus)
	}
	// A server that is on its way (Starting) cannot be started.
	if _, err := ex.StartMLflow(ctx, acct, "us-east-1", "research-experiments", false); !errors.Is(err, action.ErrNotStartable) {
		t.Errorf("start a Starting server: %v, want ErrNotStartable", err)
	}
	acts, err := r.st.Actions(ctx, store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, a := range acts {
		if a.Verb == "start" && strings.HasSuffix(a.Resource, "/research-experiments") && !a.DryRun {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("%d start rows in the audit log, want 1", starts)
	}
}
