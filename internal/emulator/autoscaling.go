package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// Application Auto Scaling (awsJson1_1). The emulator models SageMaker
// endpoint variants in depth: their targets are validated against the
// endpoints that exist, and DeleteEndpoint deregisters them. Targets of
// other namespaces are stored as given.

// The SageMaker scalable dimension and resource id shape.
const (
	variantDimension = "sagemaker:variant:DesiredInstanceCount"
	variantPrefix    = "endpoint/"
)

// autoScalingState is one account's Application Auto Scaling state in one
// region.
type autoScalingState struct {
	targets  map[scalingKey]*scalableTarget
	policies map[scalingKey]map[string]*scalingPolicy // by target, then policy name
}

func newAutoScalingState() *autoScalingState {
	return &autoScalingState{targets: map[scalingKey]*scalableTarget{}, policies: map[scalingKey]map[string]*scalingPolicy{}}
}

type scalingKey struct{ namespace, resourceID, dimension string }

type scalableTarget struct {
	key       scalingKey
	arn       string
	min, max  int32
	roleArn   string
	suspended *aastypes.SuspendedState
	created   time.Time
}

type scalingPolicy struct {
	key     scalingKey
	name    string
	arn     string
	typ     aastypes.PolicyType
	target  *aastypes.TargetTrackingScalingPolicyConfiguration
	step    *aastypes.StepScalingPolicyConfiguration
	alarms  []aastypes.Alarm
	created time.Time
}

func autoScalingService() *service {
	return &service{
		name:        "application-autoscaling",
		signingName: "application-autoscaling",
		jsonTarget:  "AnyScaleFrontendService",
		ops: map[string]handler{
			"RegisterScalableTarget":   op(registerScalableTarget),
			"DescribeScalableTargets":  op(describeScalableTargets),
			"DeregisterScalableTarget": op(deregisterScalableTarget),
			"PutScalingPolicy":         op(putScalingPolicy),
			"DescribeScalingPolicies":  op(describeScalingPolicies),
			"DeleteScalingPolicy":      op(deleteScalingPolicy),
		},
	}
}

// variantOf splits "endpoint/NAME/variant/VARIANT".
func variantOf(resourceID string) (endpointName, variantName string, ok bool) {
	parts := strings.Split(resourceID, "/")
	if len(parts) != 4 || parts[0] != "endpoint" || parts[2] != "variant" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

func variantResourceID(endpointName, variantName string) string {
	return variantPrefix + endpointName + "/variant/" + variantName
}

// hasVariantTarget reports whether an endpoint variant is registered.
func (a *autoScalingState) hasVariantTarget(endpointName, variantName string) bool {
	_, ok := a.targets[scalingKey{"sagemaker", variantResourceID(endpointName, variantName), variantDimension}]
	return ok
}

// dropEndpoint deregisters every target (and its policies) on the
// endpoint's variants.
func (a *autoScalingState) dropEndpoint(endpointName string) {
	prefix := variantPrefix + endpointName + "/variant/"
	for k := range a.targets {
		if k.namespace == "sagemaker" && strings.HasPrefix(k.resourceID, prefix) {
			delete(a.targets, k)
			delete(a.policies, k)
		}
	}
}

// put registers or updates a target.
func (a *autoScalingState) put(t *scalableTarget) {
	if old, ok := a.targets[t.key]; ok {
		old.min, old.max = t.min, t.max
		if t.roleArn != "" {
			old.roleArn = t.roleArn
		}
		if t.suspended != nil {
			old.suspended = t.suspended
		}
		return
	}
	a.targets[t.key] = t
}

// shortID derives a stable hex id from parts, for ARNs that AWS fills with
// random ids.
func shortID(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:n]
}

func uuidFrom(parts ...string) string {
	h := shortID(32, parts...)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func scalableTargetARN(region, account string, k scalingKey) string {
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", region, account, shortID(32, k.namespace, k.resourceID, k.dimension))
}

func scalingPolicyARN(region, account string, k scalingKey, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s",
		region, account, uuidFrom(k.namespace, k.resourceID, k.dimension, name), k.namespace, k.resourceID, name)
}

