package inventory_test

// The scan benchmark (issue 4, "Speed"). It seeds the emulator with a large
// account, throttles every operation per region at an AWS-like rate, and
// runs sagesaver's call plan (a first scan and a repeat scan from the
// cache) and the naive plan (List + Describe + ListTags per resource) side
// by side. Run it with
//
//	go test ./internal/inventory -run '^$' -bench BenchmarkScanLarge -benchtime 1x -timeout 60m
//
// and size it with -bench-endpoints, -bench-notebooks, -bench-apps,
// -bench-jobs, -bench-regions, -bench-rate, -bench-endpoints-per-config and
// -bench-naive=false. BENCHMARKS.md has the figures and the sizes used.

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
)

var (
	benchEndpoints = flag.Int("bench-endpoints", 2000, "endpoints in the large account (all regions)")
	benchNotebooks = flag.Int("bench-notebooks", 400, "notebook instances")
	benchApps      = flag.Int("bench-apps", 100, "Studio apps (one space each)")
	benchJobs      = flag.Int("bench-jobs", 200, "processing and transform jobs")
	benchRegions   = flag.Int("bench-regions", 4, "regions the resources are spread over")
	benchRate      = flag.Float64("bench-rate", 20, "throttle: requests per second per operation per region")
	benchPerConfig = flag.Int("bench-endpoints-per-config", 5, "endpoints sharing one endpoint config")
	benchNaive     = flag.Bool("bench-naive", true, "also run the naive plan")
	// The client paces itself a little under the throttle: two token
	// buckets at the same rate drift apart by the network's jitter, and
	// each refused request costs an SDK backoff far longer than the pacing.
	benchClientRate = flag.Float64("bench-client-rate", 0.95, "client-side pacing as a fraction of -bench-rate")
)

var benchRegionNames = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1", "eu-central-1", "ap-northeast-1", "us-east-2", "eu-west-2"}

