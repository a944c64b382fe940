package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/sagesaver/sagesaver/internal/resource"
)

type notebooks struct{}

func (notebooks) Kind() resource.Kind { return resource.NotebookInstance }

// notebookDetail is what DescribeNotebookInstance adds to the listing; it
// is cached per LastModifiedTime, which changes on every start, stop and
// update.
type notebookDetail struct {
	VolumeGB int
}

func (notebooks) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	tags, err := tagsByARN(ctx, t, "sagemaker:notebook-instance")
	if err != nil {
		return nil, err
	}
	var out []resource.Resource
	p := sagemaker.NewListNotebookInstancesPaginator(t.API.SageMaker, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list notebook instances: %w", err)
		}
		for _, n := range page.NotebookInstances {
			r := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.NotebookInstance,
				Name: aws.ToString(n.NotebookInstanceName), ARN: aws.ToString(n.NotebookInstanceArn),
				Status: string(n.NotebookInstanceStatus), InstanceType: string(n.InstanceType), InstanceCount: 1,
				LifecycleConfig: aws.ToString(n.NotebookInstanceLifecycleConfigName),
				Created:         n.CreationTime, LastModified: n.LastModifiedTime,
				Tags: tags[aws.ToString(n.NotebookInstanceArn)],
			}
			r.Running = notebookBilled(n.NotebookInstanceStatus)
			if r.Running && n.LastModifiedTime != nil {
				// The last status change of an InService notebook is its start.
				r.Started = n.LastModifiedTime
			}
			r.AgentLastActivity, r.AgentUsage = AgentActivity(r.Tags), AgentUsageOf(r.Tags)
			d, err := notebookDescribe(ctx, t, env, r.Name, n.LastModifiedTime)
			if err != nil {
				return out, err
			}
			r.VolumeGB = d.VolumeGB
			out = append(out, r)
		}
	}
	return out, nil
}

// notebookBilled reports whether a notebook instance accrues instance
// charges in status s.
func notebookBilled(s smtypes.NotebookInstanceStatus) bool {
	switch s {
	case smtypes.NotebookInstanceStatusInService, smtypes.NotebookInstanceStatusPending,
		smtypes.NotebookInstanceStatusStopping, smtypes.NotebookInstanceStatusUpdating:
		return true
	}
	return false
}

func notebookDescribe(ctx context.Context, t Target, env *Env, name string, lastMod *time.Time) (notebookDetail, error) {
	key := fmt.Sprintf("nb/%s/%s/%s@%d", t.Account, t.Region, name, aws.ToTime(lastMod).UnixMilli())
	var d notebookDetail
	if env.Cache != nil && env.Cache.Get(key, &d) {
		return d, nil
	}
	out, err := t.API.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		return d, fmt.Errorf("describe notebook instance %s: %w", name, err)
	}
	d.VolumeGB = int(aws.ToInt32(out.VolumeSizeInGB))
	if env.Cache != nil {
		env.Cache.Put(key, d)
	}
	return d, nil
}
