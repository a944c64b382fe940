package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// ScalingSnapshot is what the snapshot keeps of an endpoint's Application Auto
// Scaling registration, as the API described it (store.EndpointSnapshot.
// Scaling holds it as JSON).
type ScalingSnapshot struct {
	Targets  []aastypes.ScalableTarget `json:"targets"`
	Policies []aastypes.ScalingPolicy  `json:"policies"`
}

// variantResource is Application Auto Scaling's resource id of a variant.
func variantResource(endpoint, variant string) string {
	return "endpoint/" + endpoint + "/variant/" + variant
}

// takeSnapshot reads what re-creating the endpoint needs: its config
// (DeleteEndpoint keeps the config and its models, but someone may delete
// the config later: the snapshot keeps it whole), its tags (minus the
// mark tag, so that a restored endpoint is not marked again at once) and
// its variants' scalable targets and policies (DeleteEndpoint deregisters
// them).
func takeSnapshot(ctx context.Context, reg *Region, name, markTag string) (store.EndpointSnapshot, error) {
	d, err := reg.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: %w", name, err)
	}
	tags, err := listTags(ctx, reg.SageMaker, aws.ToString(d.EndpointArn))
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: %w", name, err)
	}
	delete(tags, markTag)
	var ids []string
	for _, v := range d.ProductionVariants {
		ids = append(ids, variantResource(name, aws.ToString(v.VariantName)))
	}
	var sc ScalingSnapshot
	if reg.Scaling != nil && len(ids) > 0 {
		tp := applicationautoscaling.NewDescribeScalableTargetsPaginator(reg.Scaling, &applicationautoscaling.DescribeScalableTargetsInput{
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: ids})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: scalable targets: %w", name, err)
			}
			sc.Targets = append(sc.Targets, page.ScalableTargets...)
		}
		for _, t := range sc.Targets {
			pp := applicationautoscaling.NewDescribeScalingPoliciesPaginator(reg.Scaling, &applicationautoscaling.DescribeScalingPoliciesInput{
				ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: t.ResourceId, ScalableDimension: t.ScalableDimension})
			for pp.HasMorePages() {
				page, err := pp.NextPage(ctx)
				if err != nil {
					return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: scaling policies: %w", name, err)
				}
				sc.Policies = append(sc.Policies, page.ScalingPolicies...)
			}
		}
	}
	raw, err := json.Marshal(sc)
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: %w", name, err)
	}
	cfg, err := snapshotConfig(ctx, reg, aws.ToString(d.EndpointConfigName))
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: %w", name, err)
	}
	var rawCfg json.RawMessage
	if cfg != nil {
		if rawCfg, err = json.Marshal(cfg); err != nil {
			return store.EndpointSnapshot{}, fmt.Errorf("snapshot endpoint %s: %w", name, err)
		}
	}
	return store.EndpointSnapshot{Account: reg.Account, Region: reg.Region, Endpoint: name,
		Config: aws.ToString(d.EndpointConfigName), Tags: tags, Scaling: raw, EndpointConfig: rawCfg}, nil
}

// deleteEndpoint deletes an endpoint and waits until it is gone.
func (e *Executor) deleteEndpoint(ctx context.Context, sm SageMaker, name string) error {
	if _, err := sm.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String(name)}); err != nil {
		return fmt.Errorf("delete endpoint %s: %w", name, err)
	}
	w := sagemaker.NewEndpointDeletedWaiter(sm, func(o *sagemaker.EndpointDeletedWaiterOptions) {
		e.delays(&o.MinDelay, &o.MaxDelay)
	})
	if err := w.Wait(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}, e.waits.EndpointDeleted); err != nil {
		return fmt.Errorf("wait for endpoint %s to be deleted (%s): %w", name, e.waits.EndpointDeleted, err)
	}
	return nil
}

// ErrNoSnapshot: restore found no snapshot of the endpoint.
var ErrNoSnapshot = errors.New("no snapshot to restore from (was it deleted by sagesaver apply?)")

// The steps of a restore, in order. The snapshot records each one done
// (store.SetSnapshotSteps), so that a restore that failed half-way (the
// waiter timed out, the scaling registration was refused, the process was
// killed) is finished by the next one; every step is idempotent.
const (
	// StepConfig: the endpoint config exists (created again from the
	// snapshot when someone deleted it).
	StepConfig = "endpoint-config"
	// StepEndpoint: CreateEndpoint was asked. It is recorded before the
	// call, so that an endpoint created by a restore that died at once is
	// recognised as ours (an endpoint that exists without this step is
	// someone else's, or was never deleted: nothing to restore).
	StepEndpoint = "endpoint"
	// StepInService: the endpoint reached InService.
	StepInService = "in-service"
	// StepScaling: the scalable targets are registered and the scaling
	// policies put.
	StepScaling = "scaling"
)

