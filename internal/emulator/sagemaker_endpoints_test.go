package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// The SDK clients satisfy the narrow interfaces the product takes.
var (
	_ awsapi.EndpointReader           = (*sagemaker.Client)(nil)
	_ awsapi.EndpointWriter           = (*sagemaker.Client)(nil)
	_ awsapi.EndpointScaler           = (*sagemaker.Client)(nil)
	_ awsapi.EndpointSearcher         = (*sagemaker.Client)(nil)
	_ awsapi.InferenceComponentReader = (*sagemaker.Client)(nil)
	_ awsapi.ScalingReader            = (*aas.Client)(nil)
	_ awsapi.ScalingWriter            = (*aas.Client)(nil)
)

const xgbImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

// tickClock moves the virtual clock forward in steps while a waiter
// polls, so that SDK waiters ride the emulator's transitions.
func tickClock(env *emulatortest.Env, step time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				env.Emu.Advance(step)
			}
		}
	}()
	return func() { close(done) }
}

// jsonCall sends a hand-made awsJson1_1 request (signed for service) and
// returns the status and body.
func jsonCall(t *testing.T, url, service, target, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261125/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func describe(t *testing.T, sm *sagemaker.Client, name string) *sagemaker.DescribeEndpointOutput {
	t.Helper()
	d, err := sm.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	return d
}

type variantView struct {
	Name                    string
	Current, Desired        int32
	CurrentW, DesiredW      float32
	Images                  []string
	ServerlessMB            int32
	HasCount, HasServerless bool
}

func variantsOf(vs []smtypes.ProductionVariantSummary) []variantView {
	var out []variantView
	for _, v := range vs {
		vv := variantView{
			Name: aws.ToString(v.VariantName), CurrentW: aws.ToFloat32(v.CurrentWeight), DesiredW: aws.ToFloat32(v.DesiredWeight),
			HasCount: v.CurrentInstanceCount != nil, HasServerless: v.CurrentServerlessConfig != nil,
			Current: aws.ToInt32(v.CurrentInstanceCount), Desired: aws.ToInt32(v.DesiredInstanceCount),
		}
		if v.CurrentServerlessConfig != nil {
			vv.ServerlessMB = aws.ToInt32(v.CurrentServerlessConfig.MemorySizeInMB)
		}
		for _, img := range v.DeployedImages {
			vv.Images = append(vv.Images, aws.ToString(img.SpecifiedImage))
			if r := aws.ToString(img.ResolvedImage); !strings.Contains(r, "@sha256:") || img.ResolutionTime == nil {
				vv.Images = append(vv.Images, "unresolved:"+r)
			}
		}
		out = append(out, vv)
	}
	return out
}

func TestEndpointLifecycleOnVirtualClock(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	for _, m := range []string{"churn-v1", "churn-v2"} {
		if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{
			ModelName:        aws.String(m),
			PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String(xgbImage), ModelDataUrl: aws.String("s3://models/" + m + ".tar.gz")},
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/SageMakerExecution"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("churn-v1"), PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String(xgbImage)}})
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != `Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/churn-v1".` {
		t.Errorf("duplicate model: %s: %s", code, msg)
	}
	_, err = sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("bad"),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("A"), ModelName: aws.String("nope"), InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Xlarge, InitialInstanceCount: aws.Int32(1)}},
	})
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".` {
		t.Errorf("config with missing model: %s: %s", code, msg)
	}
	mkConfig := func(name, model string, it smtypes.ProductionVariantInstanceType) {
		t.Helper()
		if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
			EndpointConfigName: aws.String(name),
			ProductionVariants: []smtypes.ProductionVariant{
				{VariantName: aws.String("A"), ModelName: aws.String(model), InstanceType: it, InitialInstanceCount: aws.Int32(1), InitialVariantWeight: aws.Float32(0.8)},
				{VariantName: aws.String("B"), ModelName: aws.String(model), InstanceType: it, InitialInstanceCount: aws.Int32(2), InitialVariantWeight: aws.Float32(0.2)},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	mkConfig("churn-cfg-1", "churn-v1", smtypes.ProductionVariantInstanceTypeMlM5Xlarge)
	mkConfig("churn-cfg-2", "churn-v2", smtypes.ProductionVariantInstanceTypeMlM5Xlarge)

	// The SDK checks required members itself; a raw request shows the
	// emulator's own answer.
	if status, body := jsonCall(t, env.URL, "sagemaker", "SageMaker.CreateEndpoint", `{"EndpointName":"churn"}`); status != 400 ||
		!strings.Contains(body, "ValidationException") || !strings.Contains(body, "Value null at 'endpointConfigName'") {
		t.Errorf("missing config name: %d %s", status, body)
	}
	_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("missing")})
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != `Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/missing".` {
		t.Errorf("missing config: %s: %s", code, msg)
	}
	out, err := sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{
		EndpointName: aws.String("Churn"), EndpointConfigName: aws.String("churn-cfg-1"),
		Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("growth")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"; aws.ToString(out.EndpointArn) != want {
		t.Errorf("arn = %s, want %s (lowercased)", aws.ToString(out.EndpointArn), want)
	}
	_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String("Churn"), EndpointConfigName: aws.String("churn-cfg-1")})
	if _, msg := apiCode(t, err); msg != `Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn".` {
		t.Errorf("duplicate endpoint: %s", msg)
	}

	d := describe(t, sm, "Churn")
	if d.EndpointStatus != smtypes.EndpointStatusCreating || len(d.ProductionVariants) != 0 {
		t.Fatalf("after create: %s with %d variants, want Creating with none yet", d.EndpointStatus, len(d.ProductionVariants))
	}
	// Neither a capacity change nor a delete is allowed while Creating.
	_, err = sm.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName:                aws.String("Churn"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("B"), DesiredInstanceCount: aws.Int32(3)}},
	})
	inProgress := `Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn".`
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != inProgress {
		t.Errorf("scale while creating: %s: %s", code, msg)
	}
	if awsapi.Classify(err) != awsapi.InvalidState {
		t.Errorf("classified %v, want invalid state", awsapi.Classify(err))
	}
	_, err = sm.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String("Churn")})
	if _, msg := apiCode(t, err); msg != inProgress {
		t.Errorf("delete while creating: %s", msg)
	}

	env.Emu.Advance(7 * time.Minute)
	if d := describe(t, sm, "Churn"); d.EndpointStatus != smtypes.EndpointStatusCreating {
		t.Fatalf("after 7 min: %s, want still Creating (about 8 min)", d.EndpointStatus)
	}
	stop := tickClock(env, 30*time.Second)
	err = sagemaker.NewEndpointInServiceWaiter(sm, func(o *sagemaker.EndpointInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	}).Wait(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("Churn")}, 10*time.Second)
	stop()
	if err != nil {
		t.Fatalf("in-service waiter: %v", err)
	}
	d = describe(t, sm, "Churn")
	want := []variantView{
		{Name: "A", Current: 1, Desired: 1, CurrentW: 0.8, DesiredW: 0.8, Images: []string{xgbImage}, HasCount: true},
		{Name: "B", Current: 2, Desired: 2, CurrentW: 0.2, DesiredW: 0.2, Images: []string{xgbImage}, HasCount: true},
	}
	if diff := cmp.Diff(want, variantsOf(d.ProductionVariants)); diff != "" {
		t.Errorf("variants in service (-want +got):\n%s", diff)
	}
	if aws.ToString(d.EndpointConfigName) != "churn-cfg-1" || !d.LastModifiedTime.After(*d.CreationTime) {
		t.Errorf("config %s, created %v, modified %v", aws.ToString(d.EndpointConfigName), d.CreationTime, d.LastModifiedTime)
	}

	// Scale variant B to 3 and shift weight: Updating, desired first.
	if _, err := sm.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName: aws.String("Churn"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{
			{VariantName: aws.String("B"), DesiredInstanceCount: aws.Int32(3), DesiredWeight: aws.Float32(0.5)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	d = describe(t, sm, "Churn")
	b := variantsOf(d.ProductionVariants)[1]
	if d.EndpointStatus != smtypes.EndpointStatusUpdating || b.Current != 2 || b.Desired != 3 || b.DesiredW != 0.5 || b.CurrentW != 0.2 {
		t.Errorf("while scaling: %s %+v", d.EndpointStatus, b)
	}
	env.Emu.Advance(5 * time.Minute)
	d = describe(t, sm, "Churn")
	b = variantsOf(d.ProductionVariants)[1]
	if d.EndpointStatus != smtypes.EndpointStatusInService || b.Current != 3 || b.CurrentW != 0.5 {
		t.Errorf("after scaling: %s %+v", d.EndpointStatus, b)
	}
	_, err = sm.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName:                aws.String("Churn"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("Z"), DesiredInstanceCount: aws.Int32(1)}},
	})
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, "Z") {
		t.Errorf("unknown variant: %s: %s", code, msg)
	}

	// UpdateEndpoint moves to the new config when the update settles.
	if _, err := sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("Churn"), EndpointConfigName: aws.String("churn-cfg-2")}); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, sm, "Churn"); d.EndpointStatus != smtypes.EndpointStatusUpdating || aws.ToString(d.EndpointConfigName) != "churn-cfg-1" {
		t.Errorf("while updating: %s on %s, want Updating on the old config", d.EndpointStatus, aws.ToString(d.EndpointConfigName))
	}
	_, err = sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("Churn"), EndpointConfigName: aws.String("churn-cfg-1")})
	if _, msg := apiCode(t, err); msg != inProgress {
		t.Errorf("update while updating: %s", msg)
	}
	env.Emu.Advance(8 * time.Minute)
	d = describe(t, sm, "Churn")
	if d.EndpointStatus != smtypes.EndpointStatusInService || aws.ToString(d.EndpointConfigName) != "churn-cfg-2" || variantsOf(d.ProductionVariants)[1].Current != 2 {
		t.Errorf("after update: %s on %s, variants %+v", d.EndpointStatus, aws.ToString(d.EndpointConfigName), variantsOf(d.ProductionVariants))
	}

	// Delete: Deleting, then gone; config, models and other endpoints stay.
	if _, err := sm.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String("Churn")}); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, sm, "Churn"); d.EndpointStatus != smtypes.EndpointStatusDeleting {
		t.Errorf("after delete: %s", d.EndpointStatus)
	}
	stop = tickClock(env, 30*time.Second)
	err = sagemaker.NewEndpointDeletedWaiter(sm, func(o *sagemaker.EndpointDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	}).Wait(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("Churn")}, 10*time.Second)
	stop()
	if err != nil {
		t.Fatalf("deleted waiter: %v", err)
	}
	_, err = sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("Churn")})
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != `Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn".` {
		t.Errorf("describe deleted: %s: %s", code, msg)
	}
	if !awsapi.IsNotFound(err) {
		t.Errorf("not classified as not found: %v", err)
	}
	if _, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("churn-cfg-2")}); err != nil {
		t.Errorf("config should survive the endpoint: %v", err)
	}
	if _, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("churn-v2")}); err != nil {
		t.Errorf("model should survive the endpoint: %v", err)
	}
	if _, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: out.EndpointArn}); !awsapi.IsNotFound(err) {
		t.Errorf("tags of a deleted endpoint: %v, want not found", err)
	}
}

