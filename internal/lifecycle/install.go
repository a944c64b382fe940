package lifecycle

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/awsapi"
)

// SageMaker is every call Install and Audit make: awsapi.LifecycleAPI.
type SageMaker = awsapi.LifecycleAPI

// DefaultName is the lifecycle configuration's name when none is given.
const DefaultName = "sagesaver-agent"

// marker is in every script Render writes: it tells our configurations
// from the user's own.
const marker = "# sagesaver agent: stop this notebook when idle"

// ErrNeedsStop is returned when attaching needs the instance stopped and
// the caller did not allow it.
var ErrNeedsStop = errors.New("the notebook instance is InService: attaching a lifecycle configuration needs it stopped (and started again); pass --yes to do that now")

// InstallOptions configure Install.
type InstallOptions struct {
	Notebook string
	// Name is the lifecycle configuration's name (DefaultName if empty).
	Name string
	// Script is the on-start script, from Render.
	Script string
	// Yes allows stopping an InService instance to attach, and starting
	// it again afterwards.
	Yes bool
	// DryRun makes no change: Install only reads, and its result says
	// what it would do.
	DryRun bool
	// WaitDelay is the waiters' shortest delay between two Describe calls
	// (0: 15 seconds); WaitTimeout bounds each wait (0: 15 minutes).
	WaitDelay   time.Duration
	WaitTimeout time.Duration
	Log         *slog.Logger
}

// InstallResult says what Install did.
// In a dry run, it says what Install would do.
type InstallResult struct {
	DryRun   bool
	Config   string // "created", "updated" or "unchanged"
	Attached bool   // UpdateNotebookInstance was called
	Stopped  bool   // the instance was stopped to attach
	Started  bool   // and started again
}

// Install creates or updates the lifecycle configuration and attaches it to
// the notebook instance. It never overwrites a configuration that sagesaver
// did not write, and never replaces another configuration attached to the
// instance.
func Install(ctx context.Context, c SageMaker, o InstallOptions) (InstallResult, error) {
	res := InstallResult{DryRun: o.DryRun}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.WaitDelay == 0 {
		o.WaitDelay = 15 * time.Second
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 15 * time.Minute
	}
	if !strings.Contains(o.Script, marker) {
		return res, errors.New("install: the script is not one rendered by sagesaver")
	}
	nb, err := c.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(o.Notebook)})
	if err != nil {
		return res, fmt.Errorf("describe notebook %s: %w", o.Notebook, err)
	}
	attached := aws.ToString(nb.NotebookInstanceLifecycleConfigName)
	if attached != "" && attached != o.Name {
		return res, fmt.Errorf("notebook %s already runs lifecycle configuration %q: add the output of 'sagesaver lifecycle render' to its on-start script, or pass --name %s to update it if sagesaver wrote it", o.Notebook, attached, attached)
	}

	// The configuration.
	content := base64.StdEncoding.EncodeToString([]byte(o.Script))
	hooks := []smtypes.NotebookInstanceLifecycleHook{{Content: aws.String(content)}}
	cur, err := c.DescribeNotebookInstanceLifecycleConfig(ctx, &sagemaker.DescribeNotebookInstanceLifecycleConfigInput{NotebookInstanceLifecycleConfigName: aws.String(o.Name)})
	switch {
	case err != nil && !awsapi.IsNotFound(err):
		return res, fmt.Errorf("describe lifecycle config %s: %w", o.Name, err)
	case err != nil && o.DryRun:
		res.Config = "created"
	case err != nil:
		if _, err := c.CreateNotebookInstanceLifecycleConfig(ctx, &sagemaker.CreateNotebookInstanceLifecycleConfigInput{
			NotebookInstanceLifecycleConfigName: aws.String(o.Name), OnStart: hooks,
		}); err != nil {
			return res, fmt.Errorf("create lifecycle config %s: %w", o.Name, err)
		}
		res.Config = "created"
	default:
		old := onStart(cur.OnStart)
		if !strings.Contains(old, marker) {
			return res, fmt.Errorf("lifecycle config %s exists and was not written by sagesaver: choose another --name", o.Name)
		}
		res.Config = "unchanged"
		if old != o.Script && o.DryRun {
			res.Config = "updated"
		} else if old != o.Script {
			if _, err := c.UpdateNotebookInstanceLifecycleConfig(ctx, &sagemaker.UpdateNotebookInstanceLifecycleConfigInput{
				NotebookInstanceLifecycleConfigName: aws.String(o.Name), OnStart: hooks, OnCreate: cur.OnCreate,
			}); err != nil {
				return res, fmt.Errorf("update lifecycle config %s: %w", o.Name, err)
			}
			res.Config = "updated"
		}
	}
	o.Log.Info("lifecycle config "+res.Config, "name", o.Name)
	if attached == o.Name {
		// Already attached: the new script runs at the next start.
		return res, nil
	}

	// Attach.
	name := aws.String(o.Notebook)
	status := nb.NotebookInstanceStatus
	switch status {
	case smtypes.NotebookInstanceStatusStopped, smtypes.NotebookInstanceStatusFailed:
	case smtypes.NotebookInstanceStatusInService:
		if o.DryRun {
			res.Attached, res.Stopped, res.Started = true, true, true
			return res, nil
		}
		if !o.Yes {
			return res, ErrNeedsStop
		}
		o.Log.Info("stopping notebook to attach the lifecycle config", "notebook", o.Notebook)
		if _, err := c.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: name}); err != nil {
			return res, fmt.Errorf("stop notebook %s: %w", o.Notebook, err)
		}
		res.Stopped = true
		if err := waitStopped(ctx, c, o); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("notebook %s is %s: try again once it is InService or Stopped", o.Notebook, status)
	}
	if o.DryRun {
		res.Attached = true
		return res, nil
	}
	if _, err := c.UpdateNotebookInstance(ctx, &sagemaker.UpdateNotebookInstanceInput{NotebookInstanceName: name, LifecycleConfigName: aws.String(o.Name)}); err != nil {
		return res, fmt.Errorf("attach lifecycle config %s to notebook %s: %w", o.Name, o.Notebook, err)
	}
	res.Attached = true
	if res.Stopped {
		// Update passes through Updating back to Stopped; then start it
		// again, as it was.
		if err := waitStopped(ctx, c, o); err != nil {
			return res, err
		}
		if _, err := c.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: name}); err != nil {
			return res, fmt.Errorf("start notebook %s: %w", o.Notebook, err)
		}
		res.Started = true
	}
	return res, nil
}

func waitStopped(ctx context.Context, c SageMaker, o InstallOptions) error {
	w := sagemaker.NewNotebookInstanceStoppedWaiter(c, func(wo *sagemaker.NotebookInstanceStoppedWaiterOptions) {
		wo.MinDelay = o.WaitDelay
		wo.MaxDelay = max(o.WaitDelay, wo.MaxDelay)
	})
	if err := w.Wait(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(o.Notebook)}, o.WaitTimeout); err != nil {
		return fmt.Errorf("wait for notebook %s to stop: %w", o.Notebook, err)
	}
	return nil
}

func onStart(hooks []smtypes.NotebookInstanceLifecycleHook) string {
	var b strings.Builder
	for _, h := range hooks {
		s, err := base64.StdEncoding.DecodeString(aws.ToString(h.Content))
		if err == nil {
			b.Write(s)
		}
	}
	return b.String()
}
