package inventory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// forgottenFleet has the costs issue 17 is about, each with the state that
// must not be billed beside it: a Canvas session idle since yesterday and
// one deleted last week, an MLflow tracking server running and one
// stopped, a HyperPod cluster with two instance groups, and spaces whose
// volumes bill with no app running.
const forgottenFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        domains:
          - {name: analytics, id: d-analytics01, age: 300d}
        userProfiles:
          - {domain: analytics, name: dan, age: 200d}
          - {domain: analytics, name: erin, age: 200d}
        spaces:
          - {domain: analytics, name: dan-lab, owner: dan, ebsVolumeSizeGB: 50, age: 100d}
          - {domain: analytics, name: erin-lab, owner: erin, age: 100d}
        apps:
          - {domain: analytics, user: dan, type: Canvas, age: 27h, lastActive: 22h}
          - {domain: analytics, user: erin, type: Canvas, status: Deleted, age: 10d, deletedAge: 7d}
          - {domain: analytics, space: erin-lab, type: JupyterLab, instanceType: ml.t3.medium, age: 2h}
        mlflowTrackingServers:
          - {name: research-experiments, size: Medium, status: Started, age: 45d, lastModified: 30d, tags: {team: research}}
          - {name: old-experiments, size: Large, status: Stopped, age: 90d, lastModified: 20d}
        hyperPodClusters:
          - name: llm-finetune
            age: 6d
            tags: {team: research}
            instanceGroups:
              - {name: controller, instanceType: ml.m5.xlarge, count: 1}
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
`

func TestScanForgottenCosts(t *testing.T) {
	env := emulatortest.Start(t, forgottenFleet)
	res := scanner().Scan(context.Background(), targets(env, "us-east-1"), &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback})
	if len(res.Failures) != 0 {
		t.Fatalf("failures %+v", res.Failures)
	}
	type view struct {
		Status, InstanceType string
		InstanceCount        int
		Running              bool
		Size                 string
		VolumeGB             int
		Parent               string
	}
	got := map[string]view{}
	for k, r := range byKey(res.Resources) {
		switch r.Kind {
		case resource.CanvasApp, resource.MLflowTrackingServer, resource.HyperPodCluster, resource.SpaceStorage, resource.StudioApp:
			got[k] = view{r.Status, r.InstanceType, r.InstanceCount, r.Running, r.Size, r.VolumeGB, r.Parent}
		}
	}
	want := map[string]view{
		// The idle Canvas session bills; the deleted one is gone (ListApps
		// still returns it, as Deleted).
		acct + "/us-east-1/canvas-app/dan/Canvas/default": {"InService", "", 1, true, "", 0, "d-analytics01"},
		// Listed whether it runs or not; billed only while it runs.
		acct + "/us-east-1/mlflow-tracking-server/research-experiments": {"Started", "", 1, true, "Medium", 0, ""},
		acct + "/us-east-1/mlflow-tracking-server/old-experiments":      {"Stopped", "", 1, false, "Large", 0, ""},
		// One line per instance group: type x current count.
		acct + "/us-east-1/hyperpod-cluster/llm-finetune/controller":  {"InService", "ml.m5.xlarge", 1, true, "", 0, ""},
		acct + "/us-east-1/hyperpod-cluster/llm-finetune/gpu-workers": {"InService", "ml.g5.8xlarge", 2, true, "", 0, ""},
		// Every space's volume, with or without an app (5 GB: AWS's default).
		acct + "/us-east-1/space-storage/dan-lab":  {"InService", "", 0, false, "", 50, "d-analytics01"},
		acct + "/us-east-1/space-storage/erin-lab": {"InService", "", 0, false, "", 5, "d-analytics01"},
		// A JupyterLab app stays a Studio app.
		acct + "/us-east-1/studio-app/erin-lab/JupyterLab/default": {"InService", "ml.t3.medium", 1, true, "", 0, "d-analytics01"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	all := byKey(res.Resources)
	if r := all[acct+"/us-east-1/mlflow-tracking-server/research-experiments"]; r.Tags["team"] != "research" || !strings.Contains(r.ARN, ":mlflow-tracking-server/research-experiments") {
		t.Errorf("tracking server tags %v, arn %s", r.Tags, r.ARN)
	}
	if r := all[acct+"/us-east-1/hyperpod-cluster/llm-finetune/gpu-workers"]; r.Tags["team"] != "research" || r.ARN == "" || r.ID().Variant != "" {
		t.Errorf("cluster group tags %v, arn %q, id %v", r.Tags, r.ARN, r.ID())
	}
	for _, r := range res.Resources {
		if r.AppType == "Canvas" && r.Kind != resource.CanvasApp {
			t.Errorf("Canvas app listed as %s: %s", r.Kind, r.Name)
		}
	}
}

// After the changes that end a bill, the next scan shows them: a deleted
// Canvas app is gone, a deleted space's volume is gone, a stopped MLflow
// server is listed but not billed, and a cluster's line follows the
// current count.
func TestScanForgottenCostsAfterChanges(t *testing.T) {
	env := emulatortest.Start(t, forgottenFleet)
	ctx := context.Background()
	cache := inventory.NewMemCache(env.Emu.Clock())
	sm := env.Clients("us-east-1").SageMaker
	scan := func() map[string]resource.Resource {
		t.Helper()
		env.Emu.ResetCounters()
		res := scanner().Scan(ctx, targets(env, "us-east-1"), &inventory.Env{Now: env.Emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: cache})
		if len(res.Failures) != 0 {
			t.Fatalf("failures %+v", res.Failures)
		}
		return byKey(res.Resources)
	}
	scan()
	// A repeat scan describes no unchanged tracking server again.
	scan()
	if n := env.Emu.Counters().Calls["sagemaker:DescribeMlflowTrackingServer"]; n != 0 {
		t.Errorf("repeat scan described tracking servers %d times, want 0 (cached)", n)
	}

	if _, err := sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: aws.String("d-analytics01"), UserProfileName: aws.String("dan"),
		AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String("research-experiments")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: aws.String("d-analytics01"), SpaceName: aws.String("erin-lab"),
		AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(5 * time.Minute)
	if _, err := sm.DeleteSpace(ctx, &sagemaker.DeleteSpaceInput{DomainId: aws.String("d-analytics01"), SpaceName: aws.String("erin-lab")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(5 * time.Minute)

	got := scan()
	for _, gone := range []string{"canvas-app/dan/Canvas/default", "space-storage/erin-lab", "studio-space/erin-lab"} {
		if r, ok := got[acct+"/us-east-1/"+gone]; ok {
			t.Errorf("%s still listed: %+v", gone, r)
		}
	}
	if r := got[acct+"/us-east-1/space-storage/dan-lab"]; r.VolumeGB != 50 {
		t.Errorf("dan-lab volume %d GB, want 50", r.VolumeGB)
	}
	r, ok := got[acct+"/us-east-1/mlflow-tracking-server/research-experiments"]
	if !ok || r.Status != "Stopped" || r.Running || r.Size != "Medium" {
		t.Errorf("stopped tracking server: %+v (listed %v), want Stopped, not running, Medium", r, ok)
	}
	// Its stop moved LastModifiedTime: described again, once.
	if n := env.Emu.Counters().Calls["sagemaker:DescribeMlflowTrackingServer"]; n != 1 {
		t.Errorf("after a stop: %d describes, want 1", n)
	}

	if _, err := sm.DeleteCluster(ctx, &sagemaker.DeleteClusterInput{ClusterName: aws.String("llm-finetune")}); err != nil {
		t.Fatal(err)
	}
	got = scan()
	if r := got[acct+"/us-east-1/hyperpod-cluster/llm-finetune/gpu-workers"]; r.Status != "Deleting" || r.InstanceCount != 0 || r.Running {
		t.Errorf("deleting cluster group: %s x%d running=%v, want Deleting, 0 nodes running, not billed", r.Status, r.InstanceCount, r.Running)
	}
	env.Emu.Advance(15 * time.Minute)
	for k := range scan() {
		if strings.Contains(k, "/hyperpod-cluster/") {
			t.Errorf("deleted cluster still listed: %s", k)
		}
	}
}

// MLflow tracking servers and HyperPod clusters are listed through every
// page (at most 100 a page).
func TestScanForgottenCostsPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-03-02T12:00:00Z\naccounts:\n  - id: \"123456789012\"\n    regions:\n      us-east-1:\n        mlflowTrackingServers:\n")
	const n = 105
	for i := range n {
		fmt.Fprintf(&b, "          - {name: tracking-%03d, status: Started}\n", i)
	}
	b.WriteString("        hyperPodClusters:\n")
	for i := range n {
		fmt.Fprintf(&b, "          - {name: cluster-%03d, instanceGroups: [{name: workers, instanceType: ml.m5.large, count: 1}]}\n", i)
	}
	env := emulatortest.Start(t, b.String())
	res := scanner().Scan(context.Background(), targets(env, "us-east-1"), &inventory.Env{Now: now})
	if len(res.Failures) != 0 {
		t.Fatalf("failures %+v", res.Failures)
	}
	count := map[resource.Kind]int{}
	for _, r := range res.Resources {
		count[r.Kind]++
	}
	if count[resource.MLflowTrackingServer] != n || count[resource.HyperPodCluster] != n {
		t.Errorf("listed %d tracking servers and %d cluster groups, want %d each", count[resource.MLflowTrackingServer], count[resource.HyperPodCluster], n)
	}
	if calls := env.Emu.Counters().Calls; calls["sagemaker:ListMlflowTrackingServers"] != 2 || calls["sagemaker:ListClusters"] != 2 {
		t.Errorf("list calls %d and %d, want 2 pages each", calls["sagemaker:ListMlflowTrackingServers"], calls["sagemaker:ListClusters"])
	}
}

// A tracking server bills while AWS reports it active, and while it is
// created or started; stopped, failed to start or being deleted, it does
// not.
func TestTrackingServerBilled(t *testing.T) {
	active, inactive := smtypes.IsTrackingServerActiveActive, smtypes.IsTrackingServerActiveInactive
	for _, tt := range []struct {
		status smtypes.TrackingServerStatus
		active smtypes.IsTrackingServerActive
		want   bool
	}{
		{smtypes.TrackingServerStatusStarted, active, true},
		{smtypes.TrackingServerStatusCreated, active, true},
		{smtypes.TrackingServerStatusStopping, active, true},
		{smtypes.TrackingServerStatusUpdating, active, true},
		{smtypes.TrackingServerStatusCreating, inactive, true},
		{smtypes.TrackingServerStatusStarting, inactive, true},
		{smtypes.TrackingServerStatusStopped, inactive, false},
		{smtypes.TrackingServerStatusStartFailed, inactive, false},
		{smtypes.TrackingServerStatusCreateFailed, inactive, false},
		{smtypes.TrackingServerStatusDeleting, active, false},
	} {
		if got := inventory.TrackingServerBilled(tt.status, tt.active); got != tt.want {
			t.Errorf("TrackingServerBilled(%s, %s) = %v, want %v", tt.status, tt.active, got, tt.want)
		}
	}
}
