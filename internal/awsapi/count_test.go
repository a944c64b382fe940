package awsapi_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// The counter of a context sees every request the emulator receives under
// it, per operation and retries included, and the metrics GetMetricData
// asked for; an outer counter sees its inner ones' calls; calls under a
// context without a counter are not counted.
func TestCounterCountsEveryAttemptAndMetric(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	cfg := emulatortest.Config(t, srv.URL, "AKIDEMULATOR")
	cl := awsapi.NewClients(cfg, "us-east-1", false)
	// Two throttled answers: the SDK retries, and each attempt is a request.
	emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{{Operation: "sagemaker:ListEndpoints", Code: "ThrottlingException", Status: 400, Count: 2}}})

	ctx := context.Background()
	if _, err := cl.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{}); err != nil { // not counted
		t.Fatal(err)
	}
	emu.ResetCounters()
	tick, target := awsconfig.NewCounter(), awsconfig.NewCounter()
	tctx := awsconfig.WithCounter(awsconfig.WithCounter(ctx, tick), target)
	if _, err := cl.SageMaker.ListEndpoints(tctx, &sagemaker.ListEndpointsInput{}); err != nil {
		t.Fatal(err)
	}
	now := emu.Now()
	q := func(id, ep string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SageMaker"), MetricName: aws.String("Invocations"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("EndpointName"), Value: aws.String(ep)}, {Name: aws.String("VariantName"), Value: aws.String("AllTraffic")}}},
			Period: aws.Int32(3600), Stat: aws.String("Sum")}}
	}
	expr := cwtypes.MetricDataQuery{Id: aws.String("total"), Expression: aws.String("a+b")}
	if _, err := cl.Metrics.GetMetricData(tctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{q("a", "x"), q("b", "y"), expr}}); err != nil {
		t.Fatal(err)
	}
	// Another target's call: the tick counts it, the first target does not.
	if _, err := cl.SageMaker.ListEndpoints(awsconfig.WithCounter(awsconfig.WithCounter(ctx, tick), awsconfig.NewCounter()), &sagemaker.ListEndpointsInput{}); err != nil {
		t.Fatal(err)
	}

	got := emu.Counters()
	want := map[string]int{"sagemaker:ListEndpoints": 4, "cloudwatch:GetMetricData": 1}
	if diff := cmp.Diff(want, tick.Calls()); diff != "" {
		t.Errorf("tick counter (-want +got):\n%s", diff)
	}
	for op, n := range want {
		if int(got.Calls[op]) != n {
			t.Errorf("emulator saw %d %s, counter %d", got.Calls[op], op, n)
		}
	}
	if diff := cmp.Diff(map[string]int{"sagemaker:ListEndpoints": 3, "cloudwatch:GetMetricData": 1}, target.Calls()); diff != "" {
		t.Errorf("target counter (-want +got):\n%s", diff)
	}
	if tick.MetricsRequested() != 2 || target.MetricsRequested() != 2 || got.MetricsRequested != 2 {
		t.Errorf("metrics requested: tick %d, target %d, emulator %d; want 2 (the expression is not a metric)",
			tick.MetricsRequested(), target.MetricsRequested(), got.MetricsRequested)
	}
	if tick.Total() != 5 {
		t.Errorf("tick total %d, want 5", tick.Total())
	}
}