// Restoration is what Restore did, or, in a dry run, would do.
type Restoration struct {
	Snapshot store.EndpointSnapshot
	DryRun   bool
	// Steps are the steps taken by this call (or that it would take), in
	// order, in words; Resumed the steps an earlier restore had done.
	Steps   []string
	Resumed []string
}

// ConfigSnapshot is what the snapshot keeps of the endpoint config, enough
// to create it again (store.EndpointSnapshot.EndpointConfig holds it as
// JSON): DeleteEndpoint keeps the config, but someone may delete it after.
type ConfigSnapshot struct {
	Name                     string                        `json:"name"`
	ProductionVariants       []smtypes.ProductionVariant   `json:"productionVariants"`
	ShadowProductionVariants []smtypes.ProductionVariant   `json:"shadowProductionVariants,omitempty"`
	AsyncInferenceConfig     *smtypes.AsyncInferenceConfig `json:"asyncInferenceConfig,omitempty"`
	DataCaptureConfig        *smtypes.DataCaptureConfig    `json:"dataCaptureConfig,omitempty"`
	ExplainerConfig          *smtypes.ExplainerConfig      `json:"explainerConfig,omitempty"`
	KmsKeyID                 *string                       `json:"kmsKeyId,omitempty"`
	ExecutionRoleArn         *string                       `json:"executionRoleArn,omitempty"`
	EnableNetworkIsolation   *bool                         `json:"enableNetworkIsolation,omitempty"`
	VpcConfig                *smtypes.VpcConfig            `json:"vpcConfig,omitempty"`
	Tags                     map[string]string             `json:"tags,omitempty"`
}

// snapshotConfig reads the endpoint config for the snapshot; a config
// already deleted (AWS allows it while the endpoint runs) is nil.
func snapshotConfig(ctx context.Context, reg *Region, name string) (*ConfigSnapshot, error) {
	c, err := reg.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
	if awsapi.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe endpoint config %s: %w", name, err)
	}
	tags, err := listTags(ctx, reg.SageMaker, aws.ToString(c.EndpointConfigArn))
	if err != nil {
		return nil, err
	}
	return &ConfigSnapshot{Name: name, ProductionVariants: c.ProductionVariants, ShadowProductionVariants: c.ShadowProductionVariants,
		AsyncInferenceConfig: c.AsyncInferenceConfig, DataCaptureConfig: c.DataCaptureConfig, ExplainerConfig: c.ExplainerConfig,
		KmsKeyID: c.KmsKeyId, ExecutionRoleArn: c.ExecutionRoleArn, EnableNetworkIsolation: c.EnableNetworkIsolation,
		VpcConfig: c.VpcConfig, Tags: tags}, nil
}

// restoreState is a snapshot decoded, with the steps done.
type restoreState struct {
	snap    store.EndpointSnapshot
	scaling ScalingSnapshot
	config  *ConfigSnapshot
	done    map[string]bool
}

func (rs *restoreState) steps() []string {
	var out []string
	for _, s := range []string{StepConfig, StepEndpoint, StepInService, StepScaling} {
		if rs.done[s] {
			out = append(out, s)
		}
	}
	return out
}