func TestModelsAndEndpointConfigsDescribeListDelete(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      models:
      - {name: m-old, image: "`+xgbImage+`", age: 30d}
      - {name: m-new, image: "`+xgbImage+`", age: 1d}
      - {name: pipeline, images: ["pre:1", "`+xgbImage+`"], age: 10d}
      endpointConfigs:
      - name: cfg-async
        variants: [{name: AllTraffic, model: m-old, instanceType: ml.m5.xlarge, count: 2}]
        async: {outputPath: "s3://out/async", maxConcurrentInvocationsPerInstance: 4}
        age: 5d
      - name: cfg-serverless
        variants: [{name: AllTraffic, model: m-new, serverless: {memoryMB: 2048, maxConcurrency: 5}}]
        age: 2d
`)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	m, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("pipeline")})
	if err != nil {
		t.Fatal(err)
	}
	if m.PrimaryContainer != nil || len(m.Containers) != 2 || aws.ToString(m.Containers[1].Image) != xgbImage {
		t.Errorf("pipeline model containers: primary %v, %d containers", m.PrimaryContainer, len(m.Containers))
	}
	var names []string
	p := sagemaker.NewListModelsPaginator(sm, &sagemaker.ListModelsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Models {
			names = append(names, aws.ToString(m.ModelName))
		}
	}
	if diff := cmp.Diff([]string{"m-new", "pipeline", "m-old"}, names); diff != "" {
		t.Errorf("models, newest first (-want +got):\n%s", diff)
	}
	cfgs, err := sm.ListEndpointConfigs(ctx, &sagemaker.ListEndpointConfigsInput{SortBy: smtypes.EndpointConfigSortKeyName, SortOrder: smtypes.OrderKeyAscending, NameContains: aws.String("cfg-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs.EndpointConfigs) != 2 || aws.ToString(cfgs.EndpointConfigs[0].EndpointConfigName) != "cfg-async" {
		t.Errorf("configs: %+v", cfgs.EndpointConfigs)
	}
	dc, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("cfg-async")})
	if err != nil {
		t.Fatal(err)
	}
	pv := dc.ProductionVariants[0]
	if pv.InstanceType != smtypes.ProductionVariantInstanceTypeMlM5Xlarge || aws.ToInt32(pv.InitialInstanceCount) != 2 ||
		aws.ToString(dc.AsyncInferenceConfig.OutputConfig.S3OutputPath) != "s3://out/async" {
		t.Errorf("async config: %+v %+v", pv, dc.AsyncInferenceConfig)
	}
	ds, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("cfg-serverless")})
	if err != nil {
		t.Fatal(err)
	}
	if sc := ds.ProductionVariants[0].ServerlessConfig; sc == nil || aws.ToInt32(sc.MemorySizeInMB) != 2048 || ds.ProductionVariants[0].InstanceType != "" {
		t.Errorf("serverless config: %+v", ds.ProductionVariants[0])
	}
	_, err = sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("bad-serverless"),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("A"), ModelName: aws.String("m-new"), ServerlessConfig: &smtypes.ProductionVariantServerlessConfig{MemorySizeInMB: aws.Int32(1000), MaxConcurrency: aws.Int32(1)}}},
	})
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, "memorySizeInMB") {
		t.Errorf("bad serverless memory: %s: %s", code, msg)
	}

	for _, del := range []func() error{
		func() error {
			_, err := sm.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("m-old")})
			return err
		},
		func() error {
			_, err := sm.DeleteEndpointConfig(ctx, &sagemaker.DeleteEndpointConfigInput{EndpointConfigName: aws.String("cfg-async")})
			return err
		},
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
		if err := del(); !awsapi.IsNotFound(err) {
			t.Errorf("second delete: %v, want not found", err)
		}
	}
	_, err = sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("cfg-async")})
	if _, msg := apiCode(t, err); msg != `Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/cfg-async".` {
		t.Errorf("describe deleted config: %s", msg)
	}
}

