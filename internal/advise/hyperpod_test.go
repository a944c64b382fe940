package advise_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// hyperPodCatalog prices HyperPod nodes (the embedded catalog need not).
func hyperPodCatalog() *pricing.Catalog {
	var rows []pricing.Row
	for typ, usd := range map[string]string{"ml.m5.xlarge": "0.27", "ml.g5.8xlarge": "3.10"} {
		rows = append(rows, pricing.Row{Region: "us-east-1", InstanceType: typ, Component: pricing.HyperPodCluster,
			USDPerHour: pricing.MustParseMoney(usd), AsOf: "2026-11-01", Source: pricing.SourceRefresh})
	}
	return pricing.Embedded().Overlay(rows, nil)
}

func cluster(age time.Duration) []resource.Resource {
	created := now.Add(-age)
	g := func(group, typ string, n int) resource.Resource {
		return resource.Resource{Account: acct, Region: "us-east-1", Kind: resource.HyperPodCluster, Name: "llm-finetune", Variant: group,
			Status: "InService", InstanceType: typ, InstanceCount: n, Running: n > 0, Created: &created}
	}
	return []resource.Resource{g("controller", "ml.m5.xlarge", 1), g("gpu-workers", "ml.g5.8xlarge", 2)}
}

func TestHyperPodAdvice(t *testing.T) {
	hours := 14 * 24
	job := func(ended time.Duration) resource.Resource {
		e := now.Add(-ended)
		return resource.Resource{Account: acct, Region: "us-east-1", Kind: resource.TrainingJob, Name: "ft-1", Status: "Completed",
			InstanceType: "ml.g5.8xlarge", InstanceCount: 1, TrainingSeconds: 3600, Ended: &e, Started: &e}
	}
	cases := []struct {
		name  string
		rs    []resource.Resource
		gpu   *advise.Series // the gpu-workers group's GPUUtilization
		rules []string       // "rule resource saving"
	}{
		{name: "20 days, no job, no node metrics: the cluster, not its groups",
			rs: cluster(20 * 24 * time.Hour), rules: []string{"hyperpod-no-jobs llm-finetune $4,723.10"}},
		{name: "a job ended 3 days ago: no advice", rs: append(cluster(20*24*time.Hour), job(72*time.Hour))},
		{name: "younger than the lookback: no advice", rs: cluster(6 * 24 * time.Hour)},
		{name: "idle GPUs over the window: scale the group to 0",
			rs: append(cluster(20*24*time.Hour), job(72*time.Hour)), gpu: ptr(flat(1, hours)),
			rules: []string{"hyperpod-idle-nodes llm-finetune/gpu-workers $4,526.00"}},
		{name: "busy GPUs: no advice", rs: append(cluster(20*24*time.Hour), job(72*time.Hour)), gpu: ptr(flat(60, hours))},
		{name: "GPU numbers for half the window: no advice", rs: append(cluster(20*24*time.Hour), job(72*time.Hour)),
			gpu: &advise.Series{Values: flat(1, hours/2).Values, Periods: hours, Complete: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := evidence()
			if tc.gpu != nil {
				ev.Put(&tc.rs[1], advise.MetricGPU, *tc.gpu)
			}
			res := advise.Advise(tc.rs, ev, hyperPodCatalog(), advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
			var got []string
			for _, r := range res.Recommendations {
				if r.Kind != resource.HyperPodCluster {
					continue
				}
				got = append(got, string(r.Rule)+" "+r.Resource+" "+r.Saving.String())
				if r.Rule == advise.HyperPodNoJobs && (r.Confidence != advise.Low || !strings.Contains(r.Action, "never does it for you")) {
					t.Errorf("%s: confidence %s, action %q", r.Rule, r.Confidence, r.Action)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.rules, "\n") {
				t.Errorf("recommendations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.rules, "\n"))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestHyperPodAdviceScanned scans HyperPod clusters through the SDK
// against the emulator: the cluster that ran three weeks with no training
// job is advised with its cost; the one that ran a job last week, and the
// one created yesterday, are not.
func TestHyperPodAdviceScanned(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        hyperPodClusters:
          - name: forgotten
            age: 21d
            instanceGroups:
              - {name: controller, instanceType: ml.m5.xlarge, count: 1}
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
          - name: fresh
            age: 1d
            instanceGroups:
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 1}
      eu-west-1:
        hyperPodClusters:
          - name: busy
            age: 21d
            instanceGroups:
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 1}
        trainingJobs:
          - {name: ft-1, instanceType: ml.g5.8xlarge, status: Completed, age: 7d, duration: 2h}
`)
	res := run(t, env, hyperPodCatalog())
	got := brief(res, advise.HyperPodNoJobs, advise.HyperPodIdleNodes)
	want := []string{"forgotten hyperpod-no-jobs controller: ml.m5.xlarge x1, gpu-workers: ml.g5.8xlarge x2 -> delete the cluster, or scale its instance groups to 0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recommendations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := find(t, res, "forgotten", advise.HyperPodNoJobs); r.Saving.String() != "$4,723.10" {
		t.Errorf("saving %s, want the cluster's $4,723.10/month", r.Saving)
	}
}
