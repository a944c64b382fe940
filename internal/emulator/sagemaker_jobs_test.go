package emulator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

func trainingInput(name string, spot bool) *sagemaker.CreateTrainingJobInput {
	in := &sagemaker.CreateTrainingJobInput{
		TrainingJobName: aws.String(name),
		AlgorithmSpecification: &smtypes.AlgorithmSpecification{
			TrainingImage:     aws.String("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-gpu-py311"),
			TrainingInputMode: smtypes.TrainingInputModeFile,
		},
		RoleArn:          aws.String("arn:aws:iam::123456789012:role/SageMakerExecution"),
		OutputDataConfig: &smtypes.OutputDataConfig{S3OutputPath: aws.String("s3://bucket/out")},
		ResourceConfig: &smtypes.ResourceConfig{
			InstanceType: smtypes.TrainingInstanceTypeMlG5Xlarge, InstanceCount: aws.Int32(2), VolumeSizeInGB: aws.Int32(50),
		},
		StoppingCondition: &smtypes.StoppingCondition{MaxRuntimeInSeconds: aws.Int32(7200)},
		Tags:              []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("vision")}},
	}
	if spot {
		in.EnableManagedSpotTraining = aws.Bool(true)
		in.StoppingCondition.MaxWaitTimeInSeconds = aws.Int32(14400)
	}
	return in
}

// skipClientValidation removes the SDK's own check of required members so
// that a test sees the emulator's answer to a request that lacks one (as
// other SDKs, which do not validate, would send).
func skipClientValidation(o *sagemaker.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		_, err := s.Initialize.Remove("OperationInputValidation")
		return err
	})
}

// advanceWhile moves the virtual clock forward in steps while an SDK waiter
// polls, and stops when the test's waiter returns.
func advanceWhile(env *emulatortest.Env, step time.Duration) (stop func()) {
	return env.Tick(10*time.Millisecond, step)
}

