package emulator

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// jobKind is one of SageMaker's four kinds of batch job. They share a
// timeline (created -> started -> ended) and a status machine
// (InProgress -> Completed, or InProgress -> Stopping -> Stopped).
type jobKind int

const (
	trainingJob jobKind = iota
	processingJob
	transformJob
	tuningJob
)

// arnType is the resource type in the job's ARN; noun is what SageMaker's
// messages call it.
func (k jobKind) arnType() string {
	return [...]string{"training-job", "processing-job", "transform-job", "hyper-parameter-tuning-job"}[k]
}

func (k jobKind) noun() string {
	return [...]string{"training job", "processing job", "transform job", "hyper parameter tuning job"}[k]
}

// Durations of a job's phases on the virtual clock, as observed on AWS.
const (
	// jobStartupDuration is the time from CreateX to the job's start on
	// its instances (provisioning, image pull): training jobs report it
	// as SecondaryStatus Starting/Downloading and do not bill it.
	jobStartupDuration = 4 * time.Minute
	// jobUploadDuration is the tail of a training job in which the model
	// artifacts are uploaded (SecondaryStatus Uploading); it is billed.
	jobUploadDuration = time.Minute
	// jobStopDuration is how long Stopping lasts after a Stop call.
	jobStopDuration = 2 * time.Minute
	// defaultJobRun is how long a job runs after its start when neither
	// the scenario nor the request says.
	defaultJobRun = 30 * time.Minute
	// defaultSpotSavings is the managed spot discount (percent) when a
	// scenario does not give one; AWS advertises "up to 90%", and 60-70%
	// is typical for GPU instances.
	defaultSpotSavings = 70
	// defaultMaxRuntime is SageMaker's default MaxRuntimeInSeconds: 1 day.
	defaultMaxRuntime = 86400
)

// job is a training, processing, transform or hyperparameter tuning job.
type job struct {
	kind          jobKind
	name, arn     string
	status        string // InProgress, Completed, Failed, Stopping, Stopped
	secondary     string // training: a terminal SecondaryStatus; "" = derived from the clock
	failureReason string
	roleArn       string
	instanceType  string
	instanceCount int32
	volumeGB      int32
	image         string
	inputMode     string
	spot          bool
	spotSavings   int   // percent of training time not billed
	maxRuntime    int32 // seconds
	maxWait       int32 // seconds (spot)
	modelName     string

	// tuning jobs
	strategy               string
	maxJobs, maxParallel   int32
	objective, objMetric   string
	created, start, lastMo time.Time
	plannedEnd             time.Time // when an InProgress job completes
	cutOff                 bool      // plannedEnd is MaxRuntime's: the job ends Stopped
	end                    time.Time // set once the job has ended
	stopAt                 time.Time // when a Stopping job becomes Stopped
}

// jobsState holds one region's jobs, by kind and name.
type jobsState struct {
	byKind [4]map[string]*job
}

// jobsOf returns the region's jobs of a kind, creating the maps on first
// use.
func (st *sageMakerState) jobsOf(k jobKind) map[string]*job {
	if st.jobs == nil {
		st.jobs = &jobsState{}
		for i := range st.jobs.byKind {
			st.jobs.byKind[i] = map[string]*job{}
		}
	}
	return st.jobs.byKind[k]
}

// settle applies the job's due status changes.
func (j *job) settle(now time.Time) {
	switch j.status {
	case "InProgress":
		if !now.Before(j.plannedEnd) {
			j.status, j.end, j.lastMo = "Completed", j.plannedEnd, j.plannedEnd
			if j.secondary == "" {
				j.secondary = "Completed"
			}
			if j.cutOff {
				// The job was cut off by its stopping condition.
				j.status, j.secondary = "Stopped", "MaxRuntimeExceeded"
			}
		}
	case "Stopping":
		if !now.Before(j.stopAt) {
			j.status, j.end, j.lastMo = "Stopped", j.stopAt, j.stopAt
			if j.secondary == "" || j.secondary == "Stopping" {
				j.secondary = "Stopped"
			}
		}
	}
}

func (st *sageMakerState) settleJobs(now time.Time) {
	if st.jobs == nil {
		return
	}
	for _, m := range st.jobs.byKind {
		for _, j := range m {
			j.settle(now)
		}
	}
}

// jobArnExists reports whether arn names one of the region's jobs.
func (st *sageMakerState) jobArnExists(arn string) bool {
	if st.jobs == nil {
		return false
	}
	for k, m := range st.jobs.byKind {
		if !strings.Contains(arn, ":"+jobKind(k).arnType()+"/") {
			continue
		}
		for _, j := range m {
			if j.arn == arn {
				return true
			}
		}
	}
	return false
}

// secondaryStatus is a training job's SecondaryStatus at now.
func (j *job) secondaryStatus(now time.Time) string {
	switch j.status {
	case "InProgress":
		switch {
		case now.Before(j.start):
			return "Starting"
		case !now.Before(j.plannedEnd.Add(-jobUploadDuration)):
			return "Uploading"
		}
		return "Training"
	case "Stopping":
		return "Stopping"
	}
	if j.secondary != "" {
		return j.secondary
	}
	return j.status
}

