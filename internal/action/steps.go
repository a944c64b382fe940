package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// errChanged is a re-check that found the step no longer due.
type errChanged struct{ why string }

func (e *errChanged) Error() string { return "changed since the plan: " + e.why }

// details is the audit log's JSON for a step.
type details struct {
	Rule string `json:"rule"`
	// Team is the resource's team tag (resource.Team) when it acted: the
	// savings ledger's "by team".
	Team   string `json:"team,omitempty"`
	Why    string `json:"why,omitempty"`
	Reason string `json:"reason,omitempty"`
	Hourly string `json:"hourly,omitempty"`
	// Estimate is Hourly's estimate flag.
	Estimate bool   `json:"hourlyEstimate,omitempty"`
	Snapshot int64  `json:"snapshot,omitempty"`
	Config   string `json:"endpointConfig,omitempty"`
	FromMark bool   `json:"fromMark,omitempty"`
}

func (d details) json() json.RawMessage {
	b, _ := json.Marshal(d)
	return b
}

// team is the team tag of a finding's resources (the first that has one:
// an endpoint's variants carry the endpoint's tags).
func team(rs []resource.Resource) string {
	for i := range rs {
		if t := resource.Team(rs[i].Tags); t != "" {
			return t
		}
	}
	return ""
}

// verb is the audit log's name for a step.
func verb(s policy.Step) string { return string(s.Action.Type) }

// saves reports whether a step ends charges (its Saves and Hourly are the
// saving cost.Saves decided).
func saves(s policy.Step) bool { return s.Action.Type.Destructive() }

// step runs one step of a finding: record it (dry run), or claim,
// re-check, act and record it; notDone records it as skipped, not
// started by a stopping run (ErrNotDone).
func (e *Executor) step(ctx context.Context, run store.Run, p *policy.Policy, f *policy.Finding, s policy.Step, marks []policy.Mark, dryRun, notDone bool) Outcome {
	o := Outcome{Rule: f.Rule, Key: f.Key, Kind: f.Kind, Account: f.Account, Region: f.Region, Name: f.Name,
		Verb: verb(s), Reason: s.Reason, Saves: s.Saves, Hourly: e.hourly(f.Resources)}
	if saves(s) {
		// What the ledger will record and the digest show: the saving
		// cost.Saves decided in the plan, not the resource's price.
		o.Hourly = s.Hourly
	}
	if o.Reason == "" {
		o.Reason = f.Why
	}
	if c := Consequence(f.Kind, o.Verb); c != "" && (o.Verb != string(policy.Notify) || f.Kind == resource.HyperPodCluster) {
		o.Reason += "; " + c
	}
	d := details{Rule: f.Rule, Team: team(f.Resources), Why: f.Why, Reason: s.Reason, FromMark: s.FromMark}
	if o.Hourly.Known {
		d.Hourly, d.Estimate = o.Hourly.Amount.Plain(), o.Hourly.Estimate
	}
	entry := store.Action{RunID: run.ID, Actor: run.Actor(), Resource: f.Key.String(), Kind: string(f.Kind), Verb: o.Verb,
		DryRun: dryRun, MonthlySaved: s.Saves, Details: d.json()}
	record := func(result store.Result, err error) {
		entry.Result = result
		if err != nil {
			entry.Error = err.Error()
		}
		id, rerr := e.st.RecordAction(ctx, entry)
		o.ActionID = id
		if rerr != nil && o.Err == nil {
			o.Result, o.Err = notify.ResultFailed, rerr
		}
	}
	if notDone {
		o.Result, o.Err = notify.ResultSkipped, ErrNotDone
		record(store.ResultSkipped, ErrNotDone)
		return o
	}
	if dryRun {
		o.Result = notify.ResultDryRun
		record(store.ResultOK, nil)
		return o
	}
	if s.Action.Type == policy.Notify {
		// The notice itself goes out in the run's digest; its audit row
		// is written once the digest was delivered, or not (notify).
		o.Result, o.dest, o.entry = notify.ResultOK, destKey(s.Action), entry
		e.notified(ctx, run, f, s, marks)
		return o
	}
	if err := e.st.Claim(ctx, run.ID, f.Key, o.Verb); err != nil {
		o.Result, o.Err = notify.ResultSkipped, err
		record(store.ResultSkipped, err)
		e.log.Info("skipped: claimed by another run", "resource", f.Key, "err", err)
		return o
	}
	defer func() {
		if err := e.st.Release(ctx, run.ID, f.Key); err != nil {
			e.log.Warn("release claim", "resource", f.Key, "err", err)
		}
	}()
	reg := e.regions[regionKey(f.Account, f.Region)]
	if reg == nil {
		o.Result, o.Err = notify.ResultFailed, fmt.Errorf("no clients for %s/%s", f.Account, f.Region)
		record(store.ResultFailed, o.Err)
		return o
	}
	fresh, err := e.recheck(ctx, reg, p, f, s, marks)
	var changed *errChanged
	if errors.As(err, &changed) {
		o.Result, o.Err = notify.ResultSkipped, err
		record(store.ResultSkipped, err)
		e.log.Info("skipped at re-check", "action", o.Verb, "resource", f.Key, "why", changed.why)
		return o
	}
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, fmt.Errorf("re-check: %w", err)
		record(store.ResultFailed, o.Err)
		return o
	}

	var snap *store.EndpointSnapshot
	if s.Action.Type == policy.Delete {
		// Snapshot before anything changes: DeleteEndpoint drops the
		// scaling registration and the tags.
		sn, err := takeSnapshot(ctx, reg, f.Name, p.Mark())
		if err != nil {
			o.Result, o.Err = notify.ResultFailed, err
			record(store.ResultFailed, err)
			return o
		}
		snap = &sn
		d.Config = sn.Config
		entry.Details = d.json()
	}
	id, err := e.st.BeginAction(ctx, entry)
	if err != nil {
		o.Result, o.Err = notify.ResultFailed, err
		return o
	}
	o.ActionID = id
	if snap != nil {
		snap.ActionID = id
		if d.Snapshot, err = e.st.SaveSnapshot(ctx, *snap); err != nil {
			_ = e.st.FinishAction(ctx, id, err, nil)
			o.Result, o.Err = notify.ResultFailed, err
			return o
		}
	}
	actErr := e.act(ctx, reg, p, f, s, fresh)
	if err := e.st.FinishAction(ctx, id, actErr, d.json()); err != nil && actErr == nil {
		actErr = err
	}
	if actErr != nil {
		o.Result, o.Err = notify.ResultFailed, actErr
		e.log.Warn("action failed", "action", o.Verb, "resource", f.Key, "err", actErr)
		return o
	}
	o.Result = notify.ResultOK
	e.log.Info("acted", "action", o.Verb, "resource", f.Key, "rule", f.Rule)
	e.after(ctx, run, p, f, s, o)
	return o
}

