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

type trainingJobs struct{}

func (trainingJobs) Kind() resource.Kind { return resource.TrainingJob }

// Collect finds training jobs that are running or were created within the
// lookback, and tuning jobs likewise, through Search (records carry the
// resource config, spot flag, billable time and tags). A tuning job's cost
// is the cost of its training jobs, which are listed on their own.
func (trainingJobs) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
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
	var out []resource.Resource
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
			r := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.TrainingJob,
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
			r := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.TuningJob,
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

func (processingJobs) Kind() resource.Kind { return resource.ProcessingJob }

// jobDetail is the cached description of a job: what its summary lacks.
// It is cached once the job has started (instance type, count and start
// time never change after that; the end time comes from the summary).
type jobDetail struct {
	InstanceType  string
	InstanceCount int
	VolumeGB      int
	Image         string
	Started       *time.Time
}

// jobSummary is what ListProcessingJobs and ListTransformJobs say of a job.
type jobSummary struct {
	name, arn, status string
	running           bool
	created, ended    *time.Time
}

// listJobs lists the jobs that are running now (whenever they were created)
// and those created within the lookback, once each: two listings, because
// a long job that started before the lookback still bills.
func listJobs(ctx context.Context, env *Env, list func(ctx context.Context, inProgress bool, since *time.Time, yield func(jobSummary)) error) ([]jobSummary, error) {
	var out []jobSummary
	seen := map[string]bool{}
	yield := func(j jobSummary) {
		if !seen[j.name] {
			seen[j.name] = true
			out = append(out, j)
		}
	}
	if err := list(ctx, true, nil, yield); err != nil {
		return out, err
	}
	err := list(ctx, false, aws.Time(env.Now.Add(-env.JobLookback)), yield)
	return out, err
}

func (processingJobs) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	sums, err := listJobs(ctx, env, func(ctx context.Context, inProgress bool, since *time.Time, yield func(jobSummary)) error {
		in := &sagemaker.ListProcessingJobsInput{CreationTimeAfter: since, MaxResults: aws.Int32(100)}
		if inProgress {
			in.StatusEquals = smtypes.ProcessingJobStatusInProgress
		}
		p := sagemaker.NewListProcessingJobsPaginator(t.API.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list processing jobs: %w", err)
			}
			for _, s := range page.ProcessingJobSummaries {
				yield(jobSummary{
					name: aws.ToString(s.ProcessingJobName), arn: aws.ToString(s.ProcessingJobArn), status: string(s.ProcessingJobStatus),
					running: s.ProcessingJobStatus == smtypes.ProcessingJobStatusInProgress || s.ProcessingJobStatus == smtypes.ProcessingJobStatusStopping,
					created: s.CreationTime, ended: s.ProcessingEndTime,
				})
			}
		}
		return nil
	})
	var out []resource.Resource
	for _, s := range sums {
		d, derr := jobDescribe(t, env, "pj", s.name, func() (jobDetail, error) {
			desc, err := t.API.SageMaker.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String(s.name)})
			if err != nil {
				return jobDetail{}, fmt.Errorf("describe processing job %s: %w", s.name, err)
			}
			var d jobDetail
			if pr := desc.ProcessingResources; pr != nil && pr.ClusterConfig != nil {
				cc := pr.ClusterConfig
				d.InstanceType, d.InstanceCount, d.VolumeGB = string(cc.InstanceType), int(aws.ToInt32(cc.InstanceCount)), int(aws.ToInt32(cc.VolumeSizeInGB))
			}
			if desc.AppSpecification != nil {
				d.Image = aws.ToString(desc.AppSpecification.ImageUri)
			}
			d.Started = desc.ProcessingStartTime
			return d, nil
		})
		if derr != nil {
			return out, derr
		}
		out = append(out, jobResource(t, env, resource.ProcessingJob, s, d))
	}
	return out, err
}

type transformJobs struct{}

func (transformJobs) Kind() resource.Kind { return resource.TransformJob }

func (transformJobs) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	sums, err := listJobs(ctx, env, func(ctx context.Context, inProgress bool, since *time.Time, yield func(jobSummary)) error {
		in := &sagemaker.ListTransformJobsInput{CreationTimeAfter: since, MaxResults: aws.Int32(100)}
		if inProgress {
			in.StatusEquals = smtypes.TransformJobStatusInProgress
		}
		p := sagemaker.NewListTransformJobsPaginator(t.API.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list transform jobs: %w", err)
			}
			for _, s := range page.TransformJobSummaries {
				yield(jobSummary{
					name: aws.ToString(s.TransformJobName), arn: aws.ToString(s.TransformJobArn), status: string(s.TransformJobStatus),
					running: s.TransformJobStatus == smtypes.TransformJobStatusInProgress || s.TransformJobStatus == smtypes.TransformJobStatusStopping,
					created: s.CreationTime, ended: s.TransformEndTime,
				})
			}
		}
		return nil
	})
	var out []resource.Resource
	for _, s := range sums {
		d, derr := jobDescribe(t, env, "tj", s.name, func() (jobDetail, error) {
			desc, err := t.API.SageMaker.DescribeTransformJob(ctx, &sagemaker.DescribeTransformJobInput{TransformJobName: aws.String(s.name)})
			if err != nil {
				return jobDetail{}, fmt.Errorf("describe transform job %s: %w", s.name, err)
			}
			var d jobDetail
			if tr := desc.TransformResources; tr != nil {
				d.InstanceType, d.InstanceCount = string(tr.InstanceType), int(aws.ToInt32(tr.InstanceCount))
			}
			d.Started = desc.TransformStartTime
			return d, nil
		})
		if derr != nil {
			return out, derr
		}
		out = append(out, jobResource(t, env, resource.TransformJob, s, d))
	}
	return out, err
}

// jobDescribe returns a job's detail from the cache, or describes it and
// caches the answer once the job has started.
func jobDescribe(t Target, env *Env, prefix, name string, describe func() (jobDetail, error)) (jobDetail, error) {
	key := fmt.Sprintf("%s/%s/%s/%s", prefix, t.Account, t.Region, name)
	var d jobDetail
	if env.Cache != nil && env.Cache.Get(key, &d) {
		return d, nil
	}
	d, err := describe()
	if err != nil {
		return d, err
	}
	if d.Started != nil && env.Cache != nil {
		env.Cache.Put(key, d)
	}
	return d, nil
}

func jobResource(t Target, env *Env, kind resource.Kind, s jobSummary, d jobDetail) resource.Resource {
	r := resource.Resource{
		Account: t.Account, Region: t.Region, Kind: kind, Name: s.name, ARN: s.arn, Status: s.status, Running: s.running,
		InstanceType: d.InstanceType, InstanceCount: d.InstanceCount, VolumeGB: d.VolumeGB, Image: d.Image,
		Created: s.created, Started: d.Started, Ended: s.ended,
	}
	if d.Started != nil {
		end := env.Now
		if s.ended != nil {
			end = *s.ended
		}
		if end.After(*d.Started) {
			r.TrainingSeconds = int64(end.Sub(*d.Started).Seconds())
		}
		r.BillableSeconds = r.TrainingSeconds
	}
	return r
}
