package pricing

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookup(t *testing.T) {
	c := Embedded()
	tests := []struct {
		name                 string
		region, instanceType string
		component            Component
		want                 Price
	}{
		{
			name: "exact studio price from source A", region: "us-east-1", instanceType: "ml.t3.medium", component: StudioNotebook,
			want: Price{Amount: MustParseMoney("0.05"), Known: true, Basis: "studio-notebook", Source: "A", AsOf: "2025-06-16"},
		},
		{
			name: "exact component price kept although Studio differs", region: "us-east-1", instanceType: "ml.g4dn.xlarge", component: Training,
			want: Price{Amount: MustParseMoney("0.736"), Known: true, Basis: "training", Source: "C", AsOf: "2026-09-24"},
		},
		{
			name: "missing hosting price borrows the Studio price", region: "us-west-2", instanceType: "ml.g5.xlarge", component: Hosting,
			want: Price{Amount: MustParseMoney("1.41"), Known: true, Estimate: true, Basis: "studio-notebook", Source: "A", AsOf: "2025-06-16"},
		},
		{
			// AWS sells no ml.t3.* training. We still return an estimate
			// (from Studio) so that such a line is not silently $0 or
			// dropped, and say it is not offered.
			name: "t3 training is an estimate marked not offered", region: "us-east-1", instanceType: "ml.t3.medium", component: Training,
			want: Price{Amount: MustParseMoney("0.05"), Known: true, Estimate: true, NotOffered: true, Basis: "studio-notebook", Source: "A", AsOf: "2025-06-16"},
		},
		{
			name: "no Studio Classic price: JupyterLab is next", region: "us-east-1", instanceType: "ml.r6i.4xlarge", component: Training,
			want: Price{Amount: MustParseMoney("1.21"), Known: true, Estimate: true, NotOffered: true, Basis: "studio-jupyterlab", Source: "C", AsOf: "2026-09-24"},
		},
		{
			name: "g4dn.xlarge async in eu-west-3 not offered", region: "eu-west-3", instanceType: "ml.g4dn.xlarge", component: AsyncInference,
			want: Price{Amount: MustParseMoney("0.861"), Known: true, Estimate: true, NotOffered: true, Basis: "studio-notebook", Source: "A", AsOf: "2025-06-16"},
		},
		{
			name: "duplicate row: the newer source A wins over the 2023 bill", region: "eu-west-1", instanceType: "ml.t3.medium", component: StudioNotebook,
			want: Price{Amount: MustParseMoney("0.055"), Known: true, Basis: "studio-notebook", Source: "A", AsOf: "2025-06-16"},
		},
		{
			name: "warm pool from a bill", region: "eu-west-1", instanceType: "ml.m5.xlarge", component: TrainingWarmPool,
			want: Price{Amount: MustParseMoney("0.257"), Known: true, Basis: "training-warm-pool", Source: "H", AsOf: "2023-12"},
		},
		{name: "invented type", region: "us-east-1", instanceType: "ml.zz9.huge", component: Hosting, want: Unknown},
		{name: "type priced elsewhere only: no cross-region guess", region: "eu-west-3", instanceType: "ml.p5.48xlarge", component: Training, want: Unknown},
		{name: "unknown region", region: "xx-nowhere-1", instanceType: "ml.t3.medium", component: StudioNotebook, want: Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Lookup(tt.region, tt.instanceType, tt.component)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%s, %s, %s) (-want +got):\n%s", tt.region, tt.instanceType, tt.component, diff)
			}
		})
	}
}

