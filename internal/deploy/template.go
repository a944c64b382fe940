// Package deploy writes what an organisation deployment of sagesaver
// needs: the CloudFormation templates of the hub (the function, its
// schedule, its state table) and of the spokes (the role the hub assumes
// in each member account), with IAM policies generated from the declared
// AWS operations (internal/iampolicy), never written by hand.
package deploy

import (
	"encoding/json"
	"fmt"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/iampolicy"
)

// Defaults of the templates' parameters, and why.
const (
	// DefaultSchedule: a tick every five minutes is the cadence the tick
	// and its DynamoDB claims are designed for (issue #14).
	DefaultSchedule = "rate(5 minutes)"
	// DefaultTimeout (seconds) stays under the schedule's period, so that
	// ticks do not overlap, and leaves a minute for the next one's start.
	DefaultTimeout = 240
	// DefaultMemory (MiB): a worker holds one account's inventory and
	// evidence; Lambda gives CPU in proportion to memory.
	DefaultMemory = 512
	// SchedulerRetries bounds EventBridge Scheduler's retries of a failed
	// delivery (throttled or unavailable Lambda); a retry carries the same
	// scheduled time, and the tick's claim makes a duplicate a no-op.
	SchedulerRetries = 2
	// SchedulerMaxAge (seconds): a tick not delivered within four minutes
	// is dropped; the next one is due a minute later.
	SchedulerMaxAge = 240
	// DefaultRoleName is the spoke role's fixed name, and DefaultHubRoleName
	// the hub function's: the spoke's trust policy names the latter.
	DefaultRoleName    = "SageSaver"
	DefaultHubRoleName = "SageSaverHub"
)

// ScheduleInput is the payload the schedule sends: EventBridge Scheduler
// substitutes its context attributes (internal/lambdafn decodes it).
const ScheduleInput = `{"sagesaver":"scheduled","scheduledTime":"<aws.scheduler.scheduled-time>","attempt":"<aws.scheduler.attempt-number>","schedule":"<aws.scheduler.schedule-arn>"}`

// FunctionLogActions are what the function's role needs for its own log
// group: the Lambda runtime writes the function's stderr with them.
var FunctionLogActions = []string{"logs:CreateLogStream", "logs:PutLogEvents"}

// SchedulerActions are what the schedule's execution role needs.
var SchedulerActions = []string{"lambda:InvokeFunction"}

// Template is a CloudFormation template.
type Template struct{ body obj }

