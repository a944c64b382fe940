package advise_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

const acct = "123456789012"

// scenario wraps region bodies (already indented for `regions:`) into a
// scenario at a fixed time.
func scenario(regions string) string {
	return `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "` + acct + `"
    name: ml-dev
    regions:
` + regions
}

// refreshed is the embedded catalog with the hosting prices that
// `sagesaver pricing refresh` would add in us-east-1 (the snapshot has
// only ml.m5.large there).
func refreshed(t *testing.T) *pricing.Catalog {
	t.Helper()
	hosting := map[string]string{
		"ml.m5.xlarge": "0.23", "ml.m5.2xlarge": "0.461", "ml.m5.4xlarge": "0.922",
		"ml.c5.large": "0.102", "ml.c5.xlarge": "0.204", "ml.c5.2xlarge": "0.408",
		"ml.g4dn.xlarge": "0.7364", "ml.g5.xlarge": "1.41", "ml.p3.2xlarge": "3.825",
	}
	var rows []pricing.Row
	for typ, usd := range hosting {
		rows = append(rows, pricing.Row{Region: "us-east-1", InstanceType: typ, Component: pricing.Hosting,
			USDPerHour: pricing.MustParseMoney(usd), AsOf: "2026-11-01", Source: pricing.SourceRefresh})
	}
	return pricing.Embedded().Overlay(rows, nil)
}

// run scans the emulator's fleet, gathers the evidence through the real
// SDK clients and advises.
func run(t *testing.T, env *emulatortest.Env, cat *pricing.Catalog) *advise.Result {
	t.Helper()
	ctx := context.Background()
	var targets []inventory.Target
	var sources []advise.Source
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		cl := env.Clients(r)
		targets = append(targets, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging}})
		sources = append(sources, advise.Source{Account: acct, Region: r, CloudWatch: cl.CloudWatch, Scaling: cl.ApplicationAutoScaling})
	}
	now := env.Emu.Now()
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors()}
	res := sc.Scan(ctx, targets, &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback})
	if len(res.Failures) > 0 {
		t.Fatalf("scan failures: %+v", res.Failures)
	}
	ev := advise.Gather(ctx, sources, res.Resources, now, advise.DefaultLookback, inventory.DefaultJobLookback)
	if len(ev.Failures) > 0 {
		t.Fatalf("evidence failures: %v", ev.Failures)
	}
	return advise.Advise(res.Resources, ev, cat, advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
}

// brief is a recommendation in one line: "resource rule current -> proposed".
func brief(res *advise.Result, rules ...advise.Rule) []string {
	var out []string
	for _, r := range res.Recommendations {
		for _, want := range rules {
			if r.Rule == want {
				out = append(out, fmt.Sprintf("%s %s %s -> %s", r.Resource, r.Rule, r.Current, r.Proposed))
			}
		}
	}
	sort.Strings(out)
	return out
}

func find(t *testing.T, res *advise.Result, resource string, rule advise.Rule) advise.Recommendation {
	t.Helper()
	for _, r := range res.Recommendations {
		if r.Resource == resource && r.Rule == rule {
			return r
		}
	}
	t.Fatalf("no %s recommendation for %s; have %v", rule, resource, brief(res, rule))
	return advise.Recommendation{}
}

func rate(t *testing.T, c *pricing.Catalog, region, typ string, comp pricing.Component) pricing.Price {
	t.Helper()
	p := c.Lookup(region, typ, comp)
	if !p.Known {
		t.Fatalf("no price for %s %s in %s", typ, comp, region)
	}
	return p
}

// wantSaving checks a saving against the catalog: (from - to) x 730.
func wantMonthly(t *testing.T, got pricing.Price, want pricing.Money) {
	t.Helper()
	if !got.Known || !got.Amount.Equal(want) {
		t.Errorf("saving = %v (known %v), want %v", got.Amount, got.Known, want)
	}
}