// Restore re-creates a deleted endpoint from its latest snapshot, step by
// step (see StepConfig...): the endpoint config, created again from the
// snapshot if someone deleted it; CreateEndpoint with the same config and
// tags; the wait until InService; the same scalable targets and scaling
// policies. Each step done is recorded on the snapshot, so that a restore
// that failed half-way is finished by calling Restore again. At the end it
// closes the endpoint's savings period, marks the snapshot restored and
// records a "restore" action. A dry run reads only, and says what it would
// do.
func (e *Executor) Restore(ctx context.Context, account, region, name string, dryRun bool) (Restoration, error) {
	res := Restoration{DryRun: dryRun}
	reg := e.regions[regionKey(account, region)]
	if reg == nil {
		return res, fmt.Errorf("restore endpoint %s: no clients for %s/%s", name, account, region)
	}
	key := resource.ID{Account: account, Region: region, Kind: resource.Endpoint, Name: name}
	snap, err := e.st.LatestSnapshot(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return res, fmt.Errorf("restore endpoint %s in %s/%s: %w", name, account, region, ErrNoSnapshot)
	}
	if err != nil {
		return res, err
	}
	res.Snapshot = snap
	rs := &restoreState{snap: snap, done: map[string]bool{}}
	if err := json.Unmarshal(snap.Scaling, &rs.scaling); err != nil {
		return res, fmt.Errorf("restore endpoint %s: snapshot %d scaling: %w", name, snap.ID, err)
	}
	if len(snap.EndpointConfig) > 0 && string(snap.EndpointConfig) != "{}" {
		rs.config = &ConfigSnapshot{}
		if err := json.Unmarshal(snap.EndpointConfig, rs.config); err != nil {
			return res, fmt.Errorf("restore endpoint %s: snapshot %d endpoint config: %w", name, snap.ID, err)
		}
	}
	for _, s := range snap.Steps {
		rs.done[s] = true
	}
	out, err := reg.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
	exists := err == nil
	if err != nil && !awsapi.IsNotFound(err) {
		return res, fmt.Errorf("restore endpoint %s: %w", name, err)
	}
	switch {
	case exists && !rs.done[StepEndpoint]:
		// A failed or interrupted delete leaves a snapshot of an endpoint
		// that still exists; so does one re-created by hand.
		return res, fmt.Errorf("restore endpoint %s: it exists in %s/%s and no restore created it; nothing to restore", name, account, region)
	case exists && out.EndpointStatus == smtypes.EndpointStatusFailed:
		return res, fmt.Errorf("restore endpoint %s: the endpoint the last restore created is Failed (%s): delete it, then restore again", name, aws.ToString(out.FailureReason))
	case !exists && rs.done[StepEndpoint]:
		// Created by an earlier restore, then deleted again: start over
		// from the endpoint.
		delete(rs.done, StepEndpoint)
		delete(rs.done, StepInService)
		delete(rs.done, StepScaling)
	}
	res.Resumed = rs.steps()
	if dryRun {
		res.Steps, err = e.planRestore(ctx, reg, rs, exists)
		return res, err
	}

	info := e.info
	info.Command = "restore"
	run, err := e.st.StartRun(ctx, info)
	if err != nil {
		return res, err
	}
	if err := e.st.Claim(ctx, run.ID, key, "restore"); err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return res, err
	}
	defer e.st.Release(ctx, run.ID, key)
	defer e.keepAlive(ctx, run.ID)()
	id, err := e.st.BeginAction(ctx, store.Action{RunID: run.ID, Actor: run.Actor(), Resource: key.String(), Kind: string(resource.Endpoint),
		Verb: "restore", Details: details{Snapshot: snap.ID, Config: snap.Config}.json()})
	if err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return res, err
	}
	actErr := e.recreate(ctx, reg, rs, exists, &res)
	if err := e.st.FinishAction(ctx, id, actErr, nil); err != nil && actErr == nil {
		actErr = err
	}
	if actErr == nil {
		now := e.clock.Now()
		if err := e.st.MarkRestored(ctx, snap.ID, now); err != nil {
			actErr = err
		} else if _, err := e.st.StopSaving(ctx, key, now); err != nil {
			actErr = err
		}
	}
	if err := e.st.FinishRun(ctx, run.ID, actErr); err != nil && actErr == nil {
		actErr = err
	}
	res.Snapshot.Steps = rs.steps()
	return res, actErr
}

// planRestore says what recreate would do, reading only.
func (e *Executor) planRestore(ctx context.Context, reg *Region, rs *restoreState, exists bool) ([]string, error) {
	snap := rs.snap
	var steps []string
	if !rs.done[StepConfig] || !exists {
		_, err := reg.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(snap.Config)})
		switch {
		case awsapi.IsNotFound(err) && rs.config == nil:
			return nil, fmt.Errorf("restore endpoint %s: its endpoint config %s was deleted and the snapshot does not hold it (taken by an older sagesaver)", snap.Endpoint, snap.Config)
		case awsapi.IsNotFound(err):
			steps = append(steps, fmt.Sprintf("create endpoint config %s again from the snapshot (%d variant(s))", snap.Config, len(rs.config.ProductionVariants)))
		case err != nil:
			return nil, fmt.Errorf("describe endpoint config %s: %w", snap.Config, err)
		}
	}
	if !exists {
		steps = append(steps, fmt.Sprintf("create endpoint %s from config %s with %d tag(s) (billed from now on)", snap.Endpoint, snap.Config, len(snap.Tags)))
	}
	if !rs.done[StepInService] {
		steps = append(steps, "wait until it is InService")
	}
	if !rs.done[StepScaling] && len(rs.scaling.Targets)+len(rs.scaling.Policies) > 0 {
		steps = append(steps, fmt.Sprintf("register %d scalable target(s) and put %d scaling polic(ies)", len(rs.scaling.Targets), len(rs.scaling.Policies)))
	}
	return steps, nil
}

