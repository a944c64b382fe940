package emulator

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// Search over training and tuning jobs (the TrainingJob and
// HyperParameterTuningJob resource types). A record carries what
// DescribeTrainingJob (or DescribeHyperParameterTuningJob) returns, plus
// the job's tags, as on AWS; properties are named as in those shapes
// ("TrainingJobStatus", "ResourceConfig.InstanceType", "Tags.team").

// jobProp is one searchable property of a job record.
type jobProp struct {
	kind valueKind
	get  func(d *jobDoc, dst []searchValue) []searchValue
}

func textProp(f func(d *jobDoc) string) jobProp {
	return jobProp{kindText, func(d *jobDoc, dst []searchValue) []searchValue {
		if v := f(d); v != "" {
			return textValue(dst, v)
		}
		return dst
	}}
}

func numberProp(f func(d *jobDoc) (float64, bool)) jobProp {
	return jobProp{kindNumber, func(d *jobDoc, dst []searchValue) []searchValue {
		if v, ok := f(d); ok {
			return numberValue(dst, v)
		}
		return dst
	}}
}

func timeProp(f func(d *jobDoc) time.Time) jobProp {
	return jobProp{kindTime, func(d *jobDoc, dst []searchValue) []searchValue {
		if t := f(d); !t.IsZero() {
			return timeValue(dst, t)
		}
		return dst
	}}
}

func boolProp(f func(d *jobDoc) bool) jobProp {
	return jobProp{kindBool, func(d *jobDoc, dst []searchValue) []searchValue { return boolValue(dst, f(d)) }}
}

// startedAt is the job's start, zero until it has started.
func (d *jobDoc) startedAt() time.Time {
	if d.now.Before(d.j.start) {
		return time.Time{}
	}
	return d.j.start
}

// commonJobProps are the properties both job records share, by the names
// of the resource config in a training job; tuning jobs prefix them with
// "TrainingJobDefinition." (see tuningProps).
func resourceProps(prefix string) map[string]jobProp {
	return map[string]jobProp{
		prefix + "ResourceConfig.InstanceType":              textProp(func(d *jobDoc) string { return d.j.instanceType }),
		prefix + "ResourceConfig.InstanceCount":             numberProp(func(d *jobDoc) (float64, bool) { return float64(d.j.instanceCount), true }),
		prefix + "ResourceConfig.VolumeSizeInGB":            numberProp(func(d *jobDoc) (float64, bool) { return float64(d.j.volumeGB), true }),
		prefix + "AlgorithmSpecification.TrainingImage":     textProp(func(d *jobDoc) string { return d.j.image }),
		prefix + "AlgorithmSpecification.TrainingInputMode": textProp(func(d *jobDoc) string { return d.j.inputMode }),
		prefix + "StoppingCondition.MaxRuntimeInSeconds":    numberProp(func(d *jobDoc) (float64, bool) { return float64(d.j.maxRuntime), true }),
		prefix + "StoppingCondition.MaxWaitTimeInSeconds":   numberProp(func(d *jobDoc) (float64, bool) { return float64(d.j.maxWait), d.j.spot }),
		prefix + "EnableManagedSpotTraining":                boolProp(func(d *jobDoc) bool { return d.j.spot }),
		prefix + "RoleArn":                                  textProp(func(d *jobDoc) string { return d.j.roleArn }),
	}
}

var trainingProps = func() map[string]jobProp {
	m := resourceProps("")
	for k, v := range map[string]jobProp{
		"TrainingJobName":   textProp(func(d *jobDoc) string { return d.j.name }),
		"TrainingJobArn":    textProp(func(d *jobDoc) string { return d.j.arn }),
		"TrainingJobStatus": textProp(func(d *jobDoc) string { return d.j.status }),
		"SecondaryStatus":   textProp(func(d *jobDoc) string { return d.j.secondaryStatus(d.now) }),
		"FailureReason":     textProp(func(d *jobDoc) string { return d.j.failureReason }),
		"CreationTime":      timeProp(func(d *jobDoc) time.Time { return d.j.created }),
		"LastModifiedTime":  timeProp(func(d *jobDoc) time.Time { return d.j.lastMo }),
		"TrainingStartTime": timeProp(func(d *jobDoc) time.Time { return d.startedAt() }),
		"TrainingEndTime":   timeProp(func(d *jobDoc) time.Time { return d.j.end }),
		"TrainingTimeInSeconds": numberProp(func(d *jobDoc) (float64, bool) {
			return float64(d.j.trainingSeconds(d.now)), !d.j.end.IsZero()
		}),
		"BillableTimeInSeconds": numberProp(func(d *jobDoc) (float64, bool) {
			return float64(d.j.billableSeconds(d.now)), !d.j.end.IsZero()
		}),
	} {
		m[k] = v
	}
	return m
}()

