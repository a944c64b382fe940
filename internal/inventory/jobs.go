package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

type trainingJobs struct{}

func (trainingJobs) Kind() Kind { return TrainingJob }

// Collect finds training jobs that are running or were created within the
// lookback, and tuning jobs likewise, through Search (records carry the
// resource config, spot flag, billable time and tags). A tuning job's cost
// is the cost of its training jobs, which are listed on their own.
func (trainingJobs) Collect(ctx context.Context, t Target, env *Env) ([]Resource, error) {
	since := env.Now.Add(-env.JobLookback)
	expr := func(status string) *smtypes.SearchExpression {
		return &smtypes.SearchExpression{
			Operator: smtypes.BooleanOperatorOr,
			Filters: []smtypes.Filter{
				{Name: aws.String(status), Operator: smtypes.OperatorEquals, Value: aws.String("InProgress")},
				{Name: aws.String("CreationTime"), Operator: smtypes.OperatorGreaterThan, Value: aws.String(since.UTC().Format(time.RFC3339))},
			},
		}
	}
	var out []Resource
	p := sagemaker.NewSearchPaginator(t.API.SageMaker, &sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeTrainingJob, SearchExpression: expr("TrainingJobStatus"), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("search training jobs: %w", err)
		}
		for _, rec := range page.Results {
			j := rec.TrainingJob
			if j == nil {
				continue
			}
			r := Resource{
				Account: t.Account, Region: t.Region, Kind: TrainingJob,
				Name: aws.ToString(j.TrainingJobName), ARN: aws.ToString(j.TrainingJobArn),
				Status: string(j.TrainingJobStatus), Spot: aws.ToBool(j.EnableManagedSpotTraining),
				Running:         j.TrainingJobStatus == smtypes.TrainingJobStatusInProgress || j.TrainingJobStatus == smtypes.TrainingJobStatusStopping,
				TrainingSeconds: int64(aws.ToInt32(j.TrainingTimeInSeconds)), BillableSeconds: int64(aws.ToInt32(j.BillableTimeInSeconds)),
				Created: j.CreationTime, LastModified: j.LastModifiedTime, Started: j.TrainingStartTime, Ended: j.TrainingEndTime,
				Tags: tagMap(j.Tags, func(t smtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) }),
			}
			if rc := j.ResourceConfig; rc != nil {
				r.InstanceType, r.InstanceCount, r.VolumeGB = string(rc.InstanceType), int(aws.ToInt32(rc.InstanceCount)), int(aws.ToInt32(rc.VolumeSizeInGB))
			}
			if a := j.AlgorithmSpecification; a != nil {
				r.Image = aws.ToString(a.TrainingImage)
			}
			if r.Running && r.Started != nil && r.TrainingSeconds == 0 {
				r.TrainingSeconds = int64(env.Now.Sub(*r.Started).Seconds())
				r.BillableSeconds = r.TrainingSeconds
			}
			out = append(out, r)
		}
	}
	tp := sagemaker.NewSearchPaginator(t.API.SageMaker, &sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeHyperParameterTuningJob, SearchExpression: expr("HyperParameterTuningJobStatus"), MaxResults: aws.Int32(100),
	})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("search tuning jobs: %w", err)
		}
		for _, rec := range page.Results {
			j := rec.HyperParameterTuningJob
			if j == nil {
				continue
			}
			r := Resource{
				Account: t.Account, Region: t.Region, Kind: TuningJob,
				Name: aws.ToString(j.HyperParameterTuningJobName), ARN: aws.ToString(j.HyperParameterTuningJobArn),
				Status: string(j.HyperParameterTuningJobStatus), Created: j.CreationTime, LastModified: j.LastModifiedTime,
				Running: j.HyperParameterTuningJobStatus == smtypes.HyperParameterTuningJobStatusInProgress,
				Tags:    tagMap(j.Tags, func(t smtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) }),
			}
			if d := j.TrainingJobDefinition; d != nil && d.ResourceConfig != nil {
				r.InstanceType = string(d.ResourceConfig.InstanceType)
			}
			out = append(out, r) // InstanceCount 0: billed through its training jobs
		}
	}
	return out, nil
}

type processingJobs struct{}

func (processingJobs) Kind() Kind { return ProcessingJob }

// jobDetail is the cached description of a finished job (finished jobs never
// change, so each is described once).
type jobDetail struct {
	InstanceType  string
	InstanceCount int
	VolumeGB      int
	Image         string
	Started       *time.Time
	Ended         *time.Time
	Tags          map[string]string
}