// targetTrackingAlarms are the two CloudWatch alarms Application Auto
// Scaling creates for a target tracking policy.
func targetTrackingAlarms(region, account string, k scalingKey, name string) []aastypes.Alarm {
	var out []aastypes.Alarm
	for _, side := range []string{"AlarmHigh", "AlarmLow"} {
		n := fmt.Sprintf("TargetTracking-%s-%s-%s", k.resourceID, side, uuidFrom(k.resourceID, name, side))
		out = append(out, aastypes.Alarm{AlarmName: aws.String(n), AlarmARN: aws.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, n))})
	}
	return out
}

func objectNotFound(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "ObjectNotFoundException", Message: fmt.Sprintf(format, args...)}
}

func checkTargetKey(ns aastypes.ServiceNamespace, id *string, dim aastypes.ScalableDimension) (scalingKey, *wire.Error) {
	if e := required("ServiceNamespace", ns != ""); e != nil {
		return scalingKey{}, e
	}
	if e := required("ResourceId", id != nil); e != nil {
		return scalingKey{}, e
	}
	if e := required("ScalableDimension", dim != ""); e != nil {
		return scalingKey{}, e
	}
	k := scalingKey{string(ns), *id, string(dim)}
	if !isOneOf(string(ns), aastypes.ServiceNamespace("").Values()) {
		return k, validation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: %v", ns, aastypes.ServiceNamespace("").Values())
	}
	if !isOneOf(string(dim), aastypes.ScalableDimension("").Values()) {
		return k, validation("1 validation error detected: Value '%s' at 'scalableDimension' failed to satisfy constraint: Member must satisfy enum value set", dim)
	}
	if ns == aastypes.ServiceNamespaceSagemaker {
		_, _, ok := variantOf(*id)
		if !ok || dim != variantDimension {
			return k, validation("Unsupported service namespace, resource type or scalable dimension")
		}
	}
	return k, nil
}

func isOneOf[T ~string](s string, values []T) bool {
	for _, v := range values {
		if string(v) == s {
			return true
		}
	}
	return false
}

// burstable reports whether an instance type is a burstable (T) family,
// which Application Auto Scaling refuses for SageMaker variants.
func burstable(instanceType string) bool {
	return strings.HasPrefix(instanceType, "ml.t2.") || strings.HasPrefix(instanceType, "ml.t3.") || strings.HasPrefix(instanceType, "ml.t4g.")
}

func registerScalableTarget(c *Call, in *aas.RegisterScalableTargetInput) (*aas.RegisterScalableTargetOutput, error) {
	k, e := checkTargetKey(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if e != nil {
		return nil, e
	}
	a := c.Region.AutoScaling
	_, exists := a.targets[k]
	if !exists && (in.MinCapacity == nil || in.MaxCapacity == nil) {
		return nil, validation("MinCapacity and MaxCapacity are required for registering a new scalable target")
	}
	if in.MinCapacity != nil && in.MaxCapacity != nil && *in.MinCapacity > *in.MaxCapacity {
		return nil, validation("Maximum capacity cannot be less than minimum capacity")
	}
	if k.namespace == "sagemaker" {
		if err := checkVariantTarget(c, k); err != nil {
			return nil, err
		}
	}
	t := &scalableTarget{
		key: k, arn: scalableTargetARN(c.Region.Name, c.Account.ID, k), roleArn: aws.ToString(in.RoleARN),
		suspended: in.SuspendedState, created: c.Now,
	}
	if old, ok := a.targets[k]; ok {
		t.min, t.max = old.min, old.max
	}
	if in.MinCapacity != nil {
		t.min = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		t.max = *in.MaxCapacity
	}
	if t.roleArn == "" && !exists {
		t.roleArn = fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", c.Account.ID)
	}
	a.put(t)
	return &aas.RegisterScalableTargetOutput{ScalableTargetARN: aws.String(a.targets[k].arn)}, nil
}

// checkVariantTarget validates a SageMaker variant target against the
// endpoints that exist.
func checkVariantTarget(c *Call, k scalingKey) error {
	epName, vName, _ := variantOf(k.resourceID)
	st := c.Region.SageMaker
	st.settle(c.Now)
	ep, ok := st.endpoints[epName]
	var v *variant
	if ok {
		v = ep.variant(vName)
	}
	if v == nil {
		return validation("SageMaker endpoint variant doesn't exist: %s", k.resourceID)
	}
	if v.serverless != nil {
		return validation("Unsupported service namespace, resource type or scalable dimension")
	}
	if burstable(v.instanceType) {
		return validation("You cannot register a variant with %s instance type as a scalable target. This is because the burstable performance of these instances can lead to unpredictable behavior with Auto Scaling.", v.instanceType)
	}
	return nil
}

func describeScalableTargets(c *Call, in *aas.DescribeScalableTargetsInput) (*aas.DescribeScalableTargetsOutput, error) {
	if e := required("ServiceNamespace", in.ServiceNamespace != ""); e != nil {
		return nil, e
	}
	ids := map[string]bool{}
	for _, id := range in.ResourceIds {
		ids[id] = true
	}
	var items []*scalableTarget
	for k, t := range c.Region.AutoScaling.targets {
		if k.namespace != string(in.ServiceNamespace) {
			continue
		}
		if len(ids) > 0 && !ids[k.resourceID] {
			continue
		}
		if in.ScalableDimension != "" && k.dimension != string(in.ScalableDimension) {
			continue
		}
		items = append(items, t)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key.resourceID < items[j].key.resourceID })
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := &aas.DescribeScalableTargetsOutput{NextToken: next, ScalableTargets: []aastypes.ScalableTarget{}}
	for _, t := range page {
		st := aastypes.ScalableTarget{
			ServiceNamespace:  aastypes.ServiceNamespace(t.key.namespace),
			ResourceId:        aws.String(t.key.resourceID),
			ScalableDimension: aastypes.ScalableDimension(t.key.dimension),
			MinCapacity:       aws.Int32(t.min),
			MaxCapacity:       aws.Int32(t.max),
			RoleARN:           aws.String(t.roleArn),
			CreationTime:      aws.Time(t.created),
			ScalableTargetARN: aws.String(t.arn),
			SuspendedState:    t.suspended,
		}
		if st.SuspendedState == nil {
			st.SuspendedState = &aastypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false)}
		}
		out.ScalableTargets = append(out.ScalableTargets, st)
	}
	return out, nil
}

