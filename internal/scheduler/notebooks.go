package scheduler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/schedule"
)

// notebookState maps a notebook instance's status to what a schedule
// sees: only InService and Stopped are settled; Pending, Stopping,
// Updating, Deleting and Failed are decided on a later run.
func notebookState(s smtypes.NotebookInstanceStatus) schedule.State {
	switch s {
	case smtypes.NotebookInstanceStatusInService:
		return schedule.StateRunning
	case smtypes.NotebookInstanceStatusStopped:
		return schedule.StateStopped
	}
	return schedule.StateUnknown
}

// notebookTagType is the Resource Groups Tagging API's type for notebook
// instances.
const notebookTagType = "sagemaker:notebook-instance"

// listNotebooks lists the region's notebook instances with their tags.
// Tags come from the Tagging API, 100 resources a call, when the region
// has a client for it, otherwise from ListTags per notebook.
func listNotebooks(ctx context.Context, reg Region) ([]Resource, error) {
	var tags map[string]map[string]string
	if reg.Tagging != nil {
		var err error
		if tags, err = bulkTags(ctx, reg, notebookTagType); err != nil {
			return nil, err
		}
	}
	var out []Resource
	p := sagemaker.NewListNotebookInstancesPaginator(reg.SageMaker, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list notebook instances in %s: %w", reg.Region, err)
		}
		for _, n := range page.NotebookInstances {
			r := Resource{
				Kind: schedule.KindNotebook, Account: reg.Account, Region: reg.Region,
				Name: aws.ToString(n.NotebookInstanceName), ARN: aws.ToString(n.NotebookInstanceArn),
				InstanceType: string(n.InstanceType), Status: string(n.NotebookInstanceStatus),
				State: notebookState(n.NotebookInstanceStatus), Created: aws.ToTime(n.CreationTime),
			}
			if tags != nil {
				r.Tags = tags[r.ARN]
			} else if r.Tags, err = listTags(ctx, reg, r.ARN); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// describeNotebook reads one notebook instance and its tags afresh (the
// re-check before acting, and explain). Tags come from ListTags, which,
// unlike the Tagging API, reflects a tag set a moment ago: an owner who
// snoozes a notebook at 20:59 is heard at 21:00.
func describeNotebook(ctx context.Context, reg Region, name string) (Resource, error) {
	d, err := reg.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		return Resource{}, fmt.Errorf("describe notebook instance %s in %s: %w", name, reg.Region, err)
	}
	r := Resource{
		Kind: schedule.KindNotebook, Account: reg.Account, Region: reg.Region,
		Name: aws.ToString(d.NotebookInstanceName), ARN: aws.ToString(d.NotebookInstanceArn),
		InstanceType: string(d.InstanceType), Status: string(d.NotebookInstanceStatus),
		State: notebookState(d.NotebookInstanceStatus), Created: aws.ToTime(d.CreationTime),
	}
	if r.Tags, err = listTags(ctx, reg, r.ARN); err != nil {
		return Resource{}, err
	}
	return r, nil
}

// actNotebook starts or stops a notebook instance. Both are asynchronous:
// the call returns once SageMaker accepted it (Pending, Stopping).
func actNotebook(ctx context.Context, reg Region, name string, a schedule.Action) error {
	var err error
	switch a {
	case schedule.ActionStart:
		_, err = reg.SageMaker.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	case schedule.ActionStop:
		_, err = reg.SageMaker.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	default:
		return fmt.Errorf("%s notebook instance %s: not an action", a, name)
	}
	if err != nil {
		return fmt.Errorf("%s notebook instance %s in %s: %w", a, name, reg.Region, err)
	}
	return nil
}

func listTags(ctx context.Context, reg Region, arn string) (map[string]string, error) {
	out := map[string]string{}
	p := sagemaker.NewListTagsPaginator(reg.SageMaker, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			out[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return out, nil
}

func bulkTags(ctx context.Context, reg Region, resourceType string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	p := resourcegroupstaggingapi.NewGetResourcesPaginator(reg.Tagging, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{resourceType},
		ResourcesPerPage:    aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get tags of %s in %s: %w", resourceType, reg.Region, err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := map[string]string{}
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			out[aws.ToString(m.ResourceARN)] = tags
		}
	}
	return out, nil
}
