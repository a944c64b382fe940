package advise_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func flat(v float64, n int) advise.Series {
	s := advise.Series{Periods: n, Complete: true}
	for range n {
		s.Values = append(s.Values, v)
	}
	return s
}

func evidence() *advise.Evidence {
	return &advise.Evidence{Start: now.Add(-advise.DefaultLookback), End: now, ScalingRead: map[string]bool{acct + "/us-east-1": true}}
}

func endpoint(name, typ string, n int) resource.Resource {
	return resource.Resource{Account: acct, Region: "us-east-1", Kind: resource.Endpoint, Name: name, Variant: "AllTraffic",
		Status: "InService", InstanceType: typ, InstanceCount: n, Running: true, Image: "x:1"}
}

// The rules say nothing without the numbers they need: "no data" is not
// "low use".
func TestFailClosed(t *testing.T) {
	const hours = 14 * 24
	cases := []struct {
		name string
		r    resource.Resource
		put  map[string]advise.Series
	}{
		{"CPU series incomplete", endpoint("a", "ml.m5.2xlarge", 1), map[string]advise.Series{
			advise.MetricCPU: {Values: flat(10, hours).Values, Periods: hours, Complete: false}, advise.MetricInvocations: flat(100, hours)}},
		{"CPU for only half the window", endpoint("b", "ml.m5.2xlarge", 1), map[string]advise.Series{
			advise.MetricCPU: {Values: flat(10, hours/2).Values, Periods: hours, Complete: true}, advise.MetricInvocations: flat(100, hours)}},
		{"GPU endpoint without GPU numbers", endpoint("c", "ml.g5.2xlarge", 1), map[string]advise.Series{
			advise.MetricCPU: flat(10, hours), advise.MetricInvocations: flat(100, hours)}},
		{"no Invocations: not known to swing", endpoint("d", "ml.c5.xlarge", 4), map[string]advise.Series{
			advise.MetricCPU: flat(300, hours)}},
		{"idle endpoint: plan's business, not a size", endpoint("e", "ml.m5.2xlarge", 1), map[string]advise.Series{
			advise.MetricCPU: flat(1, hours), advise.MetricInvocations: {Periods: hours, Complete: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := evidence()
			for m, s := range tc.put {
				ev.Put(&tc.r, m, s)
			}
			res := advise.Advise([]resource.Resource{tc.r}, ev, refreshed(t), advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
			if len(res.Recommendations) != 0 {
				t.Errorf("got %v", brief(res, advise.EndpointDownsize, advise.EndpointFewer, advise.EndpointAutoscale, advise.EndpointGPUClass, advise.EndpointServerless))
			}
		})
	}
}

// Studio apps: the agent's last activity on a GPU app (the inventory does
// not read app tags yet, so this rule is tested on resources directly).
func TestStudioDownsize(t *testing.T) {
	quiet := now.Add(-72 * time.Hour)
	recent := now.Add(-10 * time.Minute)
	started := now.Add(-100 * time.Hour)
	beat := func(at time.Time) map[string]string {
		return map[string]string{agenttag.Heartbeat: agenttag.FormatTime(at)}
	}
	app := func(name, typ string, last *time.Time, tags map[string]string) resource.Resource {
		return resource.Resource{Account: acct, Region: "us-east-1", Kind: resource.StudioApp, Name: name, Parent: "d-1",
			AppType: "JupyterLab", Status: "InService", InstanceType: typ, InstanceCount: 1, Running: true,
			AgentLastActivity: last, Started: &started, Tags: tags}
	}
	rs := []resource.Resource{
		app("alice/JupyterLab/default", "ml.g4dn.xlarge", &quiet, beat(now.Add(-5*time.Minute))),
		app("bob/JupyterLab/default", "ml.g4dn.xlarge", &recent, beat(now.Add(-5*time.Minute))),
		app("carol/JupyterLab/default", "ml.g4dn.xlarge", nil, nil),
		app("dan/JupyterLab/default", "ml.m5.xlarge", &quiet, beat(now.Add(-5*time.Minute))), // not a GPU
		// Quiet for three days, but the agent stopped checking an hour
		// ago (or never said when it checked): it may have died, and its
		// quiet time is no evidence.
		app("erin/JupyterLab/default", "ml.g4dn.xlarge", &quiet, beat(now.Add(-time.Hour))),
		app("fay/JupyterLab/default", "ml.g4dn.xlarge", &quiet, nil),
	}
	cat := pricing.Embedded()
	res := advise.Advise(rs, evidence(), cat, advise.Options{Now: now})
	want := []string{"alice/JupyterLab/default studio-downsize ml.g4dn.xlarge x1 -> ml.t3.medium x1"}
	if diff := cmp.Diff(want, brief(res, advise.StudioDownsize)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var skipped []string
	for _, sk := range res.Skipped {
		if sk.Rule == advise.StudioDownsize && strings.Contains(sk.Reason, agenttag.Heartbeat) {
			skipped = append(skipped, sk.Resource)
		}
	}
	if diff := cmp.Diff([]string{"erin/JupyterLab/default", "fay/JupyterLab/default"}, skipped); diff != "" {
		t.Errorf("skipped for a stale heartbeat (-want +got):\n%s", diff)
	}
	g4 := rate(t, cat, "us-east-1", "ml.g4dn.xlarge", pricing.StudioJupyterLab)
	t3 := rate(t, cat, "us-east-1", "ml.t3.medium", pricing.StudioJupyterLab)
	wantMonthly(t, res.Recommendations[0].Saving, g4.Amount.Sub(t3.Amount).Mul(pricing.HoursPerMonth))
}

// Alternatives for one resource are grouped together and the total takes
// the best of them only.
func TestGroupingAndTotal(t *testing.T) {
	const hours = 14 * 24
	rare := endpoint("rare", "ml.m5.xlarge", 1)
	big := endpoint("big", "ml.m5.2xlarge", 1)
	ev := evidence()
	ev.Put(&rare, advise.MetricCPU, flat(4, hours))
	ev.Put(&rare, advise.MetricMemory, flat(10, hours))
	ev.Put(&rare, advise.MetricInvocations, advise.Series{Values: []float64{1, 1, 1, 1, 1, 1}, Periods: hours, Complete: true})
	ev.Put(&big, advise.MetricCPU, flat(20, hours))
	ev.Put(&big, advise.MetricMemory, flat(10, hours))
	ev.Put(&big, advise.MetricInvocations, flat(6000, hours))
	cat := refreshed(t)
	res := advise.Advise([]resource.Resource{rare, big}, ev, cat, advise.Options{Now: now})
	var got []string
	for _, r := range res.Recommendations {
		got = append(got, r.Resource+" "+string(r.Rule))
	}
	// rare has two alternatives (serverless, up to its whole cost; and
	// ml.m5.large), kept together; the group with the larger best saving
	// comes first.
	m5x := rate(t, cat, "us-east-1", "ml.m5.xlarge", pricing.Hosting).Amount.Mul(pricing.HoursPerMonth)
	m52x := rate(t, cat, "us-east-1", "ml.m5.2xlarge", pricing.Hosting).Amount.Mul(pricing.HoursPerMonth)
	m5l := rate(t, cat, "us-east-1", "ml.m5.large", pricing.Hosting).Amount.Mul(pricing.HoursPerMonth)
	bigSaving := m52x.Sub(m5l)
	want := []string{"big/AllTraffic endpoint-downsize", "rare/AllTraffic endpoint-serverless", "rare/AllTraffic endpoint-downsize"}
	if bigSaving.Cmp(m5x) < 0 {
		want = []string{"rare/AllTraffic endpoint-serverless", "rare/AllTraffic endpoint-downsize", "big/AllTraffic endpoint-downsize"}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if total := res.Total(); !total.Sum.Equal(bigSaving.Add(m5x)) {
		t.Errorf("total %v, want %v (best per resource)", total.Sum, bigSaving.Add(m5x))
	}
}

// BenchmarkAdvise runs every rule over 10,000 endpoint variants with two
// weeks of hourly evidence each (the large account).
func BenchmarkAdvise(b *testing.B) {
	const n, hours = 10000, 14 * 24
	types := []string{"ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.xlarge", "ml.g4dn.xlarge", "ml.p3.2xlarge"}
	rs := make([]resource.Resource, n)
	ev := evidence()
	for i := range rs {
		rs[i] = endpoint("ep-"+string(rune('a'+i%26))+"-"+time.Duration(i).String(), types[i%len(types)], 1+i%4)
		rs[i].Image = "image:" + string(rune('a'+i%7))
		ev.Put(&rs[i], advise.MetricCPU, flat(float64(i%300), hours))
		ev.Put(&rs[i], advise.MetricMemory, flat(20, hours))
		ev.Put(&rs[i], advise.MetricGPU, flat(10, hours))
		ev.Put(&rs[i], advise.MetricInvocations, flat(float64(i%50), hours))
	}
	cat := pricing.Embedded()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		advise.Advise(rs, ev, cat, advise.Options{Now: now})
	}
}

// TestInstanceUnits: what the rules and the dashboard's utilization chart
// divide each endpoint metric by to read a share of the instance.
func TestInstanceUnits(t *testing.T) {
	cat := pricing.Embedded()
	g5, _ := cat.Spec("ml.g5.12xlarge") // 48 vCPUs, 4 GPUs
	m5, _ := cat.Spec("ml.m5.xlarge")   // 4 vCPUs, none
	for _, c := range []struct {
		metric string
		spec   pricing.Spec
		want   int
	}{
		{advise.MetricCPU, g5, 48}, {advise.MetricGPU, g5, 4}, {advise.MetricMemory, g5, 1}, {advise.MetricGPUMemory, g5, 1}, {"DiskUtilization", g5, 1},
		{advise.MetricCPU, m5, 4}, {advise.MetricGPU, m5, 0}, {advise.MetricMemory, m5, 1},
	} {
		if got := advise.InstanceUnits(c.metric, c.spec); got != c.want {
			t.Errorf("InstanceUnits(%s, %s) = %d, want %d", c.metric, c.spec.InstanceType, got, c.want)
		}
	}
}
