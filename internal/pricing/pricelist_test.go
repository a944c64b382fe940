package pricing

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// doc builds a Price List document in AWS's shape.
func doc(family, region, location, instanceName, component, usagetype, unit, usd string) string {
	return `{"product":{"productFamily":"` + family + `","attributes":{"regionCode":"` + region + `","location":"` + location +
		`","locationType":"AWS Region","instanceName":"` + instanceName + `","instanceType":"` + instanceName + `-Notebook","component":"` + component +
		`","usagetype":"` + usagetype + `","operation":"RunInstance","vCpu":"4","memory":"16 GiB","servicecode":"AmazonSageMaker"},"sku":"3Q5NQYV5CSJ6JNV8"},` +
		`"serviceCode":"AmazonSageMaker","terms":{"OnDemand":{"3Q5NQYV5CSJ6JNV8.JRTCKXETXF":{"priceDimensions":{"3Q5NQYV5CSJ6JNV8.JRTCKXETXF.6YS6EN2CT7":` +
		`{"unit":"` + unit + `","endRange":"Inf","description":"x","appliesTo":[],"rateCode":"3Q5NQYV5CSJ6JNV8.JRTCKXETXF.6YS6EN2CT7","beginRange":"0",` +
		`"pricePerUnit":{"USD":"` + usd + `"}}},"sku":"3Q5NQYV5CSJ6JNV8","effectiveDate":"2026-09-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}}},` +
		`"version":"20260924235900","publicationDate":"2026-09-24T23:59:00Z"}`
}

