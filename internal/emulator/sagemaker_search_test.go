package emulator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

func searchNames(t testing.TB, sm *sagemaker.Client, in *sagemaker.SearchInput) ([]string, int) {
	t.Helper()
	var names []string
	pages := 0
	p := sagemaker.NewSearchPaginator(sm, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Results {
			names = append(names, aws.ToString(r.Endpoint.EndpointName))
		}
	}
	return names, pages
}

func filter(name string, op smtypes.Operator, value string) smtypes.Filter {
	f := smtypes.Filter{Name: aws.String(name), Operator: op}
	if value != "" {
		f.Value = aws.String(value)
	}
	return f
}

func TestSearchEndpointFilters(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	byName := func(x *smtypes.SearchExpression) *sagemaker.SearchInput {
		return &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: x, SortBy: aws.String("EndpointName"), SortOrder: smtypes.SearchSortOrderAscending}
	}
	where := func(fs ...smtypes.Filter) *sagemaker.SearchInput {
		return byName(&smtypes.SearchExpression{Filters: fs})
	}
	tests := []struct {
		name string
		in   *sagemaker.SearchInput
		want []string
	}{
		{"equals", where(filter("EndpointStatus", smtypes.OperatorEquals, "Failed")), []string{"broken"}},
		{"not equals", where(filter("EndpointStatus", smtypes.OperatorNotEquals, "InService")), []string{"broken", "new-one"}},
		{"tag equals", where(filter("Tags.team", smtypes.OperatorEquals, "fraud")), []string{"fraud-scorer", "tiny-serverless"}},
		{"tag exists", where(filter("Tags.env", smtypes.OperatorExists, "")), []string{"fraud-scorer"}},
		{"tag not exists", where(filter("Tags.team", smtypes.OperatorNotExists, "")), []string{"autoscaled", "broken", "doc-async", "llm-host", "new-one"}},
		{"contains", where(filter("EndpointName", smtypes.OperatorContains, "scor")), []string{"fraud-scorer"}},
		{"in", where(filter("EndpointName", smtypes.OperatorIn, "recs-ab,broken,nope")), []string{"broken", "recs-ab"}},
		{"variant count >= 2", where(filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorGreaterThanOrEqualTo, "2")), []string{"autoscaled", "fraud-scorer", "recs-ab"}},
		{"variant count < 1 (no instance variants have 0)", where(filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorLessThan, "1")), nil},
		{"created before a date", where(filter("CreationTime", smtypes.OperatorLessThan, "2026-11-05T00:00:00")), []string{"fraud-scorer"}},
		{"modified after a date", where(filter("LastModifiedTime", smtypes.OperatorGreaterThan, "2026-11-20T00:00:00")), []string{"broken", "fraud-scorer", "new-one", "tiny-serverless"}},
		{"serverless memory", where(filter("ProductionVariants.CurrentServerlessConfig.MemorySizeInMB", smtypes.OperatorEquals, "3072")), []string{"tiny-serverless"}},
		{"deployed image", where(filter("ProductionVariants.DeployedImages.SpecifiedImage", smtypes.OperatorEquals, xgbImage)), []string{"autoscaled", "fraud-scorer"}},
		{"shadow variants exist", where(filter("ShadowProductionVariants.VariantName", smtypes.OperatorExists, "")), []string{"recs-ab"}},
		{"data capture on", where(filter("DataCaptureConfig.EnableCapture", smtypes.OperatorEquals, "true")), []string{"recs-ab"}},
		{"two filters are ANDed", where(
			filter("Tags.team", smtypes.OperatorExists, ""),
			filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorGreaterThan, "1"),
		), []string{"fraud-scorer", "recs-ab"}},
		{"or of sub-expressions", byName(&smtypes.SearchExpression{
			Operator: smtypes.BooleanOperatorOr,
			SubExpressions: []smtypes.SearchExpression{
				{Filters: []smtypes.Filter{filter("EndpointStatus", smtypes.OperatorEquals, "Creating")}},
				{Filters: []smtypes.Filter{filter("Tags.team", smtypes.OperatorEquals, "recs")}},
			},
		}), []string{"new-one", "recs-ab"}},
		// recs-ab has A (1 instance, recs:1) and B (3 instances, recs:2):
		// nested filters must hold for the same variant.
		{"nested filters match one variant", byName(&smtypes.SearchExpression{NestedFilters: []smtypes.NestedFilters{{
			NestedPropertyName: aws.String("ProductionVariants"),
			Filters: []smtypes.Filter{
				filter("ProductionVariants.VariantName", smtypes.OperatorEquals, "A"),
				filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorGreaterThan, "2"),
			},
		}}}), nil},
		{"nested filters, same variant", byName(&smtypes.SearchExpression{NestedFilters: []smtypes.NestedFilters{{
			NestedPropertyName: aws.String("ProductionVariants"),
			Filters: []smtypes.Filter{
				filter("ProductionVariants.VariantName", smtypes.OperatorEquals, "B"),
				filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorGreaterThan, "2"),
			},
		}}}), []string{"recs-ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := searchNames(t, sm, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchEndpointRecordsSortAndPages(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	out, err := sm.Search(ctx, &sagemaker.SearchInput{
		Resource:         smtypes.ResourceTypeEndpoint,
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{filter("EndpointName", smtypes.OperatorEquals, "recs-ab")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 1 || aws.ToInt64(out.TotalHits.Value) != 1 {
		t.Fatalf("results: %d, total %v", len(out.Results), out.TotalHits)
	}
	ep := out.Results[0].Endpoint
	if aws.ToString(ep.EndpointArn) != "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recs-ab" || aws.ToString(ep.EndpointConfigName) != "recs-ab" ||
		ep.EndpointStatus != smtypes.EndpointStatusInService || ep.CreationTime == nil || ep.LastModifiedTime == nil {
		t.Errorf("record header: %+v", ep)
	}
	if diff := cmp.Diff([]variantView{
		{Name: "A", Current: 1, Desired: 1, CurrentW: 0.5, DesiredW: 0.5, Images: []string{"recs:1"}, HasCount: true},
		{Name: "B", Current: 3, Desired: 3, CurrentW: 0.5, DesiredW: 0.5, Images: []string{"recs:2"}, HasCount: true},
	}, variantsOf(ep.ProductionVariants)); diff != "" {
		t.Errorf("record variants (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]variantView{
		{Name: "shadow", Current: 1, Desired: 1, CurrentW: 1, DesiredW: 1, Images: []string{"recs:3"}, HasCount: true},
	}, variantsOf(ep.ShadowProductionVariants)); diff != "" {
		t.Errorf("record shadow variants (-want +got):\n%s", diff)
	}
	if len(ep.Tags) != 1 || aws.ToString(ep.Tags[0].Key) != "team" || ep.DataCaptureConfig == nil {
		t.Errorf("record tags %+v, data capture %+v", ep.Tags, ep.DataCaptureConfig)
	}

	// Default order: LastModifiedTime, newest first; 3 a page.
	all, pages := searchNames(t, sm, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(3)})
	want := []string{"new-one", "tiny-serverless", "fraud-scorer", "broken", "llm-host", "recs-ab", "autoscaled", "doc-async"}
	if diff := cmp.Diff(want, all); diff != "" || pages != 3 {
		t.Errorf("default order, %d pages (-want +got):\n%s", pages, diff)
	}
	byCount, _ := searchNames(t, sm, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SortBy: aws.String("CreationTime"), SortOrder: smtypes.SearchSortOrderAscending})
	if byCount[0] != "fraud-scorer" || byCount[len(byCount)-1] != "new-one" {
		t.Errorf("creation ascending: %v", byCount)
	}
	tagged, _ := searchNames(t, sm, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SortBy: aws.String("Tags.team"), SortOrder: smtypes.SearchSortOrderAscending})
	if diff := cmp.Diff([]string{"fraud-scorer", "tiny-serverless", "recs-ab"}, tagged[:3]); diff != "" {
		t.Errorf("by tag, untagged last (-want +got):\n%s", diff)
	}
}

