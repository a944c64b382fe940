package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/store"
)

// resolveInterrupted closes the audit entries that an earlier schedule run
// left "started" when it died between recording an action and hearing
// back from AWS: it looks at each resource now and records the action as
// ok if the resource is seen to have gone that way, failed if not. (The
// memory was not written for them, so this run decides about them afresh
// anyway; this only makes the audit log say what happened.) Entries of
// other commands are theirs to resolve.
func (r *Runner) resolveInterrupted(ctx context.Context, actions []store.Action) {
	for _, a := range actions {
		run, err := r.store.Run(ctx, a.RunID)
		if err != nil || run.Command != r.info.Command {
			continue
		}
		result, note := r.lookBack(ctx, a)
		if err := r.store.ResolveInterrupted(ctx, a.ID, result, note); err != nil {
			r.log.Warn("resolve interrupted action", "id", a.ID, "err", err)
			continue
		}
		r.log.Info("resolved an interrupted action", "id", a.ID, "action", a.Verb, "resource", a.Resource, "result", result, "note", note)
	}
}

// lookBack says whether interrupted action a happened.
func (r *Runner) lookBack(ctx context.Context, a store.Action) (store.Result, string) {
	var d struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Name    string `json:"name"`
	}
	if err := json.Unmarshal(a.Details, &d); err != nil || d.Region == "" || d.Name == "" {
		return store.ResultFailed, "the entry does not say where the resource is: not re-checked"
	}
	var reg *Region
	for i := range r.regions {
		if g := &r.regions[i]; g.Region == d.Region && g.Err == nil && (d.Account == "" || g.Account == d.Account) {
			reg = g
		}
	}
	if reg == nil {
		return store.ResultFailed, fmt.Sprintf("account %s, region %s is not in this run: not re-checked", d.Account, d.Region)
	}
	res, err := find(ctx, *reg, d.Name)
	gone := awsapi.IsNotFound(err) || errors.Is(err, errNotFound)
	if err != nil && !gone {
		return store.ResultFailed, fmt.Sprintf("re-check: %v", err)
	}
	var happened bool
	switch a.Verb {
	case "start":
		happened = !gone && (res.Status == "Pending" || res.Status == "InService")
	case "stop":
		happened = !gone && (res.Status == "Stopping" || res.Status == "Stopped")
	case "delete-app":
		happened = gone || res.Status == "Deleting" || res.Status == "Deleted"
	}
	status := "gone"
	if !gone {
		status = res.Status
	}
	if happened {
		return store.ResultOK, fmt.Sprintf("re-checked by run of %s: %s, so the %s happened", r.clock.Now().UTC().Format("2006-01-02 15:04"), status, a.Verb)
	}
	return store.ResultFailed, fmt.Sprintf("re-checked by run of %s: %s, so the %s did not happen", r.clock.Now().UTC().Format("2006-01-02 15:04"), status, a.Verb)
}
