package metrics_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// BenchmarkEndpointEvidence fetches the idle evidence of 10,000 endpoints
// in 4 regions (the emulator's IssueScale fleet) and reports the
// GetMetricData calls per endpoint, counted by the emulator. The target is
// at most 1/400; batching 500 queries a call gives 1/500.
func BenchmarkEndpointEvidence(b *testing.B) {
	sc := emulator.LargeScenario(emulator.LargeOptions{Endpoints: 10000, Regions: 4})
	emu := emulator.New(emulator.Options{})
	if err := emu.Load(sc); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	cfg := emulatortest.Config(b, srv.URL, "AKIDEMULATOR")
	now := emu.Now()

	// The inventory as the scan sees it: one resource per variant.
	groups := map[string]map[resource.ID][]resource.Resource{} // region -> key -> variants
	endpoints := 0
	for _, a := range sc.Accounts {
		for region, rs := range a.Regions {
			g := map[resource.ID][]resource.Resource{}
			for _, e := range rs.Endpoints {
				for _, v := range e.Variants {
					r := resource.Resource{Account: a.ID, Region: region, Kind: resource.Endpoint, Name: e.Name,
						Variant: v.Name, Status: "InService", Running: true}
					g[idle.SubjectKey(&r)] = append(g[idle.SubjectKey(&r)], r)
				}
				endpoints++
			}
			groups[region] = g
		}
	}
	fetchers := map[string]*metrics.Fetcher{}
	for region := range groups {
		fetchers[region] = metrics.New(awsapi.NewClients(cfg, region, false).CloudWatch)
	}
	w := metrics.NewWindow(now, 24*time.Hour)
	b.ResetTimer()
	var calls int64
	for i := 0; i < b.N; i++ {
		emu.ResetCounters()
		for region, g := range groups {
			for k, ev := range fetchers[region].Endpoints(context.Background(), w, g) {
				if ev.Err != nil {
					b.Fatalf("%s: %v", k, ev.Err)
				}
			}
		}
		calls = emu.Counters().Calls["cloudwatch:GetMetricData"]
	}
	b.ReportMetric(float64(calls)/float64(endpoints), "calls/endpoint")
	b.ReportMetric(float64(endpoints), "endpoints")
}
