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

type mlflow struct{}

func (mlflow) Kind() resource.Kind { return resource.MLflowTrackingServer }

// Collect lists MLflow tracking servers with their size and status. A
// server bills per hour while it runs and nothing while it is stopped; a
// stopped server is listed all the same (it can be started again). The
// size is only in DescribeMlflowTrackingServer, which is cached per
// LastModifiedTime (a stop, start or resize moves it).
func (mlflow) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	tags, err := tagsByARN(ctx, t, "sagemaker:mlflow-tracking-server")
	if err != nil {
		return nil, err
	}
	var out []resource.Resource
	p := sagemaker.NewListMlflowTrackingServersPaginator(t.API.SageMaker, &sagemaker.ListMlflowTrackingServersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list mlflow tracking servers: %w", err)
		}
		for _, s := range page.TrackingServerSummaries {
			name := aws.ToString(s.TrackingServerName)
			size, err := trackingServerSize(ctx, t, env, name, s.LastModifiedTime)
			if err != nil {
				return out, err
			}
			arn := aws.ToString(s.TrackingServerArn)
			out = append(out, resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.MLflowTrackingServer,
				Name: name, ARN: arn, Status: string(s.TrackingServerStatus), Size: size,
				InstanceCount: 1, Running: TrackingServerBilled(s.TrackingServerStatus, s.IsActive),
				Created: s.CreationTime, LastModified: s.LastModifiedTime, Tags: tags[arn],
			})
		}
	}
	return out, nil
}

// TrackingServerBilled reports whether an MLflow tracking server in this
// status bills by the hour: while AWS reports it active (Created, Started,
// Updating, Stopping, in maintenance, ...) and while it is being created or
// started, as a notebook instance bills while Pending. Stopped, failed to
// create or start, and being deleted are not billed.
func TrackingServerBilled(status smtypes.TrackingServerStatus, active smtypes.IsTrackingServerActive) bool {
	switch status {
	case smtypes.TrackingServerStatusCreating, smtypes.TrackingServerStatusStarting:
		return true
	case smtypes.TrackingServerStatusStopped, smtypes.TrackingServerStatusDeleting,
		smtypes.TrackingServerStatusCreateFailed, smtypes.TrackingServerStatusStartFailed:
		return false
	}
	return active == smtypes.IsTrackingServerActiveActive
}

// trackingServerSize returns a tracking server's size (Small, Medium,
// Large), cached per LastModifiedTime.
func trackingServerSize(ctx context.Context, t Target, env *Env, name string, lastMod *time.Time) (string, error) {
	key := fmt.Sprintf("mlflow/%s/%s/%s@%d", t.Account, t.Region, name, aws.ToTime(lastMod).UnixMilli())
	var size string
	if lastMod != nil && env.Cache != nil && env.Cache.Get(key, &size) {
		return size, nil
	}
	desc, err := t.API.SageMaker.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe mlflow tracking server %s: %w", name, err)
	}
	size = string(desc.TrackingServerSize)
	if lastMod != nil && env.Cache != nil {
		env.Cache.Put(key, size)
	}
	return size, nil
}
