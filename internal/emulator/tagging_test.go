package emulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

var _ awsapi.TagLister = (*rgt.Client)(nil)

func getResources(t *testing.T, c *rgt.Client, in *rgt.GetResourcesInput) (arns []string, pages int) {
	t.Helper()
	p := rgt.NewGetResourcesPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range out.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			arns = append(arns, arn[strings.LastIndex(arn, ":")+1:])
		}
	}
	return arns, pages
}

func TestTaggingGetResources(t *testing.T) {
	// The endpoint fleet plus two notebooks in us-east-1, one untagged.
	env := emulatortest.Start(t, strings.Replace(endpointFleet, "    eu-west-1:\n", "      notebooks:\n      - {name: nb-fraud, instanceType: ml.t3.medium, tags: {team: fraud, owner: ana}}\n      - {name: nb-untagged, instanceType: ml.t3.medium}\n    eu-west-1:\n", 1))
	c := env.Clients("us-east-1")
	tg := c.Tagging

	tests := []struct {
		name string
		in   *rgt.GetResourcesInput
		want []string
	}{
		{"endpoints of team fraud", &rgt.GetResourcesInput{
			ResourceTypeFilters: []string{"sagemaker:endpoint"},
			TagFilters:          []rgttypes.TagFilter{{Key: aws.String("team"), Values: []string{"fraud"}}},
		}, []string{"endpoint/fraud-scorer", "endpoint/tiny-serverless"}},
		{"notebooks", &rgt.GetResourcesInput{ResourceTypeFilters: []string{"sagemaker:notebook-instance"}}, []string{"notebook-instance/nb-fraud"}},
		{"any sagemaker resource with an env tag", &rgt.GetResourcesInput{
			ResourceTypeFilters: []string{"sagemaker"},
			TagFilters:          []rgttypes.TagFilter{{Key: aws.String("env")}},
		}, []string{"endpoint-config/fraud-scorer", "endpoint/fraud-scorer", "model/fraud-scorer"}},
		{"team in fraud or recs, two filters ANDed", &rgt.GetResourcesInput{
			ResourceTypeFilters: []string{"sagemaker:endpoint", "sagemaker:notebook-instance"},
			TagFilters: []rgttypes.TagFilter{
				{Key: aws.String("team"), Values: []string{"recs", "fraud"}},
				{Key: aws.String("owner")},
			},
		}, []string{"notebook-instance/nb-fraud"}},
		{"by ARN", &rgt.GetResourcesInput{ResourceARNList: []string{"arn:aws:sagemaker:us-east-1:123456789012:endpoint/recs-ab"}}, []string{"endpoint/recs-ab"}},
		{"other service", &rgt.GetResourcesInput{ResourceTypeFilters: []string{"ec2:instance"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := getResources(t, tg, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// Paging: untagged resources never show; pages of 2.
	all, _ := getResources(t, tg, &rgt.GetResourcesInput{})
	got, pages := getResources(t, tg, &rgt.GetResourcesInput{ResourcesPerPage: aws.Int32(2)})
	if diff := cmp.Diff(all, got); diff != "" || pages != (len(all)+1)/2 {
		t.Errorf("paged %d pages (-all +paged):\n%s", pages, diff)
	}
	for _, a := range all {
		if strings.Contains(a, "nb-untagged") || strings.Contains(a, "broken") {
			t.Errorf("untagged resource listed: %s", a)
		}
	}

	// Tags follow AddTags/DeleteTags and deletions.
	ctx := context.Background()
	arn := "arn:aws:sagemaker:us-east-1:123456789012:endpoint/broken"
	if _, err := c.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn), Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("fraud")}}}); err != nil {
		t.Fatal(err)
	}
	in := &rgt.GetResourcesInput{ResourceTypeFilters: []string{"sagemaker:endpoint"}, TagFilters: []rgttypes.TagFilter{{Key: aws.String("team"), Values: []string{"fraud"}}}}
	if got, _ := getResources(t, tg, in); len(got) != 3 || got[0] != "endpoint/broken" {
		t.Errorf("after AddTags: %v", got)
	}
	if _, err := c.SageMaker.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String("broken")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(3 * time.Minute) // Deleting takes about 2 minutes
	if got, _ := getResources(t, tg, in); len(got) != 2 {
		t.Errorf("after DeleteEndpoint: %v", got)
	}
	out, err := tg.GetResources(ctx, &rgt.GetResourcesInput{ResourceTypeFilters: []string{"sagemaker:endpoint"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := out.ResourceTagMappingList[0]; aws.ToString(m.ResourceARN) != "arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scorer" || len(m.Tags) != 2 {
		t.Errorf("first mapping: %s %+v", aws.ToString(m.ResourceARN), m.Tags)
	}
	if out.PaginationToken == nil || *out.PaginationToken != "" {
		t.Errorf("last page token = %v, want empty string as AWS answers", out.PaginationToken)
	}

	_, err = tg.GetResources(ctx, &rgt.GetResourcesInput{ResourcesPerPage: aws.Int32(101)})
	if code, _ := apiCode(t, err); code != "InvalidParameterException" {
		t.Errorf("ResourcesPerPage 101: %s", code)
	}
	_, err = tg.GetResources(ctx, &rgt.GetResourcesInput{ResourceTypeFilters: []string{"sagemaker:endpoint:x"}})
	if code, _ := apiCode(t, err); code != "InvalidParameterException" {
		t.Errorf("bad type filter: %s", code)
	}
	// eu-west-1 is its own region.
	if got, _ := getResources(t, env.Clients("eu-west-1").Tagging, &rgt.GetResourcesInput{ResourceTypeFilters: []string{"sagemaker:endpoint"}}); len(got) != 1 || got[0] != "endpoint/fraud-scorer-eu" {
		t.Errorf("eu-west-1: %v", got)
	}
}
