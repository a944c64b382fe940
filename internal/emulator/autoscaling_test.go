package emulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const dimension = aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount

func targets(t *testing.T, as *aas.Client, in *aas.DescribeScalableTargetsInput) []string {
	t.Helper()
	var out []string
	p := aas.NewDescribeScalableTargetsPaginator(as, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.ScalableTargets {
			out = append(out, aws.ToString(tg.ResourceId))
		}
	}
	return out
}

func policies(t *testing.T, as *aas.Client, resourceID string) []string {
	t.Helper()
	var out []string
	in := &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker}
	if resourceID != "" {
		in.ResourceId = aws.String(resourceID)
	}
	p := aas.NewDescribeScalingPoliciesPaginator(as, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range page.ScalingPolicies {
			out = append(out, aws.ToString(sp.ResourceId)+":"+aws.ToString(sp.PolicyName)+":"+string(sp.PolicyType))
		}
	}
	return out
}

func TestAutoScalingTargetsAndPolicies(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	c := env.Clients("us-east-1")
	as := c.ApplicationAutoScaling
	ctx := context.Background()

	// The scenario's autoscaled endpoint comes registered with a policy.
	if diff := cmp.Diff([]string{"endpoint/autoscaled/variant/AllTraffic"}, targets(t, as, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker})); diff != "" {
		t.Errorf("scenario targets (-want +got):\n%s", diff)
	}
	sp, err := as.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/autoscaled/variant/AllTraffic")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.ScalingPolicies) != 1 {
		t.Fatalf("scenario policies: %+v", sp.ScalingPolicies)
	}
	tt := sp.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration
	if tt == nil || aws.ToFloat64(tt.TargetValue) != 70 || tt.PredefinedMetricSpecification.PredefinedMetricType != aastypes.MetricTypeSageMakerVariantInvocationsPerInstance {
		t.Errorf("scenario policy: %+v", tt)
	}

	// Register the multi-variant endpoint's B variant, then change its range.
	reg := func(resourceID string, min, max int32) error {
		_, err := as.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(resourceID), ScalableDimension: dimension,
			MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max),
		})
		return err
	}
	if err := reg("endpoint/recs-ab/variant/B", 1, 6); err != nil {
		t.Fatal(err)
	}
	if err := reg("endpoint/recs-ab/variant/B", 2, 8); err != nil {
		t.Fatal(err)
	}
	out, err := as.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{"endpoint/recs-ab/variant/B"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ScalableTargets) != 1 || aws.ToInt32(out.ScalableTargets[0].MinCapacity) != 2 || aws.ToInt32(out.ScalableTargets[0].MaxCapacity) != 8 ||
		!strings.HasPrefix(aws.ToString(out.ScalableTargets[0].ScalableTargetARN), "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/") {
		t.Errorf("re-registered target: %+v", out.ScalableTargets)
	}

	errs := []struct {
		name     string
		call     func() error
		code     string
		contains string
	}{
		{"missing endpoint", func() error { return reg("endpoint/nope/variant/AllTraffic", 1, 2) }, "ValidationException", "endpoint/nope/variant/AllTraffic"},
		{"missing variant", func() error { return reg("endpoint/recs-ab/variant/C", 1, 2) }, "ValidationException", "endpoint/recs-ab/variant/C"},
		{"serverless variant", func() error { return reg("endpoint/tiny-serverless/variant/AllTraffic", 1, 2) }, "ValidationException", "Unsupported service namespace, resource type or scalable dimension"},
		{"bad resource id", func() error { return reg("endpoint/recs-ab", 1, 2) }, "ValidationException", "Unsupported service namespace, resource type or scalable dimension"},
		{"min above max", func() error { return reg("endpoint/recs-ab/variant/A", 3, 2) }, "ValidationException", "capacity"},
		{"policy without target", func() error {
			_, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
				PolicyName: aws.String("p"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/A"), ScalableDimension: dimension,
				PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
				TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
					TargetValue: aws.Float64(10), PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
				},
			})
			return err
		}, "ObjectNotFoundException", "No scalable target registered for service namespace: sagemaker, resource ID: endpoint/recs-ab/variant/A"},
		{"deregister unknown", func() error {
			_, err := as.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/A"), ScalableDimension: dimension})
			return err
		}, "ObjectNotFoundException", "No scalable target found"},
		{"wrong metric", func() error {
			_, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
				PolicyName: aws.String("p"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/B"), ScalableDimension: dimension,
				PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
				TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
					TargetValue: aws.Float64(50), PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
				},
			})
			return err
		}, "ValidationException", "ECSServiceAverageCPUUtilization"},
	}
	for _, e := range errs {
		t.Run(e.name, func(t *testing.T) {
			code, msg := apiCode(t, e.call())
			if code != e.code || !strings.Contains(msg, e.contains) {
				t.Errorf("%s: %s, want %s containing %q", code, msg, e.code, e.contains)
			}
		})
	}
	// Burstable instances cannot scale: AWS's own message.
	if _, err := c.SageMaker.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("small"),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("fraud-scorer"), InstanceType: smtypes.ProductionVariantInstanceTypeMlT2Medium, InitialInstanceCount: aws.Int32(1)}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SageMaker.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String("small"), EndpointConfigName: aws.String("small")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(8 * time.Minute)
	if _, msg := apiCode(t, reg("endpoint/small/variant/AllTraffic", 1, 2)); msg != "You cannot register a variant with ml.t2.medium instance type as a scalable target. This is because the burstable performance of these instances can lead to unpredictable behavior with Auto Scaling." {
		t.Errorf("burstable: %s", msg)
	}

	// Policies: target tracking (with its alarms) and step scaling.
	put, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("invocations"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/B"), ScalableDimension: dimension,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(100),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(put.Alarms) != 2 || !strings.HasPrefix(aws.ToString(put.Alarms[0].AlarmName), "TargetTracking-endpoint/recs-ab/variant/B-AlarmHigh-") ||
		!strings.Contains(aws.ToString(put.PolicyARN), ":scalingPolicy:") || !strings.HasSuffix(aws.ToString(put.PolicyARN), "resource/sagemaker/endpoint/recs-ab/variant/B:policyName/invocations") {
		t.Errorf("put target tracking: %s %+v", aws.ToString(put.PolicyARN), put.Alarms)
	}
	if _, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("step-out"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/B"), ScalableDimension: dimension,
		PolicyType: aastypes.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: &aastypes.StepScalingPolicyConfiguration{
			AdjustmentType:  aastypes.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []aastypes.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(2)}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"endpoint/autoscaled/variant/AllTraffic:invocations:TargetTrackingScaling",
		"endpoint/recs-ab/variant/B:invocations:TargetTrackingScaling",
		"endpoint/recs-ab/variant/B:step-out:StepScaling",
	}
	if diff := cmp.Diff(want, policies(t, as, "")); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	if _, err := as.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step-out"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/B"), ScalableDimension: dimension}); err != nil {
		t.Fatal(err)
	}
	_, err = as.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step-out"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/recs-ab/variant/B"), ScalableDimension: dimension})
	if code, _ := apiCode(t, err); code != "ObjectNotFoundException" {
		t.Errorf("delete deleted policy: %s", code)
	}

	// An update that changes a registered variant's instance type is refused;
	// one that keeps it is fine.
	if _, err := c.SageMaker.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("recs-bigger"),
		ProductionVariants: []smtypes.ProductionVariant{
			{VariantName: aws.String("A"), ModelName: aws.String("recs-ab-a"), InstanceType: smtypes.ProductionVariantInstanceTypeMlC52xlarge, InitialInstanceCount: aws.Int32(1)},
			{VariantName: aws.String("B"), ModelName: aws.String("recs-ab-b"), InstanceType: smtypes.ProductionVariantInstanceTypeMlC54xlarge, InitialInstanceCount: aws.Int32(2)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SageMaker.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("recs-ab"), EndpointConfigName: aws.String("recs-bigger")})
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, `"[B]" must be deregistered as scalable targets`) {
		t.Errorf("update of a registered variant's instance type: %s: %s", code, msg)
	}

	// DeleteEndpoint deregisters the endpoint's targets and their policies.
	if _, err := c.SageMaker.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String("recs-ab")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"endpoint/autoscaled/variant/AllTraffic"}, targets(t, as, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ScalableDimension: dimension, MaxResults: aws.Int32(1)})); diff != "" {
		t.Errorf("targets after DeleteEndpoint (-want +got):\n%s", diff)
	}
	if got := policies(t, as, "endpoint/recs-ab/variant/B"); len(got) != 0 {
		t.Errorf("policies after DeleteEndpoint: %v", got)
	}
	// Deregistering by hand removes the target and its policy.
	if _, err := as.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/autoscaled/variant/AllTraffic"), ScalableDimension: dimension}); err != nil {
		t.Fatal(err)
	}
	if got := policies(t, as, ""); len(got) != 0 {
		t.Errorf("policies after deregistering: %v", got)
	}
	if status, body := jsonCall(t, env.URL, "application-autoscaling", "AnyScaleFrontendService.DescribeScalableTargets", `{}`); status != 400 || !strings.Contains(body, "serviceNamespace") {
		t.Errorf("missing namespace: %d %s", status, body)
	}
}

func TestAutoScalingPagesTargets(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      endpoints:\n")
	for i := 0; i < 60; i++ {
		b.WriteString("      - {name: ep-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + ", variants: [{name: AllTraffic, image: \"i:1\", instanceType: ml.m5.large}], autoscaling: [{variant: AllTraffic, min: 1, max: 3, policies: [{name: a, targetValue: 10}, {name: b, targetValue: 20}]}]}\n")
	}
	env := emulatortest.Start(t, b.String())
	as := env.Clients("us-east-1").ApplicationAutoScaling
	if got := targets(t, as, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker}); len(got) != 60 || got[0] != "endpoint/ep-aa/variant/AllTraffic" {
		t.Errorf("%d targets over pages of 50, first %v", len(got), got[:1])
	}
	if got := policies(t, as, ""); len(got) != 120 {
		t.Errorf("%d policies over pages of 10, want 120", len(got))
	}
	_, err := as.DescribeScalingPolicies(context.Background(), &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, MaxResults: aws.Int32(11)})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("MaxResults 11 for policies: %s", code)
	}
}
