package ownbill_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/ownbill"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

func ptr(f float64) *float64 { return &f }

func money(s string) pricing.Money { return pricing.MustParseMoney(s) }

func cost(t *testing.T, b ownbill.Bill, service, what string) pricing.Money {
	t.Helper()
	for _, it := range b.Items {
		if it.Service == service && it.What == what {
			return it.Cost
		}
	}
	t.Fatalf("no %s %s in the bill", service, what)
	return pricing.Money{}
}

// The arithmetic: 10,000 variants whose 24-hour window is read
// again every 5-minute tick request 2.88 million metrics a day, about $860
// a month (ours: a 730-hour month, $876); hourly at most, 24 a day, ten
// times less.
func TestEstimateMetrics(t *testing.T) {
	fleet := ownbill.Fleet{Endpoints: 10000, Variants: 10000, Targets: 1}
	for _, tc := range []struct {
		name   string
		c      ownbill.Config
		want   int64
		dollar string
	}{
		{"every tick", ownbill.Config{MetricsPerVariantDay: 288}, 87_600_000, "876"},
		{"hourly bound", ownbill.Config{}, 7_300_000, "73"},
		{"4-hourly", ownbill.Config{EvidenceEvery: 4 * time.Hour}, 1_825_000, "18.25"},
		{"evidence faster than the tick: bound by the tick", ownbill.Config{TickEvery: 30 * time.Minute, EvidenceEvery: time.Minute}, 3_650_000 * 4, "146"},
		{"measured", ownbill.Config{MetricsPerVariantDay: 6.75}, 2_053_125, "20.53125"},
		// A quarter idle, read every 4 hours (6 a day); the rest about
		// once a 25-hour window (0.96 a day): 2.22 a day.
		{"a quarter idle", ownbill.Config{IdleShare: ptr(0.25)}, 675_250, "6.7525"},
		{"none idle", ownbill.Config{IdleShare: ptr(0.0)}, 292_000, "2.92"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := ownbill.Estimate(fleet, tc.c)
			if u.MetricsRequested != tc.want {
				t.Errorf("metrics requested %d, want %d", u.MetricsRequested, tc.want)
			}
			if got := cost(t, ownbill.Price(u, ownbill.USEast1), "CloudWatch", "GetMetricData"); !got.Equal(money(tc.dollar)) {
				t.Errorf("GetMetricData $%s, want $%s", got.Plain(), tc.dollar)
			}
		})
	}
}

// Lambda, DynamoDB and SNS from the per-tick counts, worked by hand for
// 20 targets and 1,000 endpoints at the defaults.
func TestEstimateItemised(t *testing.T) {
	u := ownbill.Estimate(ownbill.Fleet{Endpoints: 1000, Variants: 1200, Notebooks: 200, Targets: 20},
		ownbill.Config{TickDuration: 1500*time.Millisecond + 1, MemoryMB: 512, InventoryKB: 10, EvidenceKB: 5,
			NoticesPerDay: 4, EmailShare: 0.5})
	want := ownbill.Usage{
		MetricsRequested:  1200 * 730, // 24 a day for 730/24 days
		LambdaInvocations: 8760,       // a 5-minute tick for 730 hours
		// 1,501 ms (rounded up to the millisecond) at half a GB.
		LambdaGBMilliseconds: 8760 * 1501 / 2,
		// Per tick 3 + 20 x 4; hourly, 20 inventories of 10 KB and 20
		// evidence memories of 5 KB.
		WriteUnits: 8760*(3+20*4) + 730*20*10 + 730*20*5,
		// Per tick 20 x (1 + 3 units of inventory + 2 of evidence).
		ReadUnits:    8760 * 20 * 6,
		SNSPublishes: 122, // 4 x 30.4 days, rounded up
		SNSEmails:    61,
	}
	if d := cmp.Diff(want, u); d != "" {
		t.Fatalf("usage (-want +got):\n%s", d)
	}
	b := ownbill.Price(u, ownbill.USEast1)
	for _, tc := range []struct{ service, what, dollars string }{
		{"CloudWatch", "GetMetricData", "8.76"},
		{"Lambda", "duration", "0.109573219146"}, // 6,574.38 GB-s x $0.0000166667
		{"Lambda", "requests", "0.001752"},       // 8,760 x $0.20 / 1M
		{"DynamoDB", "writes", "0.5913"},         // 946,080 x $0.625 / 1M
		{"DynamoDB", "reads", "0.1314"},          // 1,051,200 x $0.125 / 1M
		{"SNS", "publishes", "0.000061"},         // 122 x $0.50 / 1M
		{"SNS", "email deliveries", "0.00122"},   // 61 x $2 / 100,000
	} {
		if got := cost(t, b, tc.service, tc.what); !got.Equal(money(tc.dollars)) {
			t.Errorf("%s %s: $%s, want $%s", tc.service, tc.what, got.Plain(), tc.dollars)
		}
	}
	sum := pricing.Money{}
	for _, it := range b.Items {
		sum = sum.Add(it.Cost)
	}
	if !b.Total.Equal(sum) {
		t.Errorf("total %s, items sum to %s", b.Total.Plain(), sum.Plain())
	}
	var out strings.Builder
	if err := b.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"CloudWatch  GetMetricData             876,000 metrics requested          $8.76", "Total       per month"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("text bill lacks %q:\n%s", line, out.String())
		}
	}
}