func TestTrainingJobRunsOnVirtualClockAndBillsSpotLess(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	created := env.Emu.Now()

	out, err := sm.CreateTrainingJob(ctx, trainingInput("spot-1", true))
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sagemaker:us-east-1:123456789012:training-job/spot-1"; aws.ToString(out.TrainingJobArn) != want {
		t.Errorf("arn = %s, want %s", aws.ToString(out.TrainingJobArn), want)
	}
	if _, err := sm.CreateTrainingJob(ctx, trainingInput("ondemand-1", false)); err != nil {
		t.Fatal(err)
	}
	_, err = sm.CreateTrainingJob(ctx, trainingInput("spot-1", true))
	if code, _ := apiCode(t, err); code != "ResourceInUse" {
		t.Errorf("duplicate: %s, want ResourceInUse", code)
	}
	describe := func(name string) *sagemaker.DescribeTrainingJobOutput {
		t.Helper()
		d, err := sm.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := describe("spot-1")
	if d.TrainingJobStatus != smtypes.TrainingJobStatusInProgress || d.SecondaryStatus != smtypes.SecondaryStatusStarting {
		t.Errorf("after create: %s/%s, want InProgress/Starting", d.TrainingJobStatus, d.SecondaryStatus)
	}
	if d.TrainingStartTime != nil || d.TrainingTimeInSeconds != nil {
		t.Errorf("not started yet, but start %v, time %v", d.TrainingStartTime, d.TrainingTimeInSeconds)
	}
	if got := d.ResourceConfig; got.InstanceType != smtypes.TrainingInstanceTypeMlG5Xlarge || aws.ToInt32(got.InstanceCount) != 2 || aws.ToInt32(got.VolumeSizeInGB) != 50 {
		t.Errorf("resource config = %+v", got)
	}
	if !aws.ToBool(d.EnableManagedSpotTraining) || aws.ToInt32(d.StoppingCondition.MaxWaitTimeInSeconds) != 14400 {
		t.Errorf("spot = %v, max wait %v", aws.ToBool(d.EnableManagedSpotTraining), d.StoppingCondition.MaxWaitTimeInSeconds)
	}
	if !strings.Contains(aws.ToString(d.AlgorithmSpecification.TrainingImage), "pytorch-training") || d.AlgorithmSpecification.TrainingInputMode != smtypes.TrainingInputModeFile {
		t.Errorf("algorithm = %+v", d.AlgorithmSpecification)
	}

	env.Emu.Advance(5 * time.Minute)
	d = describe("spot-1")
	if d.SecondaryStatus != smtypes.SecondaryStatusTraining || d.TrainingStartTime == nil {
		t.Fatalf("after 5 min: %s, start %v; want Training with a start time", d.SecondaryStatus, d.TrainingStartTime)
	}
	start := *d.TrainingStartTime

	// Stop the on-demand job: Stopping, then Stopped; a second stop is refused.
	if _, err := sm.StopTrainingJob(ctx, &sagemaker.StopTrainingJobInput{TrainingJobName: aws.String("ondemand-1")}); err != nil {
		t.Fatal(err)
	}
	if d := describe("ondemand-1"); d.TrainingJobStatus != smtypes.TrainingJobStatusStopping || d.SecondaryStatus != smtypes.SecondaryStatusStopping {
		t.Errorf("after stop: %s/%s", d.TrainingJobStatus, d.SecondaryStatus)
	}
	_, err = sm.StopTrainingJob(ctx, &sagemaker.StopTrainingJobInput{TrainingJobName: aws.String("ondemand-1")})
	if code, msg := apiCode(t, err); code != "ValidationException" || msg != "The request was rejected because the training job is in status Stopping." {
		t.Errorf("stop while stopping: %s: %s", code, msg)
	}

	stop := advanceWhile(env, time.Minute)
	w := sagemaker.NewTrainingJobCompletedOrStoppedWaiter(sm, func(o *sagemaker.TrainingJobCompletedOrStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 10*time.Millisecond
	})
	err = w.Wait(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("spot-1")}, 20*time.Second)
	stop()
	if err != nil {
		t.Fatalf("waiter: %v", err)
	}

	d = describe("spot-1")
	if d.TrainingJobStatus != smtypes.TrainingJobStatusCompleted || d.SecondaryStatus != smtypes.SecondaryStatusCompleted {
		t.Errorf("spot-1: %s/%s, want Completed", d.TrainingJobStatus, d.SecondaryStatus)
	}
	// The job ran 30 minutes after a 4-minute startup; spot bills 30% of it.
	if got, want := aws.ToInt32(d.TrainingTimeInSeconds), int32(1800); got != want {
		t.Errorf("training time = %d, want %d", got, want)
	}
	if got, want := aws.ToInt32(d.BillableTimeInSeconds), int32(540); got != want {
		t.Errorf("billable time = %d, want %d", got, want)
	}
	if !start.Equal(created.Add(4*time.Minute)) || !d.TrainingEndTime.Equal(start.Add(30*time.Minute)) {
		t.Errorf("start %v end %v, created %v", start, d.TrainingEndTime, created)
	}
	od := describe("ondemand-1")
	if od.TrainingJobStatus != smtypes.TrainingJobStatusStopped || aws.ToInt32(od.BillableTimeInSeconds) != aws.ToInt32(od.TrainingTimeInSeconds) || aws.ToInt32(od.TrainingTimeInSeconds) != 180 {
		// Stopped at minute 5, one minute after its start; Stopping lasts 2 minutes.
		t.Errorf("ondemand-1: %s, training %d s, billable %d s; want Stopped after 180 s, billed fully",
			od.TrainingJobStatus, aws.ToInt32(od.TrainingTimeInSeconds), aws.ToInt32(od.BillableTimeInSeconds))
	}
	_, err = sm.StopTrainingJob(ctx, &sagemaker.StopTrainingJobInput{TrainingJobName: aws.String("spot-1")})
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, "in status Completed") {
		t.Errorf("stop completed: %s: %s", code, msg)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: out.TrainingJobArn})
	if err != nil || len(tags.Tags) != 1 {
		t.Errorf("tags = %+v, %v", tags, err)
	}

	_, err = sm.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("nope")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("describe missing: %v, want not found", err)
	}
	bad := trainingInput("x", true)
	bad.StoppingCondition.MaxWaitTimeInSeconds = nil
	if _, err := sm.CreateTrainingJob(ctx, bad); err == nil {
		t.Error("spot without MaxWaitTimeInSeconds was accepted")
	}
	bad = trainingInput("y", false)
	bad.RoleArn = nil
	_, err = sm.CreateTrainingJob(ctx, bad, skipClientValidation)
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, "'roleArn'") {
		t.Errorf("missing role: %s: %s", code, msg)
	}
}

