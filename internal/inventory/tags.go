package inventory

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// tagsByARN reads the tags of every resource of the given types through the
// Resource Groups Tagging API, 100 a page (one call per hundred resources
// instead of a ListTags call per resource). Resources without tags are
// absent from the map.
func tagsByARN(ctx context.Context, t Target, resourceTypes ...string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if t.API.Tagging == nil {
		return out, nil
	}
	p := resourcegroupstaggingapi.NewGetResourcesPaginator(t.API.Tagging, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: resourceTypes,
		ResourcesPerPage:    aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get tagged resources %v: %w", resourceTypes, err)
		}
		for _, m := range page.ResourceTagMappingList {
			out[aws.ToString(m.ResourceARN)] = tagMap(m.Tags, func(t rgttypes.Tag) (string, string) {
				return aws.ToString(t.Key), aws.ToString(t.Value)
			})
		}
	}
	return out, nil
}