var tuningProps = func() map[string]jobProp {
	m := resourceProps("TrainingJobDefinition.")
	for k, v := range map[string]jobProp{
		"HyperParameterTuningJobName":            textProp(func(d *jobDoc) string { return d.j.name }),
		"HyperParameterTuningJobArn":             textProp(func(d *jobDoc) string { return d.j.arn }),
		"HyperParameterTuningJobStatus":          textProp(func(d *jobDoc) string { return d.j.status }),
		"FailureReason":                          textProp(func(d *jobDoc) string { return d.j.failureReason }),
		"CreationTime":                           timeProp(func(d *jobDoc) time.Time { return d.j.created }),
		"LastModifiedTime":                       timeProp(func(d *jobDoc) time.Time { return d.j.lastMo }),
		"HyperParameterTuningEndTime":            timeProp(func(d *jobDoc) time.Time { return d.j.end }),
		"HyperParameterTuningJobConfig.Strategy": textProp(func(d *jobDoc) string { return d.j.strategy }),
		"HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs": numberProp(func(d *jobDoc) (float64, bool) {
			return float64(d.j.maxJobs), true
		}),
		"HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs": numberProp(func(d *jobDoc) (float64, bool) {
			return float64(d.j.maxParallel), true
		}),
	} {
		m[k] = v
	}
	return m
}()

// jobDoc is a training or tuning job as a Search record.
type jobDoc struct {
	j     *job
	now   time.Time
	tags  []smtypes.Tag
	props map[string]jobProp
}

func (d *jobDoc) id() string { return d.j.name }

func (d *jobDoc) prop(dst []searchValue, name string) []searchValue {
	if p, ok := d.props[name]; ok {
		return p.get(d, dst)
	}
	if key, ok := strings.CutPrefix(name, "Tags."); ok {
		for _, t := range d.tags {
			if aws.ToString(t.Key) == key {
				return textValue(dst, aws.ToString(t.Value))
			}
		}
	}
	return dst
}

func (d *jobDoc) nested(string) []searchDoc { return nil }

func (d *jobDoc) record() smtypes.SearchRecord {
	tags := append([]smtypes.Tag{}, d.tags...)
	if d.j.kind == tuningJob {
		t := d.j.describeTuning(d.now)
		return smtypes.SearchRecord{HyperParameterTuningJob: &smtypes.HyperParameterTuningJobSearchEntity{
			HyperParameterTuningJobName:   t.HyperParameterTuningJobName,
			HyperParameterTuningJobArn:    t.HyperParameterTuningJobArn,
			HyperParameterTuningJobStatus: t.HyperParameterTuningJobStatus,
			HyperParameterTuningJobConfig: t.HyperParameterTuningJobConfig,
			TrainingJobDefinition:         t.TrainingJobDefinition,
			TrainingJobStatusCounters:     t.TrainingJobStatusCounters,
			ObjectiveStatusCounters:       t.ObjectiveStatusCounters,
			ConsumedResources:             t.ConsumedResources,
			CreationTime:                  t.CreationTime,
			LastModifiedTime:              t.LastModifiedTime,
			HyperParameterTuningEndTime:   t.HyperParameterTuningEndTime,
			FailureReason:                 t.FailureReason,
			Tags:                          tags,
		}}
	}
	t := d.j.describeTraining(d.now)
	return smtypes.SearchRecord{TrainingJob: &smtypes.TrainingJob{
		TrainingJobName:           t.TrainingJobName,
		TrainingJobArn:            t.TrainingJobArn,
		TrainingJobStatus:         t.TrainingJobStatus,
		SecondaryStatus:           t.SecondaryStatus,
		AlgorithmSpecification:    t.AlgorithmSpecification,
		RoleArn:                   t.RoleArn,
		ResourceConfig:            t.ResourceConfig,
		StoppingCondition:         t.StoppingCondition,
		EnableManagedSpotTraining: t.EnableManagedSpotTraining,
		EnableNetworkIsolation:    t.EnableNetworkIsolation,
		OutputDataConfig:          t.OutputDataConfig,
		ModelArtifacts:            t.ModelArtifacts,
		CreationTime:              t.CreationTime,
		LastModifiedTime:          t.LastModifiedTime,
		TrainingStartTime:         t.TrainingStartTime,
		TrainingEndTime:           t.TrainingEndTime,
		TrainingTimeInSeconds:     t.TrainingTimeInSeconds,
		BillableTimeInSeconds:     t.BillableTimeInSeconds,
		FailureReason:             t.FailureReason,
		Tags:                      tags,
	}}
}

// jobSearch is the searchType of a job kind.
func jobSearch(k jobKind, props map[string]jobProp) searchType {
	return searchType{
		docs: func(c *Call) []searchDoc {
			st := c.Region.SageMaker
			st.settle(c.Now)
			st.settleJobs(c.Now)
			jobs := st.jobsOf(k)
			docs := make([]jobDoc, 0, len(jobs))
			out := make([]searchDoc, 0, len(jobs))
			for _, j := range jobs {
				docs = append(docs, jobDoc{j: j, now: c.Now, tags: st.tags[j.arn], props: props})
				out = append(out, &docs[len(docs)-1])
			}
			return out
		},
		kind: func(name string) (valueKind, bool) {
			if p, ok := props[name]; ok {
				return p.kind, true
			}
			if key, ok := strings.CutPrefix(name, "Tags."); ok && key != "" {
				return kindText, true
			}
			return 0, false
		},
	}
}

func trainingJobSearch() searchType { return jobSearch(trainingJob, trainingProps) }
func tuningJobSearch() searchType   { return jobSearch(tuningJob, tuningProps) }