// after records what an action changed in the store: marks and the
// savings ledger.
func (e *Executor) after(ctx context.Context, run store.Run, p *policy.Policy, f *policy.Finding, s policy.Step, o Outcome) {
	now := e.clock.Now()
	warn := func(what string, err error) {
		if err != nil {
			e.log.Warn(what, "resource", f.Key, "err", err)
		}
	}
	switch s.Action.Type {
	case policy.MarkAction:
		_, err := e.st.PutMark(ctx, store.Mark{Resource: f.Key, Rule: f.Rule, MarkedAt: now, ActAfter: s.ActAfter, RunID: run.ID})
		warn("put mark", err)
	case policy.Unmark:
		warn("delete mark", e.st.DeleteMark(ctx, f.Key, f.Rule))
	case policy.Stop, policy.Delete, policy.DeleteApp:
		if s.FromMark {
			warn("delete mark", e.st.DeleteMark(ctx, f.Key, f.Rule))
		}
		if s.Hourly.Known {
			_, err := e.st.StartSaving(ctx, f.Key, o.ActionID, s.Hourly, now)
			if errors.Is(err, store.ErrAlreadySaving) {
				err = nil
			}
			warn("savings ledger", err)
		}
	}
}

// notified records, in the notified mark (policy.NotifiedMarkRule), that
// the rule told about the subject now, so that later passes of the same
// idle streak skip it until s.ActAfter. The earlier mark, of an old streak
// or an interval over, is replaced (a rule with several notify actions
// replaces it once per action: the same mark, two more writes).
func (e *Executor) notified(ctx context.Context, run store.Run, f *policy.Finding, s policy.Step, marks []policy.Mark) {
	rule := policy.NotifiedMarkRule(f.Rule)
	now := e.clock.Now()
	for _, m := range marks {
		if m.Key != f.Key || m.Rule != rule {
			continue
		}
		if err := e.st.DeleteMark(ctx, f.Key, rule); err != nil {
			e.log.Warn("delete notified mark", "resource", f.Key, "err", err)
			return
		}
	}
	if _, err := e.st.PutMark(ctx, store.Mark{Resource: f.Key, Rule: rule, MarkedAt: now, ActAfter: s.ActAfter, RunID: run.ID}); err != nil {
		e.log.Warn("put notified mark", "resource", f.Key, "err", err)
	}
}

