package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/store"
)

// noticeVerb is how a notify-only finding reads in the digest: the
// resource was reported, nothing was changed.
const noticeVerb = "notice"

// Digest is the run's digest for the outcomes of the given rules (all
// rules when rules is nil): every step that ran, was skipped at the
// re-check or failed.
func (r *Report) Digest(actor string, rules map[string]bool) notify.Digest {
	d := notify.Digest{Command: "apply", RunID: r.RunID, DryRun: r.DryRun, At: r.At, Actor: actor}
	// A finding acted on is one item (its action); the notice is an item
	// only where nothing else was done.
	acted := map[string]bool{}
	for _, o := range r.Outcomes {
		if o.Verb != string(policy.Notify) {
			acted[o.Rule+"\x00"+o.Key.String()] = true
		}
	}
	for _, o := range append(append([]Outcome(nil), r.Recovered...), r.Outcomes...) {
		if rules != nil && o.Rule != "" && !rules[o.Rule] {
			continue
		}
		if o.Verb == string(policy.Notify) && acted[o.Rule+"\x00"+o.Key.String()] {
			continue
		}
		it := notify.Item{Account: o.Account, Region: o.Region, Kind: string(o.Kind), Name: o.Name,
			Action: o.Verb, Result: o.Result, Reason: o.Reason, Schedule: o.Rule, Hourly: o.Hourly}
		if it.Action == string(policy.Notify) {
			it.Action = noticeVerb
		}
		if o.Err != nil {
			it.Error = o.Err.Error()
		}
		d.Items = append(d.Items, it)
	}
	return d
}

// notify sends one digest per destination named by the policy's notify
// actions, each with the outcomes of the rules that name it, and records
// the sending in the audit log.
func (e *Executor) notify(ctx context.Context, p *policy.Policy, run store.Run, rep *Report) {
	type dest struct {
		action policy.Action
		rules  map[string]bool
	}
	var dests []*dest
	byKey := map[string]*dest{}
	for _, rule := range p.Rules {
		for _, a := range rule.Actions {
			if a.Type != policy.Notify {
				continue
			}
			k := a.SNS + "\x00" + a.Webhook
			d := byKey[k]
			if d == nil {
				d = &dest{action: a, rules: map[string]bool{}}
				byKey[k] = d
				dests = append(dests, d)
			}
			d.rules[rule.Name] = true
		}
	}
	var errs []error
	for _, d := range dests {
		dg := rep.Digest(run.Actor(), d.rules)
		if !dg.Worth() {
			continue
		}
		target := d.action.SNS
		if target == "" {
			target = "webhook"
		}
		var err error
		if e.notifier == nil {
			err = errors.New("no notifier configured")
		} else {
			var n notify.Notifier
			if n, err = e.notifier(d.action); err == nil {
				err = n.Notify(ctx, dg)
			}
		}
		entry := store.Action{RunID: run.ID, Actor: run.Actor(), Resource: target, Kind: "notification", Verb: "notify", Result: store.ResultOK,
			Details: details{Reason: fmt.Sprintf("%d item(s): %s", len(dg.Items), dg.Subject())}.json()}
		if err != nil {
			entry.Result, entry.Error = store.ResultFailed, err.Error()
			errs = append(errs, fmt.Errorf("notify %s: %w", target, err))
			e.log.Warn("notification failed", "target", target, "err", err)
		} else {
			rep.Notified = true
		}
		if _, rerr := e.st.RecordAction(ctx, entry); rerr != nil {
			e.log.Warn("record notification", "err", rerr)
		}
	}
	rep.NotifyErr = errors.Join(errs...)
}
