package emulator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	prtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	catalog "github.com/sagesaver/sagesaver/internal/pricing"
)

func termMatch(field, value string) prtypes.Filter {
	return prtypes.Filter{Type: prtypes.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
}

// products reads every page of a GetProducts query with the SDK's
// paginator and parses each entry as a refresh would.
func products(t *testing.T, pl *pricing.Client, in *pricing.GetProductsInput) ([]catalog.PriceListProduct, int) {
	t.Helper()
	var out []catalog.PriceListProduct
	pages := 0
	p := pricing.NewGetProductsPaginator(pl, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if aws.ToString(page.FormatVersion) != "aws_v1" {
			t.Errorf("format version %q", aws.ToString(page.FormatVersion))
		}
		for _, doc := range page.PriceList {
			prod, err := catalog.ParsePriceList(doc)
			if err != nil {
				t.Fatalf("parse %s: %v", doc, err)
			}
			out = append(out, prod)
		}
	}
	return out, pages
}

func TestPricingGetProductsServesTheCatalog(t *testing.T) {
	env := emulatortest.Start(t, "")
	pl := awsapi.NewPriceList(env.Cfg)
	var _ awsapi.PriceListReader = pl
	ctx := context.Background()
	cat := catalog.Embedded()

	got, pages := products(t, pl, &pricing.GetProductsInput{
		ServiceCode:   aws.String("AmazonSageMaker"),
		FormatVersion: aws.String("aws_v1"),
		Filters: []prtypes.Filter{
			termMatch("productFamily", "ML Instance"),
			termMatch("regionCode", "us-east-1"),
			termMatch("instanceName", "ml.m5.xlarge"),
		},
	})
	if pages != 1 || len(got) == 0 {
		t.Fatalf("%d products in %d pages", len(got), pages)
	}
	components := map[catalog.Component]bool{}
	for _, p := range got {
		r := p.Instance
		if r == nil || r.Region != "us-east-1" || r.InstanceType != "ml.m5.xlarge" {
			t.Fatalf("product %+v", p)
		}
		want := cat.Lookup("us-east-1", "ml.m5.xlarge", r.Component)
		if want.Estimate || !want.Amount.Equal(r.USDPerHour) {
			t.Errorf("%s: served %s, catalog %s", r.Component, r.USDPerHour.Plain(), want.Amount.Plain())
		}
		components[r.Component] = true
	}
	for _, c := range catalog.Components() {
		if cat.Offered("us-east-1", "ml.m5.xlarge", c) && c != catalog.TrainingWarmPool && !components[c] {
			t.Errorf("component %s is in the catalog but was not served", c)
		}
	}

	// The usage type names the component, as on AWS.
	training, _ := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{
		termMatch("usagetype", "USE1-Train:ml.m5.xlarge"),
	}})
	if len(training) != 1 || training[0].Instance.Component != catalog.Training {
		t.Errorf("usagetype filter: %+v", training)
	}

	// Paging: 100 a page at most; the pages add up to the whole region.
	all, pages := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{
		termMatch("regionCode", "us-east-1"), termMatch("productFamily", "ML Instance"),
	}})
	want := 0
	for _, r := range cat.Rows() {
		if r.Region == "us-east-1" && r.Component != catalog.TrainingWarmPool {
			want++
		}
	}
	if len(all) != want || pages != (want+99)/100 {
		t.Errorf("us-east-1: %d products in %d pages, want %d", len(all), pages, want)
	}
	small, err := pl.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), MaxResults: aws.Int32(7)})
	if err != nil || len(small.PriceList) != 7 || small.NextToken == nil {
		t.Errorf("MaxResults 7: %d entries, next %v, %v", len(small.PriceList), small.NextToken, err)
	}

	storage, _ := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{
		termMatch("productFamily", "Storage"),
	}})
	if len(storage) == 0 || storage[0].Storage == nil {
		t.Errorf("storage products: %+v", storage)
	}
	matched, _ := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{
		termMatch("regionCode", "eu-west-1"),
		{Type: prtypes.FilterTypeAnyOf, Field: aws.String("instanceName"), Value: aws.String("ml.g4dn.xlarge,ml.t3.medium")},
		{Type: prtypes.FilterTypeContains, Field: aws.String("usagetype"), Value: aws.String("Host:")},
	}})
	var names []string
	for _, p := range matched {
		names = append(names, p.Instance.InstanceType+"/"+string(p.Instance.Component))
	}
	for _, n := range names {
		if !strings.HasSuffix(n, "/hosting") || !(strings.HasPrefix(n, "ml.g4dn.xlarge/") || strings.HasPrefix(n, "ml.t3.medium/")) {
			t.Errorf("ANY_OF + CONTAINS returned %s", n)
		}
	}

	none, err := pl.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{termMatch("regionCode", "mars-north-1")}})
	if err != nil || len(none.PriceList) != 0 || none.NextToken != nil {
		t.Errorf("no match: %+v, %v", none, err)
	}
	_, err = pl.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), MaxResults: aws.Int32(101)})
	if code, _ := apiCode(t, err); code != "InvalidParameterException" {
		t.Errorf("MaxResults 101: %s", code)
	}
	_, err = pl.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), FormatVersion: aws.String("aws_v2")})
	if code, _ := apiCode(t, err); code != "InvalidParameterException" {
		t.Errorf("format aws_v2: %s", code)
	}
	_, err = pl.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), NextToken: aws.String("garbage!")})
	if code, _ := apiCode(t, err); code != "InvalidNextTokenException" {
		t.Errorf("bad token: %s", code)
	}

	ds, err := pl.DescribeServices(ctx, &pricing.DescribeServicesInput{ServiceCode: aws.String("AmazonSageMaker")})
	if err != nil || len(ds.Services) != 1 {
		t.Fatalf("describe services: %+v, %v", ds, err)
	}
	for _, a := range []string{"instanceName", "regionCode", "usagetype", "component", "location"} {
		if !hasString(ds.Services[0].AttributeNames, a) {
			t.Errorf("attribute %s not described: %v", a, ds.Services[0].AttributeNames)
		}
	}
	av, err := pl.GetAttributeValues(ctx, &pricing.GetAttributeValuesInput{ServiceCode: aws.String("AmazonSageMaker"), AttributeName: aws.String("regionCode")})
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for _, v := range av.AttributeValues {
		regions = append(regions, aws.ToString(v.Value))
	}
	if !hasString(regions, "us-east-1") || !hasString(regions, "eu-west-1") {
		t.Errorf("regionCode values = %v", regions)
	}
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPricingScenarioOverridesAPrice(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
prices:
- {region: us-east-1, instanceType: ml.m5.xlarge, component: hosting, usdPerHour: "0.2987"}
accounts:
- id: "123456789012"
`)
	pl := awsapi.NewPriceList(env.Cfg)
	got, _ := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: []prtypes.Filter{
		termMatch("regionCode", "us-east-1"), termMatch("instanceName", "ml.m5.xlarge"), termMatch("component", "Hosting"),
	}})
	if len(got) != 1 {
		t.Fatalf("%d products", len(got))
	}
	r := got[0].Instance
	want := catalog.Row{Region: "us-east-1", RegionName: "US East (N. Virginia)", InstanceType: "ml.m5.xlarge", Component: catalog.Hosting,
		USDPerHour: catalog.MustParseMoney("0.2987"), VCPU: r.VCPU, MemoryGiB: r.MemoryGiB, AsOf: "2026-11-25", Source: catalog.SourceRefresh}
	if diff := cmp.Diff(want, *r); diff != "" {
		t.Errorf("overridden row (-want +got):\n%s", diff)
	}
	if r.VCPU != 4 {
		t.Errorf("vCPU = %d, want 4 from the catalog's specs", r.VCPU)
	}

	for _, tc := range []struct{ yaml, want string }{
		{"{region: us-east-1, instanceType: ml.m5.xlarge, component: hostin, usdPerHour: '1'}", "prices[0].component"},
		{"{region: us-east-1, instanceType: ml.m5.xlarge, component: hosting, usdPerHour: 'cheap'}", "prices[0].usdPerHour"},
		{"{region: xx-east-9, instanceType: ml.m5.xlarge, component: hosting, usdPerHour: '1'}", "prices[0].region"},
	} {
		sc, err := emulator.ParseScenario("t.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nprices:\n- "+tc.yaml+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := emulator.New(emulator.Options{}).Load(sc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %s", tc.yaml, err, tc.want)
		}
	}
}

// What the embedded snapshot lacks (Canvas sessions, MLflow tracking
// servers, HyperPod nodes, Studio space volumes), a scenario adds, and
// GetProducts serves it under the usage types a refresh asks for.
func TestPricingScenarioAddsForgottenCosts(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
prices:
- {region: us-east-1, instanceType: ml.g5.8xlarge, component: hyperpod-cluster, usdPerHour: "3.06"}
- {region: us-east-1, item: canvas-session, usd: "1.9"}
- {region: eu-west-1, item: mlflow-tracking-server-medium, usd: "1.3"}
- {region: us-east-1, item: ml-storage-studio-space, usd: "0.112"}
accounts:
- id: "123456789012"
`)
	pl := awsapi.NewPriceList(env.Cfg)
	contains := func(code string) prtypes.Filter {
		return prtypes.Filter{Type: prtypes.FilterTypeContains, Field: aws.String("usagetype"), Value: aws.String(code)}
	}
	tests := []struct {
		filters []prtypes.Filter
		want    string
	}{
		{[]prtypes.Filter{contains("Canvas:Session-Hrs")}, "us-east-1 canvas-session 1.9 Hrs"},
		{[]prtypes.Filter{contains("MLflow:TrackingServerCompute-")}, "eu-west-1 mlflow-tracking-server-medium 1.3 Hrs"},
		{[]prtypes.Filter{contains("-Cluster:ml."), termMatch("regionCode", "us-east-1")}, "us-east-1 ml.g5.8xlarge hyperpod-cluster 3.06"},
		{[]prtypes.Filter{termMatch("productFamily", "Storage"), contains("Studio:VolumeUsage.gp3")}, "us-east-1 ml-storage-studio-space 0.112 GB-Mo"},
		// Nothing in a region the scenario did not price.
		{[]prtypes.Filter{contains("Canvas:Session-Hrs"), termMatch("regionCode", "eu-west-1")}, ""},
	}
	for _, tt := range tests {
		got, _ := products(t, pl, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonSageMaker"), Filters: tt.filters})
		var lines []string
		for _, p := range got {
			switch {
			case p.Instance != nil:
				lines = append(lines, strings.Join([]string{p.Instance.Region, p.Instance.InstanceType, string(p.Instance.Component), p.Instance.USDPerHour.Plain()}, " "))
			case p.Storage != nil:
				lines = append(lines, strings.Join([]string{p.Storage.Region, p.Storage.Item, p.Storage.USD.Plain(), p.Storage.Unit}, " "))
			}
		}
		if got := strings.Join(lines, "; "); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.filters, got, tt.want)
		}
	}

	for _, tc := range []struct{ yaml, want string }{
		{"{region: us-east-1, item: canvas-sessions, usd: '1'}", "prices[0].item"},
		{"{region: us-east-1, item: canvas-session, usd: 'cheap'}", "prices[0].usd"},
		{"{region: us-east-1, usd: '1'}", "prices[0].item"},
		{"{region: us-east-1, item: canvas-session, usd: '1', instanceType: ml.m5.xlarge}", "prices[0].item"},
		{"{region: xx-east-9, item: canvas-session, usd: '1'}", "prices[0].region"},
	} {
		sc, err := emulator.ParseScenario("t.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nprices:\n- "+tc.yaml+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := emulator.New(emulator.Options{}).Load(sc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %s", tc.yaml, err, tc.want)
		}
	}
}
