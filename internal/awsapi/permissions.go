package awsapi

import (
	"fmt"
	"slices"
	"strings"
)

// Access says which role makes a call, and so which generated IAM policy
// grants it (internal/iampolicy).
type Access int

const (
	// Read calls only look (List and Read access levels): the read-only
	// flavour of the spoke role (scan, evidence, advice, plan).
	Read Access = iota + 1
	// Act calls change an account (stop, delete, re-create, tag): the act
	// flavour of the spoke role adds them to Read.
	Act
	// Hub calls are the hub's own: assuming the spoke roles, listing the
	// organisation's accounts, notices, prices, the state table.
	Hub
	// Agent calls are the on-instance agent's, with the notebook
	// instance's own role (docs/agent.md); no generated policy holds them.
	Agent
	// Demo calls are made only to the emulator (sagesaver demo sets up its
	// SNS topic); no generated policy holds them.
	Demo
	// Setup calls are an operator's one-time setup with their own
	// credentials (sagesaver state init creates the DynamoDB table); no
	// generated policy holds them: the hub template creates the table.
	Setup
)

// String is the flavour's name as `sagesaver iam policy --flavour` takes it.
func (a Access) String() string {
	switch a {
	case Read:
		return "read-only"
	case Act:
		return "act"
	case Hub:
		return "hub"
	case Agent:
		return "agent"
	case Demo:
		return "demo"
	case Setup:
		return "setup"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Operation is one AWS API operation sagesaver can call, with the IAM
// actions the call needs.
type Operation struct {
	// Service is the service as the emulator counts it and as its SDK
	// package is mapped in ServiceOfPackage: "sagemaker", "cloudwatch",
	// "application-autoscaling", "tagging", ...
	Service string
	// Name is the API operation: "ListEndpoints".
	Name   string
	Access Access
	// Actions are the IAM actions the call needs: its own first (most
	// operations have an action of the same name; a few, such as
	// DynamoDB's TransactWriteItems, have none), then those it needs
	// besides, with the reason in Why.
	Actions []string
	Why     string
}

// Key is "service:Operation", the emulator's counter key.
func (o Operation) Key() string { return o.Service + ":" + o.Name }

// ServiceOfPackage maps the aws-sdk-go-v2 service package names the code
// imports to Operation.Service.
var ServiceOfPackage = map[string]string{
	"sagemaker":                "sagemaker",
	"cloudwatch":               "cloudwatch",
	"sns":                      "sns",
	"sts":                      "sts",
	"pricing":                  "pricing",
	"organizations":            "organizations",
	"applicationautoscaling":   "application-autoscaling",
	"resourcegroupstaggingapi": "tagging",
	"dynamodb":                 "dynamodb",
	"lambda":                   "lambda",
}

// iamPrefix is each service's IAM action prefix.
var iamPrefix = map[string]string{
	"sagemaker":               "sagemaker",
	"cloudwatch":              "cloudwatch",
	"sns":                     "sns",
	"sts":                     "sts",
	"pricing":                 "pricing",
	"organizations":           "organizations",
	"application-autoscaling": "application-autoscaling",
	"tagging":                 "tag",
	"dynamodb":                "dynamodb",
	"lambda":                  "lambda",
}

// op declares an operation whose own IAM action has its name, plus extra
// actions it needs.
func op(service, name string, access Access, extra ...string) Operation {
	return Operation{Service: service, Name: name, Access: access, Actions: append([]string{iamPrefix[service] + ":" + name}, extra...)}
}

func (o Operation) why(s string) Operation { o.Why = s; return o }

// Operations is every AWS operation sagesaver can call, each declared once.
// The interfaces in api.go (and the narrower ones of the packages that
// call AWS) are the code's side of it; TestEveryCallDeclared fails when the
// code names an operation's input type that is not declared here, and the
// CLI's least-privilege test when the emulator receives an undeclared one.
// The generated IAM policies (sagesaver iam policy, the CloudFormation
// templates) are built from this table and nothing else.
var Operations = []Operation{
	// SageMaker, reads: inventory (InventoryReader, NotebookReader,
	// EndpointReader, JobReader, StudioReader), re-checks before acting,
	// lifecycle audit.
	op("sagemaker", "Search", Read),
	op("sagemaker", "ListNotebookInstances", Read),
	op("sagemaker", "DescribeNotebookInstance", Read),
	op("sagemaker", "ListNotebookInstanceLifecycleConfigs", Read),
	op("sagemaker", "DescribeNotebookInstanceLifecycleConfig", Read),
	op("sagemaker", "ListEndpoints", Read),
	op("sagemaker", "DescribeEndpoint", Read),
	op("sagemaker", "ListEndpointConfigs", Read),
	op("sagemaker", "DescribeEndpointConfig", Read),
	op("sagemaker", "DescribeModel", Read),
	op("sagemaker", "ListInferenceComponents", Read),
	op("sagemaker", "DescribeInferenceComponent", Read),
	op("sagemaker", "ListDomains", Read),
	op("sagemaker", "DescribeDomain", Read),
	op("sagemaker", "ListSpaces", Read),
	op("sagemaker", "DescribeSpace", Read),
	op("sagemaker", "ListApps", Read),
	op("sagemaker", "DescribeApp", Read),
	op("sagemaker", "ListUserProfiles", Read),
	op("sagemaker", "DescribeUserProfile", Read),
	op("sagemaker", "ListProcessingJobs", Read),
	op("sagemaker", "DescribeProcessingJob", Read),
	op("sagemaker", "ListTransformJobs", Read),
	op("sagemaker", "DescribeTransformJob", Read),
	op("sagemaker", "ListTrainingJobs", Read),
	op("sagemaker", "DescribeTrainingJob", Read),
	op("sagemaker", "ListHyperParameterTuningJobs", Read),
	op("sagemaker", "DescribeHyperParameterTuningJob", Read),
	op("sagemaker", "ListTags", Read),
	op("sagemaker", "ListMlflowTrackingServers", Read),
	op("sagemaker", "DescribeMlflowTrackingServer", Read),
	op("sagemaker", "ListClusters", Read),
	op("sagemaker", "DescribeCluster", Read),

	// SageMaker, acts (NotebookWriter, EndpointWriter, EndpointScaler,
	// JobWriter, StudioWriter, Tagger, LifecycleAPI, action.SageMaker).
	op("sagemaker", "StartNotebookInstance", Act),
	op("sagemaker", "StopNotebookInstance", Act),
	op("sagemaker", "UpdateNotebookInstance", Act),
	op("sagemaker", "CreateNotebookInstanceLifecycleConfig", Act),
	op("sagemaker", "UpdateNotebookInstanceLifecycleConfig", Act),
	op("sagemaker", "CreateEndpoint", Act, "sagemaker:AddTags").
		why("restore re-creates the endpoint with its tags: CreateEndpoint with Tags is authorized as AddTags too"),
	op("sagemaker", "CreateEndpointConfig", Act, "sagemaker:AddTags").
		why("restore re-creates a deleted endpoint config with its tags: AddTags too"),
	op("sagemaker", "DeleteEndpoint", Act),
	op("sagemaker", "UpdateEndpoint", Act),
	op("sagemaker", "UpdateEndpointWeightsAndCapacities", Act),
	op("sagemaker", "StopTrainingJob", Act),
	op("sagemaker", "StopProcessingJob", Act),
	op("sagemaker", "StopTransformJob", Act),
	op("sagemaker", "StopHyperParameterTuningJob", Act),
	op("sagemaker", "DeleteApp", Act),
	op("sagemaker", "UpdateDomain", Act),
	op("sagemaker", "UpdateSpace", Act),
	op("sagemaker", "StopMlflowTrackingServer", Act),
	op("sagemaker", "StartMlflowTrackingServer", Act),
	op("sagemaker", "AddTags", Act),
	op("sagemaker", "DeleteTags", Act),

	// CloudWatch: evidence (Metrics); the agent publishes its activity.
	op("cloudwatch", "GetMetricData", Read),
	op("cloudwatch", "ListMetrics", Read),
	op("cloudwatch", "PutMetricData", Agent),

	// Application Auto Scaling: read with the endpoint (ScalingReader),
	// restored after a re-create (ScalingWriter).
	op("application-autoscaling", "DescribeScalableTargets", Read),
	op("application-autoscaling", "DescribeScalingPolicies", Read),
	op("application-autoscaling", "RegisterScalableTarget", Act,
		"iam:CreateServiceLinkedRole", "sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities").
		why("the first registration for SageMaker in an account creates the AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint service-linked role, and Application Auto Scaling checks the endpoint variant with the caller's permissions"),
	op("application-autoscaling", "PutScalingPolicy", Act, "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm").
		why("a target tracking policy creates its CloudWatch alarms with the caller's permissions"),
	op("application-autoscaling", "DeleteScalingPolicy", Act, "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms").
		why("deleting a target tracking policy deletes its CloudWatch alarms with the caller's permissions"),
	op("application-autoscaling", "DeregisterScalableTarget", Act),

	// Resource Groups Tagging API (TagLister).
	op("tagging", "GetResources", Read),

	// STS (Identity): who we are, and the hub's way into the spokes.
	op("sts", "GetCallerIdentity", Read),
	op("sts", "AssumeRole", Hub),

	// Organizations (OrganizationReader): the hub lists the accounts.
	op("organizations", "ListAccounts", Hub),

	// Pricing (PriceListReader): pricing refresh.
	op("pricing", "GetProducts", Hub),

	// SNS (Notifier): notices go to the hub's topic.
	op("sns", "Publish", Hub),
	op("sns", "CreateTopic", Demo).why("sagesaver demo creates its topic in the emulator"),

	// DynamoDB: the hub's state table (--state dynamodb://TABLE, package
	// internal/store/dynamo), and `sagesaver state init`, which creates it.
	op("dynamodb", "GetItem", Hub),
	op("dynamodb", "PutItem", Hub),
	op("dynamodb", "UpdateItem", Hub),
	op("dynamodb", "DeleteItem", Hub),
	op("dynamodb", "Query", Hub),
	op("dynamodb", "BatchWriteItem", Hub),
	op("dynamodb", "CreateTable", Setup),
	op("dynamodb", "DescribeTable", Setup).why("state init waits for the table to be ACTIVE"),
	op("dynamodb", "UpdateTimeToLive", Setup),

	// Lambda: the hub's orchestrator hands each account to a worker, an
	// asynchronous invocation of the same function.
	op("lambda", "Invoke", Hub).withActions("lambda:InvokeFunction").
		why("the API operation is Invoke; its IAM action is InvokeFunction"),
}

func (o Operation) withActions(a ...string) Operation { o.Actions = a; return o }

// Declared returns the declaration of service:name.
func Declared(service, name string) (Operation, bool) {
	for _, o := range Operations {
		if o.Service == service && o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// Use is what a run's policy action or schedule target does to one kind
// of resource, with the Act operations the executor (internal/action) or
// the scheduler (internal/scheduler) call for it. RunUses is the table the
// act flavour of a run file (ActFor) is built from.
type Use struct {
	// By is UseByPolicy (a rule's action) or UseBySchedule (a schedule's
	// target).
	By string
	// Action is the policy action type ("stop", "delete-app", ...); empty
	// for a schedule.
	Action string
	// Kind is the resource kind: a policy rule's resource
	// ("notebook-instance"), or a schedule target's kind ("notebook");
	// empty: every kind.
	Kind string
	// Ops are the operations' keys ("sagemaker:StopNotebookInstance").
	Ops []string
}

// Use.By values.
const (
	UseByPolicy   = "policy"
	UseBySchedule = "schedule"
)

// RunUses maps every policy action (with the kinds it applies to,
// internal/policy) and every schedule target kind (internal/schedule) to
// the Act operations a run calls for it. The re-checks before acting and
// the endpoint snapshot are reads (the read-only flavour). Restore, the
// lifecycle-configuration installer and the job commands are an operator's
// commands, not a run's: no entry names them. TestRunUses keeps the table
// in step with policy.ActionTypes and schedule.Kinds, and the CLI's
// least-privilege test runs `sagesaver run -f` under the act flavour built
// from it.
var RunUses = []Use{
	{By: UseByPolicy, Action: "notify"}, // the digest goes out with the hub's credentials (sns:Publish, Hub)
	{By: UseByPolicy, Action: "stop", Kind: "notebook-instance", Ops: []string{"sagemaker:StopNotebookInstance"}},
	{By: UseByPolicy, Action: "stop", Kind: "mlflow-tracking-server", Ops: []string{"sagemaker:StopMlflowTrackingServer"}},
	{By: UseByPolicy, Action: "delete", Kind: "endpoint", Ops: []string{"sagemaker:DeleteEndpoint"}},
	{By: UseByPolicy, Action: "delete-app", Kind: "studio-app", Ops: []string{"sagemaker:DeleteApp"}},
	{By: UseByPolicy, Action: "delete-app", Kind: "canvas-app", Ops: []string{"sagemaker:DeleteApp"}},
	{By: UseByPolicy, Action: "set-idle-shutdown", Kind: "studio-domain", Ops: []string{"sagemaker:UpdateDomain"}},
	{By: UseByPolicy, Action: "set-idle-shutdown", Kind: "studio-space", Ops: []string{"sagemaker:UpdateSpace"}},
	{By: UseByPolicy, Action: "tag", Ops: []string{"sagemaker:AddTags"}},
	// mark tags now and drops the mark (unmark) when the resource wakes
	// up or its owner objects; its then action is looked up on its own.
	{By: UseByPolicy, Action: "mark", Ops: []string{"sagemaker:AddTags", "sagemaker:DeleteTags"}},
	{By: UseBySchedule, Kind: "notebook", Ops: []string{"sagemaker:StartNotebookInstance", "sagemaker:StopNotebookInstance"}},
	{By: UseBySchedule, Kind: "studio-app", Ops: []string{"sagemaker:DeleteApp"}},
	{By: UseBySchedule, Kind: "endpoint"}, // schedules do not act on endpoints yet (internal/scheduler)
	{By: UseBySchedule, Kind: "mlflow-tracking-server", Ops: []string{"sagemaker:StartMlflowTrackingServer", "sagemaker:StopMlflowTrackingServer"}},
}

// UsedOps returns the operations RunUses lists for by, action and kind,
// and whether the table has an entry for them.
func UsedOps(by, action, kind string) ([]string, bool) {
	for _, u := range RunUses {
		if u.By == by && u.Action == action && (u.Kind == "" || u.Kind == kind) {
			return u.Ops, true
		}
	}
	return nil, false
}

// Flavour is a generated policy: the accesses whose operations it grants.
type Flavour struct {
	Name     string
	Accesses []Access
	// Acts, when not nil, narrows the Act operations to these keys
	// ("sagemaker:StopNotebookInstance"): the act flavour of a run file
	// (ActFor). Nil: every Act operation.
	Acts []string
}

// ActFor is the act flavour narrowed to the Act operations ops (keys, as
// UsedOps returns them): read-only plus exactly those writes.
func ActFor(ops []string) Flavour {
	acts := append([]string{}, ops...)
	slices.Sort(acts)
	return Flavour{Name: "act", Accesses: []Access{Read, Act}, Acts: slices.Compact(acts)}
}

// Flavours are the generated policies, by name. The act flavour holds the
// read-only one: acting starts with a re-check.
var Flavours = []Flavour{
	{Name: "read-only", Accesses: []Access{Read}},
	{Name: "act", Accesses: []Access{Read, Act}},
	{Name: "hub", Accesses: []Access{Hub}},
}

// FlavourNamed returns the flavour called name.
func FlavourNamed(name string) (Flavour, error) {
	var names []string
	for _, f := range Flavours {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Flavour{}, fmt.Errorf("unknown flavour %q (want one of %s)", name, strings.Join(names, ", "))
}

// Actions are the flavour's IAM actions, sorted, without duplicates.
func (f Flavour) Actions() []string {
	var out []string
	for _, o := range Operations {
		if slices.Contains(f.Accesses, o.Access) && (o.Access != Act || f.Acts == nil || slices.Contains(f.Acts, o.Key())) {
			out = append(out, o.Actions...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ActOnly are the actions f adds to read-only: for an act flavour, those
// the protect tag denies.
func (f Flavour) ActOnly() []string {
	read, _ := FlavourNamed("read-only")
	r := read.Actions()
	var out []string
	for _, a := range f.Actions() {
		if !slices.Contains(r, a) {
			out = append(out, a)
		}
	}
	return out
}