func TestSearchErrors(t *testing.T) {
	env := emulatortest.Start(t, endpointFleet)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	tests := []struct {
		name     string
		in       *sagemaker.SearchInput
		contains string
	}{
		{"max results", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(101)}, "maxResults"},
		{"unknown property", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{filter("InstanceType", smtypes.OperatorEquals, "ml.m5.xlarge")}}}, "InstanceType"},
		{"two contains", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			filter("EndpointName", smtypes.OperatorContains, "a"), filter("EndpointConfigName", smtypes.OperatorContains, "b"),
		}}}, "'CONTAINS' operator usage limit of 1 exceeded."},
		{"greater than on text", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{filter("EndpointName", smtypes.OperatorGreaterThan, "a")}}}, "GreaterThan"},
		{"bad number", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorEquals, "two")}}}, "two"},
		{"bad time", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{filter("CreationTime", smtypes.OperatorLessThan, "yesterday")}}}, "YYYY-mm-ddTHH:MM:SS"},
		{"empty expression", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{}}, "at least one"},
		{"sort on a list", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SortBy: aws.String("ProductionVariants.CurrentInstanceCount")}, "SortBy"},
		{"nested outside its list", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: &smtypes.SearchExpression{NestedFilters: []smtypes.NestedFilters{{
			NestedPropertyName: aws.String("ProductionVariants"), Filters: []smtypes.Filter{filter("EndpointName", smtypes.OperatorEquals, "x")},
		}}}}, "ProductionVariants"},
		{"unsupported resource", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeExperiment}, "Experiment"},
	}
	// 51 filters in three sub-expressions of 17: each list within the
	// model's limit of 20 members, the whole over SageMaker's 50 terms.
	many := &smtypes.SearchExpression{}
	for range 3 {
		sub := smtypes.SearchExpression{}
		for range 17 {
			sub.Filters = append(sub.Filters, filter("EndpointStatus", smtypes.OperatorExists, ""))
		}
		many.SubExpressions = append(many.SubExpressions, sub)
	}
	tests = append(tests, struct {
		name     string
		in       *sagemaker.SearchInput
		contains string
	}{"more than 50 terms", &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, SearchExpression: many}, "50"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sm.Search(ctx, tt.in)
			code, msg := apiCode(t, err)
			if code != "ValidationException" || !strings.Contains(msg, tt.contains) {
				t.Errorf("%s: %s, want a ValidationException containing %q", code, msg, tt.contains)
			}
		})
	}
}