func TestEndpointRules(t *testing.T) {
	const sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
	cases := []struct {
		name    string
		regions string
		rules   []advise.Rule
		want    []string
	}{
		{
			name:  "low utilization: one size down to what fits; a busy endpoint stays",
			rules: []advise.Rule{advise.EndpointDownsize, advise.EndpointFewer},
			regions: `      us-east-1:
        endpoints:
          - {name: oversized, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
          - {name: busy, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
          - {name: memory-bound, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
          - {name: too-new, age: 2d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
        metrics:
          - {endpoint: oversized, metric: CPUUtilization, value: 20}
          - {endpoint: oversized, metric: MemoryUtilization, value: 10}
          - {endpoint: oversized, metric: Invocations, value: 100}
          - {endpoint: busy, metric: CPUUtilization, value: 400, swing: 0.3}
          - {endpoint: busy, metric: MemoryUtilization, value: 40}
          - {endpoint: busy, metric: Invocations, value: 3000}
          - {endpoint: memory-bound, metric: CPUUtilization, value: 20}
          - {endpoint: memory-bound, metric: MemoryUtilization, value: 80}
          - {endpoint: memory-bound, metric: Invocations, value: 100}
          - {endpoint: too-new, metric: CPUUtilization, value: 20, from: 2d}
          - {endpoint: too-new, metric: Invocations, value: 100, from: 2d}
`,
			want: []string{"oversized/AllTraffic endpoint-downsize ml.m5.2xlarge x1 -> ml.m5.large x1"},
		},
		{
			name:  "low utilization on several instances: fewer, never under two; two get a smaller size; autoscaled ones are left to their policy",
			rules: []advise.Rule{advise.EndpointDownsize, advise.EndpointFewer},
			regions: `      us-east-1:
        endpoints:
          - {name: overprovisioned, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
          - {name: busy-fleet, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
          - {name: pair, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.2xlarge, count: 2}]}
          - name: scaled
            age: 60d
            variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]
            autoscaling: [{variant: AllTraffic, min: 2, max: 6, policies: [{name: ipi, targetValue: 700}]}]
        metrics:
          - {endpoint: pair, metric: CPUUtilization, value: 40}
          - {endpoint: pair, metric: MemoryUtilization, value: 20}
          - {endpoint: pair, metric: Invocations, value: 500}
          - {endpoint: scaled, metric: CPUUtilization, value: 40}
          - {endpoint: scaled, metric: MemoryUtilization, value: 20}
          - {endpoint: scaled, metric: Invocations, value: 500}
          - {endpoint: overprovisioned, metric: CPUUtilization, value: 40}
          - {endpoint: overprovisioned, metric: MemoryUtilization, value: 20}
          - {endpoint: overprovisioned, metric: Invocations, value: 500}
          - {endpoint: busy-fleet, metric: CPUUtilization, value: 220}
          - {endpoint: busy-fleet, metric: MemoryUtilization, value: 20}
          - {endpoint: busy-fleet, metric: Invocations, value: 5000}
`,
			want: []string{
				"overprovisioned/AllTraffic endpoint-fewer ml.c5.xlarge x4 -> ml.c5.xlarge x2",
				"pair/AllTraffic endpoint-downsize ml.c5.2xlarge x2 -> ml.c5.xlarge x2", // 20% of 16 GiB does not fit 70% of c5.large's 4
			},
		},
		{
			name:  "P family serving inference: G family sized by GPU memory; a G endpoint is left alone",
			rules: []advise.Rule{advise.EndpointGPUClass},
			regions: `      us-east-1:
        endpoints:
          - {name: llm, age: 30d, variants: [{name: AllTraffic, image: "tgi:1", instanceType: ml.p3.2xlarge}]}
          - {name: already-g, age: 30d, variants: [{name: AllTraffic, image: "tgi:1", instanceType: ml.g5.xlarge}]}
        metrics:
          - {endpoint: llm, metric: CPUUtilization, value: 50}
          - {endpoint: llm, metric: MemoryUtilization, value: 10}
          - {endpoint: llm, metric: GPUUtilization, value: 20}
          - {endpoint: llm, metric: GPUMemoryUtilization, value: 40}
          - {endpoint: llm, metric: Invocations, value: 30}
          - {endpoint: already-g, metric: GPUUtilization, value: 20}
          - {endpoint: already-g, metric: Invocations, value: 30}
`,
			want: []string{"llm/AllTraffic endpoint-p-to-g ml.p3.2xlarge x1 -> ml.g4dn.xlarge x1"},
		},
		{
			name:  "swinging traffic on a fixed count gets a scaling policy; autoscaled and steady ones do not",
			rules: []advise.Rule{advise.EndpointAutoscale},
			regions: `      us-east-1:
        endpoints:
          - {name: swinging, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
          - name: autoscaled
            age: 60d
            variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]
            autoscaling: [{variant: AllTraffic, min: 1, max: 4, policies: [{name: ipi, targetValue: 900}]}]
          - {name: steady, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 2}]}
        metrics:
          - {endpoint: swinging, metric: Invocations, value: 2000, swing: 0.8}
          - {endpoint: swinging, metric: CPUUtilization, value: 200}
          - {endpoint: autoscaled, metric: Invocations, value: 2000, swing: 0.8}
          - {endpoint: autoscaled, metric: CPUUtilization, value: 200}
          - {endpoint: steady, metric: Invocations, value: 1000}
          - {endpoint: steady, metric: CPUUtilization, value: 300}
`,
			want: []string{"swinging/AllTraffic endpoint-autoscale ml.c5.xlarge x4 fixed -> ml.c5.xlarge 1-4, target 895/instance/min"},
		},
		{
			name:  "low-traffic endpoints on one image share a multi-model endpoint; a busy one and another image do not",
			rules: []advise.Rule{advise.EndpointMultiModel},
			regions: `      us-east-1:
        endpoints:
          - {name: scorer-a, age: 60d, variants: [{name: AllTraffic, image: "` + sklearn + `", instanceType: ml.m5.large}]}
          - {name: scorer-b, age: 60d, variants: [{name: AllTraffic, image: "` + sklearn + `", instanceType: ml.m5.large}]}
          - {name: scorer-c, age: 60d, variants: [{name: AllTraffic, image: "` + sklearn + `", instanceType: ml.m5.large}]}
          - {name: scorer-busy, age: 60d, variants: [{name: AllTraffic, image: "` + sklearn + `", instanceType: ml.m5.large}]}
          - {name: lonely, age: 60d, variants: [{name: AllTraffic, image: "other:1", instanceType: ml.m5.large}]}
        metrics:
          - {endpoint: scorer-a, metric: Invocations, value: 1, every: 10m}
          - {endpoint: scorer-b, metric: Invocations, value: 1, every: 20m}
          - {endpoint: scorer-c, metric: Invocations, value: 1, every: 30m}
          - {endpoint: scorer-busy, metric: Invocations, value: 600}
          - {endpoint: lonely, metric: Invocations, value: 1, every: 10m}
          - {endpoint: scorer-a, metric: CPUUtilization, value: 3}
          - {endpoint: scorer-b, metric: CPUUtilization, value: 3}
          - {endpoint: scorer-c, metric: CPUUtilization, value: 3}
          - {endpoint: scorer-busy, metric: CPUUtilization, value: 3}
          - {endpoint: lonely, metric: CPUUtilization, value: 3}
`,
			want: []string{"scorer-a/AllTraffic, scorer-b/AllTraffic, scorer-c/AllTraffic endpoint-multi-model 3 endpoints -> 1 multi-model endpoint ml.m5.large x1"},
		},
		{
			name:  "a few calls a day: serverless (CPU) or batch transform (GPU); hourly traffic is not rare",
			rules: []advise.Rule{advise.EndpointServerless},
			regions: `      us-east-1:
        endpoints:
          - {name: rare, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.xlarge}]}
          - {name: rare-gpu, age: 60d, variants: [{name: AllTraffic, image: "y:1", instanceType: ml.g4dn.xlarge}]}
          - {name: hourly, age: 60d, variants: [{name: AllTraffic, image: "z:1", instanceType: ml.m5.xlarge}]}
        metrics:
          - {endpoint: rare, metric: Invocations, value: 1, every: 2h}
          - {endpoint: rare, metric: MemoryUtilization, value: 10}
          - {endpoint: rare-gpu, metric: Invocations, value: 1, every: 6h}
          - {endpoint: hourly, metric: Invocations, value: 3, every: 1h}
`,
			want: []string{
				"rare-gpu/AllTraffic endpoint-serverless ml.g4dn.xlarge x1 -> batch transform",
				"rare/AllTraffic endpoint-serverless ml.m5.xlarge x1 -> serverless inference",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := emulatortest.Start(t, scenario(tc.regions))
			res := run(t, env, refreshed(t))
			if diff := cmp.Diff(tc.want, brief(res, tc.rules...)); diff != "" {
				t.Errorf("recommendations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEndpointSavingsFromCatalog(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        endpoints:
          - {name: oversized, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
          - {name: overprovisioned, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
        metrics:
          - {endpoint: oversized, metric: CPUUtilization, value: 20}
          - {endpoint: oversized, metric: MemoryUtilization, value: 10}
          - {endpoint: oversized, metric: Invocations, value: 100}
          - {endpoint: overprovisioned, metric: CPUUtilization, value: 40}
          - {endpoint: overprovisioned, metric: Invocations, value: 500}
`))
	cat := refreshed(t)
	res := run(t, env, cat)
	down := find(t, res, "oversized/AllTraffic", advise.EndpointDownsize)
	from, to := rate(t, cat, "us-east-1", "ml.m5.2xlarge", pricing.Hosting), rate(t, cat, "us-east-1", "ml.m5.large", pricing.Hosting)
	wantMonthly(t, down.Saving, from.Amount.Sub(to.Amount).Mul(pricing.HoursPerMonth))
	if down.Confidence != advise.High {
		t.Errorf("confidence = %s, want high (complete CPU and memory)", down.Confidence)
	}
	fewer := find(t, res, "overprovisioned/AllTraffic", advise.EndpointFewer)
	c5 := rate(t, cat, "us-east-1", "ml.c5.xlarge", pricing.Hosting)
	wantMonthly(t, fewer.Saving, c5.Amount.Mul(2*pricing.HoursPerMonth)) // 4 -> 2: AWS advises two for AZ redundancy
	if fewer.Confidence != advise.Medium {
		t.Errorf("confidence = %s, want medium (no memory numbers)", fewer.Confidence)
	}
	// CPU is normalised by vCPUs: 20% of one core on 8 vCPUs is 2.5%.
	if !strings.Contains(strings.Join(down.Evidence, "\n"), "20% of 8 vCPUs (2.5% of the instance)") {
		t.Errorf("evidence does not normalise CPU by vCPUs: %q", down.Evidence)
	}
	if got := res.Total(); !got.Sum.Equal(down.Saving.Amount.Add(fewer.Saving.Amount)) {
		t.Errorf("total = %v, want the sum of both", got.Sum)
	}
}

// The printed scaling configuration is accepted by Application Auto
// Scaling as is, and once applied the rule no longer fires.
func TestAutoscalePlanApplies(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        endpoints:
          - {name: swinging, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
        metrics:
          - {endpoint: swinging, metric: Invocations, value: 2000, swing: 0.8}
          - {endpoint: swinging, metric: CPUUtilization, value: 200}
`))
	cat := refreshed(t)
	res := run(t, env, cat)
	rec := find(t, res, "swinging/AllTraffic", advise.EndpointAutoscale)
	p := rec.Scaling
	if p == nil {
		t.Fatal("no scaling plan")
	}
	// 2,000 a minute swinging +-80%: the busiest minute is 3,600, 900
	// per instance on 4, and the busiest hour's average a little less;
	// the quietest (400 a minute) needs one instance.
	if p.TargetValue < 850 || p.TargetValue > 900 {
		t.Errorf("target %d, want the busiest hour per instance per minute (850..900)", p.TargetValue)
	}
	if diff := cmp.Diff(advise.ScalingPlan{ResourceID: "endpoint/swinging/variant/AllTraffic", MinCapacity: 1, MaxCapacity: 4,
		TargetValue: p.TargetValue, ScaleInCooldown: 300, ScaleOutCooldown: 60}, *p); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if rec.Saving.Amount.Sign() <= 0 || rec.Saving.Amount.Cmp(rec.CurrentMonthly.Amount.MulRat(3, 4)) > 0 {
		t.Errorf("saving %v outside (0, 3/4 of %v]", rec.Saving.Amount, rec.CurrentMonthly.Amount)
	}
	for _, want := range []string{"register-scalable-target", "--min-capacity 1 --max-capacity 4", fmt.Sprintf(`"TargetValue":%d,`, p.TargetValue), "SageMakerVariantInvocationsPerInstance"} {
		if !strings.Contains(rec.Action, want) {
			t.Errorf("action lacks %q:\n%s", want, rec.Action)
		}
	}

	ctx := context.Background()
	aas := env.Clients("us-east-1").ApplicationAutoScaling
	dim := aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount
	if _, err := aas.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(p.ResourceID), ScalableDimension: dim,
		MinCapacity: aws.Int32(int32(p.MinCapacity)), MaxCapacity: aws.Int32(int32(p.MaxCapacity)),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := aas.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{
		PolicyName: aws.String("invocations-per-instance"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String(p.ResourceID), ScalableDimension: dim, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(float64(p.TargetValue)),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
			ScaleInCooldown:               aws.Int32(int32(p.ScaleInCooldown)), ScaleOutCooldown: aws.Int32(int32(p.ScaleOutCooldown)),
		},
	}); err != nil {
		t.Fatal(err)
	}
	if got := brief(run(t, env, cat), advise.EndpointAutoscale); len(got) != 0 {
		t.Errorf("after applying the plan: %v", got)
	}
}

// Never a type without a price of its own for the component: with the
// embedded snapshot (hosting in us-east-1 only for ml.m5.large), a P3 and
// an oversized C5 get no proposal, and say why.
func TestNoRecommendationWithoutPrice(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        endpoints:
          - {name: llm, age: 30d, variants: [{name: AllTraffic, image: "tgi:1", instanceType: ml.p3.2xlarge}]}
          - {name: oversized, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.2xlarge}]}
        metrics:
          - {endpoint: llm, metric: GPUUtilization, value: 20}
          - {endpoint: llm, metric: GPUMemoryUtilization, value: 40}
          - {endpoint: llm, metric: CPUUtilization, value: 50}
          - {endpoint: llm, metric: Invocations, value: 30}
          - {endpoint: oversized, metric: CPUUtilization, value: 20}
          - {endpoint: oversized, metric: MemoryUtilization, value: 10}
          - {endpoint: oversized, metric: Invocations, value: 100}
`))
	cat := pricing.Embedded()
	res := run(t, env, cat)
	if got := brief(res, advise.EndpointGPUClass, advise.EndpointDownsize); len(got) != 0 {
		t.Errorf("recommended without a price: %v", got)
	}
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[s.Resource+" "+string(s.Rule)] = s.Reason
	}
	for _, k := range []string{"llm/AllTraffic endpoint-p-to-g", "oversized/AllTraffic endpoint-downsize"} {
		if !strings.Contains(skipped[k], "no hosting price") && !strings.Contains(skipped[k], "hosting price in us-east-1") {
			t.Errorf("skip %q: reason %q does not name the missing price", k, skipped[k])
		}
	}
	// Every proposed type anywhere in the result is offered for its
	// component in its region.
	for _, r := range res.Recommendations {
		typ := strings.Fields(strings.TrimPrefix(r.Proposed, "1 multi-model endpoint "))[0]
		if !strings.HasPrefix(typ, "ml.") {
			continue
		}
		comp := pricing.Hosting
		if r.Kind == resource.TrainingJob {
			comp = pricing.Training
		}
		if !cat.Offered(r.Region, typ, comp) {
			t.Errorf("%s: proposed %s has no %s price in %s", r.Resource, typ, comp, r.Region)
		}
	}
}

func TestTrainingRules(t *testing.T) {
	const (
		sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
		torch   = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker"
		tfcpu   = "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.14.1-cpu-py310-ubuntu20.04-sagemaker"
	)
	env := emulatortest.Start(t, scenario(`      us-east-1:
        trainingJobs:
          - {name: sk-on-p3, instanceType: ml.p3.2xlarge, image: "`+sklearn+`", age: 10h, duration: 2h, hostMetrics: {CPUUtilization: 90, MemoryUtilization: 30, GPUUtilization: 0}}
          - {name: torch-on-p3, instanceType: ml.p3.2xlarge, image: "`+torch+`", age: 10h, duration: 3h, hostMetrics: {GPUUtilization: 80, MemoryUtilization: 40}}
          - {name: cpu-tag-busy-gpu, instanceType: ml.g4dn.xlarge, image: "`+tfcpu+`", age: 10h, duration: 1h, hostMetrics: {GPUUtilization: 60}}
          - {name: spot-job, instanceType: ml.g5.xlarge, image: "`+torch+`", spot: true, spotSavings: 75, age: 2d, duration: 4h}
          - {name: etl-1, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 1d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: etl-2, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 2d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: etl-3, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 3d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: etl-4, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 4d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: etl-5, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 5d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: etl-6, instanceType: ml.m5.12xlarge, image: "`+sklearn+`", age: 6d, duration: 8m, hostMetrics: {CPUUtilization: 200}}
          - {name: big-short-1, instanceType: ml.c5.9xlarge, image: "`+sklearn+`", age: 1d, duration: 8m}
          - {name: big-short-2, instanceType: ml.c5.9xlarge, image: "`+sklearn+`", age: 2d, duration: 8m}
`))
	cat := pricing.Embedded()
	res := run(t, env, cat)

	t.Run("CPU-only image on a GPU moves to M; a GPU image and a busy GPU stay", func(t *testing.T) {
		want := []string{"sk-on-p3 training-cpu ml.p3.2xlarge x1 -> ml.m5.4xlarge x1"}
		if diff := cmp.Diff(want, brief(res, advise.TrainingCPU)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		rec := find(t, res, "sk-on-p3", advise.TrainingCPU)
		if rec.Confidence != advise.High {
			t.Errorf("confidence %s, want high (GPU metrics at 0)", rec.Confidence)
		}
		var skip string
		for _, s := range res.Skipped {
			if s.Resource == "cpu-tag-busy-gpu" && s.Rule == advise.TrainingCPU {
				skip = s.Reason
			}
		}
		if !strings.Contains(skip, "GPUUtilization reached") {
			t.Errorf("busy GPU under a -cpu- image: skip reason %q", skip)
		}
	})

	t.Run("on-demand jobs save the account's observed spot discount", func(t *testing.T) {
		rec := find(t, res, "torch-on-p3", advise.TrainingSpot)
		// spot-job was billed for 25% of its run: 75% off.
		wantMonthly(t, rec.Saving, rec.CurrentMonthly.Amount.MulRat(75, 100))
		if rec.Confidence != advise.Medium {
			t.Errorf("confidence %s, want medium (observed discount)", rec.Confidence)
		}
		if !strings.Contains(rec.Action, "checkpoint") {
			t.Errorf("action does not mention checkpointing: %s", rec.Action)
		}
		for _, r := range res.Recommendations {
			if r.Resource == "spot-job" {
				t.Errorf("spot job got %s", r.Rule)
			}
		}
		// 3 hours of a p3.2xlarge in a 30-day lookback, per 730-hour month.
		p3 := rate(t, cat, "us-east-1", "ml.p3.2xlarge", pricing.Training)
		secs := int64(3 * 3600)
		want := p3.Amount.Mul(secs).MulRat(pricing.HoursPerMonth, int64(inventory.DefaultJobLookback/time.Hour)).MulRat(1, 3600)
		if got := rec.CurrentMonthly.Amount; got.Round(6).Cmp(want.Round(6)) != 0 {
			t.Errorf("current per month %v, want %v", got, want)
		}
	})

	// CPU 200% (4% of 48 vCPUs, with the emulator's 10% noise) needs 5
	// vCPUs at 50%: ml.m5.4xlarge is the smallest M5 with a training
	// price (ml.m5.2xlarge has none in the snapshot); 2 short jobs on a
	// C5 are not "many".
	t.Run("many short jobs on a large type go to a size that fits", func(t *testing.T) {
		want := []string{"6 jobs on ml.m5.12xlarge training-smaller ml.m5.12xlarge x1 -> ml.m5.4xlarge x1"}
		if diff := cmp.Diff(want, brief(res, advise.TrainingSmaller)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		rec := find(t, res, "6 jobs on ml.m5.12xlarge", advise.TrainingSmaller)
		if len(rec.Resources) != 6 {
			t.Errorf("resources %v", rec.Resources)
		}
	})
}

func TestSpotDefaultDiscount(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        trainingJobs:
          - {name: nightly, instanceType: ml.m5.xlarge, image: "xgb:1", age: 10h, duration: 2h}
`))
	res := run(t, env, pricing.Embedded())
	rec := find(t, res, "nightly", advise.TrainingSpot)
	wantMonthly(t, rec.Saving, rec.CurrentMonthly.Amount.MulRat(advise.DefaultSpotDiscountPercent, 100))
	if rec.Confidence != advise.Low || !strings.Contains(strings.Join(rec.Evidence, " "), "up to 90%") {
		t.Errorf("default discount: confidence %s, evidence %q", rec.Confidence, rec.Evidence)
	}
}