// trainingSeconds is the time the job ran on its instances (0 until it
// started), and billableSeconds what AWS bills of it: all of it on demand,
// the part not saved on spot.
func (j *job) trainingSeconds(now time.Time) int32 {
	end := now
	if !j.end.IsZero() {
		end = j.end
	}
	if end.Before(j.start) {
		return 0
	}
	return int32(end.Sub(j.start) / time.Second)
}

func (j *job) billableSeconds(now time.Time) int32 {
	t := j.trainingSeconds(now)
	if !j.spot {
		return t
	}
	return int32(int64(t) * int64(100-j.spotSavings) / 100)
}

func sageMakerJobOps() map[string]handler {
	return map[string]handler{
		"CreateTrainingJob":               op(createTrainingJob),
		"DescribeTrainingJob":             op(describeTrainingJob),
		"ListTrainingJobs":                op(listTrainingJobs),
		"StopTrainingJob":                 op(stopTrainingJob),
		"DescribeProcessingJob":           op(describeProcessingJob),
		"ListProcessingJobs":              op(listProcessingJobs),
		"StopProcessingJob":               op(stopProcessingJob),
		"DescribeTransformJob":            op(describeTransformJob),
		"ListTransformJobs":               op(listTransformJobs),
		"StopTransformJob":                op(stopTransformJob),
		"DescribeHyperParameterTuningJob": op(describeTuningJob),
		"ListHyperParameterTuningJobs":    op(listTuningJobs),
		"StopHyperParameterTuningJob":     op(stopTuningJob),
	}
}

