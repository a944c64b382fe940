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

// takeSnapshot reads what re-creating the endpoint needs: its config name
// (DeleteEndpoint keeps the config and its models), its tags (minus the
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
	return store.EndpointSnapshot{Account: reg.Account, Region: reg.Region, Endpoint: name,
		Config: aws.ToString(d.EndpointConfigName), Tags: tags, Scaling: raw}, nil
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

// Restore re-creates a deleted endpoint from its latest snapshot: the same
// endpoint config and tags, then, once it is InService, the same scalable
// targets and scaling policies. It closes the endpoint's savings period,
// marks the snapshot restored and records a "restore" action.
func (e *Executor) Restore(ctx context.Context, account, region, name string) (store.EndpointSnapshot, error) {
	reg := e.regions[regionKey(account, region)]
	if reg == nil {
		return store.EndpointSnapshot{}, fmt.Errorf("restore endpoint %s: no clients for %s/%s", name, account, region)
	}
	// A failed or interrupted delete leaves a snapshot of an endpoint that
	// still exists: there is nothing to restore.
	if _, err := reg.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}); err == nil {
		return store.EndpointSnapshot{}, fmt.Errorf("restore endpoint %s: it exists in %s/%s; nothing to restore", name, account, region)
	} else if !awsapi.IsNotFound(err) {
		return store.EndpointSnapshot{}, fmt.Errorf("restore endpoint %s: %w", name, err)
	}
	key := resource.ID{Account: account, Region: region, Kind: resource.Endpoint, Name: name}
	snap, err := e.st.LatestSnapshot(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return snap, fmt.Errorf("restore endpoint %s in %s/%s: %w", name, account, region, ErrNoSnapshot)
	}
	if err != nil {
		return snap, err
	}
	var sc ScalingSnapshot
	if err := json.Unmarshal(snap.Scaling, &sc); err != nil {
		return snap, fmt.Errorf("restore endpoint %s: snapshot %d scaling: %w", name, snap.ID, err)
	}
	info := e.info
	info.Command = "restore"
	run, err := e.st.StartRun(ctx, info)
	if err != nil {
		return snap, err
	}
	if err := e.st.Claim(ctx, run.ID, key, "restore"); err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return snap, err
	}
	defer e.st.Release(ctx, run.ID, key)
	defer e.keepAlive(ctx, run.ID)()
	id, err := e.st.BeginAction(ctx, store.Action{RunID: run.ID, Actor: run.Actor(), Resource: key.String(), Kind: string(resource.Endpoint),
		Verb: "restore", Details: details{Snapshot: snap.ID, Config: snap.Config}.json()})
	if err != nil {
		_ = e.st.FinishRun(ctx, run.ID, err)
		return snap, err
	}
	actErr := e.recreate(ctx, reg, snap, sc)
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
	return snap, actErr
}

func (e *Executor) recreate(ctx context.Context, reg *Region, snap store.EndpointSnapshot, sc ScalingSnapshot) error {
	name := snap.Endpoint
	keys := make([]string, 0, len(snap.Tags))
	for k := range snap.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []smtypes.Tag
	for _, k := range keys {
		tags = append(tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(snap.Tags[k])})
	}
	if _, err := reg.SageMaker.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{
		EndpointName: aws.String(name), EndpointConfigName: aws.String(snap.Config), Tags: tags}); err != nil {
		return fmt.Errorf("create endpoint %s from config %s: %w", name, snap.Config, err)
	}
	w := sagemaker.NewEndpointInServiceWaiter(reg.SageMaker, func(o *sagemaker.EndpointInServiceWaiterOptions) {
		e.delays(&o.MinDelay, &o.MaxDelay)
	})
	if err := w.Wait(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}, e.waits.EndpointInService); err != nil {
		return fmt.Errorf("wait for endpoint %s to be InService (%s): %w", name, e.waits.EndpointInService, err)
	}
	if len(sc.Targets) > 0 && reg.Scaling == nil {
		return fmt.Errorf("restore endpoint %s: no Application Auto Scaling client for its %d scalable targets", name, len(sc.Targets))
	}
	for _, t := range sc.Targets {
		if _, err := reg.Scaling.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: t.ServiceNamespace, ResourceId: t.ResourceId, ScalableDimension: t.ScalableDimension,
			MinCapacity: t.MinCapacity, MaxCapacity: t.MaxCapacity, RoleARN: t.RoleARN, SuspendedState: t.SuspendedState,
		}); err != nil {
			return fmt.Errorf("restore endpoint %s: register scalable target %s: %w", name, aws.ToString(t.ResourceId), err)
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
			return fmt.Errorf("restore endpoint %s: put scaling policy %s: %w", name, aws.ToString(p.PolicyName), err)
		}
	}
	return nil
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