// Every estimate is within 0.5% of the exact price wherever both exist:
// the README's fact that justifies the fallback, checked on our data.
func TestEstimateCloseToExact(t *testing.T) {
	c := Embedded()
	checked := 0
	for _, r := range c.Rows() {
		without := c.clone()
		delete(without.prices, priceKey{r.Region, r.InstanceType, r.Component})
		est := without.Lookup(r.Region, r.InstanceType, r.Component)
		if !est.Known {
			continue
		}
		if !est.Estimate {
			t.Fatalf("%s %s %s: price without its row is not an estimate: %+v", r.Region, r.InstanceType, r.Component, est)
		}
		checked++
		diff := est.Amount.Sub(r.USDPerHour)
		if diff.Sign() < 0 {
			diff = diff.Neg()
		}
		// |diff| <= 0.5% of the exact price
		if diff.Mul(1000).Cmp(r.USDPerHour.Mul(5)) > 0 {
			t.Errorf("%s %s %s: estimate %s from %s, exact %s", r.Region, r.InstanceType, r.Component, est.Amount.Plain(), est.Basis, r.USDPerHour.Plain())
		}
	}
	if checked < 70 {
		t.Errorf("only %d prices had an estimate to compare with", checked)
	}
}

func TestStorage(t *testing.T) {
	c := Embedded()
	tests := []struct {
		region string
		kind   StorageKind
		want   Price
	}{
		{"us-east-1", StorageNotebook, Price{Amount: MustParseMoney("0.14"), Known: true, Basis: "notebook", Source: "I", AsOf: "2026-10-01"}},
		{"us-east-1", StorageProcessing, Price{Amount: MustParseMoney("0.10"), Known: true, Basis: "processing", Source: "D", AsOf: "2026-09-25"}},
		{"eu-west-1", StorageHosting, Price{Amount: MustParseMoney("0.154"), Known: true, Basis: "hosting", Source: "H", AsOf: "2023-12"}},
		// us-east-1 has no endpoint storage row: notebook storage stands in.
		{"us-east-1", StorageHosting, Price{Amount: MustParseMoney("0.14"), Known: true, Estimate: true, Basis: "notebook", Source: "I", AsOf: "2026-10-01"}},
		{"sa-east-1", StorageTraining, Price{Amount: MustParseMoney("0.266"), Known: true, Estimate: true, Basis: "notebook", Source: "I", AsOf: "2026-10-01"}},
		{"us-west-2", StorageNotebook, Unknown},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.Storage(tt.region, tt.kind)); diff != "" {
			t.Errorf("Storage(%s, %s) (-want +got):\n%s", tt.region, tt.kind, diff)
		}
	}
	if p := c.DataProcessed("eu-west-1", true); !p.Known || p.Estimate || p.Amount.Plain() != "0.016" {
		t.Errorf("DataProcessed(eu-west-1, out) = %+v", p)
	}
	if p := c.DataProcessed("us-east-1", false); p.Known {
		t.Errorf("DataProcessed(us-east-1) = %+v, want unknown", p)
	}
}

func TestSpecs(t *testing.T) {
	c := Embedded()
	g5, ok := c.Spec("ml.g5.12xlarge")
	if !ok {
		t.Fatal("no spec for ml.g5.12xlarge")
	}
	want := Spec{
		InstanceType: "ml.g5.12xlarge", EC2Type: "g5.12xlarge", Family: "g5", VCPU: 48, MemoryGiB: 192,
		Accelerator: Accelerator{Kind: "gpu", Vendor: "NVIDIA", Model: "A10G", Count: 4, MemoryGiB: 96},
	}
	got := g5
	got.CPU, got.SpecSource, got.NameEvidence = "", "", nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if !g5.IsGPU() || g5.GPUs() != 4 || !g5.Accelerated() || !g5.Verified() {
		t.Errorf("g5.12xlarge: IsGPU %v GPUs %d Accelerated %v Verified %v", g5.IsGPU(), g5.GPUs(), g5.Accelerated(), g5.Verified())
	}
	inf, _ := c.Spec("ml.inf2.xlarge")
	if inf.IsGPU() || !inf.Accelerated() || inf.Accelerator.Kind != AcceleratorInferentia || inf.Verified() {
		t.Errorf("inf2.xlarge: %+v", inf)
	}
	m5, _ := c.Spec("ml.m5.large")
	if m5.Accelerated() || m5.VCPU != 2 || m5.MemoryGiB != 8 {
		t.Errorf("m5.large: %+v", m5)
	}
	if n := len(c.Specs()); n != 156 {
		t.Errorf("%d specs, want the 156 of instance-types.csv", n)
	}
	// Every priced type has a spec.
	for _, r := range c.Rows() {
		if _, ok := c.Spec(r.InstanceType); !ok {
			t.Errorf("%s is priced but has no spec", r.InstanceType)
		}
	}
}