// recheck describes the subject again, re-fetches its evidence and
// evaluates the policy for it alone: the step must still be due, else
// errChanged. It returns the fresh resources.
func (e *Executor) recheck(ctx context.Context, reg *Region, p *policy.Policy, f *policy.Finding, s policy.Step, marks []policy.Mark) ([]resource.Resource, error) {
	fresh, err := describe(ctx, reg, f.Resources)
	if awsapi.IsNotFound(err) {
		return nil, &errChanged{why: "it no longer exists"}
	}
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	var v idle.Verdict
	switch f.Kind {
	case resource.Endpoint:
		w := evidenceWindow(p, now)
		var ev idle.EndpointEvidence
		if reg.Metrics != nil {
			ev = reg.Metrics.Endpoints(ctx, w, map[resource.ID][]resource.Resource{f.Key: fresh})[f.Key]
		} else {
			ev = idle.EndpointEvidence{Start: w.Start, End: w.End, Err: errors.New("no CloudWatch client")}
		}
		v = e.observe(ctx, f.Key, idle.Endpoint(fresh, ev, now), ev)
	default:
		vs, _ := e.Verdicts(ctx, fresh, metrics.Window{}, false)
		v = vs[f.Key]
	}
	again := policy.Evaluate(p, policy.Input{Resources: fresh, Verdicts: map[resource.ID]idle.Verdict{f.Key: v},
		Marks: marks, Price: e.price, Now: now})
	for _, g := range again.Findings {
		if g.Rule != f.Rule || g.Key != f.Key {
			continue
		}
		for _, t := range g.Steps {
			if t.Action.Type == s.Action.Type && t.FromMark == s.FromMark {
				if t.Status == policy.Act {
					return fresh, nil
				}
				return nil, &errChanged{why: t.Reason}
			}
		}
		return nil, &errChanged{why: "the rule no longer asks for " + verb(s) + ": " + g.Why}
	}
	return nil, &errChanged{why: "no longer selected by rule " + f.Rule + " (" + v.Evidence + ")"}
}