// JSON renders the template as indented JSON.
func (t Template) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(t.body, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// YAML renders the template as YAML (long-form intrinsic functions).
func (t Template) YAML() ([]byte, error) {
	return yaml.MarshalWithOptions(t.body, yaml.Indent(2), yaml.IndentSequence(true))
}

// flavourPolicy is f's generated policy as plain maps, for a template.
func flavourPolicy(f awsapi.Flavour, res iampolicy.Resources) any {
	return generic(iampolicy.Generate(f, res))
}

func mustFlavour(name string) awsapi.Flavour {
	f, err := awsapi.FlavourNamed(name)
	if err != nil {
		panic(err)
	}
	return f
}

func trust(principal obj, cond any) obj {
	return o("Version", "2012-10-17", "Statement", []any{o(
		"Effect", "Allow", "Principal", principal, "Action", "sts:AssumeRole", "Condition", cond)})
}

// Hub is the hub account's template, for sagesaver version.
func Hub(version string) Template {
	hubPolicy := flavourPolicy(mustFlavour("hub"), iampolicy.Resources{
		"dynamodb": getAtt("Table", "Arn"),
		"lambda":   sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}"),
		"sts":      sub("arn:${AWS::Partition}:iam::*:role/${SpokeRoleName}"),
		"sns":      ifThen("CreateTopic", ref("Topic"), sub("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:sagesaver")),
	}).(map[string]any)
	stmts := hubPolicy["Statement"].([]any)
	stmts = append(stmts, o("Sid", "FunctionLogs", "Effect", "Allow", "Action", FunctionLogActions, "Resource", getAtt("LogGroup", "Arn")))
	hubPolicy["Statement"] = stmts

	params := o(
		"CodeS3Bucket", o("Type", "String", "Description", "S3 bucket holding the function's zip (sagesaver deploy package)"),
		"CodeS3Key", o("Type", "String", "Description", "S3 key of the function's zip"),
		"Architecture", o("Type", "String", "Default", "arm64", "AllowedValues", []string{"arm64", "x86_64"},
			"Description", "the zip's architecture (GOARCH arm64 or amd64)"),
		"FunctionName", o("Type", "String", "Default", "sagesaver", "AllowedPattern", "^[a-zA-Z0-9-_]{1,64}$"),
		"HubRoleName", o("Type", "String", "Default", DefaultHubRoleName,
			"Description", "the function's role; the spokes trust exactly this role name"),
		"SpokeRoleName", o("Type", "String", "Default", DefaultRoleName, "Description", "the role the spoke StackSet creates in each member account (the run configuration's targets.roleName)"),
		"Regions", o("Type", "CommaDelimitedList", "Default", "us-east-1", "Description", "SAGESAVER_REGION: the regions where the run configuration's targets name none"),
		"ScheduleExpression", o("Type", "String", "Default", DefaultSchedule),
		"TableName", o("Type", "String", "Default", "sagesaver", "Description", "the DynamoDB state table (audit log, claims, results); kept when the stack is deleted"),
		"LogRetentionDays", o("Type", "Number", "Default", 90,
			"AllowedValues", []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}),
		"MemorySize", o("Type", "Number", "Default", DefaultMemory, "MinValue", 128, "MaxValue", 10240),
		"Timeout", o("Type", "Number", "Default", DefaultTimeout, "MinValue", 60, "MaxValue", 900),
		"CreateTopic", o("Type", "String", "Default", "true", "AllowedValues", []string{"true", "false"},
			"Description", "create the SNS topic sagesaver sends notices to"),
	)
	resources := o(
		"FunctionRole", o("Type", "AWS::IAM::Role", "Properties", o(
			"RoleName", ref("HubRoleName"),
			"Description", "sagesaver hub: assumes the spoke roles, keeps state, sends notices",
			"AssumeRolePolicyDocument", trust(o("Service", "lambda.amazonaws.com"), nil),
			"Policies", []any{o("PolicyName", "sagesaver-hub", "PolicyDocument", hubPolicy)},
		)),
		"LogGroup", o("Type", "AWS::Logs::LogGroup", "Properties", o(
			"LogGroupName", sub("/aws/lambda/${FunctionName}"),
			"RetentionInDays", ref("LogRetentionDays"),
		)),
		"Function", o("Type", "AWS::Lambda::Function", "Properties", o(
			"FunctionName", ref("FunctionName"),
			"Description", "sagesaver "+version+": finds and removes idle SageMaker spend",
			"Runtime", "provided.al2023",
			"Handler", "bootstrap",
			"Architectures", []any{ref("Architecture")},
			"Code", o("S3Bucket", ref("CodeS3Bucket"), "S3Key", ref("CodeS3Key")),
			"Role", getAtt("FunctionRole", "Arn"),
			"MemorySize", ref("MemorySize"),
			"Timeout", ref("Timeout"),
			"LoggingConfig", o("LogFormat", "JSON", "LogGroup", ref("LogGroup")),
			// The global configuration's variables (README); the run
			// configuration in the zip says the rest (targets and their
			// role name, notify's topic: the stack's outputs).
			"Environment", o("Variables", o(
				"SAGESAVER_STATE", sub("dynamodb://${Table}?region=${AWS::Region}"),
				"SAGESAVER_REGION", join(",", ref("Regions")),
				"SAGESAVER_LOG_FORMAT", "json",
			)),
		)),
		"EventInvokeConfig", o("Type", "AWS::Lambda::EventInvokeConfig", "Properties", o(
			"FunctionName", ref("Function"),
			"Qualifier", "$LATEST",
			"MaximumRetryAttempts", 0,
			"MaximumEventAgeInSeconds", SchedulerMaxAge,
		)),
		"Table", o("Type", "AWS::DynamoDB::Table", "DeletionPolicy", "Retain", "UpdateReplacePolicy", "Retain", "Properties", o(
			"TableName", ref("TableName"),
			"BillingMode", "PAY_PER_REQUEST",
			"AttributeDefinitions", []any{o("AttributeName", "pk", "AttributeType", "S"), o("AttributeName", "sk", "AttributeType", "S")},
			"KeySchema", []any{o("AttributeName", "pk", "KeyType", "HASH"), o("AttributeName", "sk", "KeyType", "RANGE")},
			// Claims left by dead runs expire (internal/store/dynamo).
			"TimeToLiveSpecification", o("AttributeName", "ttl", "Enabled", true),
			"PointInTimeRecoverySpecification", o("PointInTimeRecoveryEnabled", true),
			"SSESpecification", o("SSEEnabled", true),
			"DeletionProtectionEnabled", true,
		)),
		"SchedulerRole", o("Type", "AWS::IAM::Role", "Properties", o(
			"Description", "EventBridge Scheduler invokes the sagesaver function",
			"AssumeRolePolicyDocument", trust(o("Service", "scheduler.amazonaws.com"),
				o("StringEquals", o("aws:SourceAccount", ref("AWS::AccountId")))),
			"Policies", []any{o("PolicyName", "invoke-sagesaver", "PolicyDocument", o("Version", "2012-10-17", "Statement", []any{
				o("Effect", "Allow", "Action", SchedulerActions, "Resource", getAtt("Function", "Arn")),
			}))},
		)),
		"Schedule", o("Type", "AWS::Scheduler::Schedule", "Properties", o(
			"Description", "sagesaver tick",
			"ScheduleExpression", ref("ScheduleExpression"),
			"ScheduleExpressionTimezone", "UTC",
			"FlexibleTimeWindow", o("Mode", "OFF"),
			"State", "ENABLED",
			"Target", o(
				"Arn", getAtt("Function", "Arn"),
				"RoleArn", getAtt("SchedulerRole", "Arn"),
				"Input", ScheduleInput,
				"RetryPolicy", o("MaximumRetryAttempts", SchedulerRetries, "MaximumEventAgeInSeconds", SchedulerMaxAge),
			),
		)),
		"Topic", o("Type", "AWS::SNS::Topic", "Condition", "CreateTopic", "Properties", o(
			"TopicName", "sagesaver",
			"KmsMasterKeyId", "alias/aws/sns",
		)),
	)
	outputs := o(
		"FunctionArn", o("Value", getAtt("Function", "Arn")),
		"HubRoleArn", o("Value", getAtt("FunctionRole", "Arn"), "Description", "the principal the spoke roles trust"),
		"TableName", o("Value", ref("Table")),
		"TopicArn", o("Condition", "CreateTopic", "Value", ref("Topic")),
	)
	return Template{body: o(
		"AWSTemplateFormatVersion", "2010-09-09",
		"Description", fmt.Sprintf("sagesaver %s hub: the function, its schedule, its state table (docs/deploy.md)", version),
		"Parameters", params,
		"Conditions", o("CreateTopic", equals(ref("CreateTopic"), "true")),
		"Resources", resources,
		"Outputs", outputs,
	)}
}

