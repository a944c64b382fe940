package scheduler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/schedule"
)

// mlflowState maps a tracking server's status to what a schedule sees:
// up (Created, Started, Updated, MaintenanceComplete) is running, Stopped
// is stopped; a server on its way (Creating, Stopping, Starting,
// Updating, in maintenance) or failed is decided on a later run.
func mlflowState(s smtypes.TrackingServerStatus) schedule.State {
	switch s {
	case smtypes.TrackingServerStatusCreated, smtypes.TrackingServerStatusStarted,
		smtypes.TrackingServerStatusUpdated, smtypes.TrackingServerStatusMaintenanceComplete:
		return schedule.StateRunning
	case smtypes.TrackingServerStatusStopped:
		return schedule.StateStopped
	}
	return schedule.StateUnknown
}

// listMLflow lists the region's MLflow tracking servers with their tags
// (ListTags per server). The size (Small, Medium, Large) is the
// resource's InstanceType, as the scan has it.
func listMLflow(ctx context.Context, reg Region) ([]Resource, error) {
	var out []Resource
	p := sagemaker.NewListMlflowTrackingServersPaginator(reg.SageMaker, &sagemaker.ListMlflowTrackingServersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list MLflow tracking servers in %s: %w", reg.Region, err)
		}
		for _, s := range page.TrackingServerSummaries {
			// The summary has no size: describe each (one call per
			// server; accounts have a handful).
			r, err := describeMLflow(ctx, reg, aws.ToString(s.TrackingServerName))
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// describeMLflow reads one tracking server and its tags afresh (the
// re-check before acting, and explain).
func describeMLflow(ctx context.Context, reg Region, name string) (Resource, error) {
	d, err := reg.SageMaker.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	if err != nil {
		return Resource{}, fmt.Errorf("describe MLflow tracking server %s in %s: %w", name, reg.Region, err)
	}
	r := Resource{
		Kind: schedule.KindMLflow, Account: reg.Account, Region: reg.Region,
		Name: aws.ToString(d.TrackingServerName), ARN: aws.ToString(d.TrackingServerArn),
		InstanceType: string(d.TrackingServerSize), Status: string(d.TrackingServerStatus),
		State: mlflowState(d.TrackingServerStatus), Created: aws.ToTime(d.CreationTime),
	}
	if r.Tags, err = listTags(ctx, reg, r.ARN); err != nil {
		return Resource{}, err
	}
	return r, nil
}

// actMLflow starts or stops a tracking server. Both are asynchronous: the
// call returns once SageMaker accepted it (Starting, Stopping).
func actMLflow(ctx context.Context, reg Region, name string, a schedule.Action) error {
	var err error
	switch a {
	case schedule.ActionStart:
		_, err = reg.SageMaker.StartMlflowTrackingServer(ctx, &sagemaker.StartMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	case schedule.ActionStop:
		_, err = reg.SageMaker.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	default:
		return fmt.Errorf("%s MLflow tracking server %s: not an action", a, name)
	}
	if err != nil {
		return fmt.Errorf("%s MLflow tracking server %s in %s: %w", a, name, reg.Region, err)
	}
	return nil
}