// largeFleet is a scenario of n endpoints in each of regions, with a mix
// of statuses, teams, variants and instance counts.
func largeFleet(n int, regions ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n")
	teams := []string{"fraud", "recs", "search", "ads", "vision"}
	for _, r := range regions {
		fmt.Fprintf(&b, "    %s:\n      endpoints:\n", r)
		for i := 0; i < n; i++ {
			status := "InService"
			if i%50 == 0 {
				status = "Failed"
			}
			fmt.Fprintf(&b, "      - {name: ep-%05d, status: %s, age: %dh, tags: {team: %s}, variants: [{name: A, image: \"img:%d\", instanceType: ml.m5.xlarge, count: %d}",
				i, status, 1+i%2000, teams[i%len(teams)], i%7, 1+i%4)
			if i%3 == 0 {
				fmt.Fprintf(&b, ", {name: B, image: \"img:%d\", instanceType: ml.g5.xlarge, count: %d}", i%5, i%3)
			}
			b.WriteString("]}\n")
		}
	}
	return b.String()
}

func TestSearchLargeFleetPages(t *testing.T) {
	env := emulatortest.Start(t, largeFleet(1000, "us-east-1", "eu-west-1"))
	sm := env.Clients("eu-west-1").SageMaker
	in := &sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(100),
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			filter("Tags.team", smtypes.OperatorEquals, "fraud"),
			filter("EndpointStatus", smtypes.OperatorEquals, "InService"),
		}},
		SortBy: aws.String("EndpointName"), SortOrder: smtypes.SearchSortOrderAscending,
	}
	names, pages := searchNames(t, sm, in)
	// Every 5th endpoint is fraud's; every 50th (all fraud's) is Failed.
	if len(names) != 180 || pages != 2 || names[0] != "ep-00005" || names[179] != "ep-00995" {
		t.Errorf("%d names in %d pages, first %s", len(names), pages, names[0])
	}
}

// BenchmarkSearchLargeFleet searches one region of a 10,000-endpoint,
// 4-region fleet through the SDK: a filtered, sorted first page of 100.
func BenchmarkSearchLargeFleet(b *testing.B) {
	env := emulatortest.Start(b, largeFleet(2500, "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"))
	sm := env.Clients("us-west-2").SageMaker
	in := &sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(100),
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			filter("ProductionVariants.CurrentInstanceCount", smtypes.OperatorGreaterThan, "1"),
			filter("Tags.team", smtypes.OperatorIn, "fraud,recs"),
		}},
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := sm.Search(ctx, in)
		if err != nil || len(out.Results) != 100 {
			b.Fatalf("%v, %d results", err, len(out.Results))
		}
	}
}

// BenchmarkSearchAllPages pages through every endpoint of one region of the
// 10,000-endpoint fleet, 100 at a time, as a scan does.
func BenchmarkSearchAllPages(b *testing.B) {
	env := emulatortest.Start(b, largeFleet(2500, "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"))
	sm := env.Clients("us-east-1").SageMaker
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if names, _ := searchNames(b, sm, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeEndpoint, MaxResults: aws.Int32(100)}); len(names) != 2500 {
			b.Fatalf("%d endpoints", len(names))
		}
	}
}

// BenchmarkLoadLargeEndpointFleet parses and loads 10,000 endpoints in 4
// regions (each with its inline config, models and tags).
func BenchmarkLoadLargeEndpointFleet(b *testing.B) {
	doc := []byte(largeFleet(2500, "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc, err := emulator.ParseScenario("large.yaml", doc)
		if err != nil {
			b.Fatal(err)
		}
		if err := emulator.New(emulator.Options{}).Load(sc); err != nil {
			b.Fatal(err)
		}
	}
}
