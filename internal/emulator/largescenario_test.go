package emulator_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// TestLargeScenarioServesTheWholeFleet loads a fifth of the issue's scale
// (the whole of it takes half a minute under the race detector) and counts
// it back through the SDK in one region. BenchmarkLargeScenario loads the
// whole scale (10,000 endpoints, 2,000 notebooks, 500 Studio apps, 1,000
// jobs, 4 regions) and measures load time and memory.
func TestLargeScenarioServesTheWholeFleet(t *testing.T) {
	opts := emulator.LargeOptions{Endpoints: 2000, Notebooks: 400, StudioApps: 100, Jobs: 200, Regions: 4}
	sc := emulator.LargeScenario(opts)
	if diff := cmp.Diff(sc, emulator.LargeScenario(opts)); diff != "" {
		t.Fatalf("LargeScenario is not deterministic:\n%s", diff)
	}
	env := emulatortest.Start(t, "")
	if err := env.Emu.Load(sc); err != nil {
		t.Fatalf("load: %v", err)
	}
	ctx := context.Background()
	sm := env.Clients("eu-west-1").SageMaker
	got := map[string]int{}

	sp := sagemaker.NewSearchPaginator(sm, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(100)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got["endpoints"] += len(page.Results)
	}
	np := sagemaker.NewListNotebookInstancesPaginator(sm, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for np.HasMorePages() {
		page, err := np.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got["notebooks"] += len(page.NotebookInstances)
	}
	ap := sagemaker.NewListAppsPaginator(sm, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got["apps"] += len(page.Apps)
	}
	tp := sagemaker.NewListTrainingJobsPaginator(sm, &sagemaker.ListTrainingJobsInput{MaxResults: aws.Int32(100)})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got["training jobs"] += len(page.TrainingJobSummaries)
	}
	// eu-west-1 is the third of four regions: every fourth resource.
	want := map[string]int{"endpoints": 500, "notebooks": 100, "apps": 25, "training jobs": 30}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("eu-west-1 fleet (-want +got):\n%s", diff)
	}
}

// With SecondVariantEvery, every n-th endpoint serves a second variant,
// Canary, with its own Invocations history (none on the idle ones, as on
// their first variant).
func TestLargeScenarioSecondVariant(t *testing.T) {
	env := emulatortest.Start(t, "")
	if err := env.Emu.Load(emulator.LargeScenario(emulator.LargeOptions{Endpoints: 10, Regions: 1, SecondVariantEvery: 5})); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl := env.Clients("us-east-1")
	now := env.Emu.Now()
	got := map[string]float64{}
	for i := range 10 {
		name := fmt.Sprintf("ep-%05d", i)
		ep, err := cl.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range ep.ProductionVariants {
			if aws.ToString(v.VariantName) != "Canary" {
				continue
			}
			out, err := cl.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SageMaker"), MetricName: aws.String("Invocations"), Dimensions: []cwtypes.Dimension{
						{Name: aws.String("EndpointName"), Value: aws.String(name)}, {Name: aws.String("VariantName"), Value: aws.String("Canary")}}},
					Period: aws.Int32(3600), Stat: aws.String("Sum")}}}})
			if err != nil {
				t.Fatal(err)
			}
			got[name] = 0
			for _, r := range out.MetricDataResults {
				for _, v := range r.Values {
					got[name] += v
				}
			}
		}
	}
	// ep-00000 is idle (every fourth is), ep-00005 busy: 5 + 5 % 90 = 10
	// requests a minute, give or take its noise.
	if len(got) != 2 || got["ep-00000"] != 0 || got["ep-00005"] < 60*10*0.8 || got["ep-00005"] > 60*10*1.2 {
		t.Errorf("Canary invocations over the last hour = %v, want ep-00000: 0 and ep-00005: about 600", got)
	}
}

// BenchmarkLargeScenario loads the issue's scale into a fresh emulator and
// reports the live heap it holds afterwards (MB-heap, after a GC), beside
// the load time (ns/op). Run with
//
//	go test -run '^$' -bench LargeScenario -benchtime 3x ./internal/emulator/
func BenchmarkLargeScenario(b *testing.B) {
	sc := emulator.LargeScenario(emulator.IssueScale)
	var heap float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		emu := emulator.New(emulator.Options{})
		b.StartTimer()
		if err := emu.Load(sc); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
		runtime.KeepAlive(emu)
		b.StartTimer()
	}
	b.ReportMetric(heap, "MB-heap")
}