// describe reads the subject's resources again: status, running, tags.
func describe(ctx context.Context, reg *Region, rs []resource.Resource) ([]resource.Resource, error) {
	fresh := append([]resource.Resource(nil), rs...)
	r0 := rs[0]
	sm := reg.SageMaker
	var arn string
	var status string
	var running bool
	switch r0.Kind {
	case resource.NotebookInstance:
		out, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(r0.Name)})
		if err != nil {
			return nil, fmt.Errorf("describe notebook %s: %w", r0.Name, err)
		}
		arn, status = aws.ToString(out.NotebookInstanceArn), string(out.NotebookInstanceStatus)
		running = notebookRunning(out.NotebookInstanceStatus)
		for i := range fresh {
			fresh[i].LastModified = out.LastModifiedTime
		}
	case resource.Endpoint:
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(r0.Name)})
		if err != nil {
			return nil, fmt.Errorf("describe endpoint %s: %w", r0.Name, err)
		}
		arn, status = aws.ToString(out.EndpointArn), string(out.EndpointStatus)
		running = out.EndpointStatus != smtypes.EndpointStatusFailed && out.EndpointStatus != smtypes.EndpointStatusDeleting
		// The config is read from AWS, never from the scan's cache: it
		// decides which metrics judge the endpoint (an async endpoint
		// publishes no Invocations).
		cfg, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: out.EndpointConfigName})
		if err != nil {
			return nil, fmt.Errorf("describe endpoint config %s of %s: %w", aws.ToString(out.EndpointConfigName), r0.Name, err)
		}
		variants := map[string]smtypes.ProductionVariant{}
		for _, v := range append(append([]smtypes.ProductionVariant(nil), cfg.ProductionVariants...), cfg.ShadowProductionVariants...) {
			variants[aws.ToString(v.VariantName)] = v
		}
		counts := map[string]*int32{}
		for _, v := range out.ProductionVariants {
			counts[aws.ToString(v.VariantName)] = v.CurrentInstanceCount
		}
		for _, v := range out.ShadowProductionVariants {
			counts[aws.ToString(v.VariantName)] = v.CurrentInstanceCount
		}
		for i := range fresh {
			fresh[i].LastModified = out.LastModifiedTime
			fresh[i].Async = cfg.AsyncInferenceConfig != nil
			if v, ok := variants[fresh[i].Variant]; ok {
				fresh[i].InstanceType, fresh[i].Serverless = string(v.InstanceType), v.ServerlessConfig != nil
			}
			if c := counts[fresh[i].Variant]; c != nil && !fresh[i].Serverless {
				fresh[i].InstanceCount = int(*c)
			}
		}
	case resource.StudioApp:
		in, err := appInput(r0)
		if err != nil {
			return nil, err
		}
		out, err := sm.DescribeApp(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe app %s: %w", r0.Name, err)
		}
		if out.Status == smtypes.AppStatusDeleted {
			return nil, fmt.Errorf("describe app %s: %w", r0.Name, errGone)
		}
		arn, status = aws.ToString(out.AppArn), string(out.Status)
		running = out.Status == smtypes.AppStatusInService || out.Status == smtypes.AppStatusPending
	case resource.StudioDomain:
		out, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(r0.Name)})
		if err != nil {
			return nil, fmt.Errorf("describe domain %s: %w", r0.Name, err)
		}
		arn, status = aws.ToString(out.DomainArn), string(out.Status)
		on := domainIdleOn(out.DefaultUserSettings)
		fresh[0].IdleShutdown = &on
	case resource.StudioSpace:
		out, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String(r0.Parent), SpaceName: aws.String(r0.Name)})
		if err != nil {
			return nil, fmt.Errorf("describe space %s: %w", r0.Name, err)
		}
		arn, status = aws.ToString(out.SpaceArn), string(out.Status)
		on := spaceIdleOn(out.SpaceSettings)
		fresh[0].IdleShutdown = &on
	default:
		a, st, run, ok, err := describeForgotten(ctx, sm, r0)
		if !ok {
			return nil, fmt.Errorf("no re-check for %s", r0.Kind)
		}
		if err != nil {
			return nil, err
		}
		arn, status, running = a, st, run
	}
	tags := r0.Tags
	if arn != "" {
		t, err := listTags(ctx, sm, arn)
		if err != nil {
			return nil, err
		}
		tags = t
	}
	for i := range fresh {
		if arn != "" {
			fresh[i].ARN = arn
		}
		fresh[i].Status, fresh[i].Tags = status, tags
		if r0.Kind != resource.StudioDomain && r0.Kind != resource.StudioSpace {
			fresh[i].Running = running
		}
		if r0.Kind == resource.NotebookInstance || r0.Kind == resource.StudioApp {
			fresh[i].AgentLastActivity = inventory.AgentActivity(tags)
		}
	}
	return fresh, nil
}

// errGone is a resource AWS still lists but that is gone (a Deleted
// app); awsapi classifies it as not found.
var errGone = &smithy.GenericAPIError{Code: "ResourceNotFound", Message: "the resource is deleted"}

func notebookRunning(s smtypes.NotebookInstanceStatus) bool {
	switch s {
	case smtypes.NotebookInstanceStatusInService, smtypes.NotebookInstanceStatusPending, smtypes.NotebookInstanceStatusUpdating:
		return true
	}
	return false
}

func domainIdleOn(us *smtypes.UserSettings) bool {
	on := func(m *smtypes.AppLifecycleManagement) bool {
		return m != nil && m.IdleSettings != nil && m.IdleSettings.LifecycleManagement == smtypes.LifecycleManagementEnabled
	}
	if us == nil {
		return false
	}
	return (us.JupyterLabAppSettings != nil && on(us.JupyterLabAppSettings.AppLifecycleManagement)) ||
		(us.CodeEditorAppSettings != nil && on(us.CodeEditorAppSettings.AppLifecycleManagement))
}