// endpointFleet is a scenario with every inline endpoint form.
const endpointFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      endpoints:
      - name: fraud-scorer
        variants: [{name: AllTraffic, image: "` + xgbImage + `", instanceType: ml.m5.xlarge, count: 2}]
        tags: {team: fraud, env: prod}
        age: 40d
        lastModified: 3d
      - name: recs-ab
        variants:
        - {name: A, image: "recs:1", instanceType: ml.c5.2xlarge, count: 1, weight: 0.5}
        - {name: B, image: "recs:2", instanceType: ml.c5.2xlarge, count: 3, weight: 0.5}
        shadowVariants: [{name: shadow, image: "recs:3", instanceType: ml.c5.xlarge}]
        dataCapture: s3://capture/recs
        tags: {team: recs}
        age: 10d
      - name: doc-async
        variants: [{name: AllTraffic, image: "ocr:7", instanceType: ml.g4dn.xlarge}]
        async: {outputPath: "s3://out/ocr"}
        age: 20d
      - name: tiny-serverless
        variants: [{name: AllTraffic, image: "tiny:1", serverless: {memoryMB: 3072, maxConcurrency: 10}}]
        tags: {team: fraud}
        age: 2d
      - name: new-one
        variants: [{name: AllTraffic, image: "new:1", instanceType: ml.m5.large}]
        status: Creating
        age: 2m
      - name: broken
        variants: [{name: AllTraffic, image: "bad:1", instanceType: ml.m5.large}]
        status: Failed
        age: 5d
      - name: llm-host
        executionRole: arn:aws:iam::123456789012:role/SageMakerExecution
        variants: [{name: AllTraffic, instanceType: ml.g5.12xlarge, count: 1}]
        inferenceComponents:
        - {name: llama-ic, image: "llm:8b", copies: 2, gpus: 1, memoryMB: 16384}
        - {name: mistral-ic, image: "llm:7b", copies: 1, gpus: 1}
        age: 7d
      - name: autoscaled
        variants: [{name: AllTraffic, image: "` + xgbImage + `", instanceType: ml.c5.xlarge, count: 2}]
        autoscaling:
        - variant: AllTraffic
          min: 1
          max: 4
          policies: [{name: invocations, targetValue: 70}]
        age: 15d
    eu-west-1:
      endpoints:
      - name: fraud-scorer-eu
        variants: [{name: AllTraffic, image: "` + xgbImage + `", instanceType: ml.m5.xlarge}]
        tags: {team: fraud}