func TestPricedTypes(t *testing.T) {
	c := Embedded()
	got := c.PricedTypes("us-east-1", Training, "m5")
	want := []string{"ml.m5.xlarge", "ml.m5.4xlarge"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PricedTypes(us-east-1, training, m5) (-want +got):\n%s", diff)
	}
	studio := c.PricedTypes("us-east-1", StudioNotebook, "m5")
	if len(studio) < 5 || studio[0] != "ml.m5.large" {
		t.Errorf("PricedTypes(us-east-1, studio-notebook, m5) = %v, want smallest first", studio)
	}
	for _, typ := range c.PricedTypes("us-east-1", Training, "") {
		if !c.Offered("us-east-1", typ, Training) {
			t.Errorf("%s listed but not offered", typ)
		}
		if slices.Contains([]string{"ml.t3.medium", "ml.r6i.4xlarge"}, typ) {
			t.Errorf("%s has no training SKU but is listed", typ)
		}
	}
	if got := c.PricedTypes("us-east-1", Hosting, "zz9"); len(got) != 0 {
		t.Errorf("unknown family = %v", got)
	}
}

func TestEmbeddedCoverage(t *testing.T) {
	c := Embedded()
	if n := len(c.Regions()); n != 27 {
		t.Errorf("%d regions, want 27", n)
	}
	if got := c.RegionName("eu-west-1"); got != "EU (Ireland)" {
		t.Errorf("RegionName(eu-west-1) = %q", got)
	}
	for _, tt := range []struct {
		region string
		types  int
	}{{"us-east-1", 59 + 12}, {"eu-west-1", 55}} {
		// Source A's types plus the hand-checked ones in us-east-1.
		if got := len(c.InstanceTypes(tt.region)); got < tt.types-12 || got > tt.types {
			t.Errorf("%s has %d types", tt.region, got)
		}
	}
	counts := map[string]int{}
	total := 0
	for _, s := range c.Sources() {
		counts[s.Letter] = s.Prices
		total += s.Prices
		if s.Title == "" || s.Published == "" {
			t.Errorf("source %s lacks a title or date: %+v", s.Letter, s)
		}
	}
	// 1,372 rows less 3 duplicates (A and H both give three eu-west-1 rows).
	if total != len(c.Rows()) || total != 1369 {
		t.Errorf("sources count %d rows, catalog has %d, want 1369", total, len(c.Rows()))
	}
	if counts["A"] != 1255 || counts["H"] != 14 {
		t.Errorf("rows by source = %v", counts)
	}
	if c.Cache().Used() {
		t.Error("the embedded catalog says it uses a cache")
	}
}

func BenchmarkLookup(b *testing.B) {
	c := Embedded()
	for b.Loop() {
		c.Lookup("eu-west-3", "ml.g4dn.xlarge", AsyncInference)
	}
}

// TestDescribe: a price source says what an estimate is, not just the
// component it was borrowed from.
func TestDescribe(t *testing.T) {
	c := Embedded()
	tests := []struct {
		region, typ string
		comp        Component
		want        string
	}{
		// The snapshot has no us-east-1 training price for ml.p3.2xlarge,
		// only source A's Studio (KernelGateway) one.
		{"us-east-1", "ml.p3.2xlarge", Training, "estimate: priced as the Studio rate of ml.p3.2xlarge in us-east-1, A 2025-06-16"},
		{"us-east-1", "ml.t3.medium", Training, "estimate (not offered): priced as the Studio rate of ml.t3.medium in us-east-1, A 2025-06-16"},
		{"us-east-1", "ml.m5.xlarge", Training, "C 2026-09-24"},
		{"us-east-1", "ml.zz9.huge", Training, "unknown"},
	}
	for _, tt := range tests {
		if got := c.Lookup(tt.region, tt.typ, tt.comp).Describe(tt.region, tt.typ); got != tt.want {
			t.Errorf("%s %s %s: Describe = %q, want %q", tt.region, tt.typ, tt.comp, got, tt.want)
		}
	}
}