func (processingJobs) Collect(ctx context.Context, t Target, env *Env) ([]Resource, error) {
	var out []Resource
	p := sagemaker.NewListProcessingJobsPaginator(t.API.SageMaker, &sagemaker.ListProcessingJobsInput{
		CreationTimeAfter: aws.Time(env.Now.Add(-env.JobLookback)), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list processing jobs: %w", err)
		}
		for _, s := range page.ProcessingJobSummaries {
			name := aws.ToString(s.ProcessingJobName)
			running := s.ProcessingJobStatus == smtypes.ProcessingJobStatusInProgress || s.ProcessingJobStatus == smtypes.ProcessingJobStatusStopping
			key := fmt.Sprintf("pj/%s/%s/%s", t.Account, t.Region, name)
			var d jobDetail
			if running || env.Cache == nil || !env.Cache.Get(key, &d) {
				desc, err := t.API.SageMaker.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: s.ProcessingJobName})
				if err != nil {
					return out, fmt.Errorf("describe processing job %s: %w", name, err)
				}
				if pr := desc.ProcessingResources; pr != nil && pr.ClusterConfig != nil {
					cc := pr.ClusterConfig
					d.InstanceType, d.InstanceCount, d.VolumeGB = string(cc.InstanceType), int(aws.ToInt32(cc.InstanceCount)), int(aws.ToInt32(cc.VolumeSizeInGB))
				}
				if desc.AppSpecification != nil {
					d.Image = aws.ToString(desc.AppSpecification.ImageUri)
				}
				d.Started, d.Ended = desc.ProcessingStartTime, desc.ProcessingEndTime
				if !running && env.Cache != nil {
					env.Cache.Put(key, d)
				}
			}
			out = append(out, jobResource(t, env, ProcessingJob, name, aws.ToString(s.ProcessingJobArn), string(s.ProcessingJobStatus), running, s.CreationTime, d))
		}
	}
	return out, nil
}

type transformJobs struct{}

func (transformJobs) Kind() Kind { return TransformJob }

func (transformJobs) Collect(ctx context.Context, t Target, env *Env) ([]Resource, error) {
	var out []Resource
	p := sagemaker.NewListTransformJobsPaginator(t.API.SageMaker, &sagemaker.ListTransformJobsInput{
		CreationTimeAfter: aws.Time(env.Now.Add(-env.JobLookback)), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list transform jobs: %w", err)
		}
		for _, s := range page.TransformJobSummaries {
			name := aws.ToString(s.TransformJobName)
			running := s.TransformJobStatus == smtypes.TransformJobStatusInProgress || s.TransformJobStatus == smtypes.TransformJobStatusStopping
			key := fmt.Sprintf("tj/%s/%s/%s", t.Account, t.Region, name)
			var d jobDetail
			if running || env.Cache == nil || !env.Cache.Get(key, &d) {
				desc, err := t.API.SageMaker.DescribeTransformJob(ctx, &sagemaker.DescribeTransformJobInput{TransformJobName: s.TransformJobName})
				if err != nil {
					return out, fmt.Errorf("describe transform job %s: %w", name, err)
				}
				if tr := desc.TransformResources; tr != nil {
					d.InstanceType, d.InstanceCount = string(tr.InstanceType), int(aws.ToInt32(tr.InstanceCount))
				}
				d.Started, d.Ended = desc.TransformStartTime, desc.TransformEndTime
				if !running && env.Cache != nil {
					env.Cache.Put(key, d)
				}
			}
			out = append(out, jobResource(t, env, TransformJob, name, aws.ToString(s.TransformJobArn), string(s.TransformJobStatus), running, s.CreationTime, d))
		}
	}
	return out, nil
}

func jobResource(t Target, env *Env, kind Kind, name, arn, status string, running bool, created *time.Time, d jobDetail) Resource {
	r := Resource{
		Account: t.Account, Region: t.Region, Kind: kind, Name: name, ARN: arn, Status: status, Running: running,
		InstanceType: d.InstanceType, InstanceCount: d.InstanceCount, VolumeGB: d.VolumeGB, Image: d.Image,
		Created: created, Started: d.Started, Ended: d.Ended, Tags: d.Tags,
	}
	if d.Started != nil {
		end := env.Now
		if d.Ended != nil {
			end = *d.Ended
		}
		r.TrainingSeconds = int64(end.Sub(*d.Started).Seconds())
		r.BillableSeconds = r.TrainingSeconds
	}
	return r
}
