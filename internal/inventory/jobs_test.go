package inventory_test

import (
	"context"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/resource"
)

const trainingFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        trainingJobs:
          - {name: spot-done, instanceType: ml.g5.2xlarge, age: 5h, duration: 2h, spot: true, spotSavings: 70, tags: {team: recs}}
          - {name: ondemand-running, instanceType: ml.p3.2xlarge, instanceCount: 2, age: 1h, duration: 8h}
          - {name: ancient, instanceType: ml.m5.xlarge, age: 60d, duration: 1h}
        tuningJobs:
          - {name: hpo, instanceType: ml.c5.2xlarge, age: 2h, duration: 10h}
`

// TestTrainingJobs scans training and tuning jobs through Search: spot jobs
// carry their lower billable time, running jobs are running, jobs older
// than the lookback are left out, and tuning jobs are listed without
// instances (their training jobs carry the cost).
func TestTrainingJobs(t *testing.T) {
	env := emulatortest.Start(t, trainingFleet)
	res := scanner().Scan(context.Background(), targets(env, "us-east-1"), &inventory.Env{Now: env.Emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: inventory.NewMemCache(env.Emu.Clock())})
	if len(res.Failures) != 0 {
		t.Fatalf("failures: %+v", res.Failures)
	}
	got := byKey(res.Resources)
	spot, ok := got[acct+"/us-east-1/training-job/spot-done"]
	if !ok {
		t.Fatalf("spot-done not found in %v", keys(got))
	}
	if !spot.Spot || spot.Running || spot.TrainingSeconds == 0 || spot.BillableSeconds*10 != spot.TrainingSeconds*3 {
		t.Errorf("spot job: spot=%v running=%v training=%ds billable=%ds, want spot, finished, billable = 30%% of training", spot.Spot, spot.Running, spot.TrainingSeconds, spot.BillableSeconds)
	}
	if spot.Tags["team"] != "recs" {
		t.Errorf("spot job tags %v, want team=recs from the Search record", spot.Tags)
	}
	run := got[acct+"/us-east-1/training-job/ondemand-running"]
	if !run.Running || run.Spot || run.InstanceType != "ml.p3.2xlarge" || run.InstanceCount != 2 {
		t.Errorf("running job: %+v", run)
	}
	if _, ok := got[acct+"/us-east-1/training-job/ancient"]; ok {
		t.Error("a job finished 60 days ago is outside the 30-day lookback")
	}
	hpo, ok := got[acct+"/us-east-1/tuning-job/hpo"]
	if !ok || !hpo.Running || hpo.InstanceCount != 0 {
		t.Errorf("tuning job: %+v (found %v), want running with no instances of its own", hpo, ok)
	}
}

func keys(m map[string]resource.Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
