package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/resource"
)

const acct = "123456789012"

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fleet has one of each kind and state the collectors treat differently,
// in us-east-1, and a region (eu-west-1) that an SCP denies.
const fleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
accounts:
  - id: "123456789012"
    deniedRegions: [eu-west-1]
    regions:
      us-east-1:
        lifecycleConfigs:
          - name: auto-stop
            onStart: "echo start"
        notebooks:
          - name: data-prep
            instanceType: ml.t3.medium
            volumeSizeGB: 20
            age: 10d
            lastModified: 2h
            lifecycleConfig: auto-stop
            tags: {team: ml, "sagesaver:last-activity": "2026-03-02T11:00:00Z"}
          - name: old-experiments
            instanceType: ml.g5.xlarge
            status: Stopped
            age: 90d
            lastModified: 30d
        endpoints:
          - name: churn
            age: 20d
            tags: {team: growth}
            variants:
              - {name: blue, image: "111.dkr.ecr.us-east-1.amazonaws.com/churn:1", instanceType: ml.m5.large, count: 2}
              - {name: green, image: "111.dkr.ecr.us-east-1.amazonaws.com/churn:2", instanceType: ml.g4dn.xlarge, count: 1}
          - name: fraud-serverless
            variants:
              - {name: AllTraffic, image: "111.dkr.ecr.us-east-1.amazonaws.com/fraud:1", serverless: {memoryMB: 2048, maxConcurrency: 5}}
          - name: images-async
            async: {outputPath: "s3://bucket/async/"}
            variants:
              - {name: AllTraffic, image: "111.dkr.ecr.us-east-1.amazonaws.com/img:1", instanceType: ml.m5.xlarge}
          - name: mystery
            variants:
              - {name: AllTraffic, image: "111.dkr.ecr.us-east-1.amazonaws.com/x:1", instanceType: ml.zz9.huge}
        domains:
          - name: research
            id: d-research01
            idleShutdown: {enabled: true, timeout: 60m}
        userProfiles:
          - {domain: research, name: alice}
        spaces:
          - {domain: research, name: alice-space, owner: alice, instanceType: ml.m5.xlarge}
        apps:
          - {domain: research, space: alice-space, type: JupyterLab, instanceType: ml.m5.xlarge, tags: {"sagesaver:last-activity": "2026-03-02T09:30:00Z"}}
          - {domain: research, user: alice, type: JupyterServer, instanceType: system}
          - {domain: research, user: alice, type: KernelGateway, name: old-kernel, instanceType: ml.g5.xlarge, status: Deleted, age: 3d, deletedAge: 1d}
        processingJobs:
          - {name: features-0301, instanceType: ml.m5.xlarge, instanceCount: 2, age: 1h, duration: 3h}
          - {name: features-0101, instanceType: ml.m5.xlarge, age: 60d, duration: 1h}
        transformJobs:
          - {name: nightly-scoring, instanceType: ml.c5.xlarge, age: 1d, duration: 20m}