func spaceIdleOn(ss *smtypes.SpaceSettings) bool {
	if ss == nil {
		return false
	}
	if s := ss.JupyterLabAppSettings; s != nil && s.AppLifecycleManagement != nil && s.AppLifecycleManagement.IdleSettings != nil {
		return s.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes != nil
	}
	if s := ss.CodeEditorAppSettings; s != nil && s.AppLifecycleManagement != nil && s.AppLifecycleManagement.IdleSettings != nil {
		return s.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes != nil
	}
	return false
}

func listTags(ctx context.Context, sm SageMaker, arn string) (map[string]string, error) {
	tags := map[string]string{}
	p := sagemaker.NewListTagsPaginator(sm, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

// appInput is DescribeApp's (and DeleteApp's) key for an inventory app,
// whose Name is "owner/type/name": the owner is a space for the apps that
// run in spaces (JupyterLab, CodeEditor), else a user profile (Studio
// Classic).
func appInput(r resource.Resource) (*sagemaker.DescribeAppInput, error) {
	parts := strings.SplitN(r.Name, "/", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("app %q: want owner/type/name", r.Name)
	}
	in := &sagemaker.DescribeAppInput{DomainId: aws.String(r.Parent), AppType: smtypes.AppType(parts[1]), AppName: aws.String(parts[2])}
	switch in.AppType {
	case smtypes.AppTypeJupyterLab, smtypes.AppTypeCodeEditor:
		in.SpaceName = aws.String(parts[0])
	default:
		in.UserProfileName = aws.String(parts[0])
	}
	return in, nil
}

// act makes the AWS calls of one step (after the re-check).
func (e *Executor) act(ctx context.Context, reg *Region, p *policy.Policy, f *policy.Finding, s policy.Step, fresh []resource.Resource) error {
	sm := reg.SageMaker
	r := fresh[0]
	switch s.Action.Type {
	case policy.Stop:
		if r.Kind == resource.MLflowTrackingServer {
			return stopMLflow(ctx, sm, r.Name)
		}
		return e.stopNotebook(ctx, sm, r.Name)
	case policy.Delete:
		return e.deleteEndpoint(ctx, sm, r.Name)
	case policy.DeleteApp:
		in, err := appInput(r)
		if err != nil {
			return err
		}
		_, err = sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: in.DomainId, AppType: in.AppType, AppName: in.AppName,
			SpaceName: in.SpaceName, UserProfileName: in.UserProfileName})
		if err != nil {
			return fmt.Errorf("delete app %s: %w", r.Name, err)
		}
		if r.Kind == resource.CanvasApp {
			// Nothing saved in Canvas is lost: models, datasets and
			// flows live in the domain's S3 and EFS, not in the app.
			e.log.Info("Canvas app deleted; the user's saved work is kept", "app", r.Name)
		}
		return nil
	case policy.SetIdleShutdown:
		return setIdleShutdown(ctx, sm, r, int32(s.Action.TimeoutMinutes))
	case policy.Tag:
		return addTags(ctx, sm, r.ARN, s.Action.Tags)
	case policy.MarkAction:
		return addTags(ctx, sm, r.ARN, map[string]string{p.Mark(): s.ActAfter.UTC().Format(time.RFC3339)})
	case policy.Unmark:
		if _, ok := r.Tags[p.Mark()]; !ok {
			return nil
		}
		if _, err := sm.DeleteTags(ctx, &sagemaker.DeleteTagsInput{ResourceArn: aws.String(r.ARN), TagKeys: []string{p.Mark()}}); err != nil {
			return fmt.Errorf("remove tag %s from %s: %w", p.Mark(), r.Name, err)
		}
		return nil
	}
	return fmt.Errorf("no executor for action %s", s.Action.Type)
}

func addTags(ctx context.Context, sm SageMaker, arn string, tags map[string]string) error {
	if arn == "" {
		return errors.New("tag: resource ARN not known")
	}
	var ts []smtypes.Tag
	for k, v := range tags {
		ts = append(ts, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := sm.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn), Tags: ts}); err != nil {
		return fmt.Errorf("tag %s: %w", arn, err)
	}
	return nil
}

