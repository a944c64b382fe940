package action

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The kinds of issue #17 (Canvas apps, MLflow tracking servers, HyperPod
// clusters): their verdicts, re-checks and actions.

// mlflowUp reports whether a tracking server is up and not on its way
// down: there is nothing to start.
func mlflowUp(s smtypes.TrackingServerStatus) bool {
	switch s {
	case smtypes.TrackingServerStatusCreated, smtypes.TrackingServerStatusStarted, smtypes.TrackingServerStatusUpdating,
		smtypes.TrackingServerStatusUpdated, smtypes.TrackingServerStatusMaintenanceInProgress,
		smtypes.TrackingServerStatusMaintenanceComplete, smtypes.TrackingServerStatusStopFailed:
		return true
	}
	return false
}

// hyperPodRunning reports whether a cluster status bills its nodes.
func hyperPodRunning(s smtypes.ClusterStatus) bool {
	return s != smtypes.ClusterStatusDeleting && s != smtypes.ClusterStatusFailed && s != smtypes.ClusterStatusCreating
}

// forgottenVerdicts judges the Canvas apps (one batched CloudWatch fetch
// per account and region over the last idle.CanvasWindow), MLflow
// tracking servers and HyperPod clusters among resources. It returns the
// accounts and regions where CloudWatch failed for Canvas apps.
func (e *Executor) forgottenVerdicts(ctx context.Context, resources []resource.Resource, now time.Time, out map[resource.ID]idle.Verdict) []EvidenceError {
	canvas := map[string]map[resource.ID]resource.Resource{}
	clusters := map[resource.ID][]resource.Resource{}
	for _, r := range resources {
		key := idle.SubjectKey(&r)
		switch r.Kind {
		case resource.CanvasApp:
			rk := regionKey(r.Account, r.Region)
			if canvas[rk] == nil {
				canvas[rk] = map[resource.ID]resource.Resource{}
			}
			canvas[rk][key] = r
		case resource.MLflowTrackingServer:
			out[key] = idle.MLflow(r, idle.MLflowEvidence{}, now)
		case resource.HyperPodCluster:
			clusters[key] = append(clusters[key], r)
		}
	}
	for key, rs := range clusters {
		out[key] = idle.HyperPod(rs, now)
	}
	w := metrics.CanvasWindow(metrics.Window{End: now})
	var errs []EvidenceError
	for _, rk := range slices.Sorted(maps.Keys(canvas)) {
		apps := canvas[rk]
		var failed EvidenceError
		var evs map[resource.ID]idle.CanvasEvidence
		if reg := e.regions[rk]; reg != nil && reg.Metrics != nil {
			evs = reg.Metrics.Canvas(ctx, w, apps)
		}
		for key, r := range apps {
			ev, ok := evs[key]
			if !ok {
				ev = idle.CanvasEvidence{Start: w.Start, End: w.End, Err: errors.New("no CloudWatch client for " + rk)}
			}
			out[key] = idle.Canvas(r, ev, now)
			if ev.Err != nil && r.Running {
				failed.CanvasApps++
				if failed.Err == "" {
					failed.Err = ev.Err.Error()
				}
			}
		}
		if failed.CanvasApps > 0 {
			failed.Account, failed.Region, _ = strings.Cut(rk, "/")
			e.log.Warn("CloudWatch evidence unknown: not acted on", "account", failed.Account, "region", failed.Region,
				"canvas_apps", failed.CanvasApps, "err", failed.Err)
			errs = append(errs, failed)
		}
	}
	return errs
}

// describeForgotten re-reads a Canvas app, an MLflow tracking server or a
// HyperPod cluster for the re-check: its ARN, status and whether it bills.
// ok is false for other kinds.
func describeForgotten(ctx context.Context, sm SageMaker, r0 resource.Resource) (arn, status string, running, ok bool, err error) {
	switch r0.Kind {
	case resource.CanvasApp:
		in, err := appInput(r0)
		if err != nil {
			return "", "", false, true, err
		}
		out, err := sm.DescribeApp(ctx, in)
		if err != nil {
			return "", "", false, true, fmt.Errorf("describe Canvas app %s: %w", r0.Name, err)
		}
		if out.Status == smtypes.AppStatusDeleted {
			return "", "", false, true, fmt.Errorf("describe Canvas app %s: %w", r0.Name, errGone)
		}
		return aws.ToString(out.AppArn), string(out.Status),
			out.Status == smtypes.AppStatusInService || out.Status == smtypes.AppStatusPending, true, nil
	case resource.MLflowTrackingServer:
		out, err := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(r0.Name)})
		if err != nil {
			return "", "", false, true, fmt.Errorf("describe MLflow tracking server %s: %w", r0.Name, err)
		}
		return aws.ToString(out.TrackingServerArn), string(out.TrackingServerStatus),
			inventory.TrackingServerBilled(out.TrackingServerStatus, out.IsActive), true, nil
	case resource.HyperPodCluster:
		out, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String(r0.Name)})
		if err != nil {
			return "", "", false, true, fmt.Errorf("describe HyperPod cluster %s: %w", r0.Name, err)
		}
		return aws.ToString(out.ClusterArn), string(out.ClusterStatus), hyperPodRunning(out.ClusterStatus), true, nil
	}
	return "", "", false, false, nil
}

// stopMLflow stops a tracking server. It returns once SageMaker accepted
// the stop (Stopping): no SDK waiter exists for tracking servers, and the
// server bills no more from then on. A server already Stopping or Stopped
// is fine (someone else stopped it).
func stopMLflow(ctx context.Context, sm SageMaker, name string) error {
	_, err := sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ConflictException" {
		out, derr := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
		if derr == nil && (out.TrackingServerStatus == smtypes.TrackingServerStatusStopping || out.TrackingServerStatus == smtypes.TrackingServerStatusStopped) {
			return nil
		}
	}
	return fmt.Errorf("stop MLflow tracking server %s: %w", name, err)
}

