package emulator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// cwNow is the scenarios' virtual now: a Wednesday noon, UTC.
var cwNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const cwScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      metrics:
      - {endpoint: busy-ep, metric: Invocations, value: 120}
      - {endpoint: idle-ep, metric: Invocations, value: 40, to: 3d}
      - {endpoint: idle-ep, metric: CPUUtilization, value: 4}
      - {endpoint: chat-ep, metric: Invocations, value: 300, swing: 0.9}
      - {endpoint: async-ep, metric: ApproximateBacklogSize, value: 0}
      - {trainingJob: train-1, metric: GPUUtilization, value: 80, from: 2d, to: 1d}
      - {namespace: Custom/Agent, metric: KernelBusy, dimensions: {NotebookInstanceName: nb}, value: 1, every: 5m, from: 1d, gaps: [{from: 12h, to: 6h}]}
`

func cwClients(t *testing.T, env *emulatortest.Env) map[string]*cloudwatch.Client {
	t.Helper()
	return map[string]*cloudwatch.Client{
		"cbor":  awsapi.NewCloudWatch(env.Cfg, false),
		"query": awsapi.NewCloudWatch(env.Cfg, true),
	}
}

func dims(kv ...string) []cwtypes.Dimension {
	var out []cwtypes.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cwtypes.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func statQuery(id, ns, name, stat string, period int32, d []cwtypes.Dimension) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{
		Id: aws.String(id),
		MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: d},
			Period: aws.Int32(period), Stat: aws.String(stat),
		},
	}
}

func invocations(id, endpoint string, period int32) cwtypes.MetricDataQuery {
	return statQuery(id, "AWS/SageMaker", "Invocations", "Sum", period, dims("EndpointName", endpoint, "VariantName", "AllTraffic"))
}

// getData runs one GetMetricData call (no pagination) and returns the
// results by id.
func getData(t *testing.T, cw *cloudwatch.Client, start, end time.Time, qs ...cwtypes.MetricDataQuery) map[string]cwtypes.MetricDataResult {
	t.Helper()
	out, err := cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: qs,
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	res := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		res[aws.ToString(r.Id)] = r
	}
	return res
}

func TestGetMetricDataFromScenarioHistories(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			day := cwNow.Add(-24 * time.Hour)
			res := getData(t, cw, day, cwNow,
				invocations("busy", "busy-ep", 3600),
				invocations("idle", "idle-ep", 3600),
				statQuery("cpu", "/aws/sagemaker/Endpoints", "CPUUtilization", "Average", 3600, dims("VariantName", "AllTraffic", "EndpointName", "idle-ep")),
				statQuery("samples", "AWS/SageMaker", "Invocations", "SampleCount", 86400, dims("EndpointName", "busy-ep", "VariantName", "AllTraffic")),
				// Exact dimension matching: EndpointName alone is another metric.
				statQuery("partial", "AWS/SageMaker", "Invocations", "Sum", 3600, dims("EndpointName", "busy-ep")),
				statQuery("backlog", "AWS/SageMaker", "ApproximateBacklogSize", "Maximum", 3600, dims("EndpointName", "async-ep")),
			)
			busy := res["busy"]
			if len(busy.Values) != 24 {
				t.Fatalf("busy: %d values, want 24", len(busy.Values))
			}
			// Newest first (TimestampDescending is the default).
			if want := cwNow.Add(-time.Hour); !busy.Timestamps[0].Equal(want) {
				t.Errorf("busy first timestamp %v, want %v", busy.Timestamps[0], want)
			}
			if !busy.Timestamps[0].After(busy.Timestamps[23]) {
				t.Errorf("busy timestamps not descending: %v .. %v", busy.Timestamps[0], busy.Timestamps[23])
			}
			for i, v := range busy.Values {
				if v != 120*60 {
					t.Fatalf("busy value[%d] = %v, want 7200 (120/min for an hour)", i, v)
				}
			}
			if got := aws.ToString(busy.Label); got != "Invocations" {
				t.Errorf("label %q, want the metric name", got)
			}
			if busy.StatusCode != cwtypes.StatusCodeComplete {
				t.Errorf("status %s", busy.StatusCode)
			}
			if n := len(res["idle"].Values); n != 0 {
				t.Errorf("idle endpoint: %d datapoints in the last day, want none", n)
			}
			if n := len(res["partial"].Values); n != 0 {
				t.Errorf("EndpointName-only query matched %d datapoints; AWS matches dimension sets exactly", n)
			}
			for _, v := range res["cpu"].Values {
				if v != 4 {
					t.Errorf("cpu average %v, want 4", v)
				}
			}
			if len(res["cpu"].Values) != 24 {
				t.Errorf("cpu: %d values", len(res["cpu"].Values))
			}
			if s := res["samples"].Values; len(s) != 1 || s[0] != 120*1440 {
				t.Errorf("SampleCount over a day = %v, want [172800]", s)
			}
			if b := res["backlog"].Values; len(b) != 24 || b[0] != 0 {
				t.Errorf("async backlog gauge at 0 must still have datapoints, got %v", b)
			}

			// The idle endpoint had traffic until three days ago.
			res = getData(t, cw, cwNow.Add(-5*24*time.Hour), cwNow, invocations("idle", "idle-ep", 86400))
			idle := res["idle"]
			var got []string
			for i, ts := range idle.Timestamps {
				got = append(got, fmt.Sprintf("%s=%g", ts.Format("01-02"), idle.Values[i]))
			}
			// Daily buckets start at the (minute-aligned) start time, 12:00.
			if diff := cmp.Diff([]string{"11-21=57600", "11-20=57600"}, got); diff != "" {
				t.Errorf("idle daily sums (-want +got):\n%s", diff)
			}
			res = getData(t, cw, cwNow.Add(-4*24*time.Hour), cwNow, invocations("idle", "idle-ep", 3600))
			if ts := res["idle"].Timestamps; len(ts) != 24 || !ts[0].Equal(cwNow.Add(-73*time.Hour)) {
				t.Errorf("idle hourly: %d points, newest %v; want 24, newest 3 days and an hour ago", len(ts), ts)
			}
		})
	}
}

func TestGetMetricDataSwingGapsAndAlignment(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	cw := awsapi.NewCloudWatch(env.Cfg, false)
	ctx := context.Background()
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		// Unaligned start: CloudWatch rounds it down to the minute, then
		// buckets are whole periods from there.
		StartTime: aws.Time(cwNow.Add(-24*time.Hour + 20*time.Second)), EndTime: aws.Time(cwNow),
		ScanBy:            cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{invocations("chat", "chat-ep", 3600)},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.MetricDataResults[0]
	if len(r.Timestamps) != 24 || !r.Timestamps[0].Equal(cwNow.Add(-24*time.Hour)) {
		t.Fatalf("chat: %d points from %v", len(r.Timestamps), r.Timestamps)
	}
	byHour := map[int]float64{}
	for i, ts := range r.Timestamps {
		byHour[ts.Hour()] = r.Values[i]
	}
	// Peak at 14:00 UTC, trough at 02:00: 300*(1±0.9) per minute.
	if byHour[14] < 5*byHour[2] {
		t.Errorf("day/night swing too small: 14h=%v 2h=%v", byHour[14], byHour[2])
	}
	if p := byHour[14] / 60; p < 560 || p > 571 {
		t.Errorf("peak rate %v/min, want about 570", p)
	}

	// A 5-minute custom metric with a gap from 12h to 6h ago.
	res := getData(t, cw, cwNow.Add(-24*time.Hour), cwNow,
		statQuery("busy", "Custom/Agent", "KernelBusy", "SampleCount", 3600, dims("NotebookInstanceName", "nb")))
	var hours []int
	for _, ts := range res["busy"].Timestamps {
		hours = append(hours, ts.Hour())
	}
	sort.Ints(hours)
	// history from 12:00 yesterday, gap 00:00-06:00 today
	want := []int{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}
	if diff := cmp.Diff(want, hours); diff != "" {
		t.Errorf("hours with data (-want +got):\n%s", diff)
	}
	for _, v := range res["busy"].Values {
		if v != 12 {
			t.Errorf("5-minute metric: %v samples an hour, want 12", v)
		}
	}

	// Training host metric between 2 and 1 days ago, Host = job/algo-1.
	res = getData(t, cw, cwNow.Add(-3*24*time.Hour), cwNow,
		statQuery("gpu", "/aws/sagemaker/TrainingJobs", "GPUUtilization", "Average", 86400, dims("Host", "train-1/algo-1")))
	if v := res["gpu"].Values; len(v) != 1 || v[0] != 80 {
		t.Errorf("training GPU = %v, want [80]", v)
	}

	// The history follows the virtual clock.
	env.Emu.Advance(2 * time.Hour)
	res = getData(t, cw, cwNow, cwNow.Add(2*time.Hour), invocations("busy", "busy-ep", 3600))
	if v := res["busy"].Values; len(v) != 2 || v[0] != 7200 {
		t.Errorf("after advancing 2h: %v, want two hours of 7200", v)
	}
}

func TestGetMetricDataMathPaginationAndErrors(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	ctx := context.Background()
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			m1 := invocations("m1", "busy-ep", 3600)
			m1.ReturnData = aws.Bool(false)
			idle := invocations("idle", "idle-ep", 3600)
			idle.ReturnData = aws.Bool(false)
			res := getData(t, cw, cwNow.Add(-6*time.Hour), cwNow, m1, idle,
				cwtypes.MetricDataQuery{Id: aws.String("rate"), Expression: aws.String("m1 / 3600"), Label: aws.String("per second")},
				cwtypes.MetricDataQuery{Id: aws.String("filled"), Expression: aws.String("FILL(idle, 0) + 1")},
				cwtypes.MetricDataQuery{Id: aws.String("total"), Expression: aws.String("SUM([m1, FILL(idle, 0)])")},
			)
			if _, ok := res["m1"]; ok {
				t.Error("ReturnData=false query was returned")
			}
			rate := res["rate"]
			if aws.ToString(rate.Label) != "per second" || len(rate.Values) != 6 || rate.Values[0] != 2 {
				t.Errorf("rate = %s %v", aws.ToString(rate.Label), rate.Values)
			}
			if f := res["filled"].Values; len(f) != 6 || f[0] != 1 {
				t.Errorf("FILL(idle, 0) + 1 = %v, want six 1s", f)
			}
			if s := res["total"].Values; len(s) != 6 || s[5] != 7200 {
				t.Errorf("SUM = %v", s)
			}

			// Pagination: 3 queries x 24 hourly points, 10 per page.
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(cwNow.Add(-24 * time.Hour)), EndTime: aws.Time(cwNow), MaxDatapoints: aws.Int32(10),
				MetricDataQueries: []cwtypes.MetricDataQuery{
					invocations("a", "busy-ep", 3600), invocations("b", "chat-ep", 3600), invocations("c", "busy-ep", 7200),
				},
			}
			counts := map[string]int{}
			pages, partial := 0, 0
			p := cloudwatch.NewGetMetricDataPaginator(cw, in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				n := 0
				for _, r := range out.MetricDataResults {
					counts[aws.ToString(r.Id)] += len(r.Values)
					n += len(r.Values)
					if r.StatusCode == cwtypes.StatusCodePartialData {
						partial++
					}
				}
				if n > 10 {
					t.Errorf("page %d has %d datapoints, MaxDatapoints is 10", pages, n)
				}
			}
			if diff := cmp.Diff(map[string]int{"a": 24, "b": 24, "c": 12}, counts); diff != "" {
				t.Errorf("datapoints per query (-want +got):\n%s", diff)
			}
			if pages != 6 || partial == 0 {
				t.Errorf("pages = %d, partial results = %d; want 6 pages and some PartialData", pages, partial)
			}

			errCases := []struct {
				name     string
				qs       []cwtypes.MetricDataQuery
				code     string
				contains string
			}{
				{"too many queries", manyQueries(501), "ValidationError", "The collection MetricDataQueries must not have a size greater than 500."},
				{"duplicate ids", []cwtypes.MetricDataQuery{invocations("a", "x", 60), invocations("a", "y", 60)}, "ValidationError", "The values for parameter id in MetricDataQueries are not unique."},
				{"bad period", []cwtypes.MetricDataQuery{invocations("a", "x", 45)}, "ValidationError", "MetricDataQueries.member.1.MetricStat.Period"},
				{"unknown id in expression", []cwtypes.MetricDataQuery{{Id: aws.String("e"), Expression: aws.String("nope * 2")}}, "ValidationError", "nope"},
				{"bad id", []cwtypes.MetricDataQuery{invocations("Upper", "x", 60)}, "ValidationError", "MetricDataQueries.member.1.Id"},
			}
			for _, tc := range errCases {
				_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(cwNow.Add(-time.Hour)), EndTime: aws.Time(cwNow), MetricDataQueries: tc.qs,
				})
				code, msg := apiCode(t, err)
				if !sameCode(code, tc.code) || !strings.Contains(msg, tc.contains) {
					t.Errorf("%s: %s: %s", tc.name, code, msg)
				}
			}
			// 500 queries is the limit, not an error.
			if _, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(cwNow.Add(-time.Hour)), EndTime: aws.Time(cwNow), MetricDataQueries: manyQueries(500),
			}); err != nil {
				t.Errorf("500 queries: %v", err)
			}
			_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(cwNow), EndTime: aws.Time(cwNow.Add(-time.Hour)), MetricDataQueries: manyQueries(1),
			})
			if code, msg := apiCode(t, err); !sameCode(code, "ValidationError") || !strings.Contains(msg, "StartTime must be less than") {
				t.Errorf("reversed range: %s: %s", code, msg)
			}
			_, err = cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(cwNow.Add(-time.Hour)), EndTime: aws.Time(cwNow), MetricDataQueries: manyQueries(1), NextToken: aws.String("garbage!"),
			})
			if code, _ := apiCode(t, err); code != "InvalidNextToken" {
				t.Errorf("bad token: %s", code)
			}
		})
	}
}

func manyDatums(n int) []cwtypes.MetricDatum {
	ds := make([]cwtypes.MetricDatum, n)
	for i := range ds {
		ds[i] = cwtypes.MetricDatum{MetricName: aws.String("X"), Value: aws.Float64(1)}
	}
	return ds
}

// sameCode compares an SDK error code with CloudWatch's wire code. Over
// CBOR the SDK reports the wire code (from x-amzn-query-error); over query
// it reports the modeled shape's name, whose @awsQueryError is the wire
// code: InvalidParameterValueException for InvalidParameterValue,
// ValidationException for ValidationError.
func sameCode(got, wire string) bool {
	norm := func(s string) string {
		return strings.TrimSuffix(strings.TrimSuffix(s, "Exception"), "Error")
	}
	return norm(got) == norm(wire)
}

func manyQueries(n int) []cwtypes.MetricDataQuery {
	qs := make([]cwtypes.MetricDataQuery, n)
	for i := range qs {
		qs[i] = invocations(fmt.Sprintf("q%d", i), fmt.Sprintf("ep-%d", i), 60)
	}
	return qs
}

func TestPutMetricDataThenRead(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	ctx := context.Background()
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			ns := "Sagesaver/" + proto
			d := dims("NotebookInstanceName", "dev-alice")
			base := cwNow.Add(-30 * time.Minute)
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace: aws.String(ns),
				MetricData: []cwtypes.MetricDatum{
					{MetricName: aws.String("Activity"), Dimensions: d, Value: aws.Float64(1), Timestamp: aws.Time(base.Add(10 * time.Second)), Unit: cwtypes.StandardUnitCount},
					{MetricName: aws.String("Activity"), Dimensions: d, Value: aws.Float64(3), Timestamp: aws.Time(base.Add(50 * time.Second)), Unit: cwtypes.StandardUnitCount},
					{MetricName: aws.String("Activity"), Dimensions: d, Values: []float64{10, 20}, Counts: []float64{1, 3}, Timestamp: aws.Time(base.Add(5 * time.Minute)), Unit: cwtypes.StandardUnitCount},
					{MetricName: aws.String("Activity"), Dimensions: d, Timestamp: aws.Time(base.Add(10 * time.Minute)), Unit: cwtypes.StandardUnitCount,
						StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(8), Minimum: aws.Float64(0), Maximum: aws.Float64(5)}},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			q := func(id, stat string) cwtypes.MetricDataQuery {
				return statQuery(id, ns, "Activity", stat, 60, d)
			}
			res := getData(t, cw, cwNow.Add(-time.Hour), cwNow, q("sum", "Sum"), q("n", "SampleCount"), q("max", "Maximum"), q("avg", "Average"), q("p50", "p50"))
			asc := func(r cwtypes.MetricDataResult) []float64 {
				out := append([]float64(nil), r.Values...)
				for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
					out[i], out[j] = out[j], out[i]
				}
				return out
			}
			for id, want := range map[string][]float64{
				"sum": {4, 70, 8}, "n": {2, 4, 4}, "max": {3, 20, 5}, "avg": {2, 17.5, 2}, "p50": {1, 20},
			} {
				if diff := cmp.Diff(want, asc(res[id])); diff != "" {
					t.Errorf("%s (-want +got):\n%s", id, diff)
				}
			}

			st, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String(ns), MetricName: aws.String("Activity"), Dimensions: d,
				StartTime: aws.Time(cwNow.Add(-time.Hour)), EndTime: aws.Time(cwNow), Period: aws.Int32(3600),
				Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticMaximum, cwtypes.StatisticSampleCount},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Datapoints) != 1 {
				t.Fatalf("datapoints %+v", st.Datapoints)
			}
			dp := st.Datapoints[0]
			if aws.ToFloat64(dp.Sum) != 82 || aws.ToFloat64(dp.Maximum) != 20 || aws.ToFloat64(dp.SampleCount) != 10 || dp.Unit != cwtypes.StandardUnitCount || dp.Average != nil {
				t.Errorf("datapoint %+v", dp)
			}
			if aws.ToString(st.Label) != "Activity" {
				t.Errorf("label %q", aws.ToString(st.Label))
			}

			putErrs := []struct {
				in       *cloudwatch.PutMetricDataInput
				code     string
				contains string
			}{
				{&cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/SageMaker"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("X"), Value: aws.Float64(1)}}}, "InvalidParameterValue", "AWS/SageMaker"},
				{&cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("X"), Value: aws.Float64(1), StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}}}}, "InvalidParameterCombination", "MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive"},
				{&cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("X"), Value: aws.Float64(1), Timestamp: aws.Time(cwNow.Add(-15 * 24 * time.Hour))}}}, "InvalidParameterValue", "two weeks"},
				{&cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: manyDatums(1001)}, "InvalidParameterValue", "must not have a size greater than 1000"},
			}
			for i, tc := range putErrs {
				_, err := cw.PutMetricData(ctx, tc.in)
				if code, msg := apiCode(t, err); !sameCode(code, tc.code) || !strings.Contains(msg, tc.contains) {
					t.Errorf("put error case %d: %s: %s", i, code, msg)
				}
			}
		})
	}
}

func TestGetMetricStatisticsLimitsAndOrder(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	ctx := context.Background()
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			in := &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String("AWS/SageMaker"), MetricName: aws.String("Invocations"),
				Dimensions: dims("EndpointName", "busy-ep", "VariantName", "AllTraffic"),
				StartTime:  aws.Time(cwNow.Add(-24 * time.Hour)), EndTime: aws.Time(cwNow), Period: aws.Int32(3600),
				Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}, ExtendedStatistics: nil,
			}
			out, err := cw.GetMetricStatistics(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Datapoints) != 24 {
				t.Fatalf("%d datapoints", len(out.Datapoints))
			}
			ordered := sort.SliceIsSorted(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
			if ordered {
				t.Error("datapoints in chronological order; AWS documents no order and the emulator shuffles to keep callers honest")
			}
			for _, dp := range out.Datapoints {
				if aws.ToFloat64(dp.Sum) != 7200 {
					t.Errorf("sum %v", aws.ToFloat64(dp.Sum))
				}
			}
			in.Period = aws.Int32(60)
			in.StartTime = aws.Time(cwNow.Add(-48 * time.Hour))
			_, err = cw.GetMetricStatistics(ctx, in)
			code, msg := apiCode(t, err)
			if want := "You have requested up to 2880 datapoints, which exceeds the limit of 1440."; !sameCode(code, "InvalidParameterCombination") || !strings.Contains(msg, want) {
				t.Errorf("too many datapoints: %s: %s", code, msg)
			}
			in.Period, in.StartTime = aws.Int32(3600), aws.Time(cwNow.Add(-time.Hour))
			in.ExtendedStatistics = []string{"p99"}
			_, err = cw.GetMetricStatistics(ctx, in)
			if code, _ := apiCode(t, err); !sameCode(code, "InvalidParameterCombination") {
				t.Errorf("both statistics kinds: %s", code)
			}
		})
	}
}

func TestListMetricsFiltersRecentlyActiveAndPages(t *testing.T) {
	var b strings.Builder
	b.WriteString(cwScenario)
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&b, "      - {endpoint: fleet-%03d, metric: CPUUtilization, value: 10}\n", i)
	}
	env := emulatortest.Start(t, b.String())
	ctx := context.Background()
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			names := func(in *cloudwatch.ListMetricsInput) ([]string, int) {
				var out []string
				pages := 0
				p := cloudwatch.NewListMetricsPaginator(cw, in)
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					pages++
					for _, m := range page.Metrics {
						var ds []string
						for _, d := range m.Dimensions {
							ds = append(ds, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
						}
						out = append(out, aws.ToString(m.MetricName)+"{"+strings.Join(ds, ",")+"}")
					}
				}
				return out, pages
			}
			all, pages := names(&cloudwatch.ListMetricsInput{Namespace: aws.String("/aws/sagemaker/Endpoints")})
			if len(all) != 601 || pages != 2 {
				t.Errorf("endpoint metrics: %d in %d pages, want 601 in 2", len(all), pages)
			}
			inv, _ := names(&cloudwatch.ListMetricsInput{MetricName: aws.String("Invocations")})
			want := []string{
				"Invocations{EndpointName=busy-ep,VariantName=AllTraffic}",
				"Invocations{EndpointName=chat-ep,VariantName=AllTraffic}",
				"Invocations{EndpointName=idle-ep,VariantName=AllTraffic}",
			}
			if diff := cmp.Diff(want, inv); diff != "" {
				t.Errorf("Invocations metrics (-want +got):\n%s", diff)
			}
			// RecentlyActive drops the endpoint whose last invocation was 3 days ago.
			recent, _ := names(&cloudwatch.ListMetricsInput{MetricName: aws.String("Invocations"), RecentlyActive: cwtypes.RecentlyActivePt3h})
			if diff := cmp.Diff(want[:2], recent); diff != "" {
				t.Errorf("recently active (-want +got):\n%s", diff)
			}
			// Dimension filters match metrics that have the dimension (not exact sets).
			idle, _ := names(&cloudwatch.ListMetricsInput{Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("EndpointName"), Value: aws.String("idle-ep")}}})
			if diff := cmp.Diff([]string{"CPUUtilization{EndpointName=idle-ep,VariantName=AllTraffic}", "Invocations{EndpointName=idle-ep,VariantName=AllTraffic}"}, idle); diff != "" {
				t.Errorf("dimension filter (-want +got):\n%s", diff)
			}
			// The training job's data ended a day ago: still listed (two-week window).
			hosts, _ := names(&cloudwatch.ListMetricsInput{Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Host")}}})
			if diff := cmp.Diff([]string{"GPUUtilization{Host=train-1/algo-1}"}, hosts); diff != "" {
				t.Errorf("Host filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCloudWatchThrottlingRiddenOutByRetryer(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	env.Emu.SetFaults(emulator.FaultConfig{Throttle: map[string]emulator.Rate{"cloudwatch:GetMetricData": {PerSecond: 5, Burst: 1}}})
	ctx := context.Background()
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			env.Emu.ResetCounters()
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
						StartTime: aws.Time(cwNow.Add(-time.Hour)), EndTime: aws.Time(cwNow),
						MetricDataQueries: []cwtypes.MetricDataQuery{invocations("a", "busy-ep", 60)},
					})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("GetMetricData under throttling: %v", err)
				}
			}
			c := env.Emu.Counters()
			if c.Throttled["cloudwatch:GetMetricData"] == 0 {
				t.Errorf("no request was throttled: %+v", c)
			}
			if c.Calls["cloudwatch:GetMetricData"] <= 8 {
				t.Errorf("calls = %d, want retries beyond the 8 requests", c.Calls["cloudwatch:GetMetricData"])
			}
		})
	}
	// Without the retryer, the error is AWS's throttling error.
	env.Emu.SetFaults(emulator.FaultConfig{Throttle: map[string]emulator.Rate{"cloudwatch:*": {PerSecond: 0.001, Burst: 1}}})
	cw := cloudwatch.NewFromConfig(env.Cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	var err error
	for i := 0; i < 2 && err == nil; i++ {
		_, err = cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	}
	if code, msg := apiCode(t, err); code != "Throttling" || msg != "Rate exceeded" || !awsapi.IsThrottled(err) {
		t.Errorf("throttled: %s: %s", code, msg)
	}
}

func TestCloudWatchInjected500IsRetried(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	for proto, cw := range cwClients(t, env) {
		t.Run(proto, func(t *testing.T) {
			env.Emu.ResetCounters()
			env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
				{Operation: "cloudwatch:GetMetricData", Code: "InternalServiceError", Status: 500, Count: 2},
			}})
			res := getData(t, cw, cwNow.Add(-time.Hour), cwNow, invocations("a", "busy-ep", 3600))
			if v := res["a"].Values; len(v) != 1 || v[0] != 7200 {
				t.Errorf("values after retries: %v", v)
			}
			if n := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]; n != 3 {
				t.Errorf("calls = %d, want 3 (two 500s, then success)", n)
			}
		})
	}
}

// rawCall sends a hand-made request and returns status, the
// x-amzn-query-error header and the body.
func rawCall(t *testing.T, url, path, contentType string, body []byte, header map[string]string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261125/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Query-Error"), string(b)
}

func TestCloudWatchBadRequestsGetAWSErrors(t *testing.T) {
	env := emulatortest.Start(t, cwScenario)
	cbor := map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Accept": "application/cbor"}
	const form = "application/x-www-form-urlencoded"
	q := func(v url.Values) []byte { return []byte(v.Encode()) }
	cases := []struct {
		name, path, ctype string
		body              []byte
		header            map[string]string
		status            int
		code              string // in the body (query) or the query-error header (CBOR)
	}{
		{"cbor unknown operation", "/service/GraniteServiceVersion20100801/operation/DescribeNothing", "application/cbor", []byte{0xa0}, cbor, 400, "UnknownOperationException"},
		{"cbor garbage body", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "application/cbor", []byte{0xff, 0x13, 0x37, 0x00}, cbor, 400, "SerializationException"},
		{"cbor missing required", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "application/cbor", []byte{0xa0}, cbor, 400, "ValidationError"},
		{"cbor wrong type", "/service/GraniteServiceVersion20100801/operation/ListMetrics", "application/cbor", []byte{0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x01}, cbor, 400, "SerializationException"},
		{"query unknown action", "/", form, q(url.Values{"Action": {"DescribeNothing"}, "Version": {"2010-08-01"}}), nil, 400, "InvalidAction"},
		{"query missing required", "/", form, q(url.Values{"Action": {"GetMetricStatistics"}, "Version": {"2010-08-01"}, "MetricName": {"X"}}), nil, 400, "MissingParameter"},
		{"query missing action", "/", form, []byte("Version=2010-08-01"), nil, 400, "MissingAction"},
		{"query garbage form", "/", form, []byte("%zz%%&&=="), nil, 400, "MalformedQueryString"},
		{"query bad timestamp", "/", form, q(url.Values{"Action": {"GetMetricData"}, "Version": {"2010-08-01"}, "StartTime": {"yesterday"}}), nil, 400, "MalformedInput"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, qerr, body := rawCall(t, env.URL, tc.path, tc.ctype, tc.body, tc.header)
			if status != tc.status {
				t.Errorf("status %d, want %d (body %q)", status, tc.status, body)
			}
			if tc.ctype == form {
				if !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, "<ErrorResponse") {
					t.Errorf("body %q, want an ErrorResponse with code %s", body, tc.code)
				}
			} else if !strings.HasPrefix(qerr, tc.code+";") {
				t.Errorf("x-amzn-query-error %q, want %s;Sender (body %q)", qerr, tc.code, body)
			}
		})
	}
}

func TestMetricScenarioErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"{endpoint: e, metric: Invocations}", `metrics[0].value": required`},
		{"{metric: Foo, value: 1}", `metrics[0].namespace": required`},
		{"{endpoint: e, metric: CPUUtilization, value: 1, from: 1d, to: 2d}", `metrics[0].to": must be later than from`},
		{"{endpoint: e, metric: CPUUtilization, value: 1, swing: 2}", "metrics[0].swing"},
		{"{endpoint: e, metric: CPUUtilization, value: 1, every: 45s}", "metrics[0].every"},
		{"{endpoint: e, component: c, metric: CPUUtilization, value: 1}", "mutually exclusive"},
	} {
		sc, err := emulator.ParseScenario("t.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      metrics:\n      - "+tc.entry+"\n"))
		if err == nil {
			err = emulator.New(emulator.Options{}).Load(sc)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.entry, err, tc.want)
		}
	}
}