func deregisterScalableTarget(c *Call, in *aas.DeregisterScalableTargetInput) (*aas.DeregisterScalableTargetOutput, error) {
	k, e := checkTargetKey(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if e != nil {
		return nil, e
	}
	a := c.Region.AutoScaling
	if _, ok := a.targets[k]; !ok {
		return nil, objectNotFound("No scalable target found for service namespace: %s, resource ID: %s, scalable dimension: %s", k.namespace, k.resourceID, k.dimension)
	}
	delete(a.targets, k)
	delete(a.policies, k)
	return &aas.DeregisterScalableTargetOutput{}, nil
}

// sageMakerMetrics are the predefined metrics a SageMaker variant's target
// tracking policy may use.
var sageMakerMetrics = []aastypes.MetricType{
	aastypes.MetricTypeSageMakerVariantInvocationsPerInstance,
	aastypes.MetricTypeSageMakerVariantProvisionedConcurrencyUtilization,
	aastypes.MetricTypeSageMakerVariantConcurrentRequestsPerModelHighResolution,
}

func putScalingPolicy(c *Call, in *aas.PutScalingPolicyInput) (*aas.PutScalingPolicyOutput, error) {
	if e := required("PolicyName", in.PolicyName != nil); e != nil {
		return nil, e
	}
	k, e := checkTargetKey(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if e != nil {
		return nil, e
	}
	a := c.Region.AutoScaling
	if _, ok := a.targets[k]; !ok {
		return nil, objectNotFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", k.namespace, k.resourceID, k.dimension)
	}
	typ := in.PolicyType
	if typ == "" {
		typ = aastypes.PolicyTypeStepScaling
	}
	p := &scalingPolicy{key: k, name: *in.PolicyName, typ: typ, created: c.Now, arn: scalingPolicyARN(c.Region.Name, c.Account.ID, k, *in.PolicyName)}
	switch typ {
	case aastypes.PolicyTypeTargetTrackingScaling:
		tt := in.TargetTrackingScalingPolicyConfiguration
		if tt == nil {
			return nil, validation("TargetTrackingScalingPolicyConfiguration is required for a policy of type TargetTrackingScaling")
		}
		if tt.TargetValue == nil {
			return nil, validation("1 validation error detected: Value null at 'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: Member must not be null")
		}
		if tt.PredefinedMetricSpecification == nil && tt.CustomizedMetricSpecification == nil {
			return nil, validation("Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified")
		}
		if pm := tt.PredefinedMetricSpecification; pm != nil && k.namespace == "sagemaker" && !isOneOf(string(pm.PredefinedMetricType), sageMakerMetrics) {
			return nil, validation("Predefined metric %s is not supported for service namespace sagemaker", pm.PredefinedMetricType)
		}
		cfg := *tt
		if cfg.ScaleInCooldown == nil {
			cfg.ScaleInCooldown = aws.Int32(300)
		}
		if cfg.ScaleOutCooldown == nil {
			cfg.ScaleOutCooldown = aws.Int32(300)
		}
		if cfg.DisableScaleIn == nil {
			cfg.DisableScaleIn = aws.Bool(false)
		}
		p.target = &cfg
		p.alarms = targetTrackingAlarms(c.Region.Name, c.Account.ID, k, p.name)
	case aastypes.PolicyTypeStepScaling:
		sc := in.StepScalingPolicyConfiguration
		if sc == nil {
			return nil, validation("StepScalingPolicyConfiguration is required for a policy of type StepScaling")
		}
		if len(sc.StepAdjustments) == 0 {
			return nil, validation("StepScalingPolicyConfiguration must have at least one StepAdjustment")
		}
		cfg := *sc
		p.step = &cfg
	default:
		return nil, validation("Unsupported policy type %s for service namespace %s", typ, k.namespace)
	}
	if a.policies[k] == nil {
		a.policies[k] = map[string]*scalingPolicy{}
	}
	if old, ok := a.policies[k][p.name]; ok {
		p.created = old.created
	}
	a.policies[k][p.name] = p
	return &aas.PutScalingPolicyOutput{PolicyARN: aws.String(p.arn), Alarms: p.alarms}, nil
}

func describeScalingPolicies(c *Call, in *aas.DescribeScalingPoliciesInput) (*aas.DescribeScalingPoliciesOutput, error) {
	if e := required("ServiceNamespace", in.ServiceNamespace != ""); e != nil {
		return nil, e
	}
	names := map[string]bool{}
	for _, n := range in.PolicyNames {
		names[n] = true
	}
	var items []*scalingPolicy
	for k, ps := range c.Region.AutoScaling.policies {
		if k.namespace != string(in.ServiceNamespace) {
			continue
		}
		if in.ResourceId != nil && k.resourceID != *in.ResourceId {
			continue
		}
		if in.ScalableDimension != "" && k.dimension != string(in.ScalableDimension) {
			continue
		}
		for _, p := range ps {
			if len(names) > 0 && !names[p.name] {
				continue
			}
			items = append(items, p)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].key.resourceID != items[j].key.resourceID {
			return items[i].key.resourceID < items[j].key.resourceID
		}
		return items[i].name < items[j].name
	})
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	out := &aas.DescribeScalingPoliciesOutput{NextToken: next, ScalingPolicies: []aastypes.ScalingPolicy{}}
	for _, p := range page {
		out.ScalingPolicies = append(out.ScalingPolicies, aastypes.ScalingPolicy{
			PolicyName:                               aws.String(p.name),
			PolicyARN:                                aws.String(p.arn),
			PolicyType:                               p.typ,
			ServiceNamespace:                         aastypes.ServiceNamespace(p.key.namespace),
			ResourceId:                               aws.String(p.key.resourceID),
			ScalableDimension:                        aastypes.ScalableDimension(p.key.dimension),
			CreationTime:                             aws.Time(p.created),
			Alarms:                                   p.alarms,
			TargetTrackingScalingPolicyConfiguration: p.target,
			StepScalingPolicyConfiguration:           p.step,
		})
	}
	return out, nil
}

func deleteScalingPolicy(c *Call, in *aas.DeleteScalingPolicyInput) (*aas.DeleteScalingPolicyOutput, error) {
	if e := required("PolicyName", in.PolicyName != nil); e != nil {
		return nil, e
	}
	k, e := checkTargetKey(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if e != nil {
		return nil, e
	}
	a := c.Region.AutoScaling
	if _, ok := a.policies[k][*in.PolicyName]; !ok {
		return nil, objectNotFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s", k.namespace, k.resourceID, k.dimension, *in.PolicyName)
	}
	delete(a.policies[k], *in.PolicyName)
	return &aas.DeleteScalingPolicyOutput{}, nil
}