func TestTrainingJobMaxRuntimeStopsIt(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	in := trainingInput("short", false)
	in.StoppingCondition.MaxRuntimeInSeconds = aws.Int32(600)
	if _, err := sm.CreateTrainingJob(ctx, in); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(time.Hour)
	d, err := sm.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String("short")})
	if err != nil {
		t.Fatal(err)
	}
	if d.TrainingJobStatus != smtypes.TrainingJobStatusStopped || d.SecondaryStatus != smtypes.SecondaryStatusMaxRuntimeExceeded || aws.ToInt32(d.TrainingTimeInSeconds) != 600 {
		t.Errorf("got %s/%s after %d s, want Stopped/MaxRuntimeExceeded after 600 s", d.TrainingJobStatus, d.SecondaryStatus, aws.ToInt32(d.TrainingTimeInSeconds))
	}
}

// jobsScenario has 12 training jobs created an hour apart, newest first
// by number: even ones still running, odd ones completed.
func jobsScenario() string {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      trainingJobs:\n")
	for i := 0; i < 12; i++ {
		dur := "1h"
		if i%2 == 0 {
			dur = "30d"
		}
		fmt.Fprintf(&b, "      - {name: train-%02d, instanceType: ml.m5.xlarge, age: %dh, duration: %s}\n", i, i+1, dur)
	}
	b.WriteString(`      processingJobs:
      - {name: prep-features, instanceType: ml.m5.4xlarge, instanceCount: 2, volumeSizeGB: 100, age: 20m, duration: 2h, image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"}
      - {name: prep-old, instanceType: ml.m5.xlarge, age: 3d, duration: 1h, tags: {team: data}}
      - {name: prep-failed, instanceType: ml.m5.xlarge, age: 2d, duration: 1h, status: Failed, failureReason: "ClientError: bad input"}
      transformJobs:
      - {name: batch-scores, instanceType: ml.c5.2xlarge, instanceCount: 3, age: 10m, duration: 1h, model: churn-model}
      tuningJobs:
      - {name: hpo-xgb, instanceType: ml.m5.2xlarge, spot: true, age: 2h, duration: 4h, maxJobs: 40, maxParallel: 4}
      - {name: hpo-done, instanceType: ml.m5.xlarge, age: 5d, duration: 3h, maxJobs: 10, maxParallel: 2}
`)
	return b.String()
}

func TestListTrainingJobsFiltersStatusAfterMaxResults(t *testing.T) {
	env := emulatortest.Start(t, jobsScenario())
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	// Newest first by default.
	out, err := sm.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TrainingJobSummaries) != 10 || aws.ToString(out.TrainingJobSummaries[0].TrainingJobName) != "train-00" || out.NextToken == nil {
		t.Fatalf("default page: %d jobs, first %s, next %v", len(out.TrainingJobSummaries), aws.ToString(out.TrainingJobSummaries[0].TrainingJobName), out.NextToken)
	}

	// MaxResults 3 with StatusEquals Completed: AWS takes 3 jobs, then
	// filters them, so a page can hold fewer (or none) and still go on.
	var pages [][]string
	p := sagemaker.NewListTrainingJobsPaginator(sm, &sagemaker.ListTrainingJobsInput{
		StatusEquals: smtypes.TrainingJobStatusCompleted,
		MaxResults:   aws.Int32(3),
		SortBy:       smtypes.SortByName,
		SortOrder:    smtypes.SortOrderAscending,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, s := range page.TrainingJobSummaries {
			if s.TrainingJobStatus != smtypes.TrainingJobStatusCompleted || s.TrainingEndTime == nil {
				t.Errorf("%s: %s, end %v", aws.ToString(s.TrainingJobName), s.TrainingJobStatus, s.TrainingEndTime)
			}
			names = append(names, aws.ToString(s.TrainingJobName))
		}
		pages = append(pages, names)
	}
	want := [][]string{{"train-01"}, {"train-03", "train-05"}, {"train-07"}, {"train-09", "train-11"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}

	// A page of one running job filtered for Completed is empty, with a token.
	out, err = sm.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{StatusEquals: smtypes.TrainingJobStatusCompleted, MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TrainingJobSummaries) != 0 || out.NextToken == nil {
		t.Errorf("first page: %d jobs, next %v; want an empty page with a token", len(out.TrainingJobSummaries), out.NextToken)
	}

	now := env.Emu.Now()
	out, err = sm.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{
		NameContains:      aws.String("TRAIN-1"),
		CreationTimeAfter: aws.Time(now.Add(-12*time.Hour + time.Minute)),
		SortOrder:         smtypes.SortOrderAscending,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.TrainingJobSummaries {
		got = append(got, aws.ToString(s.TrainingJobName))
	}
	if diff := cmp.Diff([]string{"train-10"}, got); diff != "" {
		t.Errorf("name and time filter (-want +got):\n%s", diff)
	}
	_, err = sm.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{MaxResults: aws.Int32(101)})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("MaxResults 101: %s", code)
	}
}

