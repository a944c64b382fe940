package advise_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// The bundled rightsizing scenario has one case of every rule, priced by
// the embedded catalog alone, and the cases the rules must leave alone.
// (Studio app downsizing needs the agent's tag on apps, which the
// inventory does not read yet: see TestStudioDownsize.)
func TestRightsizingScenario(t *testing.T) {
	data, err := os.ReadFile("../emulator/scenarios/rightsizing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, string(data))
	cat := pricing.Embedded()
	res := run(t, env, cat)
	all := []advise.Rule{
		advise.EndpointDownsize, advise.EndpointFewer, advise.EndpointGPUClass, advise.EndpointAutoscale,
		advise.EndpointMultiModel, advise.EndpointServerless, advise.TrainingCPU, advise.TrainingSpot,
		advise.TrainingSmaller, advise.NotebookDownsize, advise.NotebookAutoStop, advise.StudioIdleShutdown,
	}
	want := []string{
		"5 jobs on ml.m5.12xlarge training-smaller ml.m5.12xlarge x1 -> ml.m5.4xlarge x1",
		"always-on notebook-auto-stop ml.m5.xlarge x1 always on -> auto-stop when idle (sagesaver agent)",
		"analytics-studio (d-an3p8v5w2c6e) studio-idle-shutdown no idle shutdown -> idle shutdown after 60 min",
		"claims-sklearn-p3 training-cpu ml.p3.2xlarge x1 -> ml.m5.4xlarge x1",
		"claims-sklearn-p3 training-spot ml.p3.2xlarge x1 on demand -> ml.p3.2xlarge x1 managed spot",
		"daily-cycle/AllTraffic endpoint-autoscale ml.m5.xlarge x4 fixed -> ml.m5.xlarge 1-4, target 675/instance/min",
		"features-1 training-spot ml.m5.12xlarge x1 on demand -> ml.m5.12xlarge x1 managed spot",
		"features-2 training-spot ml.m5.12xlarge x1 on demand -> ml.m5.12xlarge x1 managed spot",
		"features-3 training-spot ml.m5.12xlarge x1 on demand -> ml.m5.12xlarge x1 managed spot",
		"features-4 training-spot ml.m5.12xlarge x1 on demand -> ml.m5.12xlarge x1 managed spot",
		"features-5 training-spot ml.m5.12xlarge x1 on demand -> ml.m5.12xlarge x1 managed spot",
		"gpu-sandbox notebook-downsize ml.g4dn.xlarge x1 -> ml.t3.medium x1",
		"monthly-report-scorer/AllTraffic endpoint-serverless ml.m5.xlarge x1 -> serverless inference",
		"overprovisioned-api/AllTraffic endpoint-fewer ml.m5.xlarge x4 -> ml.m5.xlarge x2",
		"oversized-ranker/AllTraffic endpoint-downsize ml.m5.2xlarge x1 -> ml.m5.xlarge x1",
		"p3-inference/AllTraffic endpoint-p-to-g ml.p3.2xlarge x1 -> ml.g4dn.xlarge x1",
		"scorer-claims/AllTraffic, scorer-leads/AllTraffic, scorer-renewals/AllTraffic endpoint-multi-model 3 endpoints -> 1 multi-model endpoint ml.m5.large x1",
		"vision-train training-spot ml.p3.2xlarge x1 on demand -> ml.p3.2xlarge x1 managed spot",
	}
	if diff := cmp.Diff(want, brief(res, all...)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, r := range res.Recommendations {
		if !r.Saving.Known || r.Saving.Amount.Sign() <= 0 {
			t.Errorf("%s %s: saving %v, want a known positive amount", r.Resource, r.Rule, r.Saving)
		}
	}
}

// Evidence that cannot be read is not low use: with CloudWatch and
// Application Auto Scaling denied, no endpoint rule fires and the failures
// are listed. Rules that rest on the job itself still fire: spot, and a
// scikit-learn image on a GPU (medium confidence instead of high without
// the GPU numbers).
func TestEvidenceUnreadable(t *testing.T) {
	data, err := os.ReadFile("../emulator/scenarios/rightsizing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, string(data))
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "not authorized", Status: 403},
		{Operation: "application-autoscaling:DescribeScalableTargets", Code: "AccessDeniedException", Message: "not authorized", Status: 400},
	}})
	ctx := context.Background()
	var targets []inventory.Target
	var sources []advise.Source
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		cl := env.Clients(r)
		targets = append(targets, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging}})
		sources = append(sources, advise.Source{Account: acct, Region: r, CloudWatch: cl.CloudWatch, Scaling: cl.ApplicationAutoScaling})
	}
	now := env.Emu.Now()
	res := (&inventory.Scanner{Collectors: inventory.DefaultCollectors()}).Scan(ctx, targets, &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback})
	ev := advise.Gather(ctx, sources, res.Resources, now, advise.DefaultLookback, inventory.DefaultJobLookback)
	if len(ev.Failures) == 0 {
		t.Fatal("no failures recorded")
	}
	out := advise.Advise(res.Resources, ev, pricing.Embedded(), advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
	endpointRules := []advise.Rule{advise.EndpointDownsize, advise.EndpointFewer, advise.EndpointGPUClass, advise.EndpointAutoscale,
		advise.EndpointMultiModel, advise.EndpointServerless}
	if got := brief(out, endpointRules...); len(got) != 0 {
		t.Errorf("recommended without evidence: %v", got)
	}
	if got := brief(out, advise.TrainingSpot); len(got) == 0 {
		t.Error("spot needs no metrics, yet nothing")
	}
	if rec := find(t, out, "claims-sklearn-p3", advise.TrainingCPU); rec.Confidence != advise.Medium {
		t.Errorf("training-cpu without GPU numbers: confidence %s, want medium", rec.Confidence)
	}
	if len(out.Failures) != len(ev.Failures) {
		t.Errorf("result failures %v", out.Failures)
	}
}