// stopNotebook stops a notebook and waits until it is Stopped. A notebook
// already Stopping or Stopped is fine (someone else stopped it).
func (e *Executor) stopNotebook(ctx context.Context, sm SageMaker, name string) error {
	_, err := sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil && awsapi.Classify(err) != awsapi.InvalidState {
		return fmt.Errorf("stop notebook %s: %w", name, err)
	}
	if err != nil {
		out, derr := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if derr != nil || (out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopping && out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopped) {
			return fmt.Errorf("stop notebook %s: %w", name, err)
		}
	}
	w := sagemaker.NewNotebookInstanceStoppedWaiter(sm, func(o *sagemaker.NotebookInstanceStoppedWaiterOptions) {
		e.delays(&o.MinDelay, &o.MaxDelay)
	})
	if err := w.Wait(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)}, e.waits.NotebookStopped); err != nil {
		return fmt.Errorf("wait for notebook %s to stop (%s): %w", name, e.waits.NotebookStopped, err)
	}
	return nil
}

func (e *Executor) delays(min, max *time.Duration) {
	if e.waits.MinDelay > 0 {
		*min = e.waits.MinDelay
	}
	if e.waits.MaxDelay > 0 {
		*max = e.waits.MaxDelay
	}
}

func setIdleShutdown(ctx context.Context, sm SageMaker, r resource.Resource, minutes int32) error {
	if minutes == 0 {
		minutes = 60
	}
	switch r.Kind {
	case resource.StudioDomain:
		d, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(r.Name)})
		if err != nil {
			return fmt.Errorf("describe domain %s: %w", r.Name, err)
		}
		// Both app types that support idle shutdown (a space's setting is
		// refused while its domain's is off). Keep the domain's other
		// settings of each: UpdateDomain replaces them as a whole.
		lc := func() *smtypes.AppLifecycleManagement {
			return &smtypes.AppLifecycleManagement{IdleSettings: &smtypes.IdleSettings{
				LifecycleManagement: smtypes.LifecycleManagementEnabled, IdleTimeoutInMinutes: aws.Int32(minutes)}}
		}
		jl, ce := &smtypes.JupyterLabAppSettings{}, &smtypes.CodeEditorAppSettings{}
		if us := d.DefaultUserSettings; us != nil {
			if us.JupyterLabAppSettings != nil {
				c := *us.JupyterLabAppSettings
				jl = &c
			}
			if us.CodeEditorAppSettings != nil {
				c := *us.CodeEditorAppSettings
				ce = &c
			}
		}
		jl.AppLifecycleManagement, ce.AppLifecycleManagement = lc(), lc()
		if _, err := sm.UpdateDomain(ctx, &sagemaker.UpdateDomainInput{DomainId: aws.String(r.Name),
			DefaultUserSettings: &smtypes.UserSettings{JupyterLabAppSettings: jl, CodeEditorAppSettings: ce}}); err != nil {
			return fmt.Errorf("set idle shutdown on domain %s: %w", r.Name, err)
		}
		return nil
	case resource.StudioSpace:
		sp, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String(r.Parent), SpaceName: aws.String(r.Name)})
		if err != nil {
			return fmt.Errorf("describe space %s: %w", r.Name, err)
		}
		lc := &smtypes.SpaceAppLifecycleManagement{IdleSettings: &smtypes.SpaceIdleSettings{IdleTimeoutInMinutes: aws.Int32(minutes)}}
		set := &smtypes.SpaceSettings{}
		if sp.SpaceSettings != nil && sp.SpaceSettings.AppType == smtypes.AppTypeCodeEditor {
			ce := &smtypes.SpaceCodeEditorAppSettings{}
			if sp.SpaceSettings.CodeEditorAppSettings != nil {
				c := *sp.SpaceSettings.CodeEditorAppSettings
				ce = &c
			}
			ce.AppLifecycleManagement = lc
			set.CodeEditorAppSettings = ce
		} else {
			jl := &smtypes.SpaceJupyterLabAppSettings{}
			if sp.SpaceSettings != nil && sp.SpaceSettings.JupyterLabAppSettings != nil {
				c := *sp.SpaceSettings.JupyterLabAppSettings
				jl = &c
			}
			jl.AppLifecycleManagement = lc
			set.JupyterLabAppSettings = jl
		}
		if _, err := sm.UpdateSpace(ctx, &sagemaker.UpdateSpaceInput{DomainId: aws.String(r.Parent), SpaceName: aws.String(r.Name), SpaceSettings: set}); err != nil {
			return fmt.Errorf("set idle shutdown on space %s: %w", r.Name, err)
		}
		return nil
	}
	return fmt.Errorf("set idle shutdown: not a Studio domain or space: %s", r.Kind)
}
