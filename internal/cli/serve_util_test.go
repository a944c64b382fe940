package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	dash "github.com/sagesaver/sagesaver/internal/serve"
	"github.com/sagesaver/sagesaver/internal/store"
)

// utilFleet is one endpoint with a CPU variant (A: ml.m5.xlarge, 4 vCPUs,
// CPU above 100% as SageMaker sums it over cores) and a GPU variant (B:
// ml.g5.xlarge, 4 vCPUs, 1 GPU) whose GPU was not read for three hours.
const utilFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    name: ml-dev
    accessKeys: [AKIAUTIL]
    regions:
      us-east-1:
        endpoints:
          - name: ab
            age: 30d
            variants:
              - {name: A, image: "x:1", instanceType: ml.m5.xlarge, count: 1, weight: 1}
              - {name: B, image: "x:1", instanceType: ml.g5.xlarge, count: 1, weight: 1}
        metrics:
          - {endpoint: ab, variant: A, metric: Invocations, value: 10}
          - {endpoint: ab, variant: B, metric: Invocations, value: 10}
          - {endpoint: ab, variant: A, metric: CPUUtilization, value: 150, swing: 0.3, noise: 0.1}
          - {endpoint: ab, variant: A, metric: MemoryUtilization, value: 40, noise: 0.05}
          - {endpoint: ab, variant: A, metric: DiskUtilization, value: 12}
          - {endpoint: ab, variant: B, metric: CPUUtilization, value: 80, noise: 0.1}
          - {endpoint: ab, variant: B, metric: MemoryUtilization, value: 30}
          - {endpoint: ab, variant: B, metric: GPUUtilization, value: 65, noise: 0.2, gaps: [{from: 6h, to: 3h}]}
          - {endpoint: ab, variant: B, metric: GPUMemoryUtilization, value: 70}