// recreate takes the restore steps not done yet, recording each on the
// snapshot.
func (e *Executor) recreate(ctx context.Context, reg *Region, rs *restoreState, exists bool, res *Restoration) error {
	snap, sc := rs.snap, rs.scaling
	name := snap.Endpoint
	mark := func(step string, done bool) error {
		if done {
			rs.done[step] = true
		} else {
			delete(rs.done, step)
		}
		return e.st.SetSnapshotSteps(ctx, snap.ID, rs.steps())
	}
	// The config is checked again whenever the endpoint is to be created:
	// it may have been deleted since an earlier restore saw it.
	if !rs.done[StepConfig] || !exists {
		_, err := reg.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(snap.Config)})
		switch {
		case awsapi.IsNotFound(err) && rs.config == nil:
			return fmt.Errorf("restore endpoint %s: its endpoint config %s was deleted and the snapshot does not hold it (taken by an older sagesaver)", name, snap.Config)
		case awsapi.IsNotFound(err):
			c := rs.config
			if _, err := reg.SageMaker.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
				EndpointConfigName: aws.String(snap.Config), ProductionVariants: c.ProductionVariants,
				ShadowProductionVariants: c.ShadowProductionVariants, AsyncInferenceConfig: c.AsyncInferenceConfig,
				DataCaptureConfig: c.DataCaptureConfig, ExplainerConfig: c.ExplainerConfig, KmsKeyId: c.KmsKeyID,
				ExecutionRoleArn: c.ExecutionRoleArn, EnableNetworkIsolation: c.EnableNetworkIsolation, VpcConfig: c.VpcConfig,
				Tags: sortedTags(c.Tags)}); err != nil {
				return fmt.Errorf("restore endpoint %s: create endpoint config %s: %w", name, snap.Config, err)
			}
			res.Steps = append(res.Steps, "created endpoint config "+snap.Config+" again from the snapshot")
		case err != nil:
			return fmt.Errorf("restore endpoint %s: describe endpoint config %s: %w", name, snap.Config, err)
		}
		if err := mark(StepConfig, true); err != nil {
			return err
		}
	}
	if !exists {
		// Recorded before the call: see StepEndpoint.
		if err := mark(StepEndpoint, true); err != nil {
			return err
		}
		if _, err := reg.SageMaker.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{
			EndpointName: aws.String(name), EndpointConfigName: aws.String(snap.Config), Tags: sortedTags(snap.Tags)}); err != nil {
			// Forget the step unless the endpoint exists after all (the
			// answer was lost, not the request).
			if _, derr := reg.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}); awsapi.IsNotFound(derr) {
				_ = mark(StepEndpoint, false)
			}
			return fmt.Errorf("create endpoint %s from config %s: %w", name, snap.Config, err)
		}
		res.Steps = append(res.Steps, "created endpoint "+name)
	}
	if !rs.done[StepInService] {
		w := sagemaker.NewEndpointInServiceWaiter(reg.SageMaker, func(o *sagemaker.EndpointInServiceWaiterOptions) {
			e.delays(&o.MinDelay, &o.MaxDelay)
		})
		if err := w.Wait(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}, e.waits.EndpointInService); err != nil {
			return fmt.Errorf("wait for endpoint %s to be InService (%s): %w; run restore again to finish", name, e.waits.EndpointInService, err)
		}
		if err := mark(StepInService, true); err != nil {
			return err
		}
		res.Steps = append(res.Steps, "InService")
	}
	if rs.done[StepScaling] {
		return nil
	}
	if len(sc.Targets) > 0 && reg.Scaling == nil {
		return fmt.Errorf("restore endpoint %s: no Application Auto Scaling client for its %d scalable targets", name, len(sc.Targets))
	}
	// RegisterScalableTarget updates a target already registered and
	// PutScalingPolicy replaces a policy of the same name: both can be
	// repeated.
	for _, t := range sc.Targets {
		if _, err := reg.Scaling.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: t.ServiceNamespace, ResourceId: t.ResourceId, ScalableDimension: t.ScalableDimension,
			MinCapacity: t.MinCapacity, MaxCapacity: t.MaxCapacity, RoleARN: t.RoleARN, SuspendedState: t.SuspendedState,
		}); err != nil {
			return fmt.Errorf("restore endpoint %s: register scalable target %s: %w; run restore again to finish", name, aws.ToString(t.ResourceId), err)
		}
	}
	for _, p := range sc.Policies {
		if _, err := reg.Scaling.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{
			PolicyName: p.PolicyName, ServiceNamespace: p.ServiceNamespace, ResourceId: p.ResourceId,
			ScalableDimension: p.ScalableDimension, PolicyType: p.PolicyType,
			TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration,
			StepScalingPolicyConfiguration:           p.StepScalingPolicyConfiguration,
			PredictiveScalingPolicyConfiguration:     p.PredictiveScalingPolicyConfiguration,
		}); err != nil {
			return fmt.Errorf("restore endpoint %s: put scaling policy %s: %w; run restore again to finish", name, aws.ToString(p.PolicyName), err)
		}
	}
	if len(sc.Targets)+len(sc.Policies) > 0 {
		res.Steps = append(res.Steps, fmt.Sprintf("registered %d scalable target(s), put %d scaling polic(ies)", len(sc.Targets), len(sc.Policies)))
	}
	return mark(StepScaling, true)
}