// MLflowStart is what StartMLflow did or, in a dry run, would do.
type MLflowStart struct {
	Account, Region, Name string
	// Status is the server's status before the start.
	Status string
	// Started is true when StartMlflowTrackingServer was called (not in a
	// dry run, not when it was already running).
	Started bool
	// AlreadyRunning is true when there was nothing to start.
	AlreadyRunning bool
	// Saved is the savings period closed by the start (nil when none
	// was open).
	Saved    *store.SavingPeriod
	ActionID int64
}

// ErrNotStartable is a tracking server in a status that cannot be started
// now (Creating, Stopping, Starting, Deleting, ...): try again later.
var ErrNotStartable = errors.New("the tracking server cannot be started in its status")

// StartMLflow starts a stopped MLflow tracking server on request (`sagesaver
// restore mlflow-tracking-server`): dry run unless told otherwise; the
// claim on the server, a re-read just before acting, an audit row, and the
// end of its savings period. A running server is left alone.
func (e *Executor) StartMLflow(ctx context.Context, account, region, name string, dryRun bool) (MLflowStart, error) {
	res := MLflowStart{Account: account, Region: region, Name: name}
	reg := e.regions[regionKey(account, region)]
	if reg == nil {
		return res, fmt.Errorf("start MLflow tracking server %s: no clients for %s/%s", name, account, region)
	}
	key := resource.ID{Account: account, Region: region, Kind: resource.MLflowTrackingServer, Name: name}
	read := func() (smtypes.TrackingServerStatus, error) {
		out, err := reg.SageMaker.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("describe MLflow tracking server %s: %w", name, err)
		}
		return out.TrackingServerStatus, nil
	}
	status, err := read()
	if err != nil {
		return res, err
	}
	res.Status = string(status)
	startable := []smtypes.TrackingServerStatus{smtypes.TrackingServerStatusStopped, smtypes.TrackingServerStatusStartFailed}
	switch {
	case mlflowUp(status):
		res.AlreadyRunning = true
		return res, nil
	case !slices.Contains(startable, status):
		return res, fmt.Errorf("start MLflow tracking server %s (status %s): %w", name, status, ErrNotStartable)
	case dryRun:
		return res, nil
	}
	info := e.info
	info.Command, info.DryRun = "restore", false
	run, err := e.st.StartRun(ctx, info)
	if err != nil {
		return res, err
	}
	finish := func(err error) (MLflowStart, error) {
		if ferr := e.st.FinishRun(ctx, run.ID, err); ferr != nil && err == nil {
			err = ferr
		}
		return res, err
	}
	if err := e.st.Claim(ctx, run.ID, key, "start"); err != nil {
		return finish(fmt.Errorf("start MLflow tracking server %s: %w", name, err))
	}
	defer func() {
		if err := e.st.Release(ctx, run.ID, key); err != nil {
			e.log.Warn("release claim", "resource", key, "err", err)
		}
	}()
	// Re-read under the claim: another run may have started it.
	if status, err = read(); err != nil {
		return finish(err)
	}
	if mlflowUp(status) {
		res.AlreadyRunning, res.Status = true, string(status)
		return finish(nil)
	}
	id, err := e.st.BeginAction(ctx, store.Action{RunID: run.ID, Actor: run.Actor(), Resource: key.String(),
		Kind: string(resource.MLflowTrackingServer), Verb: "start", MonthlySaved: pricing.Price{Known: true},
		Details: details{Reason: "started on request (restore)"}.json()})
	if err != nil {
		return finish(err)
	}
	res.ActionID = id
	_, actErr := reg.SageMaker.StartMlflowTrackingServer(ctx, &sagemaker.StartMlflowTrackingServerInput{TrackingServerName: aws.String(name)})
	if actErr != nil {
		actErr = fmt.Errorf("start MLflow tracking server %s: %w", name, actErr)
	}
	if err := e.st.FinishAction(ctx, id, actErr, nil); err != nil && actErr == nil {
		actErr = err
	}
	if actErr != nil {
		return finish(actErr)
	}
	res.Started = true
	now := e.clock.Now()
	if sv, err := e.openSaving(ctx, key); err == nil && sv != nil {
		res.Saved = sv
	}
	if _, err := e.st.StopSaving(ctx, key, now); err != nil {
		e.log.Warn("savings ledger", "resource", key, "err", err)
	} else if res.Saved != nil {
		res.Saved.Until = &now
	}
	return finish(nil)
}

// openSaving returns key's open savings period, nil when none is open.
func (e *Executor) openSaving(ctx context.Context, key resource.ID) (*store.SavingPeriod, error) {
	ss, err := e.st.Savings(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ss {
		if ss[i].Resource == key && ss[i].Until == nil {
			return &ss[i], nil
		}
	}
	return nil, nil
}

// Consequence is what the owner of a resource loses, or keeps, when verb
// is done to it, for the notice ("" when there is nothing to add).
func Consequence(kind resource.Kind, verb string) string {
	switch {
	case kind == resource.CanvasApp && verb == "delete-app":
		return "the user loses nothing saved in Canvas (models, datasets and flows are kept in the domain); logging in to Canvas again starts a new session"
	case kind == resource.MLflowTrackingServer && verb == "stop":
		return "experiments, runs and artifacts are kept; `sagesaver restore mlflow-tracking-server NAME --yes` starts it again"
	case kind == resource.HyperPodCluster:
		return "scale its instance groups down or delete it yourself (sagesaver advise says which)"
	}
	return ""
}