func TestNotebookRules(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        lifecycleConfigs:
          - {name: auto-stop, onStart: "#!/bin/bash\necho stop-when-idle\n"}
        notebooks:
          - {name: always-on, instanceType: ml.m5.xlarge, age: 10d, lastModified: 10d}
          - {name: with-lcc, instanceType: ml.m5.xlarge, age: 10d, lastModified: 10d, lifecycleConfig: auto-stop}
          - {name: stopped, instanceType: ml.m5.xlarge, age: 10d, lastModified: 10d, status: Stopped}
          - {name: fresh, instanceType: ml.m5.xlarge, age: 3h}
          - {name: gpu-quiet, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: {"sagesaver:last-activity": "2026-11-22T09:00:00Z", "sagesaver:heartbeat": "2026-11-25T11:55:00Z"}}
          - {name: gpu-busy, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: {"sagesaver:last-activity": "2026-11-25T11:50:00Z", "sagesaver:heartbeat": "2026-11-25T11:55:00Z"}}
          - {name: small-quiet, instanceType: ml.t3.medium, age: 10d, lastModified: 10d, tags: {"sagesaver:last-activity": "2026-11-20T09:00:00Z", "sagesaver:heartbeat": "2026-11-25T11:55:00Z"}}
`))
	cat := pricing.Embedded()
	res := run(t, env, cat)
	want := []string{
		"always-on notebook-auto-stop ml.m5.xlarge x1 always on -> auto-stop when idle (sagesaver agent)",
		"gpu-quiet notebook-downsize ml.g4dn.xlarge x1 -> ml.t3.medium x1",
	}
	if diff := cmp.Diff(want, brief(res, advise.NotebookAutoStop, advise.NotebookDownsize)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	m5 := rate(t, cat, "us-east-1", "ml.m5.xlarge", pricing.NotebookInstance)
	wantMonthly(t, find(t, res, "always-on", advise.NotebookAutoStop).Saving,
		m5.Amount.Mul(pricing.HoursPerMonth).MulRat(advise.HoursPerWeek-advise.WorkHoursPerWeek, advise.HoursPerWeek))
	g4, t3 := rate(t, cat, "us-east-1", "ml.g4dn.xlarge", pricing.NotebookInstance), rate(t, cat, "us-east-1", "ml.t3.medium", pricing.NotebookInstance)
	rec := find(t, res, "gpu-quiet", advise.NotebookDownsize)
	wantMonthly(t, rec.Saving, g4.Amount.Sub(t3.Amount).Mul(pricing.HoursPerMonth))
	if rec.Confidence != advise.Low {
		t.Errorf("confidence %s: the agent reports only its last activity", rec.Confidence)
	}
}

func TestStudioIdleShutdown(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        domains:
          - {name: with-idle, id: d-with0idle001, age: 100d, idleShutdown: {enabled: true, timeout: 60m}}
          - {name: without-idle, id: d-without0idle1, age: 100d}
        spaces:
          - {domain: with-idle, name: a-lab, age: 50d}
          - {domain: without-idle, name: b-lab, age: 50d}
        apps:
          - {domain: with-idle, space: a-lab, type: JupyterLab, instanceType: ml.t3.medium, age: 5d}
          - {domain: without-idle, space: b-lab, type: JupyterLab, instanceType: ml.t3.medium, age: 5d}
`))
	cat := pricing.Embedded()
	res := run(t, env, cat)
	want := []string{"without-idle (d-without0idle1) studio-idle-shutdown no idle shutdown -> idle shutdown after 60 min"}
	if diff := cmp.Diff(want, brief(res, advise.StudioIdleShutdown)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	t3 := rate(t, cat, "us-east-1", "ml.t3.medium", pricing.StudioJupyterLab)
	rec := find(t, res, "without-idle (d-without0idle1)", advise.StudioIdleShutdown)
	wantMonthly(t, rec.Saving, t3.Amount.Mul(pricing.HoursPerMonth).MulRat(advise.HoursPerWeek-advise.WorkHoursPerWeek, advise.HoursPerWeek))
	if !strings.Contains(rec.Action, "update-domain --domain-id d-without0idle1") {
		t.Errorf("action: %s", rec.Action)
	}
}

