package pricing

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The snapshot has no price for Canvas sessions, MLflow tracking servers,
// HyperPod nodes or Studio space volumes: each is Unknown, never $0 and
// never another component's or volume type's price.
func TestForgottenCostsUnknownInSnapshot(t *testing.T) {
	c := Embedded()
	if p := c.Lookup("us-east-1", "ml.g5.8xlarge", HyperPodCluster); p.Known {
		t.Errorf("HyperPod ml.g5.8xlarge = %+v, want unknown (not estimated from training or Studio)", p)
	}
	if p := c.Lookup("us-east-1", "ml.g5.8xlarge", Training); !p.Known {
		t.Fatal("the snapshot lost its us-east-1 ml.g5.8xlarge prices; pick another type for this test")
	}
	if p := c.Storage("us-east-1", StorageStudioSpace); p.Known {
		t.Errorf("studio space storage = %+v, want unknown (gp3, not the gp2 notebook rate)", p)
	}
	for _, s := range []Service{CanvasSession, MLflowSmall, MLflowMedium, MLflowLarge} {
		if p := c.ServiceRate("us-east-1", s); p.Known {
			t.Errorf("%s = %+v, want unknown", s, p)
		}
	}
}

// A refreshed price fills them, and stands in for nothing else.
func TestForgottenCostsFromRefresh(t *testing.T) {
	c := Embedded().Overlay(
		[]Row{{Region: "us-east-1", InstanceType: "ml.g5.8xlarge", Component: HyperPodCluster, USDPerHour: MustParseMoney("3.06"), AsOf: "2026-11-02", Source: SourceRefresh}},
		[]StorageRow{
			{Region: "us-east-1", Item: "ml-storage-studio-space", Unit: "GB-Mo", USD: MustParseMoney("0.112"), AsOf: "2026-11-02", Source: SourceRefresh},
			{Region: "us-east-1", Item: string(CanvasSession), Unit: "Hrs", USD: MustParseMoney("1.9"), AsOf: "2026-11-02", Source: SourceRefresh},
			{Region: "us-east-1", Item: string(MLflowSmall), Unit: "Hrs", USD: MustParseMoney("0.6"), AsOf: "2026-11-02", Source: SourceRefresh},
		})
	want := func(usd, basis string) Price {
		return Price{Amount: MustParseMoney(usd), Known: true, Basis: basis, Source: SourceRefresh, AsOf: "2026-11-02"}
	}
	if diff := cmp.Diff(want("3.06", "hyperpod-cluster"), c.Lookup("us-east-1", "ml.g5.8xlarge", HyperPodCluster)); diff != "" {
		t.Errorf("HyperPod (-want +got):\n%s", diff)
	}
	if p := c.Lookup("us-east-1", "ml.g5.8xlarge", Hosting); p.Basis == string(HyperPodCluster) {
		t.Errorf("hosting estimated from the HyperPod price: %+v", p)
	}
	if diff := cmp.Diff(want("0.112", "studio-space"), c.Storage("us-east-1", StorageStudioSpace)); diff != "" {
		t.Errorf("studio space storage (-want +got):\n%s", diff)
	}
	if p := c.Storage("us-east-1", StorageHosting); p.Basis == string(StorageStudioSpace) {
		t.Errorf("gp2 endpoint storage estimated from the gp3 space rate: %+v", p)
	}
	if diff := cmp.Diff(want("1.9", "canvas-session"), c.ServiceRate("us-east-1", CanvasSession)); diff != "" {
		t.Errorf("Canvas (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want("0.6", "mlflow-tracking-server-small"), c.ServiceRate("us-east-1", MLflowSmall)); diff != "" {
		t.Errorf("MLflow Small (-want +got):\n%s", diff)
	}
	if p := c.ServiceRate("us-east-1", MLflowLarge); p.Known {
		t.Errorf("MLflow Large = %+v, want unknown: one size's price is not another's", p)
	}
	if p := c.ServiceRate("eu-west-1", CanvasSession); p.Known {
		t.Errorf("Canvas in eu-west-1 = %+v, want unknown: prices never cross regions", p)
	}
}

func TestMLflowService(t *testing.T) {
	for size, want := range map[string]Service{"Small": MLflowSmall, "Medium": MLflowMedium, "Large": MLflowLarge} {
		if got, ok := MLflowService(size); !ok || got != want {
			t.Errorf("MLflowService(%s) = %s, %v", size, got, ok)
		}
	}
	if _, ok := MLflowService("small"); ok {
		t.Error("MLflowService accepts a size AWS does not spell so")
	}
}

// The Price List documents of the new usage types parse into catalog
// rows, and render back (the emulator serves what a refresh reads).
func TestParsePriceListForgottenCosts(t *testing.T) {
	storage := func(region, item, code, unit, usd string) PriceListProduct {
		return PriceListProduct{Storage: &StorageRow{Region: region, Item: item, UsageTypeSuffix: code, Unit: unit,
			USD: MustParseMoney(usd), AsOf: "2026-09-24", Source: SourceRefresh}}
	}
	tests := []struct {
		name string
		doc  string
		want PriceListProduct
	}{
		{"canvas", doc("Machine Learning", "us-east-1", "US East (N. Virginia)", "", "", "USE1-Canvas:Session-Hrs", "Hrs", "1.9000000000"),
			storage("us-east-1", "canvas-session", "Canvas:Session-Hrs", "Hrs", "1.9")},
		{"mlflow medium", doc("Machine Learning", "eu-west-1", "EU (Ireland)", "", "", "EU-MLflow:TrackingServerCompute-Medium", "Hrs", "1.2000000000"),
			storage("eu-west-1", "mlflow-tracking-server-medium", "MLflow:TrackingServerCompute-Medium", "Hrs", "1.2")},
		{"space volume", doc("Storage", "us-east-1", "US East (N. Virginia)", "", "", "USE1-Studio:VolumeUsage.gp3", "GB-Mo", "0.1120000000"),
			storage("us-east-1", "ml-storage-studio-space", "Studio:VolumeUsage.gp3", "GB-Mo", "0.112")},
		{"hyperpod, whatever its family", doc("Compute Instance", "us-east-1", "US East (N. Virginia)", "ml.g5.8xlarge", "Cluster", "USE1-Cluster:ml.g5.8xlarge", "Hrs", "3.0600000000"),
			PriceListProduct{Instance: &Row{Region: "us-east-1", RegionName: "US East (N. Virginia)", InstanceType: "ml.g5.8xlarge", Component: HyperPodCluster,
				USDPerHour: MustParseMoney("3.06"), VCPU: 4, MemoryGiB: 16, AsOf: "2026-09-24", Source: SourceRefresh}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePriceList(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Reserved HyperPod capacity is not the on-demand price.
	if _, err := ParsePriceList(doc("ML Instance", "us-east-1", "x", "ml.g5.8xlarge", "Cluster", "USE1-ReservedCluster:ml.g5.8xlarge", "Hrs", "2")); !errors.Is(err, ErrNotPriced) {
		t.Errorf("reserved cluster: err = %v, want ErrNotPriced", err)
	}

	r := Row{Region: "us-east-1", RegionName: "US East (N. Virginia)", InstanceType: "ml.g5.8xlarge", Component: HyperPodCluster, USDPerHour: MustParseMoney("3.06")}
	d := mustRender(t, r, "2026-11-02T00:00:00Z")
	if !strings.Contains(d, `"usagetype":"USE1-Cluster:ml.g5.8xlarge"`) || !strings.Contains(d, `"instanceType":"ml.g5.8xlarge-Cluster"`) {
		t.Errorf("rendered HyperPod row: %s", d)
	}
	for _, item := range []string{"canvas-session", "mlflow-tracking-server-large", "ml-storage-studio-space"} {
		d, err := RenderStoragePriceList(StorageRow{Region: "eu-west-1", Item: item, USD: MustParseMoney("1")}, "EU (Ireland)", "2026-11-02T00:00:00Z")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePriceList(d)
		if err != nil || got.Storage == nil || got.Storage.Item != item {
			t.Errorf("round trip of %s: %+v, %v", item, got, err)
		}
	}
	if got := ServiceUsageType("eu-west-1", MLflowLarge); got != "EU-MLflow:TrackingServerCompute-Large" {
		t.Errorf("ServiceUsageType = %s", got)
	}
	if got := StorageUsageType("us-east-1", StorageStudioSpace); got != "USE1-Studio:VolumeUsage.gp3" {
		t.Errorf("StorageUsageType = %s", got)
	}
}
