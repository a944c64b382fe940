// Package resource is sagesaver's model of a billable SageMaker resource:
// its kind, its billing stage and what a scan knows about it. It imports no
// AWS SDK package, so that the pure packages built on it (idle, policy, cost,
// report) stay small and are tested with plain values.
package resource

import (
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

// Kind is a kind of SageMaker resource.
type Kind string

// The kinds sagesaver inventories.
const (
	NotebookInstance   Kind = "notebook-instance"
	Endpoint           Kind = "endpoint"
	InferenceComponent Kind = "inference-component"
	StudioDomain       Kind = "studio-domain"
	StudioSpace        Kind = "studio-space"
	StudioApp          Kind = "studio-app"
	TrainingJob        Kind = "training-job"
	TuningJob          Kind = "tuning-job"
	ProcessingJob      Kind = "processing-job"
	TransformJob       Kind = "transform-job"
	// CanvasApp is a Studio app of type Canvas: billed per session-hour
	// from login until the app is deleted.
	CanvasApp Kind = "canvas-app"
	// MLflowTrackingServer is a managed MLflow tracking server, billed
	// per hour while it runs.
	MLflowTrackingServer Kind = "mlflow-tracking-server"
	// HyperPodCluster is a HyperPod cluster; every node bills by the hour.
	HyperPodCluster Kind = "hyperpod-cluster"
	// SpaceStorage is a Studio space's EBS volume, billed while the space
	// exists, apps running or not.
	SpaceStorage Kind = "space-storage"
)

// Stage is a part of the bill as AWS breaks it down.
type Stage string

// The stages.
const (
	StageBuild      Stage = "build"
	StageProcessing Stage = "processing"
	StageTraining   Stage = "training"
	StageTransform  Stage = "batch-transform"
	StageInference  Stage = "inference"
)

// Stages lists the stages in display order.
var Stages = []Stage{StageBuild, StageProcessing, StageTraining, StageTransform, StageInference}

// StageOf returns the stage a kind is billed under.
func StageOf(k Kind) Stage {
	switch k {
	case NotebookInstance, StudioDomain, StudioSpace, StudioApp, CanvasApp, MLflowTrackingServer, SpaceStorage:
		return StageBuild
	case ProcessingJob:
		return StageProcessing
	case TrainingJob, TuningJob, HyperPodCluster:
		return StageTraining
	case TransformJob:
		return StageTransform
	}
	return StageInference
}

// Resource is one billable thing: a notebook instance, one production
// variant of an endpoint, a Studio app, a job. Fields that do not apply to a
// kind are zero.
type Resource struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Kind    Kind   `json:"kind"`
	Name    string `json:"name"`
	ARN     string `json:"arn,omitempty"`
	Status  string `json:"status"`
	// Variant is the production variant of an endpoint or the instance
	// group of a HyperPod cluster ("" otherwise).
	Variant string `json:"variant,omitempty"`
	// Parent is the endpoint of an inference component, or the domain
	// (id) of a Studio space, its storage or an app (Canvas apps included).
	Parent        string `json:"parent,omitempty"`
	InstanceType  string `json:"instance_type"`
	InstanceCount int    `json:"instance_count"`
	// Serverless and Async mark endpoint variants that are not billed (or
	// not only billed) per instance hour.
	Serverless bool `json:"serverless,omitempty"`
	Async      bool `json:"async,omitempty"`
	// Shadow marks a shadow production variant.
	Shadow bool `json:"shadow,omitempty"`
	// AppType is the Studio app type (JupyterLab, KernelGateway, ...).
	AppType string `json:"app_type,omitempty"`
	// VolumeGB is the ML storage volume attached (notebooks, jobs), or a
	// Studio space's EBS volume (SpaceStorage).
	VolumeGB int `json:"volume_gb,omitempty"`
	// Size is an MLflow tracking server's size: Small, Medium or Large.
	Size string `json:"size,omitempty"`
	// Image is the container image (endpoints, jobs).
	Image string `json:"image,omitempty"`
	// Spot is true for jobs with managed spot training.
	Spot bool `json:"spot,omitempty"`
	// Running is true while the resource accrues instance charges.
	Running bool `json:"running"`
	// TrainingSeconds and BillableSeconds are a job's run time and the
	// time it is billed for (less with spot).
	TrainingSeconds int64 `json:"training_seconds,omitempty"`
	BillableSeconds int64 `json:"billable_seconds,omitempty"`
	// LifecycleConfig is a notebook instance's lifecycle configuration.
	LifecycleConfig string `json:"lifecycle_config,omitempty"`
	// IdleShutdown is whether built-in idle shutdown is configured (Studio
	// domains and spaces); nil when not applicable.
	IdleShutdown *bool `json:"idle_shutdown,omitempty"`
	// AgentLastActivity is what the sagesaver agent last reported
	// (the agenttag.LastActivity), nil when no agent reports on this resource.
	AgentLastActivity *time.Time `json:"agent_last_activity,omitempty"`
	// AgentUsage is the agent's usage summary (agenttag.Usage), nil when
	// the agent has not published one.
	AgentUsage   *agenttag.UsageSummary `json:"agent_usage,omitempty"`
	Created      *time.Time             `json:"created,omitempty"`
	LastModified *time.Time             `json:"last_modified,omitempty"`
	Started      *time.Time             `json:"started,omitempty"`
	Ended        *time.Time             `json:"ended,omitempty"`
	Tags         map[string]string      `json:"tags,omitempty"`
}

// Stage returns the resource's billing stage.
func (r *Resource) Stage() Stage { return StageOf(r.Kind) }

// TeamTags are the tag keys that name a resource's team, first match
// wins, compared without case: the dashboard's team column and the
// savings ledger's team (recorded with each action) read them.
var TeamTags = []string{"team", "project"}

// Team is the value of the first of TeamTags that tags has ("" for none).
func Team(tags map[string]string) string {
	for _, k := range TeamTags {
		for tk, v := range tags {
			if strings.EqualFold(tk, k) {
				return v
			}
		}
	}
	return ""
}