// TestNotebookUsageRules: with the agent's usage summary, an unused GPU
// goes to a CPU type with room for the peak memory (High after 72 watched
// hours, Medium before), a large CPU type used at under half goes to a
// smaller one with twice the busiest hour, and nothing is said of a used
// GPU, of a summary shorter than 24 hours, or of a GPU the agent could not
// read.
func TestNotebookUsageRules(t *testing.T) {
	usage := func(hours int, cpu string, gpu, gpus int) string {
		return fmt.Sprintf(`{"sagesaver:usage": "v1 since=2026-11-20T09:00Z hours=%d cpu-peak=%s mem-peak=2.5 gpu-peak=%d gpus=%d"}`, hours, cpu, gpu, gpus)
	}
	env := emulatortest.Start(t, scenario(`      us-east-1:
        notebooks:
          - {name: gpu-unused, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: `+usage(80, "0.3", 2, 1)+`}
          - {name: gpu-unused-short, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: `+usage(30, "0.3", 2, 1)+`}
          - {name: gpu-used, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: `+usage(80, "0.3", 45, 1)+`}
          - {name: gpu-unread, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: `+usage(80, "0.3", 0, 0)+`}
          - {name: gpu-too-short, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: `+usage(10, "0.3", 0, 1)+`}
          - {name: big-idle-cpu, instanceType: ml.m5.4xlarge, age: 10d, lastModified: 10d, tags: `+usage(50, "1.5", 0, 0)+`}
          - {name: big-busy-cpu, instanceType: ml.m5.4xlarge, age: 10d, lastModified: 10d, tags: `+usage(50, "6", 0, 0)+`}
          - {name: gpu-big-memory, instanceType: ml.g4dn.xlarge, age: 10d, lastModified: 10d, tags: {"sagesaver:usage": "v1 since=2026-11-20T09:00Z hours=80 cpu-peak=0.3 mem-peak=11 gpu-peak=0 gpus=1"}}
`))
	cat := pricing.Embedded()
	res := run(t, env, cat)
	var got []string
	for _, r := range res.Recommendations {
		if r.Rule == advise.NotebookDownsize {
			got = append(got, fmt.Sprintf("%s %s %s", r.Resource, r.Proposed, r.Confidence))
		}
	}
	slices.Sort(got)
	big := find(t, res, "big-idle-cpu", advise.NotebookDownsize)
	bigMem := find(t, res, "gpu-big-memory", advise.NotebookDownsize)
	want := []string{
		"big-idle-cpu " + big.Proposed + " " + string(advise.Medium),
		"gpu-big-memory " + bigMem.Proposed + " " + string(advise.High),
		"gpu-unused ml.t3.medium x1 " + string(advise.High),
		"gpu-unused-short ml.t3.medium x1 " + string(advise.Medium),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	to := strings.TrimSuffix(big.Proposed, " x1")
	if s, ok := cat.Spec(to); !ok || s.VCPU < 3 || s.VCPU >= 16 || s.Accelerated() {
		t.Errorf("big-idle-cpu -> %s (%+v): want a CPU type with 3 to 15 vCPUs", to, s)
	}
	// 11 GiB in use needs 13.75 GiB: not ml.t3.medium's 4.
	if s, ok := cat.Spec(strings.TrimSuffix(bigMem.Proposed, " x1")); !ok || s.MemoryGiB < 13.75 || s.Accelerated() {
		t.Errorf("gpu-big-memory -> %s (%+v): want a CPU type with 13.75 GiB or more", bigMem.Proposed, s)
	}
	m5, toRate := rate(t, cat, "us-east-1", "ml.m5.4xlarge", pricing.NotebookInstance), rate(t, cat, "us-east-1", to, pricing.NotebookInstance)
	wantMonthly(t, big.Saving, m5.Amount.Sub(toRate.Amount).Mul(pricing.HoursPerMonth))
	ev := strings.Join(find(t, res, "gpu-unused", advise.NotebookDownsize).Evidence, " | ")
	for _, w := range []string{"80 h since 2026-11-20", "0.3 cores of CPU", "2% of the busiest GPU", "memory in use peaked at 2.5 GiB; ml.t3.medium has 4 GiB"} {
		if !strings.Contains(ev, w) {
			t.Errorf("evidence %q lacks %q", ev, w)
		}
	}
}
