package emulator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// TestBundledForgottenCosts: the bundled scenarios carry the forgotten
// costs, one of each: a Canvas session, an MLflow tracking server, a GPU
// HyperPod cluster and a space volume.
func TestBundledForgottenCosts(t *testing.T) {
	for _, tc := range []struct {
		scenario, domain, space string
		ebs                     int32
		canvas                  bool
	}{
		{"demo", "d-rs7x2k9q4m1a", "alice-jupyterlab", 50, true},
		{"forgotten", "d-an3b5c7d9e1f", "dan-lab", 50, true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			sc, err := emulator.Bundled(tc.scenario)
			if err != nil {
				t.Fatal(err)
			}
			env := emulatortest.Start(t, "")
			if err := env.Emu.Load(sc); err != nil {
				t.Fatalf("load %s: %v", tc.scenario, err)
			}
			sm := env.Clients("us-east-1").SageMaker
			ctx := context.Background()
			ml, err := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String("research-experiments")})
			if err != nil || ml.TrackingServerStatus != "Started" {
				t.Errorf("MLflow server: %v %v", ml, err)
			}
			cl, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String("llm-finetune")})
			if err != nil || cl.ClusterStatus != "InService" || len(cl.InstanceGroups) != 2 || cl.InstanceGroups[1].InstanceType != "ml.g5.8xlarge" {
				t.Errorf("HyperPod cluster: %v %v", cl, err)
			}
			sp, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String(tc.domain), SpaceName: aws.String(tc.space)})
			if err != nil || ebsOf(sp.SpaceSettings.SpaceStorageSettings) != tc.ebs {
				t.Errorf("space volume: %v %v", sp, err)
			}
			apps, err := sm.ListApps(ctx, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
			if err != nil {
				t.Fatal(err)
			}
			canvas := false
			for _, a := range apps.Apps {
				canvas = canvas || (a.AppType == "Canvas" && a.Status == "InService")
			}
			if canvas != tc.canvas {
				t.Errorf("a running Canvas app: %v, want %v", canvas, tc.canvas)
			}
		})
	}
}