func TestParsePriceList(t *testing.T) {
	inst := func(region, name, typ string, c Component, usd string) PriceListProduct {
		return PriceListProduct{Instance: &Row{Region: region, RegionName: name, InstanceType: typ, Component: c,
			USDPerHour: MustParseMoney(usd), VCPU: 4, MemoryGiB: 16, AsOf: "2026-09-24", Source: SourceRefresh}}
	}
	tests := []struct {
		name string
		doc  string
		want PriceListProduct
	}{
		{"notebook instance", doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.m5.xlarge", "Notebook", "USE1-Notebk:ml.m5.xlarge", "Hrs", "0.2300000000"),
			inst("us-east-1", "US East (N. Virginia)", "ml.m5.xlarge", NotebookInstance, "0.23")},
		{"studio classic", doc("ML Instance", "ap-south-1", "Asia Pacific (Mumbai)", "ml.m5.xlarge", "Studio-Notebook", "APS3-Studio:KernelGateway-ml.m5.xlarge", "Hrs", "0.2420000000"),
			inst("ap-south-1", "Asia Pacific (Mumbai)", "ml.m5.xlarge", StudioNotebook, "0.242")},
		{"jupyterlab", doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.g4dn.xlarge", "Studio-JupyterLab", "USE1-Studio:JupyterLab-ml.g4dn.xlarge", "Hrs", "0.7364000000"),
			inst("us-east-1", "US East (N. Virginia)", "ml.g4dn.xlarge", StudioJupyterLab, "0.7364")},
		{"eu-west-1's prefix is EU", doc("ML Instance", "eu-west-1", "EU (Ireland)", "ml.m5.xlarge", "Hosting", "EU-Host:ml.m5.xlarge", "Hrs", "0.2570000000"),
			inst("eu-west-1", "EU (Ireland)", "ml.m5.xlarge", Hosting, "0.257")},
		{"training", doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.p4d.24xlarge", "Training", "USE1-Train:ml.p4d.24xlarge", "Hrs", "25.2512883000"),
			inst("us-east-1", "US East (N. Virginia)", "ml.p4d.24xlarge", Training, "25.2512883")},
		{"processing", doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.t3.large", "Processing", "USE1-Processing:ml.t3.large", "Hrs", "0.1000000000"),
			inst("us-east-1", "US East (N. Virginia)", "ml.t3.large", Processing, "0.1")},
		{"batch transform", doc("ML Instance", "eu-west-3", "EU (Paris)", "ml.g4dn.xlarge", "BatchTransform", "EUW3-Tsform:ml.g4dn.xlarge", "Hrs", "0.8610000000"),
			inst("eu-west-3", "EU (Paris)", "ml.g4dn.xlarge", BatchTransform, "0.861")},
		{"async", doc("ML Instance", "eu-west-3", "EU (Paris)", "ml.g6.xlarge", "AsyncInf", "EUW3-AsyncInf:ml.g6.xlarge", "Hrs", "1.4302000000"),
			inst("eu-west-3", "EU (Paris)", "ml.g6.xlarge", AsyncInference, "1.4302")},
		{"storage", doc("Storage", "us-east-1", "US East (N. Virginia)", "", "", "USE1-Notebk:VolumeUsage.gp2", "GB-Mo", "0.1400000000"),
			PriceListProduct{Storage: &StorageRow{Region: "us-east-1", Item: "ml-storage-notebook-instance", UsageTypeSuffix: "Notebk:VolumeUsage.gp2",
				Unit: "GB-Mo", USD: MustParseMoney("0.14"), AsOf: "2026-09-24", Source: SourceRefresh}}},
		{"data out", doc("Data Transfer", "eu-west-1", "EU (Ireland)", "", "", "EU-Hst:Data-Bytes-Out", "GB", "0.0160000000"),
			PriceListProduct{Storage: &StorageRow{Region: "eu-west-1", Item: "endpoint-data-processed-out", UsageTypeSuffix: "Hst:Data-Bytes-Out",
				Unit: "GB", USD: MustParseMoney("0.016"), AsOf: "2026-09-24", Source: SourceRefresh}}},
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
}

func TestParsePriceListSkips(t *testing.T) {
	skipped := map[string]string{
		"spot training":   doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.m5.xlarge", "SpotTraining", "USE1-TrSpt:ml.m5.xlarge", "Hrs", "0.0690000000"),
		"data wrangler":   doc("ML Instance", "us-east-1", "US East (N. Virginia)", "ml.m5.4xlarge", "DataWrangler-Interactive", "USE1-DW:ml.m5.4xlarge", "Hrs", "0.9220000000"),
		"feature store":   doc("FeatureStore ReadUnits", "us-east-1", "US East (N. Virginia)", "", "", "USE1-FS:ReadUnits", "ReadRequestUnits", "0.0000002500"),
		"no usd":          strings.Replace(doc("ML Instance", "us-east-1", "x", "ml.m5.xlarge", "Hosting", "USE1-Host:ml.m5.xlarge", "Hrs", "1"), `"USD"`, `"CNY"`, 1),
		"not hourly":      doc("ML Instance", "us-east-1", "x", "ml.m5.xlarge", "Hosting", "USE1-Host:ml.m5.xlarge", "Requests", "1"),
		"no usage type":   doc("ML Instance", "us-east-1", "x", "ml.m5.xlarge", "Hosting", "", "Hrs", "1"),
		"no region given": doc("ML Instance", "", "x", "ml.m5.xlarge", "Hosting", "USE1-Host:ml.m5.xlarge", "Hrs", "1"),
	}
	for name, d := range skipped {
		if _, err := ParsePriceList(d); !errors.Is(err, ErrNotPriced) {
			t.Errorf("%s: err = %v, want ErrNotPriced", name, err)
		}
	}
	for name, d := range map[string]string{
		"not json":  "{",
		"bad price": doc("ML Instance", "us-east-1", "x", "ml.m5.xlarge", "Hosting", "USE1-Host:ml.m5.xlarge", "Hrs", "free"),
	} {
		if _, err := ParsePriceList(d); err == nil || errors.Is(err, ErrNotPriced) {
			t.Errorf("%s: err = %v, want a parse error", name, err)
		}
	}
}

// Every catalog row renders to a Price List document that parses back to
// the same price: the emulator serves what the refresh reads.
func TestPriceListRoundTrip(t *testing.T) {
	c := Embedded()
	const pub = "2026-11-02T10:00:00Z"
	skus := map[string]bool{}
	for _, r := range c.Rows() {
		d, err := RenderPriceList(r, pub)
		if r.Component == TrainingWarmPool {
			if err == nil {
				t.Errorf("%s %s warm pool rendered, but it has no Price List usage type", r.Region, r.InstanceType)
			}
			continue
		}
		if err != nil {
			t.Fatalf("render %+v: %v", r, err)
		}
		got, err := ParsePriceList(d)
		if err != nil || got.Instance == nil {
			t.Fatalf("parse rendered %s: %v", d, err)
		}
		want := Row{Region: r.Region, RegionName: c.RegionName(r.Region), InstanceType: r.InstanceType, Component: r.Component,
			USDPerHour: r.USDPerHour, AsOf: "2026-11-02", Source: SourceRefresh}
		if diff := cmp.Diff(want, *got.Instance); diff != "" {
			t.Fatalf("round trip of %s %s %s (-want +got):\n%s", r.Region, r.InstanceType, r.Component, diff)
		}
		attrs, _ := PriceListAttributes(r)
		if skus[attrs["usagetype"]] {
			t.Errorf("usage type %s rendered twice", attrs["usagetype"])
		}
		skus[attrs["usagetype"]] = true
	}
	for _, r := range c.StorageRows() {
		d, err := RenderStoragePriceList(r, c.RegionName(r.Region), pub)
		if r.Item == "ml-storage-training-warm-pool" {
			if err == nil {
				t.Error("warm pool storage rendered")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePriceList(d)
		if err != nil || got.Storage == nil {
			t.Fatalf("parse rendered %s: %v", d, err)
		}
		if got.Storage.Item != r.Item || !got.Storage.USD.Equal(r.USD) || got.Storage.Unit != r.Unit {
			t.Errorf("storage round trip: %+v from %+v", got.Storage, r)
		}
	}
	if strings.Contains(mustRender(t, c.Rows()[0], pub), `"USD":"`+c.Rows()[0].USDPerHour.Plain()+`"`) {
		t.Error("price not written with AWS's 10 decimal places")
	}
}

func mustRender(t *testing.T, r Row, pub string) string {
	t.Helper()
	d, err := RenderPriceList(r, pub)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRegionPrefixesCoverCatalog(t *testing.T) {
	for _, r := range Embedded().Regions() {
		if _, ok := regionPrefixes[r.Code]; !ok {
			t.Errorf("region %s has no usage type prefix", r.Code)
		}
	}
}