func largeScenario(regions []string) *emulator.Scenario {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	per := func(n int) int { return (n + len(regions) - 1) / len(regions) }
	acct := emulator.AccountScenario{ID: acct, Regions: map[string]emulator.RegionScenario{}}
	one := int32(1)
	for _, region := range regions {
		var rs emulator.RegionScenario
		for i := 0; i < per(*benchNotebooks); i++ {
			nb := emulator.NotebookScenario{Name: fmt.Sprintf("nb-%04d", i), InstanceType: "ml.t3.medium", Age: "30d", LastModified: "2d"}
			if i%3 == 0 {
				nb.Status = "Stopped"
			}
			rs.Notebooks = append(rs.Notebooks, nb)
		}
		n := per(*benchEndpoints)
		for i := 0; i < n; i++ {
			cfg := fmt.Sprintf("cfg-%04d", i / *benchPerConfig)
			if i%*benchPerConfig == 0 {
				rs.EndpointConfigs = append(rs.EndpointConfigs, emulator.EndpointConfigScenario{Name: cfg, Age: "60d", Variants: []emulator.VariantScenario{
					{Name: "AllTraffic", Image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", InstanceType: "ml.m5.large", Count: &one},
				}})
			}
			rs.Endpoints = append(rs.Endpoints, emulator.EndpointScenario{Name: fmt.Sprintf("ep-%05d", i), Config: cfg, Age: "30d", Tags: map[string]string{"team": "t" + fmt.Sprint(i%7)}})
		}
		if a := per(*benchApps); a > 0 {
			rs.Domains = []emulator.DomainScenario{{Name: "research", ID: "d-bench0001"}}
			for i := 0; i < a; i++ {
				user := fmt.Sprintf("user-%03d", i)
				rs.UserProfiles = append(rs.UserProfiles, emulator.UserProfileScenario{Domain: "research", Name: user})
				rs.Spaces = append(rs.Spaces, emulator.SpaceScenario{Domain: "research", Name: user + "-space", Owner: user})
				rs.Apps = append(rs.Apps, emulator.AppScenario{Domain: "research", Space: user + "-space", Type: "JupyterLab", InstanceType: "ml.m5.xlarge"})
			}
		}
		for i := 0; i < per(*benchJobs); i++ {
			j := emulator.JobScenario{Name: fmt.Sprintf("job-%04d", i), InstanceType: "ml.m5.xlarge", Age: emulator.Age(fmt.Sprintf("%dh", 2+i%600)), Duration: "1h"}
			if i%2 == 0 {
				rs.ProcessingJobs = append(rs.ProcessingJobs, j)
			} else {
				rs.TransformJobs = append(rs.TransformJobs, j)
			}
		}
		acct.Regions[region] = rs
	}
	rate := emulator.Rate{PerSecond: *benchRate, Burst: int(*benchRate)}
	return &emulator.Scenario{APIVersion: "sagesaver.io/v1alpha1", Kind: "Scenario", Now: &now,
		Faults: &emulator.FaultConfig{Throttle: map[string]emulator.Rate{"*": rate}}, Accounts: []emulator.AccountScenario{acct}}
}

// run is one measured call plan.
type run struct {
	name      string
	wall      time.Duration
	calls     map[string]int64
	total     int64
	throttled int64
	resources int
	peakHeap  uint64
}

// bound is the least time the throttles allow for the plan's calls: for
// each operation, (calls in a region - burst) / rate, the regions being the
// same size; the plan can be no faster than its busiest operation.
func (r run) bound(regions int) time.Duration {
	var worst float64
	for _, n := range r.calls {
		perRegion := float64(n) / float64(regions)
		if s := (perRegion - *benchRate) / *benchRate; s > worst {
			worst = s
		}
	}
	return time.Duration(worst * float64(time.Second))
}

// peakHeap samples the heap while f runs.
func measure(f func()) (time.Duration, uint64) {
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	start := time.Now()
	f()
	wall := time.Since(start)
	close(done)
	mu.Lock()
	defer mu.Unlock()
	return wall, peak
}

func BenchmarkScanLarge(b *testing.B) {
	regions := benchRegionNames[:min(*benchRegions, len(benchRegionNames))]
	emu := emulator.New(emulator.Options{})
	if err := emu.Load(largeScenario(regions)); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	cfg := emulatortest.Config(b, srv.URL, "AKIDEMULATOR")
	limit := func() func(*sagemaker.Options) {
		opt := awsapi.RateLimit(*benchRate**benchClientRate, int(*benchRate))
		return func(o *sagemaker.Options) { o.APIOptions = append(o.APIOptions, opt) }
	}
	var targets []inventory.Target
	clients := map[string]*sagemaker.Client{}
	for _, r := range regions {
		c := awsapi.NewClients(cfg, r, false)
		sm := sagemaker.New(c.SageMaker.Options(), limit())
		clients[r] = sm
		targets = append(targets, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: sm, Tagging: c.Tagging}})
	}
	ctx := context.Background()
	cache := inventory.NewMemCache(emu.Clock())
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors()}
	var runs []run
	for i := 0; i < b.N; i++ {
		runs = runs[:0]
		for _, name := range []string{"first scan", "repeat scan"} {
			emu.ResetCounters()
			runtime.GC()
			var res *inventory.Result
			wall, peak := measure(func() {
				res = sc.Scan(ctx, targets, &inventory.Env{Now: emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: cache})
			})
			if len(res.Failures) > 0 {
				b.Fatalf("%s: %+v", name, res.Failures)
			}
			c := emu.Counters()
			runs = append(runs, run{name: name, wall: wall, calls: c.Calls, total: c.Total, throttled: sum(c.Throttled), resources: len(res.Resources), peakHeap: peak})
		}
		if *benchNaive {
			emu.ResetCounters()
			runtime.GC()
			var n int
			wall, peak := measure(func() { n = naiveScan(ctx, b, clients) })
			c := emu.Counters()
			runs = append(runs, run{name: "naive plan", wall: wall, calls: c.Calls, total: c.Total, throttled: sum(c.Throttled), resources: n, peakHeap: peak})
		}
	}
	b.StopTimer()
	var out strings.Builder
	fmt.Fprintf(&out, "\nlarge account: %d endpoints (%d per config), %d notebooks, %d Studio apps, %d jobs over %d regions; throttle %.0f req/s per operation per region\n",
		*benchEndpoints, *benchPerConfig, *benchNotebooks, *benchApps, *benchJobs, len(regions), *benchRate)
	fmt.Fprintf(&out, "%-12s %9s %8s %10s %10s %9s %9s %7s %9s\n", "plan", "resources", "calls", "calls/res", "calls/ep", "wall", "bound", "ratio", "peak heap")
	for _, r := range runs {
		eps := r.calls["sagemaker:Search"] + r.calls["sagemaker:DescribeEndpointConfig"] + r.calls["sagemaker:ListEndpoints"] + r.calls["sagemaker:DescribeEndpoint"]
		ratio := "-"
		if bd := r.bound(len(regions)); bd > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.wall)/float64(bd))
		}
		fmt.Fprintf(&out, "%-12s %9d %8d %10.3f %10.3f %9s %9s %7s %7.0fMB\n", r.name, r.resources, r.total,
			float64(r.total)/float64(max(r.resources, 1)), float64(eps)/float64(*benchEndpoints),
			r.wall.Round(10*time.Millisecond), r.bound(len(regions)).Round(10*time.Millisecond), ratio, float64(r.peakHeap)/(1<<20))
	}
	for _, r := range runs {
		var ops []string
		for op, n := range r.calls {
			ops = append(ops, fmt.Sprintf("%s=%d", strings.TrimPrefix(op, "sagemaker:"), n))
		}
		sort.Strings(ops)
		fmt.Fprintf(&out, "%s calls (throttled %d): %s\n", r.name, r.throttled, strings.Join(ops, " "))
	}
	b.Log(out.String())
	if len(runs) >= 2 {
		b.ReportMetric(float64(runs[1].total)/float64(max(runs[1].resources, 1)), "repeat-calls/resource")
		b.ReportMetric(runs[0].wall.Seconds(), "first-scan-s")
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// naiveScan is the obvious plan: list each kind, then describe and list
// the tags of every resource, one region x kind at a time in parallel, as
// sagesaver's own fan-out does. It returns the resources seen.
func naiveScan(ctx context.Context, b *testing.B, clients map[string]*sagemaker.Client) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	must := func(err error) {
		if err != nil {
			b.Error(err)
		}
	}
	tags := func(sm *sagemaker.Client, arn *string) {
		_, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: arn})
		must(err)
	}
	count := func(n int) { mu.Lock(); total += n; mu.Unlock() }
	for _, sm := range clients {
		wg.Add(5)
		go func() {
			defer wg.Done()
			p := sagemaker.NewListNotebookInstancesPaginator(sm, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				must(err)
				if err != nil {
					return
				}
				for _, n := range page.NotebookInstances {
					_, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: n.NotebookInstanceName})
					must(err)
					tags(sm, n.NotebookInstanceArn)
				}
				count(len(page.NotebookInstances))
			}
		}()
		go func() {
			defer wg.Done()
			p := sagemaker.NewListEndpointsPaginator(sm, &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(100)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				must(err)
				if err != nil {
					return
				}
				for _, e := range page.Endpoints {
					d, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: e.EndpointName})
					must(err)
					if err == nil {
						_, err = sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: d.EndpointConfigName})
						must(err)
					}
					tags(sm, e.EndpointArn)
				}
				count(len(page.Endpoints))
			}
		}()
		go func() {
			defer wg.Done()
			p := sagemaker.NewListAppsPaginator(sm, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				must(err)
				if err != nil {
					return
				}
				for _, a := range page.Apps {
					d, err := sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: a.DomainId, AppType: a.AppType, AppName: a.AppName, SpaceName: a.SpaceName, UserProfileName: a.UserProfileName})
					must(err)
					if err == nil {
						tags(sm, d.AppArn)
					}
				}
				count(len(page.Apps))
			}
		}()
		go func() {
			defer wg.Done()
			p := sagemaker.NewListProcessingJobsPaginator(sm, &sagemaker.ListProcessingJobsInput{MaxResults: aws.Int32(100)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				must(err)
				if err != nil {
					return
				}
				for _, j := range page.ProcessingJobSummaries {
					_, err := sm.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: j.ProcessingJobName})
					must(err)
					tags(sm, j.ProcessingJobArn)
				}
				count(len(page.ProcessingJobSummaries))
			}
		}()
		go func() {
			defer wg.Done()
			p := sagemaker.NewListTransformJobsPaginator(sm, &sagemaker.ListTransformJobsInput{MaxResults: aws.Int32(100)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				must(err)
				if err != nil {
					return
				}
				for _, j := range page.TransformJobSummaries {
					_, err := sm.DescribeTransformJob(ctx, &sagemaker.DescribeTransformJobInput{TransformJobName: j.TransformJobName})
					must(err)
					tags(sm, j.TransformJobArn)
				}
				count(len(page.TransformJobSummaries))
			}
		}()
	}
	wg.Wait()
	return total
}