// sortedTags is a tag map as SageMaker tags, by key.
func sortedTags(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []smtypes.Tag
	for _, k := range keys {
		tags = append(tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}

// resolve closes an action a killed run left "started": it looks at the
// resource now and records ok when the change is seen to have happened,
// failed otherwise (the policy decides again on this run).
func (e *Executor) resolve(ctx context.Context, a store.Action) Outcome {
	o := Outcome{Kind: resource.Kind(a.Kind), Verb: a.Verb, ActionID: a.ID}
	id, err := resource.ParseID(a.Resource)
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, fmt.Errorf("unrecognized resource key %q", a.Resource)
		_ = e.st.ResolveInterrupted(ctx, a.ID, store.ResultFailed, o.Err.Error())
		return o
	}
	o.Key, o.Account, o.Region, o.Name = id, id.Account, id.Region, id.Name
	reg := e.regions[regionKey(o.Account, o.Region)]
	done, note := false, "not confirmed; the policy decides again"
	if reg != nil {
		switch a.Verb {
		case "stop":
			out, err := reg.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(o.Name)})
			if err == nil && (out.NotebookInstanceStatus == smtypes.NotebookInstanceStatusStopping || out.NotebookInstanceStatus == smtypes.NotebookInstanceStatusStopped) {
				done, note = true, "notebook is "+string(out.NotebookInstanceStatus)
			}
		case "delete":
			out, err := reg.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(o.Name)})
			switch {
			case awsapi.IsNotFound(err):
				done, note = true, "endpoint is gone"
			case err == nil && out.EndpointStatus == smtypes.EndpointStatusDeleting:
				done, note = true, "endpoint is Deleting"
			}
		}
	}
	result := store.ResultFailed
	o.Result = notify.ResultFailed
	if done {
		result, o.Result = store.ResultOK, notify.ResultOK
		var d details
		if json.Unmarshal(a.Details, &d) == nil && d.Hourly != "" {
			if h, err := pricing.ParseMoney(d.Hourly); err == nil {
				hp := pricing.Price{Amount: h, Known: true, Estimate: d.Estimate}
				if _, err := e.st.StartSaving(ctx, id, a.ID, hp, a.Started); err != nil && !errors.Is(err, store.ErrAlreadySaving) {
					e.log.Warn("savings ledger", "resource", a.Resource, "err", err)
				}
			}
		}
	} else {
		o.Err = errors.New(note)
	}
	o.Reason = "interrupted " + a.Verb + " of run " + fmt.Sprint(a.RunID) + ": " + note
	if err := e.st.ResolveInterrupted(ctx, a.ID, result, note); err != nil {
		e.log.Warn("resolve interrupted action", "id", a.ID, "err", err)
	}
	return o
}

// ScalingCounts returns how many scalable targets and policies a snapshot
// holds.
func ScalingCounts(snap store.EndpointSnapshot) (targets, policies int) {
	var sc ScalingSnapshot
	if json.Unmarshal(snap.Scaling, &sc) != nil {
		return 0, 0
	}
	return len(sc.Targets), len(sc.Policies)
}
