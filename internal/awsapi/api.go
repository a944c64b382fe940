package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// This file is the exact AWS surface sagesaver uses. Each interface is
// satisfied by the SDK's client; code takes the narrowest one it needs.
// The IAM actions needed are the method names, prefixed by the service.

// NotebookReader reads notebook instances and their lifecycle configs.
type NotebookReader interface {
	ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	ListNotebookInstanceLifecycleConfigs(context.Context, *sagemaker.ListNotebookInstanceLifecycleConfigsInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstanceLifecycleConfigsOutput, error)
	DescribeNotebookInstanceLifecycleConfig(context.Context, *sagemaker.DescribeNotebookInstanceLifecycleConfigInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceLifecycleConfigOutput, error)
}

// NotebookWriter changes notebook instances. Stop and Start are
// asynchronous: the instance passes through Stopping or Pending.
type NotebookWriter interface {
	StartNotebookInstance(context.Context, *sagemaker.StartNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StartNotebookInstanceOutput, error)
	StopNotebookInstance(context.Context, *sagemaker.StopNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	UpdateNotebookInstance(context.Context, *sagemaker.UpdateNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateNotebookInstanceOutput, error)
	CreateNotebookInstanceLifecycleConfig(context.Context, *sagemaker.CreateNotebookInstanceLifecycleConfigInput, ...func(*sagemaker.Options)) (*sagemaker.CreateNotebookInstanceLifecycleConfigOutput, error)
	UpdateNotebookInstanceLifecycleConfig(context.Context, *sagemaker.UpdateNotebookInstanceLifecycleConfigInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateNotebookInstanceLifecycleConfigOutput, error)
}

// EndpointReader reads endpoints, their configs and models.
type EndpointReader interface {
	ListEndpoints(context.Context, *sagemaker.ListEndpointsInput, ...func(*sagemaker.Options)) (*sagemaker.ListEndpointsOutput, error)
	DescribeEndpoint(context.Context, *sagemaker.DescribeEndpointInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
	DescribeEndpointConfig(context.Context, *sagemaker.DescribeEndpointConfigInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointConfigOutput, error)
	DescribeModel(context.Context, *sagemaker.DescribeModelInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error)
}

// EndpointWriter deletes and re-creates endpoints (restore).
type EndpointWriter interface {
	CreateEndpoint(context.Context, *sagemaker.CreateEndpointInput, ...func(*sagemaker.Options)) (*sagemaker.CreateEndpointOutput, error)
	DeleteEndpoint(context.Context, *sagemaker.DeleteEndpointInput, ...func(*sagemaker.Options)) (*sagemaker.DeleteEndpointOutput, error)
}

// EndpointSearcher finds endpoints with SageMaker Search: up to 100 records
// a page, each carrying the endpoint's variants (current counts, deployed
// images), its status and its tags in one call. Records do not carry
// instance types: those are in the endpoint config.
type EndpointSearcher interface {
	Search(context.Context, *sagemaker.SearchInput, ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
}

// InferenceComponentReader lists the inference components an endpoint hosts.
type InferenceComponentReader interface {
	ListInferenceComponents(context.Context, *sagemaker.ListInferenceComponentsInput, ...func(*sagemaker.Options)) (*sagemaker.ListInferenceComponentsOutput, error)
	DescribeInferenceComponent(context.Context, *sagemaker.DescribeInferenceComponentInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeInferenceComponentOutput, error)
}

// EndpointScaler changes an endpoint's variant weights and instance counts
// in place (the endpoint passes through Updating), or moves it to another
// endpoint config.
type EndpointScaler interface {
	UpdateEndpointWeightsAndCapacities(context.Context, *sagemaker.UpdateEndpointWeightsAndCapacitiesInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointWeightsAndCapacitiesOutput, error)
	UpdateEndpoint(context.Context, *sagemaker.UpdateEndpointInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointOutput, error)
}

// ScalingReader reads Application Auto Scaling targets and policies (for
// endpoints: namespace sagemaker, resource id endpoint/NAME/variant/VARIANT).
type ScalingReader interface {
	DescribeScalableTargets(context.Context, *applicationautoscaling.DescribeScalableTargetsInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error)
	DescribeScalingPolicies(context.Context, *applicationautoscaling.DescribeScalingPoliciesInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalingPoliciesOutput, error)
}

// ScalingWriter registers and removes scalable targets and their policies
// (e.g. to restore an endpoint's autoscaling after re-creating it).
type ScalingWriter interface {
	RegisterScalableTarget(context.Context, *applicationautoscaling.RegisterScalableTargetInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error)
	PutScalingPolicy(context.Context, *applicationautoscaling.PutScalingPolicyInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.PutScalingPolicyOutput, error)
	DeregisterScalableTarget(context.Context, *applicationautoscaling.DeregisterScalableTargetInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DeregisterScalableTargetOutput, error)
	DeleteScalingPolicy(context.Context, *applicationautoscaling.DeleteScalingPolicyInput, ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DeleteScalingPolicyOutput, error)
}

// Tagger reads and writes SageMaker tags.
type Tagger interface {
	AddTags(context.Context, *sagemaker.AddTagsInput, ...func(*sagemaker.Options)) (*sagemaker.AddTagsOutput, error)
	DeleteTags(context.Context, *sagemaker.DeleteTagsInput, ...func(*sagemaker.Options)) (*sagemaker.DeleteTagsOutput, error)
	ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

// CloudWatch's GetMetricData limits: queries per call (one more is a
// ValidationError) and datapoints per page (the default MaxDatapoints; more
// come with a NextToken, and a result cut short says PartialData).
const (
	MaxMetricDataQueries = 500
	MaxDatapointsPerPage = 100800
)

// Metrics reads CloudWatch metrics; GetMetricData takes up to
// MaxMetricDataQueries queries per call. Contract worth knowing: a query
// matches only the exact dimension set it names (EndpointName alone does
// not see data published with EndpointName and VariantName); SageMaker's
// per-request metrics (Invocations, InvocationsPerInstance) have no
// datapoint at all for a period without requests, so "no datapoints" means
// zero traffic only once the metric is known to exist (ListMetrics lists
// metrics with data in the last two weeks); GetMetricData pages with
// NextToken (use cloudwatch.NewGetMetricDataPaginator).
type Metrics interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	ListMetrics(context.Context, *cloudwatch.ListMetricsInput, ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
}

// MetricWriter publishes custom metrics (the agent's activity).
type MetricWriter interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Notifier publishes notices to SNS.
type Notifier interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Identity tells who we are and assumes roles in other accounts.
type Identity interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// InventoryReader is everything the scan reads from SageMaker. Search
// returns endpoints and training/tuning jobs 100 at a time with their
// variants, counts and tags, which is what keeps a scan within SageMaker's
// throttles; describes are only for what Search and List do not carry and
// are cached by the scan (except DescribeCluster, whose instance counts
// change without a modification time to key a cache on).
type InventoryReader interface {
	Search(context.Context, *sagemaker.SearchInput, ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
	ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	DescribeEndpointConfig(context.Context, *sagemaker.DescribeEndpointConfigInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointConfigOutput, error)
	ListEndpointConfigs(context.Context, *sagemaker.ListEndpointConfigsInput, ...func(*sagemaker.Options)) (*sagemaker.ListEndpointConfigsOutput, error)
	ListInferenceComponents(context.Context, *sagemaker.ListInferenceComponentsInput, ...func(*sagemaker.Options)) (*sagemaker.ListInferenceComponentsOutput, error)
	ListDomains(context.Context, *sagemaker.ListDomainsInput, ...func(*sagemaker.Options)) (*sagemaker.ListDomainsOutput, error)
	DescribeDomain(context.Context, *sagemaker.DescribeDomainInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	ListSpaces(context.Context, *sagemaker.ListSpacesInput, ...func(*sagemaker.Options)) (*sagemaker.ListSpacesOutput, error)
	DescribeSpace(context.Context, *sagemaker.DescribeSpaceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeSpaceOutput, error)
	ListApps(context.Context, *sagemaker.ListAppsInput, ...func(*sagemaker.Options)) (*sagemaker.ListAppsOutput, error)
	ListMlflowTrackingServers(context.Context, *sagemaker.ListMlflowTrackingServersInput, ...func(*sagemaker.Options)) (*sagemaker.ListMlflowTrackingServersOutput, error)
	DescribeMlflowTrackingServer(context.Context, *sagemaker.DescribeMlflowTrackingServerInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeMlflowTrackingServerOutput, error)
	ListClusters(context.Context, *sagemaker.ListClustersInput, ...func(*sagemaker.Options)) (*sagemaker.ListClustersOutput, error)
	DescribeCluster(context.Context, *sagemaker.DescribeClusterInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeClusterOutput, error)
	ListProcessingJobs(context.Context, *sagemaker.ListProcessingJobsInput, ...func(*sagemaker.Options)) (*sagemaker.ListProcessingJobsOutput, error)
	DescribeProcessingJob(context.Context, *sagemaker.DescribeProcessingJobInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeProcessingJobOutput, error)
	ListTransformJobs(context.Context, *sagemaker.ListTransformJobsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTransformJobsOutput, error)
	DescribeTransformJob(context.Context, *sagemaker.DescribeTransformJobInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeTransformJobOutput, error)
}

// TagLister reads tags in bulk through the Resource Groups Tagging API,
// 100 resources a page, for the kinds Search does not carry tags for.
type TagLister interface {
	GetResources(context.Context, *resourcegroupstaggingapi.GetResourcesInput, ...func(*resourcegroupstaggingapi.Options)) (*resourcegroupstaggingapi.GetResourcesOutput, error)
}

// OrganizationReader lists the accounts of an AWS Organization (scan
// --organization; the caller must be the management account or a
// delegated administrator).
type OrganizationReader interface {
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// PriceListReader reads the AWS Price List API (pricing refresh; the
// service answers in us-east-1 and a few other regions only).
type PriceListReader interface {
	GetProducts(context.Context, *pricing.GetProductsInput, ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

// JobReader reads training, processing, transform and tuning jobs beyond
// what InventoryReader's Search and lists carry.
type JobReader interface {
	ListTrainingJobs(context.Context, *sagemaker.ListTrainingJobsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTrainingJobsOutput, error)
	DescribeTrainingJob(context.Context, *sagemaker.DescribeTrainingJobInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeTrainingJobOutput, error)
	ListHyperParameterTuningJobs(context.Context, *sagemaker.ListHyperParameterTuningJobsInput, ...func(*sagemaker.Options)) (*sagemaker.ListHyperParameterTuningJobsOutput, error)
	DescribeHyperParameterTuningJob(context.Context, *sagemaker.DescribeHyperParameterTuningJobInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeHyperParameterTuningJobOutput, error)
}

// JobWriter stops jobs. A stop is asynchronous (Stopping, then Stopped)
// and is refused with a ValidationException unless the job is InProgress.
type JobWriter interface {
	StopTrainingJob(context.Context, *sagemaker.StopTrainingJobInput, ...func(*sagemaker.Options)) (*sagemaker.StopTrainingJobOutput, error)
	StopProcessingJob(context.Context, *sagemaker.StopProcessingJobInput, ...func(*sagemaker.Options)) (*sagemaker.StopProcessingJobOutput, error)
	StopTransformJob(context.Context, *sagemaker.StopTransformJobInput, ...func(*sagemaker.Options)) (*sagemaker.StopTransformJobOutput, error)
	StopHyperParameterTuningJob(context.Context, *sagemaker.StopHyperParameterTuningJobInput, ...func(*sagemaker.Options)) (*sagemaker.StopHyperParameterTuningJobOutput, error)
}

// StudioReader reads Studio apps and user profiles beyond InventoryReader.
type StudioReader interface {
	DescribeApp(context.Context, *sagemaker.DescribeAppInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeAppOutput, error)
	ListUserProfiles(context.Context, *sagemaker.ListUserProfilesInput, ...func(*sagemaker.Options)) (*sagemaker.ListUserProfilesOutput, error)
	DescribeUserProfile(context.Context, *sagemaker.DescribeUserProfileInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeUserProfileOutput, error)
}

// StudioWriter deletes Studio apps (asynchronous: Deleting, then Deleted,
// which stays listed) and sets the built-in idle shutdown of domains and
// spaces.
type StudioWriter interface {
	DeleteApp(context.Context, *sagemaker.DeleteAppInput, ...func(*sagemaker.Options)) (*sagemaker.DeleteAppOutput, error)
	UpdateDomain(context.Context, *sagemaker.UpdateDomainInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateDomainOutput, error)
	UpdateSpace(context.Context, *sagemaker.UpdateSpaceInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateSpaceOutput, error)
}

// The on-instance agent's calls (StopNotebookInstance,
// DescribeNotebookInstance, DeleteApp, DescribeApp, AddTags, ListTags) are listed in
// agent.SageMaker (internal/agent/agent.go) instead: the agent build must not
// link this package, which imports every service client.

// LifecycleAPI is every call `sagesaver lifecycle install` and `audit` make.
type LifecycleAPI interface {
	// DescribeNotebookInstance returns an instance's status and attached
	// lifecycle configuration.
	DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	// ListNotebookInstances pages through the region's instances.
	ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	// StopNotebookInstance and StartNotebookInstance are asynchronous.
	StopNotebookInstance(ctx context.Context, in *sagemaker.StopNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	StartNotebookInstance(ctx context.Context, in *sagemaker.StartNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.StartNotebookInstanceOutput, error)
	// UpdateNotebookInstance attaches a lifecycle configuration; the
	// instance must be Stopped (or Failed).
	UpdateNotebookInstance(ctx context.Context, in *sagemaker.UpdateNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.UpdateNotebookInstanceOutput, error)
	// The lifecycle configuration itself; scripts are base64 on the wire.
	DescribeNotebookInstanceLifecycleConfig(ctx context.Context, in *sagemaker.DescribeNotebookInstanceLifecycleConfigInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceLifecycleConfigOutput, error)
	CreateNotebookInstanceLifecycleConfig(ctx context.Context, in *sagemaker.CreateNotebookInstanceLifecycleConfigInput, opts ...func(*sagemaker.Options)) (*sagemaker.CreateNotebookInstanceLifecycleConfigOutput, error)
	UpdateNotebookInstanceLifecycleConfig(ctx context.Context, in *sagemaker.UpdateNotebookInstanceLifecycleConfigInput, opts ...func(*sagemaker.Options)) (*sagemaker.UpdateNotebookInstanceLifecycleConfigOutput, error)
}