`

// TestServeUtilizationChartIsTheEmulatorsSeries: an endpoint's resource
// page charts every utilization metric each variant publishes, hourly
// averages equal to what CloudWatch answers, CPU and GPU divided by the
// instance's vCPUs and GPUs; a metric a variant does not publish (GPU of
// a CPU instance) is no series and an hour without a reading a gap, not
// 0; and the page reads them with one GetMetricData call beside the
// invocations' one.
func TestServeUtilizationChartIsTheEmulatorsSeries(t *testing.T) {
	ctx := t.Context()
	env := emulatortest.Start(t, utilFleet)
	cfg := emulatortest.Config(t, env.URL, "AKIAUTIL")
	now := env.Emu.Now()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"), store.WithClock(env.Emu.Clock()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const acct, region = "123456789012", "us-east-1"
	rs := []resource.Resource{
		{Account: acct, Region: region, Kind: resource.Endpoint, Name: "ab", Variant: "A", Status: "InService", InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true},
		{Account: acct, Region: region, Kind: resource.Endpoint, Name: "ab", Variant: "B", Status: "InService", InstanceType: "ml.g5.xlarge", InstanceCount: 1, Running: true},
	}
	cat := pricing.Embedded()
	scan := report.New(report.Found{Resources: rs, ScannedAt: now}, cat, []string{acct}, []string{region}, 0)
	src := dash.NewPoller(func(context.Context) (*dash.Snapshot, error) { return &dash.Snapshot{Scan: scan, At: now}, nil }, time.Hour, env.Emu.Clock(), nil, nil)
	if err := src.Once(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := dash.New(dash.Options{Store: st, Catalog: cat, Clock: env.Emu.Clock(), Source: src,
		Evidence: &cloudWatch{clients: func(_, region string) *awsapi.Clients { return awsapi.NewClients(cfg, region, false) }}})
	if err != nil {
		t.Fatal(err)
	}

	before := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8080/resource?id="+url.QueryEscape(rs[0].LineID().String()), nil))
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != 200 {
		t.Fatalf("status %d\n%s", rec.Code, body)
	}
	if calls := env.Emu.Counters().Calls["cloudwatch:GetMetricData"] - before; calls != 2 {
		t.Errorf("the page made %d GetMetricData calls, want 2 (invocations, utilization)", calls)
	}
	m := regexp.MustCompile(`(?s)data-chart="utilization".*?<script type="application/json" class="chart-data">(.*?)</script>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no utilization chart:\n%s", body)
	}
	var chart struct {
		Unit      string   `json:"unit"`
		X         []int64  `json:"x"`
		Threshold *float64 `json:"threshold"`
		Series    []struct {
			Name   string     `json:"name"`
			Values []*float64 `json:"values"`
		} `json:"series"`
	}
	if err := json.Unmarshal(m[1], &chart); err != nil {
		t.Fatalf("%v\n%s", err, m[1])
	}
	if chart.Unit != "% of the instance" || chart.Threshold == nil || *chart.Threshold != 30 {
		t.Errorf("unit %q, threshold %v: want %% of the instance and advise's 30%%", chart.Unit, chart.Threshold)
	}

	// What CloudWatch answers, read here with the SDK directly.
	w := metrics.NewWindow(now, 24*time.Hour)
	cw := cloudwatch.NewFromConfig(cfg)
	type want struct {
		name, variant, metric string
		units                 float64
	}
	wants := []want{
		{"A CPU", "A", "CPUUtilization", 4}, {"A memory", "A", "MemoryUtilization", 1}, {"A disk", "A", "DiskUtilization", 1},
		{"B CPU", "B", "CPUUtilization", 4}, {"B memory", "B", "MemoryUtilization", 1},
		{"B GPU", "B", "GPUUtilization", 1}, {"B GPU memory", "B", "GPUMemoryUtilization", 1},
	}
	var names []string
	for _, s := range chart.Series {
		names = append(names, s.Name)
	}
	var wantNames []string
	for _, x := range wants {
		wantNames = append(wantNames, x.name)
	}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("series %q, want %q (no GPU series for the CPU variant)", names, wantNames)
	}
	if len(chart.X) != 24 || chart.X[0] != w.Start.Unix() {
		t.Fatalf("x has %d hours from %d, want 24 from %d", len(chart.X), chart.X[0], w.Start.Unix())
	}
	gaps := 0
	for i, x := range wants {
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(w.Start), EndTime: aws.Time(w.End),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("/aws/sagemaker/Endpoints"), MetricName: aws.String(x.metric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("EndpointName"), Value: aws.String("ab")}, {Name: aws.String("VariantName"), Value: aws.String(x.variant)}}},
				Period: aws.Int32(3600), Stat: aws.String("Average")}}}})
		if err != nil {
			t.Fatal(err)
		}
		exp := make([]*float64, 24)
		r := out.MetricDataResults[0]
		for k, ts := range r.Timestamps {
			v := r.Values[k] / x.units
			exp[int(ts.Sub(w.Start)/time.Hour)] = &v
		}
		got := chart.Series[i].Values
		for k := range exp {
			switch {
			case exp[k] == nil && got[k] != nil:
				t.Errorf("%s at hour %d: %v, CloudWatch has no reading (a gap, not a value)", x.name, k, *got[k])
			case exp[k] != nil && (got[k] == nil || *got[k] != *exp[k]):
				t.Errorf("%s at hour %d: %v, CloudWatch says %v", x.name, k, got[k], *exp[k])
			case exp[k] == nil:
				gaps++
			}
		}
	}
	if gaps == 0 {
		t.Error("no gap in B's GPU series: the scenario's three hours without readings are not on the chart")
	}
	if top := maxOf(chart.Series[0].Values); top > 100 || top < 25 {
		t.Errorf("A's CPU peaks at %v%% of the instance: 150%% over 4 vCPUs with a swing is about 37-50", top)
	}
}

func maxOf(vs []*float64) float64 {
	m := 0.0
	for _, v := range vs {
		if v != nil {
			m = max(m, *v)
		}
	}
	return m
}
