package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// adviseFleet has one case of several rules that the embedded catalog can
// price: two low-traffic endpoints on one image, a scikit-learn job on a
// GPU, a Studio domain without idle shutdown; and a busy endpoint.
const adviseFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    name: ml-dev
    accessKeys: [AKIAMLDEV]
    regions:
      us-east-1:
        endpoints:
          - {name: scorer-a, age: 60d, variants: [{name: AllTraffic, image: "sklearn:1", instanceType: ml.m5.large}]}
          - {name: scorer-b, age: 60d, variants: [{name: AllTraffic, image: "sklearn:1", instanceType: ml.m5.large}]}
          - {name: busy, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.large}]}
        metrics:
          - {endpoint: scorer-a, metric: Invocations, value: 1, every: 10m}
          - {endpoint: scorer-b, metric: Invocations, value: 1, every: 20m}
          - {endpoint: scorer-a, metric: CPUUtilization, value: 3}
          - {endpoint: scorer-b, metric: CPUUtilization, value: 3}
          - {endpoint: busy, metric: Invocations, value: 900}
          - {endpoint: busy, metric: CPUUtilization, value: 150}
        trainingJobs:
          - {name: sk-on-p3, instanceType: ml.p3.2xlarge, image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", age: 10h, duration: 2h, hostMetrics: {GPUUtilization: 0, MemoryUtilization: 30}}
        domains:
          - {name: analytics, id: d-analytics001, age: 100d}
`

func TestAdviseCommand(t *testing.T) {
	env := emulatortest.Start(t, adviseFleet)
	out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--region", "us-east-1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	checkSchema(t, "advise", out)
	var doc struct {
		Recommendations []struct {
			Resource string `json:"resource"`
			Rule     string `json:"rule"`
			Proposed string `json:"proposed"`
		} `json:"recommendations"`
		Failures []string `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, r := range doc.Recommendations {
		got[r.Resource+" "+r.Rule] = r.Proposed
		if strings.HasPrefix(r.Resource, "busy") {
			t.Errorf("busy endpoint got %s", r.Rule)
		}
	}
	for k, want := range map[string]string{
		"scorer-a/AllTraffic, scorer-b/AllTraffic endpoint-multi-model": "1 multi-model endpoint ml.m5.large x1",
		"sk-on-p3 training-cpu":                           "ml.m5.4xlarge x1",
		"sk-on-p3 training-spot":                          "ml.p3.2xlarge x1 managed spot",
		"analytics (d-analytics001) studio-idle-shutdown": "idle shutdown after 60 min",
	} {
		if got[k] != want {
			t.Errorf("%s: proposed %q, want %q (all: %v)", k, got[k], want, got)
		}
	}

	md, _, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--region", "us-east-1", "-o", "markdown")
	if code != 0 || !strings.HasPrefix(md, "## SageMaker right-sizing") || !strings.Contains(md, "| training-job `sk-on-p3`") {
		t.Errorf("markdown (exit %d):\n%s", code, md)
	}
}

func TestAdviseUsage(t *testing.T) {
	env := emulatortest.Start(t, adviseFleet)
	_, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--lookback", "2h")
	if code != root.ExitUsage || !strings.Contains(errOut, "--lookback") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestDemoShowsAdvise(t *testing.T) {
	out, errOut, code := runPricing(t, t.TempDir(), "demo")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	_, adv, ok := strings.Cut(out, "recommends (right-sizing")
	if !ok {
		t.Fatalf("no advise section:\n%s", out)
	}
	for _, want := range []string{
		"tabular-scorer-claims/AllTraffic, tabular-scorer-leads/AllTraffic, tabular-scorer-renewals/AllTraffic",
		"endpoint-multi-model", "claims-sklearn-p3", "training-cpu", "training-spot", "studio-idle-shutdown",
		"llm-playground/AllTraffic endpoint-p-to-g: no G or Inf type with a hosting price",
	} {
		if !strings.Contains(adv, want) {
			t.Errorf("demo advise lacks %q", want)
		}
	}
	for _, not := range []string{"fraud-detector", "search-ranker"} { // busy and autoscaled
		if strings.Contains(adv, not) {
			t.Errorf("demo advise mentions %s", not)
		}
	}
}

func TestAdvisePartialEvidence(t *testing.T) {
	env := emulatortest.Start(t, adviseFleet)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "not authorized", Status: 403},
	}})
	out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--region", "us-east-1")
	if code != root.ExitPartial || !strings.Contains(errOut, "evidence read(s) failed") {
		t.Errorf("exit %d, want %d; stderr %q", code, root.ExitPartial, errOut)
	}
	if !strings.Contains(out, "Evidence not read") || strings.Contains(out, "endpoint-multi-model") {
		t.Errorf("output:\n%s", out)
	}
}

// Against an AWS-compatible endpoint without CloudWatch's RPC v2 CBOR
// protocol, advise falls back to the query protocol (saying so at info)
// and reads the evidence as it would over CBOR.
func TestAdviseFallsBackToQueryWithoutCBOR(t *testing.T) {
	env := emulatortest.StartWith(t, emulator.Options{NoCBOR: true}, adviseFleet)
	out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--region", "us-east-1", "--log-level", "info")
	if code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", code, errOut)
	}
	if strings.Contains(out, "No right-sizing recommendations") || !strings.Contains(out, "scorer-a") || strings.Contains(out, "Evidence not read") {
		t.Errorf("output:\n%s", out)
	}
	if n := strings.Count(errOut, "using the query protocol for the rest of the run"); n != 1 {
		t.Errorf("%d fallback lines on stderr, want 1:\n%s", n, errOut)
	}
	if calls := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]; calls == 0 {
		t.Errorf("no GetMetricData over the query protocol")
	}
}

// When no evidence could be read, advise never says there is nothing to
// recommend: it says the evidence was unreadable and exits partial.
func TestAdviseUnreadableEvidenceIsNotNoRecommendations(t *testing.T) {
	const fleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIAMLDEV]
    regions:
      us-east-1:
        endpoints:
          - {name: scorer-a, age: 60d, variants: [{name: AllTraffic, image: "sklearn:1", instanceType: ml.m5.large}]}
        metrics:
          - {endpoint: scorer-a, metric: CPUUtilization, value: 3}
`
	env := emulatortest.Start(t, fleet)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "not authorized", Status: 403},
	}})
	for _, format := range []string{"table", "markdown"} {
		out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "advise", "--region", "us-east-1", "-o", format)
		if code != root.ExitPartial {
			t.Errorf("%s: exit %d, want %d; stderr %q", format, code, root.ExitPartial, errOut)
		}
		if strings.Contains(out, "No right-sizing recommendations") || !strings.Contains(out, "Evidence unreadable: 1 evidence read failed") {
			t.Errorf("%s output:\n%s", format, out)
		}
	}
}