// BenchmarkGetMetricData500x24h is the collector's worst case: 500
// queries over a day at 1-minute granularity (720,000 datapoints, 8 pages
// of 100,800), through the real SDK over CBOR.
func BenchmarkGetMetricData500x24h(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      metrics:\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&sb, "      - {endpoint: ep-%d, metric: Invocations, value: 60, swing: 0.5, noise: 0.2}\n", i)
	}
	env := emulatortest.Start(b, sb.String())
	cw := awsapi.NewCloudWatch(env.Cfg, false)
	qs := make([]cwtypes.MetricDataQuery, 500)
	for i := range qs {
		qs[i] = invocations(fmt.Sprintf("q%d", i), fmt.Sprintf("ep-%d", i), 60)
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwNow.Add(-24 * time.Hour)), EndTime: aws.Time(cwNow), MetricDataQueries: qs}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		p := cloudwatch.NewGetMetricDataPaginator(cw, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range out.MetricDataResults {
				n += len(r.Values)
			}
		}
		if n != 500*1440 {
			b.Fatalf("%d datapoints, want %d", n, 500*1440)
		}
	}
}

// BenchmarkLoadLargeMetricScenario loads 10,000 endpoints x 5 metrics over
// 15 days; histories are generators, so this stays small and fast.
func BenchmarkLoadLargeMetricScenario(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      metrics:\n")
	for i := 0; i < 10000; i++ {
		for _, m := range []string{"Invocations", "CPUUtilization", "MemoryUtilization", "GPUUtilization", "DiskUtilization"} {
			fmt.Fprintf(&sb, "      - {endpoint: ep-%d, metric: %s, value: 10, noise: 0.1}\n", i, m)
		}
	}
	sc, err := emulator.ParseScenario("large.yaml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	emu := emulator.New(emulator.Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := emu.Load(sc); err != nil {
			b.Fatal(err)
		}
	}
}