`

func TestScenarioEndpointForms(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	d := describe(t, sm, "recs-ab")
	if diff := cmp.Diff([]variantView{
		{Name: "A", Current: 1, Desired: 1, CurrentW: 0.5, DesiredW: 0.5, Images: []string{"recs:1"}, HasCount: true},
		{Name: "B", Current: 3, Desired: 3, CurrentW: 0.5, DesiredW: 0.5, Images: []string{"recs:2"}, HasCount: true},
	}, variantsOf(d.ProductionVariants)); diff != "" {
		t.Errorf("recs-ab variants (-want +got):\n%s", diff)
	}
	if len(d.ShadowProductionVariants) != 1 || aws.ToInt32(d.ShadowProductionVariants[0].CurrentInstanceCount) != 1 {
		t.Errorf("shadow variants: %+v", d.ShadowProductionVariants)
	}
	if d.DataCaptureConfig == nil || !aws.ToBool(d.DataCaptureConfig.EnableCapture) || aws.ToString(d.DataCaptureConfig.DestinationS3Uri) != "s3://capture/recs" {
		t.Errorf("data capture: %+v", d.DataCaptureConfig)
	}
	// The inline form creates the endpoint config (named like the endpoint)
	// and one model per variant.
	cfg, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("recs-ab")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.ProductionVariants[1].ModelName); got != "recs-ab-b" || cfg.ProductionVariants[1].InstanceType != smtypes.ProductionVariantInstanceTypeMlC52xlarge {
		t.Errorf("inline config variant B: model %s, type %s", got, cfg.ProductionVariants[1].InstanceType)
	}
	if m, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("fraud-scorer")}); err != nil || aws.ToString(m.PrimaryContainer.Image) != xgbImage {
		t.Errorf("single-variant inline model: %v", err)
	}

	if d := describe(t, sm, "doc-async"); d.AsyncInferenceConfig == nil || aws.ToString(d.AsyncInferenceConfig.OutputConfig.S3OutputPath) != "s3://out/ocr" {
		t.Errorf("async endpoint: %+v", d.AsyncInferenceConfig)
	}
	d = describe(t, sm, "tiny-serverless")
	if diff := cmp.Diff([]variantView{
		{Name: "AllTraffic", CurrentW: 1, DesiredW: 1, Images: []string{"tiny:1"}, ServerlessMB: 3072, HasServerless: true},
	}, variantsOf(d.ProductionVariants)); diff != "" {
		t.Errorf("serverless variant: no instance counts, a serverless config (-want +got):\n%s", diff)
	}
	if d := describe(t, sm, "broken"); d.EndpointStatus != smtypes.EndpointStatusFailed || aws.ToString(d.FailureReason) == "" {
		t.Errorf("failed endpoint: %s %q", d.EndpointStatus, aws.ToString(d.FailureReason))
	}
	if d := describe(t, sm, "new-one"); d.EndpointStatus != smtypes.EndpointStatusCreating {
		t.Errorf("creating endpoint: %s", d.EndpointStatus)
	}
	env.Emu.Advance(8 * time.Minute)
	if d := describe(t, sm, "new-one"); d.EndpointStatus != smtypes.EndpointStatusInService || len(d.ProductionVariants) != 1 {
		t.Errorf("creating endpoint after 8 min: %s, %d variants", d.EndpointStatus, len(d.ProductionVariants))
	}
	d = describe(t, sm, "fraud-scorer")
	if age := env.Emu.Now().Sub(*d.CreationTime); age != 40*24*time.Hour+8*time.Minute {
		t.Errorf("fraud-scorer age %v", age)
	}
	if lm := env.Emu.Now().Sub(*d.LastModifiedTime); lm != 72*time.Hour+8*time.Minute {
		t.Errorf("fraud-scorer last modified %v ago", lm)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.EndpointArn})
	if err != nil || len(tags.Tags) != 2 {
		t.Errorf("tags: %+v %v", tags, err)
	}
	// Regions are separate.
	if _, err := env.Clients("eu-west-1").SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("fraud-scorer")}); !awsapi.IsNotFound(err) {
		t.Errorf("us-east-1 endpoint visible in eu-west-1: %v", err)
	}
}

func TestListEndpointsFiltersSortsAndPages(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	list := func(in *sagemaker.ListEndpointsInput) []string {
		t.Helper()
		var names []string
		p := sagemaker.NewListEndpointsPaginator(sm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Endpoints {
				names = append(names, aws.ToString(e.EndpointName))
			}
		}
		return names
	}
	now := env.Emu.Now()
	tests := []struct {
		name string
		in   *sagemaker.ListEndpointsInput
		want []string
	}{
		{"default newest first, 3 a page", &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(3)},
			[]string{"new-one", "tiny-serverless", "broken", "llm-host", "recs-ab", "autoscaled", "doc-async", "fraud-scorer"}},
		{"name ascending", &sagemaker.ListEndpointsInput{SortBy: smtypes.EndpointSortKeyName, SortOrder: smtypes.OrderKeyAscending},
			[]string{"autoscaled", "broken", "doc-async", "fraud-scorer", "llm-host", "new-one", "recs-ab", "tiny-serverless"}},
		{"name contains", &sagemaker.ListEndpointsInput{NameContains: aws.String("-s"), SortBy: smtypes.EndpointSortKeyName},
			[]string{"tiny-serverless", "fraud-scorer"}},
		{"status", &sagemaker.ListEndpointsInput{StatusEquals: smtypes.EndpointStatusFailed}, []string{"broken"}},
		{"created after 8 days ago", &sagemaker.ListEndpointsInput{CreationTimeAfter: aws.Time(now.Add(-8 * 24 * time.Hour))},
			[]string{"new-one", "tiny-serverless", "broken", "llm-host"}},
		{"modified before 4 days ago", &sagemaker.ListEndpointsInput{LastModifiedTimeBefore: aws.Time(now.Add(-4 * 24 * time.Hour)), SortBy: smtypes.EndpointSortKeyName, SortOrder: smtypes.OrderKeyAscending},
			[]string{"autoscaled", "broken", "doc-async", "llm-host", "recs-ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, list(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := sm.ListEndpoints(ctx, &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(101)})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("MaxResults 101: %s", code)
	}
}

func TestInferenceComponents(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	list := func(endpoint string) []string {
		t.Helper()
		out, err := sm.ListInferenceComponents(ctx, &sagemaker.ListInferenceComponentsInput{EndpointNameEquals: aws.String(endpoint), SortBy: smtypes.InferenceComponentSortKeyName, SortOrder: smtypes.OrderKeyAscending})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ic := range out.InferenceComponents {
			names = append(names, fmt.Sprintf("%s/%s/%s", aws.ToString(ic.InferenceComponentName), aws.ToString(ic.VariantName), ic.InferenceComponentStatus))
		}
		return names
	}
	if diff := cmp.Diff([]string{"llama-ic/AllTraffic/InService", "mistral-ic/AllTraffic/InService"}, list("llm-host")); diff != "" {
		t.Errorf("llm-host components (-want +got):\n%s", diff)
	}
	if got := list("fraud-scorer"); len(got) != 0 {
		t.Errorf("fraud-scorer hosts no components, got %v", got)
	}
	_, err := sm.CreateInferenceComponent(ctx, &sagemaker.CreateInferenceComponentInput{
		InferenceComponentName: aws.String("qwen-ic"), EndpointName: aws.String("llm-host"), VariantName: aws.String("AllTraffic"),
		Specification: &smtypes.InferenceComponentSpecification{
			Container:                   &smtypes.InferenceComponentContainerSpecification{Image: aws.String("llm:qwen")},
			ComputeResourceRequirements: &smtypes.InferenceComponentComputeResourceRequirements{MinMemoryRequiredInMb: aws.Int32(8192), NumberOfAcceleratorDevicesRequired: aws.Float32(1)},
		},
		RuntimeConfig: &smtypes.InferenceComponentRuntimeConfig{CopyCount: aws.Int32(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := sm.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("qwen-ic")})
	if err != nil {
		t.Fatal(err)
	}
	if ic.InferenceComponentStatus != smtypes.InferenceComponentStatusCreating || aws.ToInt32(ic.RuntimeConfig.CurrentCopyCount) != 0 || aws.ToInt32(ic.RuntimeConfig.DesiredCopyCount) != 2 {
		t.Errorf("new component: %s, copies %d/%d", ic.InferenceComponentStatus, aws.ToInt32(ic.RuntimeConfig.CurrentCopyCount), aws.ToInt32(ic.RuntimeConfig.DesiredCopyCount))
	}
	env.Emu.Advance(6 * time.Minute)
	ic, err = sm.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("qwen-ic")})
	if err != nil {
		t.Fatal(err)
	}
	if ic.InferenceComponentStatus != smtypes.InferenceComponentStatusInService || aws.ToInt32(ic.RuntimeConfig.CurrentCopyCount) != 2 ||
		aws.ToString(ic.Specification.Container.DeployedImage.SpecifiedImage) != "llm:qwen" || aws.ToString(ic.EndpointName) != "llm-host" {
		t.Errorf("placed component: %+v", ic)
	}
	// A model-hosting endpoint cannot take components.
	_, err = sm.CreateInferenceComponent(ctx, &sagemaker.CreateInferenceComponentInput{
		InferenceComponentName: aws.String("x"), EndpointName: aws.String("fraud-scorer"), VariantName: aws.String("AllTraffic"),
		Specification: &smtypes.InferenceComponentSpecification{Container: &smtypes.InferenceComponentContainerSpecification{Image: aws.String("x")}},
	})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("component on a model endpoint: %v", err)
	}
	_, err = sm.DescribeInferenceComponent(ctx, &sagemaker.DescribeInferenceComponentInput{InferenceComponentName: aws.String("nope")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("missing component: %v", err)
	}
}

func TestEndpointScenarioErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, region, want string
	}{
		{"no model or image", "endpoints: [{name: e, variants: [{name: A, instanceType: ml.m5.large}]}]", `accounts[0].regions.us-east-1.endpoints[0].variants[0]": model or image is required`},
		{"unknown model", "endpoints: [{name: e, variants: [{name: A, model: m, instanceType: ml.m5.large}]}]", `endpoints[0].variants[0].model": no model "m"`},
		{"bad status", "endpoints: [{name: e, status: Sleeping, variants: [{name: A, image: i, instanceType: ml.m5.large}]}]", "endpoints[0].status"},
		{"unknown config", "endpoints: [{name: e, config: nope}]", `endpoints[0].config": no endpoint config "nope"`},
		{"burstable autoscaling", "endpoints: [{name: e, variants: [{name: A, image: i, instanceType: ml.t2.medium}], autoscaling: [{variant: A, min: 1, max: 2}]}]", "endpoints[0].autoscaling[0].variant"},
		{"serverless memory", "endpoints: [{name: e, variants: [{name: A, image: i, serverless: {memoryMB: 100, maxConcurrency: 1}}]}]", "variants[0].serverless.memoryMB"},
		{"bad name", "models: [{name: my_model, image: i}]", "models[0].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := emulator.ParseScenario("x.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      "+tt.region+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = emulator.New(emulator.Options{}).Load(sc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDemoScenarioEndpoints(t *testing.T) {
	sc, err := emulator.Bundled("demo")
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, "")
	if err := env.Emu.Load(sc); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	ctx := context.Background()
	count := map[string]int{}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		c := env.Clients(region)
		names, _ := searchNames(t, c.SageMaker, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(100)})
		count[region] = len(names)
		targets, err := c.ApplicationAutoScaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker})
		if err != nil || len(targets.ScalableTargets) != 1 {
			t.Errorf("%s: autoscaling targets %v, %v", region, targets, err)
		}
	}
	if count["us-east-1"] < 8 || count["eu-west-1"] < 4 {
		t.Errorf("demo endpoints per region: %v", count)
	}
	// The idle endpoint has had no invocations for a week; the busy one has.
	cw := env.Clients("us-east-1").CloudWatch
	now := env.Emu.Now()
	sum := func(endpoint, variant string) float64 {
		t.Helper()
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-7 * 24 * time.Hour)), EndTime: aws.Time(now),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SageMaker"), MetricName: aws.String("Invocations"), Dimensions: []cwtypes.Dimension{
					{Name: aws.String("EndpointName"), Value: aws.String(endpoint)}, {Name: aws.String("VariantName"), Value: aws.String(variant)},
				}},
				Period: aws.Int32(86400), Stat: aws.String("Sum"),
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for _, v := range out.MetricDataResults[0].Values {
			total += v
		}
		return total
	}
	if n := sum("churn-predictor", "AllTraffic"); n != 0 {
		t.Errorf("idle churn-predictor: %v invocations in 7 days", n)
	}
	if n := sum("fraud-detector", "AllTraffic"); n < 1e6 {
		t.Errorf("busy fraud-detector: %v invocations in 7 days", n)
	}
	if a, b := sum("recs-ab-test", "A"), sum("recs-ab-test", "B"); a != 0 || b == 0 {
		t.Errorf("recs-ab-test: A %v, B %v invocations", a, b)
	}
}
