package emulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// TestDemoScenarioJobsAndStudio checks what the bundled demo promises about
// jobs and Studio: spot and on-demand training, a GPU job on a CPU-only
// image, a processing job, domains with and without idle shutdown, apps on
// CPU and GPU, and a Deleted app.
func TestDemoScenarioJobsAndStudio(t *testing.T) {
	sc, err := emulator.Bundled("demo")
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, "")
	if err := env.Emu.Load(sc); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	ctx := context.Background()
	sm := env.Clients("us-east-1").SageMaker

	var spot, onDemand, gpuOnCPUImage int
	p := sagemaker.NewListTrainingJobsPaginator(sm, &sagemaker.ListTrainingJobsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.TrainingJobSummaries {
			d, err := sm.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: s.TrainingJobName})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToBool(d.EnableManagedSpotTraining) {
				spot++
			} else {
				onDemand++
			}
			img := aws.ToString(d.AlgorithmSpecification.TrainingImage)
			if d.ResourceConfig.InstanceType == smtypes.TrainingInstanceTypeMlP32xlarge && img == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3" {
				gpuOnCPUImage++
			}
		}
	}
	if spot < 2 || onDemand < 2 || gpuOnCPUImage != 1 {
		t.Errorf("training jobs: %d spot, %d on demand, %d GPU jobs on the CPU scikit-learn image", spot, onDemand, gpuOnCPUImage)
	}
	procs, err := sm.ListProcessingJobs(ctx, &sagemaker.ListProcessingJobsInput{StatusEquals: smtypes.ProcessingJobStatusInProgress})
	if err != nil || len(procs.ProcessingJobSummaries) == 0 {
		t.Errorf("running processing jobs: %v, %v", procs, err)
	}

	// The spot fine-tune bills 32% of its run once it completes.
	env.Emu.Advance(10 * time.Hour)
	d, err := sm.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("llm-finetune-spot")})
	if err != nil {
		t.Fatal(err)
	}
	if d.TrainingJobStatus != smtypes.TrainingJobStatusCompleted || aws.ToInt32(d.BillableTimeInSeconds) != aws.ToInt32(d.TrainingTimeInSeconds)*32/100 {
		t.Errorf("llm-finetune-spot: %s, training %d s, billable %d s", d.TrainingJobStatus, aws.ToInt32(d.TrainingTimeInSeconds), aws.ToInt32(d.BillableTimeInSeconds))
	}

	idle := map[string]string{}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		c := env.Clients(region).SageMaker
		ds, err := c.ListDomains(ctx, &sagemaker.ListDomainsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, dd := range ds.Domains {
			d, err := c.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: dd.DomainId})
			if err != nil {
				t.Fatal(err)
			}
			state := "absent"
			if alm := d.DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement; alm != nil {
				state = string(alm.IdleSettings.LifecycleManagement)
			}
			idle[aws.ToString(d.DomainName)] = state
		}
	}
	if idle["research-studio"] != "ENABLED" || idle["analytics-studio"] != "absent" || idle["eu-studio"] != "DISABLED" {
		t.Errorf("idle shutdown by domain: %v", idle)
	}
	apps, err := sm.ListApps(ctx, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	byStatusAndType := map[string]int{}
	for _, a := range apps.Apps {
		byStatusAndType[string(a.Status)+" "+string(a.ResourceSpec.InstanceType)]++
	}
	if byStatusAndType["InService ml.t3.medium"] == 0 || byStatusAndType["InService ml.g4dn.xlarge"] == 0 || byStatusAndType["Deleted ml.g5.2xlarge"] != 1 {
		t.Errorf("apps: %v", byStatusAndType)
	}
}
