package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/resource"
	dash "github.com/sagesaver/sagesaver/internal/serve"
)

// dashActor runs the dashboard's mutations (serve --actions) through the
// executor of apply and restore: claims, the re-check just before acting,
// the audit log, with the dashboard's user as the actor. One mutation at
// a time.
type dashActor struct {
	mu sync.Mutex
	// setup returns the executor, the policy whose finding is applied
	// and a function that runs around a real action (the demo's clock).
	setup  func(ctx context.Context, rule string) (*action.Executor, *policy.Policy, error)
	around func() func()
	source dash.Source
}

// commandDashboard names the runs the dashboard starts in the audit log;
// they are not the latest plan the Opportunities page reads (one finding
// each).
const commandDashboard = "dashboard apply"

func (d *dashActor) Apply(ctx context.Context, rule, res, actor string, dryRun bool) (dash.ActResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, err := resource.ParseID(res)
	if err != nil {
		return dash.ActResult{}, err
	}
	whole := id.Whole()
	ex, p, err := d.setup(ctx, rule)
	if err != nil {
		return dash.ActResult{}, err
	}
	one := *p
	one.Rules = nil
	for _, r := range p.Rules {
		if r.Name == rule {
			one.Rules = append(one.Rules, r)
		}
	}
	if len(one.Rules) == 0 {
		return dash.ActResult{}, fmt.Errorf("apply %s: no rule %q in %s", res, rule, p.File())
	}
	snap := d.source.Latest()
	if snap == nil {
		return dash.ActResult{}, errors.New("no inventory yet")
	}
	var rs []resource.Resource
	for _, l := range snap.Scan.Lines {
		if l.Resource.ID() == whole {
			rs = append(rs, l.Resource)
		}
	}
	if len(rs) == 0 {
		return dash.ActResult{}, fmt.Errorf("apply %s: not in the latest inventory", res)
	}
	if !dryRun && d.around != nil {
		defer d.around()()
	}
	rep, err := ex.As(actor).Run(ctx, commandDashboard, &one, rs, dryRun)
	if err != nil {
		return dash.ActResult{}, fmt.Errorf("apply %s to %s: %w", rule, res, err)
	}
	out := dash.ActResult{Run: rep.RunID}
	for _, o := range rep.Outcomes {
		step := fmt.Sprintf("%s %s %s: %s", o.Verb, o.Kind, o.Name, o.Result)
		if o.Reason != "" {
			step += " (" + o.Reason + ")"
		}
		if o.Err != nil {
			step += ": " + o.Err.Error()
		}
		out.Steps = append(out.Steps, step)
	}
	if len(rep.Outcomes) == 0 {
		out.Summary = "The rule does not act on it now (the re-evaluation found nothing to do)."
	}
	if rep.Failed() {
		return out, fmt.Errorf("%d step(s) failed", rep.Count("failed"))
	}
	return out, nil
}

func (d *dashActor) Restore(ctx context.Context, account, region, name, actor string, dryRun bool) (dash.ActResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ex, _, err := d.setup(ctx, "")
	if err != nil {
		return dash.ActResult{}, err
	}
	if !dryRun && d.around != nil {
		defer d.around()()
	}
	res, err := ex.As(actor).Restore(ctx, account, region, name, dryRun)
	out := dash.ActResult{Steps: res.Steps}
	if len(res.Resumed) > 0 {
		out.Summary = fmt.Sprintf("An earlier restore did: %v.", res.Resumed)
	}
	return out, err
}
