package metrics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const scenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        endpoints:
          - name: ab
            variants:
              - {name: A, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 0}
              - {name: B, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 1}
            age: 30d
          - name: idle
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 30d
          - name: young
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 2h
          - name: queue
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.g4dn.xlarge, count: 1}]
            async: {outputPath: "s3://b/out"}
            age: 30d
          - name: quiet-queue
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.g4dn.xlarge, count: 1}]
            async: {outputPath: "s3://b/out"}
            age: 30d
        metrics:
          - {metric: Invocations, endpoint: ab, variant: B, value: 10}
          - {metric: CPUUtilization, endpoint: ab, variant: B, value: 40}
          - {metric: Invocations, endpoint: idle, value: 3, from: 15d, to: 10d}
          - {metric: ApproximateBacklogSize, endpoint: queue, value: 7}
          - {metric: ApproximateBacklogSize, endpoint: quiet-queue, value: 0}
`

// resources is what the scan's inventory says about the scenario's
// endpoints (one resource per variant), as idle.Endpoint reads it.
func resources() map[resource.ID][]resource.Resource {
	created := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	ep := func(name, variant string, age time.Duration, async bool) resource.Resource {
		return resource.Resource{Account: "123456789012", Region: "us-east-1", Kind: resource.Endpoint,
			Name: name, Variant: variant, Status: "InService", Running: true, Async: async,
			Created: created(age), LastModified: created(age)}
	}
	month := 30 * 24 * time.Hour
	out := map[resource.ID][]resource.Resource{}
	for _, rs := range [][]resource.Resource{
		{ep("ab", "A", month, false), ep("ab", "B", month, false)},
		{ep("idle", "AllTraffic", month, false)},
		{ep("young", "AllTraffic", 2*time.Hour, false)},
		{ep("queue", "AllTraffic", month, true)},
		{ep("quiet-queue", "AllTraffic", month, true)},
	} {
		out[rs[0].ID()] = rs
	}
	return out
}

func TestEndpointVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		faults *emulator.FaultConfig
		want   map[string]idle.State
		reason map[string]idle.Reason
	}{
		{
			name: "evidence",
			want: map[string]idle.State{
				"ab":          idle.Active, // variant A is idle, B has traffic: not idle
				"idle":        idle.Idle,
				"young":       idle.Unknown, // no datapoints, but only 2 h old
				"queue":       idle.Active,  // a backlog is activity
				"quiet-queue": idle.Idle,    // backlog published and 0, nothing processed
			},
			reason: map[string]idle.Reason{"young": idle.ReasonYoung, "queue": idle.ReasonBacklog, "ab": idle.ReasonInvocations},
		},
		{
			name: "throttled past retries",
			faults: &emulator.FaultConfig{Errors: []emulator.ErrorFault{
				{Operation: "cloudwatch:GetMetricData", Code: "Throttling", Message: "Rate exceeded", Status: 400}}},
			want: map[string]idle.State{
				"ab": idle.Unknown, "idle": idle.Unknown, "young": idle.Unknown, "queue": idle.Unknown, "quiet-queue": idle.Unknown,
			},
			reason: map[string]idle.Reason{"idle": idle.ReasonMetricsError, "ab": idle.ReasonMetricsError},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := emulatortest.Start(t, scenario)
			if tt.faults != nil {
				env.Emu.SetFaults(*tt.faults)
			}
			f := metrics.New(fewRetries(t, env).CloudWatch)
			w := metrics.NewWindow(env.Emu.Now(), 24*time.Hour)
			groups := resources()
			ev := f.Endpoints(context.Background(), w, groups)
			got := map[string]idle.State{}
			var idleEP resource.ID
			for id, rs := range groups {
				v := idle.Endpoint(rs, ev[id], env.Emu.Now())
				got[id.Name] = v.State
				if id.Name == "idle" {
					idleEP = id
				}
				if want, ok := tt.reason[id.Name]; ok && v.Reason != want {
					t.Errorf("%s: reason %s (%s), want %s", id.Name, v.Reason, v.Evidence, want)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("verdicts (-want +got):\n%s", d)
			}
			calls := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]
			if tt.faults == nil && calls != 1 {
				t.Errorf("GetMetricData calls = %d, want 1 for 6 queries", calls)
			}
			if tt.faults != nil {
				if calls != 2 {
					t.Errorf("GetMetricData calls = %d, want 2 (the retryer's attempts)", calls)
				}
				if e := ev[idleEP].Err; e == nil || !strings.Contains(e.Error(), "Throttling") {
					t.Errorf("idle endpoint error = %v, want the throttling error", e)
				}
			}
		})
	}
}

// fewRetries returns clients whose retryer gives up after 2 attempts, so
// that "throttled past retries" does not wait out ten backoffs.
func fewRetries(t *testing.T, env *emulatortest.Env) *awsapi.Clients {
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region: "us-east-1", EndpointURL: env.URL, MaxAttempts: 2,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDEMULATOR", SecretAccessKey: "emulator"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return awsapi.NewClients(cfg, "us-east-1", false)
}

func TestFetchUtilization(t *testing.T) {
	env := emulatortest.Start(t, scenario)
	f := metrics.New(env.Clients("us-east-1").CloudWatch)
	w := metrics.NewWindow(env.Emu.Now(), 6*time.Hour)
	qs := []metrics.Query{
		metrics.VariantQuery("ab", "B", metrics.MetricCPUUtilization, "Average"),
		metrics.VariantQuery("ab", "A", metrics.MetricCPUUtilization, "Average"),
		// endpoint-only dimensions do not match per-variant data
		{Namespace: metrics.UtilizationNamespace, Metric: metrics.MetricCPUUtilization, Stat: "Average",
			Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: "ab"}}},
	}
	rs := f.Fetch(context.Background(), w, qs)
	if len(rs) != 3 {
		t.Fatalf("got %d results", len(rs))
	}
	mean, ok := rs[0].Mean()
	if !ok || mean < 39 || mean > 41 || len(rs[0].Values) != 6 || !rs[0].Complete {
		t.Errorf("variant B: mean %v (%v), %d datapoints, complete %v; want 40 over 6 hourly points", mean, ok, len(rs[0].Values), rs[0].Complete)
	}
	for i, ts := range rs[0].Timestamps {
		if want := w.Start.Add(time.Duration(i) * time.Hour); !ts.Equal(want) {
			t.Errorf("timestamp %d = %v, want %v (ascending)", i, ts, want)
		}
	}
	for _, r := range rs[1:] {
		if len(r.Values) != 0 || !r.Complete || r.Err != nil {
			t.Errorf("%s: %d values, complete %v, err %v; want complete and empty", r.Query, len(r.Values), r.Complete, r.Err)
		}
	}
}

// TestBatchesAndPages checks the call arithmetic: 1,201 queries go in
// three calls, and a batch whose datapoints exceed one page follows
// NextToken to the end.
func TestBatchesAndPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n  - id: \"123456789012\"\n    regions:\n      us-east-1:\n        metrics:\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, "          - {metric: Invocations, endpoint: ep-%02d, value: 1, from: 4d}\n", i)
	}
	env := emulatortest.Start(t, b.String())
	f := metrics.New(env.Clients("us-east-1").CloudWatch)

	t.Run("batches", func(t *testing.T) {
		env.Emu.ResetCounters()
		var qs []metrics.Query
		for i := 0; i < 1201; i++ {
			qs = append(qs, metrics.Query{Namespace: idle.Namespace, Metric: idle.MetricInvocations, Stat: "Sum",
				Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: fmt.Sprintf("ep-%02d", i%30)}, {Name: "VariantName", Value: "AllTraffic"}}})
		}
		rs := f.Fetch(context.Background(), metrics.NewWindow(env.Emu.Now(), 24*time.Hour), qs)
		if got := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]; got != 3 {
			t.Errorf("calls = %d, want 3", got)
		}
		for i, r := range rs {
			want := 0.0
			if i%30 < 25 {
				want = 24 * 60
			}
			if r.Sum() != want || !r.Complete {
				t.Fatalf("query %d (%s): sum %v complete %v err %v, want %v", i, r.Query, r.Sum(), r.Complete, r.Err, want)
			}
		}
	})
	t.Run("pages", func(t *testing.T) {
		env.Emu.ResetCounters()
		var qs []metrics.Query
		for i := 0; i < 25; i++ {
			qs = append(qs, metrics.Query{Namespace: idle.Namespace, Metric: idle.MetricInvocations, Stat: "Sum",
				Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: fmt.Sprintf("ep-%02d", i)}, {Name: "VariantName", Value: "AllTraffic"}}})
		}
		// 25 series x 3 days of minutes = 108,000 datapoints: two pages.
		w := metrics.Window{End: env.Emu.Now(), Start: env.Emu.Now().Add(-72 * time.Hour), Period: time.Minute}
		rs := f.Fetch(context.Background(), w, qs)
		if got := env.Emu.Counters().Calls["cloudwatch:GetMetricData"]; got != 2 {
			t.Errorf("calls = %d, want 2 pages", got)
		}
		for _, r := range rs {
			if len(r.Values) != 72*60 || !r.Complete || r.Err != nil {
				t.Errorf("%s: %d values complete %v err %v, want %d complete", r.Query, len(r.Values), r.Complete, r.Err, 72*60)
			}
		}
	})
}

func TestNewWindow(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 34, 56, 0, time.UTC)
	tests := []struct {
		length time.Duration
		want   metrics.Window
	}{
		{24 * time.Hour, metrics.Window{Start: at.Add(-24*time.Hour - 56*time.Second), End: at.Add(-56 * time.Second), Period: time.Hour}},
		{90 * time.Minute, metrics.Window{Start: at.Add(-90*time.Minute - 56*time.Second), End: at.Add(-56 * time.Second), Period: 5 * time.Minute}},
		{7 * time.Minute, metrics.Window{Start: at.Add(-7*time.Minute - 56*time.Second), End: at.Add(-56 * time.Second), Period: time.Minute}},
		{8 * 24 * time.Hour, metrics.Window{Start: at.Add(-8*24*time.Hour - 56*time.Second), End: at.Add(-56 * time.Second), Period: time.Hour}},
		{30*24*time.Hour + time.Hour, metrics.Window{Start: at.Add(-721*time.Hour - 56*time.Second), End: at.Add(-56 * time.Second), Period: 4 * time.Hour}},
		{15 * 24 * time.Hour, metrics.Window{Start: at.Add(-360*time.Hour - 56*time.Second), End: at.Add(-56 * time.Second), Period: 2 * time.Hour}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, metrics.NewWindow(at, tt.length)); d != "" {
			t.Errorf("NewWindow(%v) (-want +got):\n%s", tt.length, d)
		}
	}
}