`

func targets(env *emulatortest.Env, regions ...string) []inventory.Target {
	var out []inventory.Target
	for _, r := range regions {
		c := env.Clients(r)
		out = append(out, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: c.SageMaker, Tagging: c.Tagging}})
	}
	return out
}

func scanner(cs ...inventory.Collector) *inventory.Scanner {
	if len(cs) == 0 {
		cs = inventory.DefaultCollectors()
	}
	return &inventory.Scanner{Collectors: cs, Concurrency: 4}
}

func byKey(rs []resource.Resource) map[string]resource.Resource {
	m := map[string]resource.Resource{}
	for _, r := range rs {
		m[r.LineID().String()] = r
	}
	return m
}

func TestScanFleet(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	cache := inventory.NewMemCache(env.Emu.Clock())
	cs := inventory.DefaultCollectors()
	res := scanner(cs...).Scan(context.Background(), targets(env, "us-east-1", "eu-west-1"), &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback, Cache: cache})

	// The denied region is reported once per kind; the other region completes.
	if len(res.Failures) != len(cs) {
		t.Errorf("%d failures, want one per collector in eu-west-1: %+v", len(res.Failures), res.Failures)
	}
	for _, f := range res.Failures {
		if f.Region != "eu-west-1" || f.Class != awsapi.AccessDenied {
			t.Errorf("failure %+v, want access denied in eu-west-1 only", f)
		}
	}

	got := byKey(res.Resources)
	type view struct {
		Status, InstanceType string
		InstanceCount        int
		Running              bool
		Serverless, Async    bool
		VolumeGB             int
	}
	want := map[string]view{
		acct + "/us-east-1/notebook-instance/data-prep":               {"InService", "ml.t3.medium", 1, true, false, false, 20},
		acct + "/us-east-1/notebook-instance/old-experiments":         {"Stopped", "ml.g5.xlarge", 1, false, false, false, 5},
		acct + "/us-east-1/endpoint/churn/blue":                       {"InService", "ml.m5.large", 2, true, false, false, 0},
		acct + "/us-east-1/endpoint/churn/green":                      {"InService", "ml.g4dn.xlarge", 1, true, false, false, 0},
		acct + "/us-east-1/endpoint/fraud-serverless/AllTraffic":      {"InService", "", 0, true, true, false, 0},
		acct + "/us-east-1/endpoint/images-async/AllTraffic":          {"InService", "ml.m5.xlarge", 1, true, false, true, 0},
		acct + "/us-east-1/endpoint/mystery/AllTraffic":               {"InService", "ml.zz9.huge", 1, true, false, false, 0},
		acct + "/us-east-1/studio-domain/d-research01":                {"InService", "", 0, false, false, false, 0},
		acct + "/us-east-1/studio-space/alice-space":                  {"InService", "", 0, false, false, false, 0},
		acct + "/us-east-1/space-storage/alice-space":                 {"InService", "", 0, false, false, false, 5},
		acct + "/us-east-1/studio-app/alice-space/JupyterLab/default": {"InService", "ml.m5.xlarge", 1, true, false, false, 0},
		acct + "/us-east-1/studio-app/alice/JupyterServer/default":    {"InService", "system", 0, true, false, false, 0},
		acct + "/us-east-1/processing-job/features-0301":              {"InProgress", "ml.m5.xlarge", 2, true, false, false, 30},
		acct + "/us-east-1/transform-job/nightly-scoring":             {"Completed", "ml.c5.xlarge", 1, false, false, false, 0},
	}
	gotView := map[string]view{}
	for k, r := range got {
		if r.Kind == resource.TrainingJob || r.Kind == resource.TuningJob {
			continue
		}
		gotView[k] = view{r.Status, r.InstanceType, r.InstanceCount, r.Running, r.Serverless, r.Async, r.VolumeGB}
	}
	if diff := cmp.Diff(want, gotView); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}

	nb := got[acct+"/us-east-1/notebook-instance/data-prep"]
	if nb.LifecycleConfig != "auto-stop" || nb.Tags["team"] != "ml" || nb.AgentLastActivity == nil || !nb.AgentLastActivity.Equal(now.Add(-time.Hour)) {
		t.Errorf("data-prep: lifecycle %q, tags %v, agent %v", nb.LifecycleConfig, nb.Tags, nb.AgentLastActivity)
	}
	if ep := got[acct+"/us-east-1/endpoint/churn/blue"]; ep.Tags["team"] != "growth" || ep.Image == "" {
		t.Errorf("churn/blue: tags %v (from Search), image %q", ep.Tags, ep.Image)
	}
	if d := got[acct+"/us-east-1/studio-domain/d-research01"]; d.IdleShutdown == nil || !*d.IdleShutdown {
		t.Errorf("domain idle shutdown %v, want on", d.IdleShutdown)
	}
	// Studio apps carry their tags (ListApps has none: the tagging API
	// does), so the agent's last activity reaches idle detection and advice.
	if app := got[acct+"/us-east-1/studio-app/alice-space/JupyterLab/default"]; app.AgentLastActivity == nil || !app.AgentLastActivity.Equal(now.Add(-150*time.Minute)) {
		t.Errorf("studio app agent activity %v, tags %v, arn %s", app.AgentLastActivity, app.Tags, app.ARN)
	}
	pj := got[acct+"/us-east-1/processing-job/features-0301"]
	// created 1h ago, 4 minutes of startup: running 56 minutes.
	if pj.Started == nil || pj.TrainingSeconds != int64(now.Sub(*pj.Started).Seconds()) || pj.TrainingSeconds <= 0 {
		t.Errorf("processing job started %v, seconds %d", pj.Started, pj.TrainingSeconds)
	}
	if tj := got[acct+"/us-east-1/transform-job/nightly-scoring"]; tj.BillableSeconds != 20*60 {
		t.Errorf("transform job billable %d s, want 1200", tj.BillableSeconds)
	}
}

func TestRepeatScanUsesCache(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	cache := inventory.NewMemCache(env.Emu.Clock())
	ctx := context.Background()
	tg := targets(env, "us-east-1")
	s := scanner()
	scan := func() (*inventory.Result, map[string]int64) {
		env.Emu.ResetCounters()
		res := s.Scan(ctx, tg, &inventory.Env{Now: env.Emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: cache})
		return res, env.Emu.Counters().Calls
	}
	first, calls := scan()
	if calls["sagemaker:DescribeEndpointConfig"] != 4 || calls["sagemaker:DescribeNotebookInstance"] != 2 {
		t.Errorf("first scan: %d endpoint config and %d notebook describes, want 4 and 2", calls["sagemaker:DescribeEndpointConfig"], calls["sagemaker:DescribeNotebookInstance"])
	}
	second, calls := scan()
	for _, op := range []string{"DescribeEndpointConfig", "DescribeNotebookInstance", "DescribeDomain", "DescribeSpace", "DescribeProcessingJob", "DescribeTransformJob"} {
		if n := calls["sagemaker:"+op]; n != 0 {
			t.Errorf("repeat scan called %s %d times, want 0 (cached)", op, n)
		}
	}
	if diff := cmp.Diff(byKey(first.Resources), byKey(second.Resources)); diff != "" {
		t.Errorf("repeat scan differs (-first +second):\n%s", diff)
	}

	// Stopping a notebook changes its LastModifiedTime: it is described again.
	sm := env.Clients("us-east-1").SageMaker
	if _, err := sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("data-prep")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(10 * time.Minute)
	third, calls := scan()
	if n := calls["sagemaker:DescribeNotebookInstance"]; n != 1 {
		t.Errorf("after a stop: %d notebook describes, want 1", n)
	}
	if nb := byKey(third.Resources)[acct+"/us-east-1/notebook-instance/data-prep"]; nb.Status != "Stopped" || nb.Running {
		t.Errorf("data-prep after stop: %s running=%v", nb.Status, nb.Running)
	}
}

func TestDeletedEndpointConfig(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	ctx := context.Background()
	sm := env.Clients("us-east-1").SageMaker
	// AWS lets a config be deleted while an endpoint uses it.
	if _, err := sm.DeleteEndpointConfig(ctx, &sagemaker.DeleteEndpointConfigInput{EndpointConfigName: aws.String("mystery")}); err != nil {
		t.Fatal(err)
	}
	res := scanner(inventory.DefaultCollectors()[1]).Scan(ctx, targets(env, "us-east-1"), &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback})
	if len(res.Failures) != 0 {
		t.Fatalf("failures %+v", res.Failures)
	}
	r, ok := byKey(res.Resources)[acct+"/us-east-1/endpoint/mystery/AllTraffic"]
	if !ok || r.InstanceType != "" || !r.Running {
		t.Errorf("endpoint without its config: %+v (present %v); want it listed, running, instance type unknown", r, ok)
	}
}

func TestRegionDisabled(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    disabledRegions: [ap-east-1]
    regions:
      us-east-1:
        notebooks: [{name: nb, instanceType: ml.t3.medium}]
`)
	res := scanner(inventory.DefaultCollectors()[0]).Scan(context.Background(), targets(env, "ap-east-1", "us-east-1"), &inventory.Env{Now: now})
	if len(res.Failures) != 1 || res.Failures[0].Class != awsapi.RegionDisabled || res.Failures[0].Region != "ap-east-1" {
		t.Errorf("failures %+v, want ap-east-1 region not enabled", res.Failures)
	}
	if len(res.Resources) != 1 || res.Resources[0].Name != "nb" {
		t.Errorf("resources %+v", res.Resources)
	}
}

