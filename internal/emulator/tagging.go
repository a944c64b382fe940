package emulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// Resource Groups Tagging API (awsJson1_1): GetResources over the tagged
// resources of the services the emulator models (today SageMaker). Like AWS,
// it returns only resources that carry tags.

func taggingService() *service {
	return &service{
		name:        "tagging",
		signingName: "tagging",
		jsonTarget:  "ResourceGroupsTaggingAPI_20170126",
		ops: map[string]handler{
			"GetResources": op(getResources),
		},
	}
}

// taggedResource is one resource as the tagging API sees it.
type taggedResource struct {
	arn  string
	typ  string // "sagemaker:endpoint", as in ResourceTypeFilters
	tags []smtypes.Tag
}

// taggedResources enumerates the region's SageMaker resources that carry
// tags. Every kind that keeps its tags with setTags (all of them: the
// SageMaker tag APIs work on st.tags by ARN) is included; the resource type
// is read from the ARN ("...:endpoint/name" is sagemaker:endpoint).
func (st *sageMakerState) taggedResources() []taggedResource {
	out := make([]taggedResource, 0, len(st.tags))
	for arn, tags := range st.tags {
		if len(tags) == 0 {
			continue
		}
		out = append(out, taggedResource{arn: arn, typ: arnType(arn), tags: tags})
	}
	return out
}

// arnType is "service:resource-type" for an ARN such as
// arn:aws:sagemaker:us-east-1:123456789012:endpoint/name.
func arnType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	res := parts[5]
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		res = res[:i]
	}
	return parts[2] + ":" + res
}

func invalidParameter(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// maxResourcesPerPage is GetResources' page limit (and default).
const maxResourcesPerPage = 100

func getResources(c *Call, in *rgt.GetResourcesInput) (*rgt.GetResourcesOutput, error) {
	if len(in.ResourceARNList) > 0 && (len(in.ResourceTypeFilters) > 0 || len(in.TagFilters) > 0) {
		return nil, invalidParameter("ResourceARNList cannot be combined with ResourceTypeFilters or TagFilters")
	}
	if len(in.TagFilters) > 50 {
		return nil, invalidParameter("TagFilters can have at most 50 items")
	}
	for i, f := range in.TagFilters {
		if aws.ToString(f.Key) == "" {
			return nil, invalidParameter("TagFilters[%d].Key is required", i)
		}
		if len(f.Values) > 20 {
			return nil, invalidParameter("TagFilters[%d].Values can have at most 20 items", i)
		}
	}
	for _, t := range in.ResourceTypeFilters {
		if t == "" || strings.Count(t, ":") > 1 {
			return nil, invalidParameter("Invalid resource type filter %q: use service or service:resourceType, e.g. sagemaker:endpoint", t)
		}
	}
	per := maxResourcesPerPage
	if in.ResourcesPerPage != nil {
		if *in.ResourcesPerPage < 1 || *in.ResourcesPerPage > maxResourcesPerPage {
			return nil, invalidParameter("ResourcesPerPage must be between 1 and %d", maxResourcesPerPage)
		}
		per = int(*in.ResourcesPerPage)
	}
	off := 0
	if tok := aws.ToString(in.PaginationToken); tok != "" {
		n, err := parsePageToken(&tok)
		if err != nil {
			return nil, invalidParameter("Invalid PaginationToken")
		}
		off = n
	}

	st := c.Region.SageMaker
	st.settle(c.Now)
	arns := map[string]bool{}
	for _, a := range in.ResourceARNList {
		arns[a] = true
	}
	var items []taggedResource
	for _, r := range st.taggedResources() {
		if len(arns) > 0 && !arns[r.arn] {
			continue
		}
		if !typeMatches(r.typ, in.ResourceTypeFilters) || !tagsMatch(r.tags, in.TagFilters) {
			continue
		}
		items = append(items, r)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].arn < items[j].arn })

	if off > len(items) {
		off = len(items)
	}
	end := min(off+per, len(items))
	// AWS answers an empty (not absent) token on the last page.
	next := ""
	if end < len(items) {
		next = pageToken(end)
	}
	out := &rgt.GetResourcesOutput{PaginationToken: aws.String(next), ResourceTagMappingList: []rgttypes.ResourceTagMapping{}}
	for _, r := range items[off:end] {
		m := rgttypes.ResourceTagMapping{ResourceARN: aws.String(r.arn), Tags: make([]rgttypes.Tag, 0, len(r.tags))}
		for _, t := range r.tags {
			m.Tags = append(m.Tags, rgttypes.Tag{Key: aws.String(aws.ToString(t.Key)), Value: aws.String(aws.ToString(t.Value))})
		}
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
	}
	return out, nil
}

func typeMatches(typ string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	service, _, _ := strings.Cut(typ, ":")
	for _, f := range filters {
		if f == typ || (!strings.Contains(f, ":") && f == service) {
			return true
		}
	}
	return false
}

// tagsMatch: every filter must match (AND); within a filter, any of its
// values (OR); a filter without values matches any value of the key.
func tagsMatch(tags []smtypes.Tag, filters []rgttypes.TagFilter) bool {
	for _, f := range filters {
		found := false
		for _, t := range tags {
			if aws.ToString(t.Key) != aws.ToString(f.Key) {
				continue
			}
			if len(f.Values) == 0 {
				found = true
			}
			for _, v := range f.Values {
				if v == aws.ToString(t.Value) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}