func TestProcessingTransformAndTuningJobs(t *testing.T) {
	env := emulatortest.Start(t, jobsScenario())
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	pd, err := sm.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String("prep-features")})
	if err != nil {
		t.Fatal(err)
	}
	cc := pd.ProcessingResources.ClusterConfig
	if pd.ProcessingJobStatus != smtypes.ProcessingJobStatusInProgress || cc.InstanceType != smtypes.ProcessingInstanceTypeMlM54xlarge ||
		aws.ToInt32(cc.InstanceCount) != 2 || aws.ToInt32(cc.VolumeSizeInGB) != 100 || pd.ProcessingStartTime == nil || pd.ProcessingEndTime != nil {
		t.Errorf("prep-features: %s %+v start %v end %v", pd.ProcessingJobStatus, cc, pd.ProcessingStartTime, pd.ProcessingEndTime)
	}
	if !strings.Contains(aws.ToString(pd.AppSpecification.ImageUri), "sagemaker-scikit-learn") {
		t.Errorf("image = %s", aws.ToString(pd.AppSpecification.ImageUri))
	}
	lp, err := sm.ListProcessingJobs(ctx, &sagemaker.ListProcessingJobsInput{StatusEquals: smtypes.ProcessingJobStatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.ProcessingJobSummaries) != 1 || aws.ToString(lp.ProcessingJobSummaries[0].FailureReason) != "ClientError: bad input" {
		t.Errorf("failed processing jobs = %+v", lp.ProcessingJobSummaries)
	}
	if _, err := sm.StopProcessingJob(ctx, &sagemaker.StopProcessingJobInput{ProcessingJobName: aws.String("prep-features")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(2 * time.Minute)
	pd, err = sm.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String("prep-features")})
	if err != nil || pd.ProcessingJobStatus != smtypes.ProcessingJobStatusStopped || pd.ProcessingEndTime == nil {
		t.Errorf("after stop + 2 min: %v %v", pd.ProcessingJobStatus, err)
	}
	_, err = sm.StopProcessingJob(ctx, &sagemaker.StopProcessingJobInput{ProcessingJobName: aws.String("prep-old")})
	if code, msg := apiCode(t, err); code != "ValidationException" || !strings.Contains(msg, "processing job is in status Completed") {
		t.Errorf("stop completed processing job: %s: %s", code, msg)
	}
	_, err = sm.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String("nope")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("missing processing job: %v", err)
	}

	td, err := sm.DescribeTransformJob(ctx, &sagemaker.DescribeTransformJobInput{TransformJobName: aws.String("batch-scores")})
	if err != nil {
		t.Fatal(err)
	}
	if td.TransformResources.InstanceType != smtypes.TransformInstanceTypeMlC52xlarge || aws.ToInt32(td.TransformResources.InstanceCount) != 3 || aws.ToString(td.ModelName) != "churn-model" {
		t.Errorf("transform = %+v model %s", td.TransformResources, aws.ToString(td.ModelName))
	}
	lt, err := sm.ListTransformJobs(ctx, &sagemaker.ListTransformJobsInput{NameContains: aws.String("batch")})
	if err != nil || len(lt.TransformJobSummaries) != 1 || lt.TransformJobSummaries[0].TransformJobStatus != smtypes.TransformJobStatusInProgress {
		t.Errorf("list transform jobs = %+v, %v", lt, err)
	}
	if _, err := sm.StopTransformJob(ctx, &sagemaker.StopTransformJobInput{TransformJobName: aws.String("batch-scores")}); err != nil {
		t.Error(err)
	}

	hd, err := sm.DescribeHyperParameterTuningJob(ctx, &sagemaker.DescribeHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String("hpo-xgb")})
	if err != nil {
		t.Fatal(err)
	}
	def := hd.TrainingJobDefinition
	if hd.HyperParameterTuningJobStatus != smtypes.HyperParameterTuningJobStatusInProgress || def.ResourceConfig.InstanceType != smtypes.TrainingInstanceTypeMlM52xlarge ||
		!aws.ToBool(def.EnableManagedSpotTraining) || aws.ToInt32(hd.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs) != 40 {
		t.Errorf("hpo-xgb = %s %+v", hd.HyperParameterTuningJobStatus, def.ResourceConfig)
	}
	// 2 hours in (1 h 56 m of a 4 h run): about half of 40 jobs done, 4 running.
	c := hd.TrainingJobStatusCounters
	if got := aws.ToInt32(c.Completed); got != 19 || aws.ToInt32(c.InProgress) != 4 {
		t.Errorf("counters: completed %d, in progress %d; want 19 and 4", got, aws.ToInt32(c.InProgress))
	}
	lh, err := sm.ListHyperParameterTuningJobs(ctx, &sagemaker.ListHyperParameterTuningJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range lh.HyperParameterTuningJobSummaries {
		names = append(names, aws.ToString(s.HyperParameterTuningJobName)+"="+string(s.HyperParameterTuningJobStatus))
	}
	// Default order: Name, Ascending.
	if diff := cmp.Diff([]string{"hpo-done=Completed", "hpo-xgb=InProgress"}, names); diff != "" {
		t.Errorf("tuning jobs (-want +got):\n%s", diff)
	}
	if _, err := sm.StopHyperParameterTuningJob(ctx, &sagemaker.StopHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String("hpo-xgb")}); err != nil {
		t.Fatal(err)
	}
	_, err = sm.StopHyperParameterTuningJob(ctx, &sagemaker.StopHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String("hpo-done")})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("stop completed tuning job: %s", code)
	}
}

func TestJobScenarioErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"trainingJobs: [{name: a, instanceType: ml.m5.xlarge, status: Running}]", "regions.us-east-1.trainingJobs[0].status"},
		{"processingJobs: [{name: a}]", `regions.us-east-1.processingJobs[0]": name and instanceType are required`},
		{"trainingJobs: [{name: a, instanceType: ml.m5.xlarge, age: 2h, duration: 1h, status: InProgress}]", `trainingJobs[0].status": InProgress, but`},
		{"tuningJobs: [{name: a, instanceType: m5.xlarge}]", "tuningJobs[0].instanceType"},
	} {
		sc, err := emulator.ParseScenario("t.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      "+tc.yaml+"\n"))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.yaml, err)
		}
		err = emulator.New(emulator.Options{}).Load(sc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.yaml, err, tc.want)
		}
	}
}

func TestTrainingJobHostMetrics(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      trainingJobs:
      - name: sklearn-on-gpu
        instanceType: ml.p3.2xlarge
        instanceCount: 2
        image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
        age: 10h
        duration: 6h
        hostMetrics: {CPUUtilization: 90, GPUUtilization: 0}
`)
	cw := env.Clients("us-east-1").CloudWatch
	ctx := context.Background()
	now := env.Emu.Now()
	query := func(metric, host string, from, to time.Time) []float64 {
		t.Helper()
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(from), EndTime: aws.Time(to),
			MetricDataQueries: []cwtypes.MetricDataQuery{{
				Id: aws.String("m"),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("/aws/sagemaker/TrainingJobs"), MetricName: aws.String(metric),
						Dimensions: []cwtypes.Dimension{{Name: aws.String("Host"), Value: aws.String("sklearn-on-gpu/" + host)}}},
					Period: aws.Int32(3600), Stat: aws.String("Average"),
				},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.MetricDataResults[0].Values
	}
	// The job started 9 h 56 m ago and ran 6 h.
	cpu := query("CPUUtilization", "algo-2", now.Add(-9*time.Hour), now.Add(-4*time.Hour))
	if len(cpu) != 5 {
		t.Fatalf("CPU hours during the run: %v", cpu)
	}
	for _, v := range cpu {
		if v < 81 || v > 99 {
			t.Errorf("CPU average %v, want about 90", v)
		}
	}
	if gpu := query("GPUUtilization", "algo-1", now.Add(-9*time.Hour), now.Add(-4*time.Hour)); len(gpu) != 5 || gpu[0] != 0 {
		t.Errorf("GPU during the run: %v, want 0s", gpu)
	}
	if after := query("CPUUtilization", "algo-1", now.Add(-3*time.Hour), now); len(after) != 0 {
		t.Errorf("CPU after the job ended: %v", after)
	}
	if none := query("CPUUtilization", "algo-3", now.Add(-9*time.Hour), now); len(none) != 0 {
		t.Errorf("a third host: %v", none)
	}
}