func TestScanProgress(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	var calls []int
	s := scanner(inventory.DefaultCollectors()[0])
	s.Concurrency = 1
	s.Progress = func(done, total int) {
		if total != 2 {
			t.Errorf("total %d, want 2", total)
		}
		calls = append(calls, done)
	}
	s.Scan(context.Background(), targets(env, "us-east-1", "eu-west-1"), &inventory.Env{Now: now})
	if diff := cmp.Diff([]int{1, 2}, calls); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

// TestRecreatedEndpointConfigIsReadAfresh: an endpoint config deleted and
// created again under the same name (here asynchronous, on other
// instances) is another config: the cache must not answer with the old
// one, or an async endpoint would be judged as a real-time one (on
// Invocations, which async endpoints never publish) and look idle.
func TestRecreatedEndpointConfigIsReadAfresh(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	ctx := context.Background()
	cache := inventory.NewMemCache(env.Emu.Clock())
	tg := targets(env, "us-east-1")
	scan := func() resource.Resource {
		t.Helper()
		res := scanner().Scan(ctx, tg, &inventory.Env{Now: env.Emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: cache})
		r, ok := byKey(res.Resources)[acct+"/us-east-1/endpoint/churn/blue"]
		if !ok {
			t.Fatalf("churn/blue not scanned: %+v", res.Failures)
		}
		return r
	}
	if r := scan(); r.Async || r.InstanceType != "ml.m5.large" {
		t.Fatalf("before: async=%v type=%s", r.Async, r.InstanceType)
	}
	sm := env.Clients("us-east-1").SageMaker
	d, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("churn")})
	if err != nil {
		t.Fatal(err)
	}
	old, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: d.EndpointConfigName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.DeleteEndpointConfig(ctx, &sagemaker.DeleteEndpointConfigInput{EndpointConfigName: d.EndpointConfigName}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(time.Minute)
	variants := old.ProductionVariants
	for i := range variants {
		variants[i].InstanceType = smtypes.ProductionVariantInstanceTypeMlG4dnXlarge
	}
	if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: d.EndpointConfigName, ProductionVariants: variants,
		AsyncInferenceConfig: &smtypes.AsyncInferenceConfig{OutputConfig: &smtypes.AsyncInferenceOutputConfig{S3OutputPath: aws.String("s3://bucket/out/")}},
	}); err != nil {
		t.Fatal(err)
	}
	if r := scan(); !r.Async || r.InstanceType != "ml.g4dn.xlarge" {
		t.Errorf("after the config was re-created: async=%v type=%s, want async on ml.g4dn.xlarge (the cache answered with the old config)", r.Async, r.InstanceType)
	}
}