// Spoke is the member accounts' template (deployed as a service-managed
// StackSet): one role with a fixed name, trusted by the hub's role only,
// read-only or act; act holds every write sagesaver can make.
func Spoke(version string) Template { return SpokeFor(version, mustFlavour("act")) }

// SpokeFor is Spoke with act as its act flavour: iampolicy.ForRun's for a
// run file, whose policies and schedules say which writes it needs.
func SpokeFor(version string, act awsapi.Flavour) Template {
	actDoc := "act: also the writes apply, restore and schedules make"
	if act.Acts != nil {
		actDoc = "act: also the writes the run configuration's policies and schedules make (sagesaver deploy template --spoke -f)"
	}
	params := o(
		"HubAccountId", o("Type", "String", "AllowedPattern", "^[0-9]{12}$", "Description", "the hub account"),
		"HubRoleName", o("Type", "String", "Default", DefaultHubRoleName, "Description", "the hub function's role (the hub stack's HubRoleName)"),
		"OrganizationId", o("Type", "String", "AllowedPattern", "^o-[a-z0-9]{10,32}$", "Description", "the organisation the hub belongs to"),
		"RoleName", o("Type", "String", "Default", DefaultRoleName),
		"Flavour", o("Type", "String", "Default", "read-only", "AllowedValues", []string{"read-only", "act"},
			"Description", "read-only: scan, evidence, advice, plan; "+actDoc+" (never on resources tagged sagesaver:protect=true)"),
	)
	resources := o(
		"Role", o("Type", "AWS::IAM::Role", "Properties", o(
			"RoleName", ref("RoleName"),
			"Description", sub("sagesaver spoke (${Flavour}), assumed by the hub's role"),
			"MaxSessionDuration", 3600,
			"AssumeRolePolicyDocument", trust(o("AWS", sub("arn:${AWS::Partition}:iam::${HubAccountId}:root")), o(
				"ArnEquals", o("aws:PrincipalArn", sub("arn:${AWS::Partition}:iam::${HubAccountId}:role/${HubRoleName}")),
				"StringEquals", o("aws:PrincipalOrgID", ref("OrganizationId")),
			)),
			"Policies", []any{o("PolicyName", "sagesaver", "PolicyDocument",
				ifThen("Act", flavourPolicy(act, nil), flavourPolicy(mustFlavour("read-only"), nil)))},
		)),
	)
	return Template{body: o(
		"AWSTemplateFormatVersion", "2010-09-09",
		"Description", fmt.Sprintf("sagesaver %s spoke: the role the hub assumes in a member account (docs/deploy.md)", version),
		"Parameters", params,
		"Conditions", o("Act", equals(ref("Flavour"), "act")),
		"Resources", resources,
		"Outputs", o("RoleArn", o("Value", getAtt("Role", "Arn"))),
	)}
}
