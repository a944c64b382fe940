package inventory

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/resource"
)

type hyperPod struct{}

func (hyperPod) Kind() resource.Kind { return resource.HyperPodCluster }

// Collect lists HyperPod clusters, one resource per instance group (the
// group's name in Variant, its instance type and current count): every
// node bills by the hour from creation to deletion, busy or not.
// DescribeCluster is called on every scan: a cluster has no modification
// time, and its current counts change as nodes are replaced or groups
// scaled.
func (hyperPod) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	tags, err := tagsByARN(ctx, t, "sagemaker:cluster")
	if err != nil {
		return nil, err
	}
	var out []resource.Resource
	p := sagemaker.NewListClustersPaginator(t.API.SageMaker, &sagemaker.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list clusters: %w", err)
		}
		for _, c := range page.ClusterSummaries {
			name := aws.ToString(c.ClusterName)
			desc, err := t.API.SageMaker.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: c.ClusterArn})
			if err != nil {
				return out, fmt.Errorf("describe cluster %s: %w", name, err)
			}
			arn := aws.ToString(desc.ClusterArn)
			for _, g := range desc.InstanceGroups {
				n := int(aws.ToInt32(g.CurrentCount))
				out = append(out, resource.Resource{
					Account: t.Account, Region: t.Region, Kind: resource.HyperPodCluster,
					Name: name, Variant: aws.ToString(g.InstanceGroupName), ARN: arn,
					Status: string(desc.ClusterStatus), InstanceType: string(g.InstanceType), InstanceCount: n,
					Running: n > 0, Created: desc.CreationTime, Tags: tags[arn],
				})
			}
		}
	}
	return out, nil
}