// jobFor returns the named job of a kind, or SageMaker's not-found answer
// (a ValidationException for training and tuning jobs, ResourceNotFound for
// processing and transform jobs, as AWS answers).
func jobFor(c *Call, k jobKind, member string, name *string) (*job, error) {
	if e := required(member, name != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	st.settleJobs(c.Now)
	j, ok := st.jobsOf(k)[*name]
	if !ok {
		switch k {
		case processingJob, transformJob:
			return nil, &wire.Error{Code: "ResourceNotFound", Message: fmt.Sprintf("Could not find requested job with name %s", *name)}
		}
		return nil, validation("Requested resource not found.")
	}
	return j, nil
}

// stopJob starts stopping a job: only an InProgress job can be stopped.
func stopJob(c *Call, k jobKind, member string, name *string) error {
	j, err := jobFor(c, k, member, name)
	if err != nil {
		return err
	}
	if j.status != "InProgress" {
		return validation("The request was rejected because the %s is in status %s.", k.noun(), j.status)
	}
	j.status, j.lastMo, j.stopAt = "Stopping", c.Now, c.Now.Add(jobStopDuration)
	return nil
}

func stopTrainingJob(c *Call, in *sagemaker.StopTrainingJobInput) (*sagemaker.StopTrainingJobOutput, error) {
	if err := stopJob(c, trainingJob, "TrainingJobName", in.TrainingJobName); err != nil {
		return nil, err
	}
	return &sagemaker.StopTrainingJobOutput{}, nil
}

func stopProcessingJob(c *Call, in *sagemaker.StopProcessingJobInput) (*sagemaker.StopProcessingJobOutput, error) {
	if err := stopJob(c, processingJob, "ProcessingJobName", in.ProcessingJobName); err != nil {
		return nil, err
	}
	return &sagemaker.StopProcessingJobOutput{}, nil
}

func stopTransformJob(c *Call, in *sagemaker.StopTransformJobInput) (*sagemaker.StopTransformJobOutput, error) {
	if err := stopJob(c, transformJob, "TransformJobName", in.TransformJobName); err != nil {
		return nil, err
	}
	return &sagemaker.StopTransformJobOutput{}, nil
}

func stopTuningJob(c *Call, in *sagemaker.StopHyperParameterTuningJobInput) (*sagemaker.StopHyperParameterTuningJobOutput, error) {
	if err := stopJob(c, tuningJob, "HyperParameterTuningJobName", in.HyperParameterTuningJobName); err != nil {
		return nil, err
	}
	return &sagemaker.StopHyperParameterTuningJobOutput{}, nil
}

func createTrainingJob(c *Call, in *sagemaker.CreateTrainingJobInput) (*sagemaker.CreateTrainingJobOutput, error) {
	for _, r := range []struct {
		member  string
		present bool
	}{
		{"TrainingJobName", in.TrainingJobName != nil},
		{"AlgorithmSpecification", in.AlgorithmSpecification != nil},
		{"RoleArn", in.RoleArn != nil},
		{"OutputDataConfig", in.OutputDataConfig != nil},
		{"ResourceConfig", in.ResourceConfig != nil},
		{"StoppingCondition", in.StoppingCondition != nil},
	} {
		if e := required(r.member, r.present); e != nil {
			return nil, e
		}
	}
	rc, sc := in.ResourceConfig, in.StoppingCondition
	if rc.InstanceType == "" || rc.InstanceCount == nil {
		return nil, validation("Instance type and instance count must be specified in ResourceConfig.")
	}
	spot := aws.ToBool(in.EnableManagedSpotTraining)
	if spot && (sc.MaxWaitTimeInSeconds == nil || aws.ToInt32(sc.MaxWaitTimeInSeconds) < aws.ToInt32(sc.MaxRuntimeInSeconds)) {
		return nil, validation("Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds")
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	st.settleJobs(c.Now)
	name := *in.TrainingJobName
	arn := c.ARN("sagemaker", "training-job/"+strings.ToLower(name))
	jobs := st.jobsOf(trainingJob)
	if _, dup := jobs[name]; dup {
		return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Training job names must be unique within an AWS account and region, and a training job with this name already exists (%s)", arn)}
	}
	j := &job{
		kind: trainingJob, name: name, arn: arn, status: "InProgress", roleArn: *in.RoleArn,
		instanceType: string(rc.InstanceType), instanceCount: *rc.InstanceCount, volumeGB: aws.ToInt32(rc.VolumeSizeInGB),
		image: aws.ToString(in.AlgorithmSpecification.TrainingImage), inputMode: string(in.AlgorithmSpecification.TrainingInputMode),
		spot: spot, spotSavings: defaultSpotSavings,
		maxRuntime: aws.ToInt32(sc.MaxRuntimeInSeconds), maxWait: aws.ToInt32(sc.MaxWaitTimeInSeconds),
	}
	if j.maxRuntime == 0 {
		j.maxRuntime = defaultMaxRuntime
	}
	j.schedule(c.Now, defaultJobRun)
	if len(in.Tags) > 0 {
		if e := st.setTags(arn, in.Tags); e != nil {
			return nil, e
		}
	}
	jobs[name] = j
	return &sagemaker.CreateTrainingJobOutput{TrainingJobArn: aws.String(arn)}, nil
}

// schedule sets an InProgress job's timeline from its creation: it starts
// after the startup time and runs for run, or until its MaxRuntime.
func (j *job) schedule(created time.Time, run time.Duration) {
	j.created, j.lastMo = created, created
	j.start = created.Add(jobStartupDuration)
	if j.kind == trainingJob && j.maxRuntime > 0 && run > time.Duration(j.maxRuntime)*time.Second {
		run, j.cutOff = time.Duration(j.maxRuntime)*time.Second, true
	}
	j.plannedEnd = j.start.Add(run)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return aws.Time(t)
}

// startTime is nil until the job has started.
func (j *job) startTime(now time.Time) *time.Time {
	if now.Before(j.start) {
		return nil
	}
	return aws.Time(j.start)
}

func (j *job) stoppingCondition() *smtypes.StoppingCondition {
	sc := &smtypes.StoppingCondition{MaxRuntimeInSeconds: aws.Int32(j.maxRuntime)}
	if j.spot {
		sc.MaxWaitTimeInSeconds = aws.Int32(j.maxWait)
	}
	return sc
}

func (j *job) resourceConfig() *smtypes.ResourceConfig {
	return &smtypes.ResourceConfig{
		InstanceType:   smtypes.TrainingInstanceType(j.instanceType),
		InstanceCount:  aws.Int32(j.instanceCount),
		VolumeSizeInGB: aws.Int32(j.volumeGB),
	}
}

func (j *job) failure() *string {
	if j.failureReason == "" {
		return nil
	}
	return aws.String(j.failureReason)
}

// describeTraining renders a training job as DescribeTrainingJob does; Search
// records carry the same shape.
func (j *job) describeTraining(now time.Time) *sagemaker.DescribeTrainingJobOutput {
	out := &sagemaker.DescribeTrainingJobOutput{
		TrainingJobName:   aws.String(j.name),
		TrainingJobArn:    aws.String(j.arn),
		TrainingJobStatus: smtypes.TrainingJobStatus(j.status),
		SecondaryStatus:   smtypes.SecondaryStatus(j.secondaryStatus(now)),
		AlgorithmSpecification: &smtypes.AlgorithmSpecification{
			TrainingImage:     aws.String(j.image),
			TrainingInputMode: smtypes.TrainingInputMode(j.inputMode),
		},
		RoleArn:                   aws.String(j.roleArn),
		ResourceConfig:            j.resourceConfig(),
		StoppingCondition:         j.stoppingCondition(),
		EnableManagedSpotTraining: aws.Bool(j.spot),
		EnableNetworkIsolation:    aws.Bool(false),
		OutputDataConfig:          &smtypes.OutputDataConfig{S3OutputPath: aws.String("s3://sagemaker-" + regionOf(j.arn) + "-" + accountOf(j.arn) + "/" + j.name + "/output")},
		CreationTime:              aws.Time(j.created),
		LastModifiedTime:          aws.Time(j.lastMo),
		TrainingStartTime:         j.startTime(now),
		TrainingEndTime:           optTime(j.end),
		FailureReason:             j.failure(),
	}
	if !j.end.IsZero() {
		out.TrainingTimeInSeconds = aws.Int32(j.trainingSeconds(now))
		out.BillableTimeInSeconds = aws.Int32(j.billableSeconds(now))
		if j.status == "Completed" {
			out.ModelArtifacts = &smtypes.ModelArtifacts{S3ModelArtifacts: aws.String(*out.OutputDataConfig.S3OutputPath + "/" + j.name + "/output/model.tar.gz")}
		}
	}
	return out
}

// regionOf and accountOf read the parts of an ARN.
func regionOf(arn string) string  { return arnPart(arn, 3) }
func accountOf(arn string) string { return arnPart(arn, 4) }

func arnPart(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) <= i {
		return ""
	}
	return parts[i]
}

func describeTrainingJob(c *Call, in *sagemaker.DescribeTrainingJobInput) (*sagemaker.DescribeTrainingJobOutput, error) {
	j, err := jobFor(c, trainingJob, "TrainingJobName", in.TrainingJobName)
	if err != nil {
		return nil, err
	}
	return j.describeTraining(c.Now), nil
}

func describeProcessingJob(c *Call, in *sagemaker.DescribeProcessingJobInput) (*sagemaker.DescribeProcessingJobOutput, error) {
	j, err := jobFor(c, processingJob, "ProcessingJobName", in.ProcessingJobName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeProcessingJobOutput{
		ProcessingJobName:   aws.String(j.name),
		ProcessingJobArn:    aws.String(j.arn),
		ProcessingJobStatus: smtypes.ProcessingJobStatus(j.status),
		AppSpecification:    &smtypes.AppSpecification{ImageUri: aws.String(j.image)},
		ProcessingResources: &smtypes.ProcessingResources{ClusterConfig: &smtypes.ProcessingClusterConfig{
			InstanceType:   smtypes.ProcessingInstanceType(j.instanceType),
			InstanceCount:  aws.Int32(j.instanceCount),
			VolumeSizeInGB: aws.Int32(j.volumeGB),
		}},
		StoppingCondition:   &smtypes.ProcessingStoppingCondition{MaxRuntimeInSeconds: aws.Int32(j.maxRuntime)},
		RoleArn:             aws.String(j.roleArn),
		CreationTime:        aws.Time(j.created),
		LastModifiedTime:    aws.Time(j.lastMo),
		ProcessingStartTime: j.startTime(c.Now),
		ProcessingEndTime:   optTime(j.end),
		FailureReason:       j.failure(),
	}
	return out, nil
}

func describeTransformJob(c *Call, in *sagemaker.DescribeTransformJobInput) (*sagemaker.DescribeTransformJobOutput, error) {
	j, err := jobFor(c, transformJob, "TransformJobName", in.TransformJobName)
	if err != nil {
		return nil, err
	}
	bucket := "s3://sagemaker-" + c.Region.Name + "-" + c.Account.ID + "/" + j.name
	return &sagemaker.DescribeTransformJobOutput{
		TransformJobName:   aws.String(j.name),
		TransformJobArn:    aws.String(j.arn),
		TransformJobStatus: smtypes.TransformJobStatus(j.status),
		ModelName:          aws.String(j.modelName),
		TransformResources: &smtypes.TransformResources{
			InstanceType:  smtypes.TransformInstanceType(j.instanceType),
			InstanceCount: aws.Int32(j.instanceCount),
		},
		TransformInput: &smtypes.TransformInput{DataSource: &smtypes.TransformDataSource{S3DataSource: &smtypes.TransformS3DataSource{
			S3DataType: smtypes.S3DataTypeS3Prefix, S3Uri: aws.String(bucket + "/input"),
		}}},
		TransformOutput:    &smtypes.TransformOutput{S3OutputPath: aws.String(bucket + "/output")},
		CreationTime:       aws.Time(j.created),
		TransformStartTime: j.startTime(c.Now),
		TransformEndTime:   optTime(j.end),
		FailureReason:      j.failure(),
	}, nil
}

// tuningCounters estimates a tuning job's training job counters at now:
// the job runs maxJobs training jobs, maxParallel at a time, evenly over
// its run time.
func (j *job) tuningCounters(now time.Time) (*smtypes.TrainingJobStatusCounters, *smtypes.ObjectiveStatusCounters) {
	done := j.maxJobs
	var running int32
	if j.status != "Completed" {
		total := j.plannedEnd.Sub(j.start)
		end := now
		if !j.end.IsZero() {
			end = j.end
		}
		elapsed := end.Sub(j.start)
		done = 0
		if total > 0 && elapsed > 0 {
			done = int32(int64(j.maxJobs) * int64(elapsed) / int64(total))
		}
		if done >= j.maxJobs {
			done = j.maxJobs - 1
		}
		if done < 0 {
			done = 0
		}
		running = min(j.maxParallel, j.maxJobs-done)
	}
	tc := &smtypes.TrainingJobStatusCounters{
		Completed: aws.Int32(done), InProgress: aws.Int32(0), Stopped: aws.Int32(0),
		NonRetryableError: aws.Int32(0), RetryableError: aws.Int32(0),
	}
	oc := &smtypes.ObjectiveStatusCounters{Succeeded: aws.Int32(done), Pending: aws.Int32(0), Failed: aws.Int32(0)}
	switch j.status {
	case "InProgress", "Stopping":
		tc.InProgress, oc.Pending = aws.Int32(running), aws.Int32(running)
	case "Stopped", "Failed":
		tc.Stopped = aws.Int32(running)
	}
	return tc, oc
}

func (j *job) tuningConfig() *smtypes.HyperParameterTuningJobConfig {
	return &smtypes.HyperParameterTuningJobConfig{
		Strategy: smtypes.HyperParameterTuningJobStrategyType(j.strategy),
		ResourceLimits: &smtypes.ResourceLimits{
			MaxNumberOfTrainingJobs: aws.Int32(j.maxJobs),
			MaxParallelTrainingJobs: aws.Int32(j.maxParallel),
		},
		HyperParameterTuningJobObjective: &smtypes.HyperParameterTuningJobObjective{
			Type: smtypes.HyperParameterTuningJobObjectiveType(j.objective), MetricName: aws.String(j.objMetric),
		},
		TrainingJobEarlyStoppingType: smtypes.TrainingJobEarlyStoppingTypeOff,
	}
}

// describeTuning renders a tuning job as DescribeHyperParameterTuningJob
// does; Search records carry the same shape.
func (j *job) describeTuning(now time.Time) *sagemaker.DescribeHyperParameterTuningJobOutput {
	tc, oc := j.tuningCounters(now)
	end := j.end
	if end.IsZero() {
		end = now
	}
	runtime := int32(0)
	if end.After(j.start) {
		runtime = int32(end.Sub(j.start) / time.Second)
	}
	return &sagemaker.DescribeHyperParameterTuningJobOutput{
		HyperParameterTuningJobName:   aws.String(j.name),
		HyperParameterTuningJobArn:    aws.String(j.arn),
		HyperParameterTuningJobStatus: smtypes.HyperParameterTuningJobStatus(j.status),
		HyperParameterTuningJobConfig: j.tuningConfig(),
		TrainingJobDefinition: &smtypes.HyperParameterTrainingJobDefinition{
			AlgorithmSpecification: &smtypes.HyperParameterAlgorithmSpecification{
				TrainingImage:     aws.String(j.image),
				TrainingInputMode: smtypes.TrainingInputMode(j.inputMode),
			},
			RoleArn:                   aws.String(j.roleArn),
			ResourceConfig:            j.resourceConfig(),
			StoppingCondition:         j.stoppingCondition(),
			EnableManagedSpotTraining: aws.Bool(j.spot),
			OutputDataConfig:          &smtypes.OutputDataConfig{S3OutputPath: aws.String("s3://sagemaker-" + regionOf(j.arn) + "-" + accountOf(j.arn) + "/" + j.name)},
		},
		TrainingJobStatusCounters:   tc,
		ObjectiveStatusCounters:     oc,
		ConsumedResources:           &smtypes.HyperParameterTuningJobConsumedResources{RuntimeInSeconds: aws.Int32(runtime)},
		CreationTime:                aws.Time(j.created),
		LastModifiedTime:            aws.Time(j.lastMo),
		HyperParameterTuningEndTime: optTime(j.end),
		FailureReason:               j.failure(),
	}
}

func describeTuningJob(c *Call, in *sagemaker.DescribeHyperParameterTuningJobInput) (*sagemaker.DescribeHyperParameterTuningJobOutput, error) {
	j, err := jobFor(c, tuningJob, "HyperParameterTuningJobName", in.HyperParameterTuningJobName)
	if err != nil {
		return nil, err
	}
	return j.describeTuning(c.Now), nil
}

// jobFilter is the filter every List*Jobs call takes.
type jobFilter struct {
	listQuery                // what to keep; nameContains ignores case for jobs
	sortBy            string // Name, CreationTime, Status
	descending        bool
	statusAfterPaging bool // ListTrainingJobs: StatusEquals applies to the page
	nextToken         *string
	maxResults        *int32
}

// Job listings return 10 results by default and at most 100, as AWS does.
const (
	defaultJobPage = 10
	maxJobPage     = 100
)

// listJobs filters, sorts and pages the region's jobs of a kind.
func listJobs(c *Call, k jobKind, f jobFilter) ([]*job, *string, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	st.settleJobs(c.Now)
	q := f.listQuery
	q.anyCase = true
	if f.statusAfterPaging {
		q.status = "" // applied to the page below
	}
	key := func(j *job) listed {
		return listed{name: j.name, status: j.status, created: j.created, lastMo: j.lastMo}
	}
	items := selectListed(st.jobsOf(k), q, key, nil, f.sortBy, f.descending)
	max := f.maxResults
	if max == nil {
		max = aws.Int32(defaultJobPage)
	}
	page, next, err := paginate(items, f.nextToken, max, maxJobPage)
	if err != nil {
		return nil, nil, err
	}
	if f.status != "" && f.statusAfterPaging {
		kept := make([]*job, 0, len(page))
		for _, j := range page {
			if j.status == f.status {
				kept = append(kept, j)
			}
		}
		page = kept
	}
	return page, next, nil
}

func listTrainingJobs(c *Call, in *sagemaker.ListTrainingJobsInput) (*sagemaker.ListTrainingJobsOutput, error) {
	// AWS's default order is CreationTime, newest first (its documentation
	// says Ascending, but the service and the StatusEquals note agree on
	// newest first).
	page, next, err := listJobs(c, trainingJob, jobFilter{
		listQuery: listQuery{
			nameContains: in.NameContains, status: string(in.StatusEquals),
			createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
			modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
		}, statusAfterPaging: true,
		sortBy: string(in.SortBy), descending: in.SortOrder != smtypes.SortOrderAscending,
		nextToken: in.NextToken, maxResults: in.MaxResults,
	})
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListTrainingJobsOutput{NextToken: next, TrainingJobSummaries: []smtypes.TrainingJobSummary{}}
	for _, j := range page {
		out.TrainingJobSummaries = append(out.TrainingJobSummaries, smtypes.TrainingJobSummary{
			TrainingJobName:   aws.String(j.name),
			TrainingJobArn:    aws.String(j.arn),
			TrainingJobStatus: smtypes.TrainingJobStatus(j.status),
			SecondaryStatus:   smtypes.SecondaryStatus(j.secondaryStatus(c.Now)),
			CreationTime:      aws.Time(j.created),
			LastModifiedTime:  aws.Time(j.lastMo),
			TrainingEndTime:   optTime(j.end),
		})
	}
	return out, nil
}

func listProcessingJobs(c *Call, in *sagemaker.ListProcessingJobsInput) (*sagemaker.ListProcessingJobsOutput, error) {
	page, next, err := listJobs(c, processingJob, jobFilter{
		listQuery: listQuery{
			nameContains: in.NameContains, status: string(in.StatusEquals),
			createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
			modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
		},
		sortBy: string(in.SortBy), descending: in.SortOrder != smtypes.SortOrderAscending,
		nextToken: in.NextToken, maxResults: in.MaxResults,
	})
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListProcessingJobsOutput{NextToken: next, ProcessingJobSummaries: []smtypes.ProcessingJobSummary{}}
	for _, j := range page {
		out.ProcessingJobSummaries = append(out.ProcessingJobSummaries, smtypes.ProcessingJobSummary{
			ProcessingJobName:   aws.String(j.name),
			ProcessingJobArn:    aws.String(j.arn),
			ProcessingJobStatus: smtypes.ProcessingJobStatus(j.status),
			CreationTime:        aws.Time(j.created),
			LastModifiedTime:    aws.Time(j.lastMo),
			ProcessingEndTime:   optTime(j.end),
			FailureReason:       j.failure(),
		})
	}
	return out, nil
}

func listTransformJobs(c *Call, in *sagemaker.ListTransformJobsInput) (*sagemaker.ListTransformJobsOutput, error) {
	page, next, err := listJobs(c, transformJob, jobFilter{
		listQuery: listQuery{
			nameContains: in.NameContains, status: string(in.StatusEquals),
			createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
			modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
		},
		sortBy: string(in.SortBy), descending: in.SortOrder != smtypes.SortOrderAscending,
		nextToken: in.NextToken, maxResults: in.MaxResults,
	})
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListTransformJobsOutput{NextToken: next, TransformJobSummaries: []smtypes.TransformJobSummary{}}
	for _, j := range page {
		out.TransformJobSummaries = append(out.TransformJobSummaries, smtypes.TransformJobSummary{
			TransformJobName:   aws.String(j.name),
			TransformJobArn:    aws.String(j.arn),
			TransformJobStatus: smtypes.TransformJobStatus(j.status),
			CreationTime:       aws.Time(j.created),
			LastModifiedTime:   aws.Time(j.lastMo),
			TransformEndTime:   optTime(j.end),
			FailureReason:      j.failure(),
		})
	}
	return out, nil
}

func listTuningJobs(c *Call, in *sagemaker.ListHyperParameterTuningJobsInput) (*sagemaker.ListHyperParameterTuningJobsOutput, error) {
	// Tuning jobs sort by Name, Ascending, unless told otherwise.
	sort := "Name"
	switch in.SortBy {
	case smtypes.HyperParameterTuningJobSortByOptionsCreationTime:
		sort = "CreationTime"
	case smtypes.HyperParameterTuningJobSortByOptionsStatus:
		sort = "Status"
	}
	page, next, err := listJobs(c, tuningJob, jobFilter{
		listQuery: listQuery{
			nameContains: in.NameContains, status: string(in.StatusEquals),
			createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
			modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
		},
		sortBy: sort, descending: in.SortOrder == smtypes.SortOrderDescending,
		nextToken: in.NextToken, maxResults: in.MaxResults,
	})
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListHyperParameterTuningJobsOutput{NextToken: next, HyperParameterTuningJobSummaries: []smtypes.HyperParameterTuningJobSummary{}}
	for _, j := range page {
		tc, oc := j.tuningCounters(c.Now)
		out.HyperParameterTuningJobSummaries = append(out.HyperParameterTuningJobSummaries, smtypes.HyperParameterTuningJobSummary{
			HyperParameterTuningJobName:   aws.String(j.name),
			HyperParameterTuningJobArn:    aws.String(j.arn),
			HyperParameterTuningJobStatus: smtypes.HyperParameterTuningJobStatus(j.status),
			Strategy:                      smtypes.HyperParameterTuningJobStrategyType(j.strategy),
			TrainingJobStatusCounters:     tc,
			ObjectiveStatusCounters:       oc,
			ResourceLimits: &smtypes.ResourceLimits{
				MaxNumberOfTrainingJobs: aws.Int32(j.maxJobs),
				MaxParallelTrainingJobs: aws.Int32(j.maxParallel),
			},
			CreationTime:                aws.Time(j.created),
			LastModifiedTime:            aws.Time(j.lastMo),
			HyperParameterTuningEndTime: optTime(j.end),
		})
	}
	return out, nil
}

// JobScenario is a training, processing, transform or tuning job.
type JobScenario struct {
	Name string `yaml:"name"`
	// InstanceType and InstanceCount (default 1) of the job's cluster.
	InstanceType  string `yaml:"instanceType"`
	InstanceCount int32  `yaml:"instanceCount,omitempty"`
	VolumeSizeGB  int32  `yaml:"volumeSizeGB,omitempty"` // default 30
	// Image is the training image, processing image or (transform) ignored.
	Image string `yaml:"image,omitempty"`
	// Age is the time since CreateX; Duration how long the job runs after
	// its start (startup takes 4 minutes); default 30m.
	Age      Age `yaml:"age,omitempty"`
	Duration Age `yaml:"duration,omitempty"`
	// Status: empty derives InProgress or Completed from age and duration.
	// Completed, Failed and Stopped end the job at the earlier of its
	// planned end and now; InProgress needs a planned end after now;
	// Stopping stops it now.
	Status        string `yaml:"status,omitempty"`
	FailureReason string `yaml:"failureReason,omitempty"`
	// Spot enables managed spot training; SpotSavings is the percent of
	// the training time not billed (default 70).
	Spot        bool `yaml:"spot,omitempty"`
	SpotSavings *int `yaml:"spotSavings,omitempty"`
	// MaxRuntime is the stopping condition (default 1 day).
	MaxRuntime Age `yaml:"maxRuntime,omitempty"`
	// Model is a transform job's model name (default NAME-model).
	Model string `yaml:"model,omitempty"`
	// MaxJobs and MaxParallel are a tuning job's resource limits
	// (default 20 and 2); Strategy defaults to Bayesian.
	MaxJobs     int32             `yaml:"maxJobs,omitempty"`
	MaxParallel int32             `yaml:"maxParallel,omitempty"`
	Strategy    string            `yaml:"strategy,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty"`
	// HostMetrics are a training job's instance metrics in
	// /aws/sagemaker/TrainingJobs (dimension Host = NAME/algo-N, one host
	// per instance), as the average percent over the job's run:
	// CPUUtilization, MemoryUtilization, GPUUtilization,
	// GPUMemoryUtilization, DiskUtilization. They are published from the
	// job's start to its end (ongoing while it runs), every minute, with
	// 10% noise; use `metrics:` with `trainingJob:` for anything finer.
	HostMetrics map[string]float64 `yaml:"hostMetrics,omitempty"`
}

// trainingHostMetrics are the metrics a training job's hosts publish.
var trainingHostMetrics = map[string]bool{
	"CPUUtilization": true, "MemoryUtilization": true, "GPUUtilization": true,
	"GPUMemoryUtilization": true, "DiskUtilization": true,
}

// loadHostMetrics adds a training job's host metric histories to the
// region's CloudWatch, through the CloudWatch scenario's own generators.
func loadHostMetrics(r *Region, j *job, metrics map[string]float64, now time.Time, field string) error {
	names := make([]string, 0, len(metrics))
	for name := range metrics {
		names = append(names, name)
	}
	sort.Strings(names)
	age := func(t time.Time) Age { return Age(fmt.Sprintf("%ds", int64(now.Sub(t)/time.Second))) }
	for _, name := range names {
		if j.kind != trainingJob {
			return fmt.Errorf("%s.hostMetrics: only training jobs publish host metrics", field)
		}
		if !trainingHostMetrics[name] {
			return fmt.Errorf("%s.hostMetrics.%s: not a training host metric (CPUUtilization, MemoryUtilization, GPUUtilization, GPUMemoryUtilization, DiskUtilization)", field, name)
		}
		if !j.start.Before(now) {
			continue // not started: nothing published yet
		}
		for host := 1; host <= int(j.instanceCount); host++ {
			v := metrics[name]
			ms := MetricScenario{Metric: name, TrainingJob: j.name, Host: fmt.Sprintf("algo-%d", host), Value: &v, From: age(j.start), Noise: 0.1}
			if !j.end.IsZero() {
				ms.To = age(j.end)
			}
			m, g, err := ms.build(now)
			if err != nil {
				return fmt.Errorf("%s.hostMetrics.%s: %w", field, name, err)
			}
			cm := r.CloudWatch.metricFor(m.namespace, m.name, m.dims)
			cm.unit = m.unit
			if g.seed == 0 {
				h := fnv.New64a()
				h.Write([]byte(cm.key))
				g.seed = h.Sum64()
			}
			cm.gens = append(cm.gens, g)
		}
	}
	return nil
}

// loadJobs seeds a region's jobs from its scenario.
func loadJobs(r *Region, rs RegionScenario, now time.Time, path string) error {
	kinds := []struct {
		kind  jobKind
		field string
		jobs  []JobScenario
	}{
		{trainingJob, "trainingJobs", rs.TrainingJobs},
		{processingJob, "processingJobs", rs.ProcessingJobs},
		{transformJob, "transformJobs", rs.TransformJobs},
		{tuningJob, "tuningJobs", rs.TuningJobs},
	}
	st := r.SageMaker
	for _, k := range kinds {
		for i, js := range k.jobs {
			field := fmt.Sprintf("%s.%s[%d]", path, k.field, i)
			j, err := newScenarioJob(r, k.kind, js, now, field)
			if err != nil {
				return err
			}
			m := st.jobsOf(k.kind)
			if _, dup := m[j.name]; dup {
				return fmt.Errorf("%s.name: duplicate %s %q", field, k.kind.noun(), j.name)
			}
			m[j.name] = j
			if err := st.setTags(j.arn, tagList(js.Tags)); err != nil {
				return fmt.Errorf("%s.tags: %s", field, err.Message)
			}
			if err := loadHostMetrics(r, j, js.HostMetrics, now, field); err != nil {
				return err
			}
		}
	}
	return nil
}

func newScenarioJob(r *Region, k jobKind, js JobScenario, now time.Time, field string) (*job, error) {
	if js.Name == "" || js.InstanceType == "" {
		return nil, fmt.Errorf("%s: name and instanceType are required", field)
	}
	if !strings.HasPrefix(js.InstanceType, "ml.") {
		return nil, fmt.Errorf("%s.instanceType: %q is not an ml.* instance type", field, js.InstanceType)
	}
	age, err := js.Age.Duration()
	if err != nil {
		return nil, fmt.Errorf("%s.age: %w", field, err)
	}
	run := defaultJobRun
	if js.Duration != "" {
		if run, err = js.Duration.Duration(); err != nil {
			return nil, fmt.Errorf("%s.duration: %w", field, err)
		}
	}
	maxRuntime := int32(defaultMaxRuntime)
	if js.MaxRuntime != "" {
		d, err := js.MaxRuntime.Duration()
		if err != nil {
			return nil, fmt.Errorf("%s.maxRuntime: %w", field, err)
		}
		maxRuntime = int32(d / time.Second)
	}
	j := &job{
		kind: k, name: js.Name,
		arn:           fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s/%s", r.Name, r.AccountID, k.arnType(), strings.ToLower(js.Name)),
		status:        "InProgress",
		roleArn:       fmt.Sprintf("arn:aws:iam::%s:role/SageMakerExecution", r.AccountID),
		instanceType:  js.InstanceType,
		instanceCount: js.InstanceCount,
		volumeGB:      js.VolumeSizeGB,
		image:         js.Image,
		inputMode:     "File",
		spot:          js.Spot,
		spotSavings:   defaultSpotSavings,
		maxRuntime:    maxRuntime,
		failureReason: js.FailureReason,
		modelName:     js.Model,
		strategy:      js.Strategy,
		maxJobs:       js.MaxJobs,
		maxParallel:   js.MaxParallel,
		objective:     "Maximize", objMetric: "validation:accuracy",
	}
	if j.instanceCount == 0 {
		j.instanceCount = 1
	}
	if j.volumeGB == 0 {
		j.volumeGB = 30
	}
	if js.SpotSavings != nil {
		if *js.SpotSavings < 0 || *js.SpotSavings > 100 {
			return nil, fmt.Errorf("%s.spotSavings: %d is not a percentage", field, *js.SpotSavings)
		}
		j.spotSavings = *js.SpotSavings
	}
	if j.spot {
		j.maxWait = 2 * maxRuntime
	}
	if j.modelName == "" {
		j.modelName = js.Name + "-model"
	}
	if k == tuningJob {
		if j.strategy == "" {
			j.strategy = "Bayesian"
		}
		if j.maxJobs == 0 {
			j.maxJobs = 20
		}
		if j.maxParallel == 0 {
			j.maxParallel = 2
		}
	}
	if j.image == "" {
		j.image = fmt.Sprintf("683313688378.dkr.ecr.%s.amazonaws.com/sagemaker-xgboost:1.7-1", r.Name)
	}
	j.schedule(now.Add(-age), run)
	switch js.Status {
	case "":
		j.settle(now)
	case "InProgress":
		if !now.Before(j.plannedEnd) {
			return nil, fmt.Errorf("%s.status: InProgress, but a job created %s ago that runs %s after a %s startup has ended: raise duration", field, js.Age, run, jobStartupDuration)
		}
	case "Completed", "Failed", "Stopped":
		end := j.plannedEnd
		if now.Before(end) {
			end = now
		}
		j.status, j.end, j.lastMo = js.Status, end, end
		if js.Status == "Failed" && j.failureReason == "" {
			j.failureReason = "AlgorithmError: ExecuteUserScriptError: exit code 1"
		}
	case "Stopping":
		if !now.Before(j.plannedEnd) {
			return nil, fmt.Errorf("%s.status: Stopping, but the job has already ended: raise duration", field)
		}
		j.status, j.lastMo, j.stopAt = "Stopping", now, now.Add(jobStopDuration)
	default:
		return nil, fmt.Errorf("%s.status: %q is not one of InProgress, Completed, Failed, Stopping, Stopped", field, js.Status)
	}
	return j, nil
}
