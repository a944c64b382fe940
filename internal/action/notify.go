package action

import (
	"context"
	"encoding/json"
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
	d.Items = digestItems(append(append([]Outcome(nil), r.Recovered...), r.Outcomes...), rules)
	return d
}

// digestItems are the digest items of outcomes for the given rules (all
// when rules is nil). A finding acted on is one item (its action); the
// notice is an item only where nothing else was done.
func digestItems(outcomes []Outcome, rules map[string]bool) []notify.Item {
	acted := map[string]bool{}
	for _, o := range outcomes {
		if o.Verb != string(policy.Notify) {
			acted[o.Rule+"\x00"+o.Key.String()] = true
		}
	}
	var items []notify.Item
	for _, o := range outcomes {
		if rules != nil && o.Rule != "" && !rules[o.Rule] {
			continue
		}
		if errors.Is(o.Err, ErrNotDone) {
			continue // the next run's
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
		items = append(items, it)
	}
	return items
}

// noticePrefix starts the outbox key of apply's notices (store.Notice.Key).
const noticePrefix = "apply:"

// destination is one place a policy's notify actions send to, and the
// rules that name it.
type destination struct {
	action policy.Action
	rules  map[string]bool
}

// key is the destination's outbox key.
func (d *destination) key() string { return destKey(d.action) }

func destKey(a policy.Action) string { return noticePrefix + a.SNS + "\x00" + a.Webhook }

// target names the destination in the audit log.
func target(a policy.Action) string {
	if a.SNS != "" {
		return a.SNS
	}
	return "webhook"
}

// destinations are the policy's notify destinations, in rule order.
func destinations(p *policy.Policy) []*destination {
	var dests []*destination
	byKey := map[string]*destination{}
	for _, rule := range p.Rules {
		for _, a := range rule.Actions {
			if a.Type != policy.Notify {
				continue
			}
			k := destKey(a)
			d := byKey[k]
			if d == nil {
				d = &destination{action: policy.Action{Type: policy.Notify, SNS: a.SNS, Webhook: a.Webhook}, rules: map[string]bool{}}
				byKey[k] = d
				dests = append(dests, d)
			}
			d.rules[rule.Name] = true
		}
	}
	return dests
}

// queue writes the digest items of outcomes (one finding's steps, or the
// recovered actions) to the outbox, for every destination whose rules
// they belong to, as soon as they are over: a run killed before it
// publishes leaves them for the next run.
func (e *Executor) queue(ctx context.Context, run store.Run, dests []*destination, outcomes []Outcome) {
	var ns []store.Notice
	for _, d := range dests {
		dest, _ := json.Marshal(d.action)
		for _, it := range digestItems(outcomes, d.rules) {
			item, err := json.Marshal(it)
			if err != nil {
				continue
			}
			ns = append(ns, store.Notice{RunID: run.ID, Key: d.key(), Destination: dest, Item: item})
		}
	}
	if err := e.st.AddNotices(ctx, ns); err != nil {
		e.log.Warn("queue notices", "err", err)
	}
}

// notify sends one digest per destination with every notice not yet
// delivered to it: this run's, and those earlier runs could not deliver
// (a missing topic, a webhook that failed, a process killed before it
// published). A notice is marked sent only once the destination accepted
// the digest; an undelivered one stays for the next run. Each delivery is
// recorded in the audit log, and so is each of this run's notify steps,
// ok only when its destination accepted the digest.
func (e *Executor) notify(ctx context.Context, run store.Run, rep *Report) {
	pending, err := e.st.ClaimNotices(ctx, run.ID, noticePrefix)
	if err != nil {
		rep.NotifyErr = err
		return
	}
	type batch struct {
		action policy.Action
		ids    []int64
		items  []notify.Item
	}
	var order []string
	batches := map[string]*batch{}
	for _, n := range pending {
		b := batches[n.Key]
		if b == nil {
			b = &batch{}
			if err := json.Unmarshal(n.Destination, &b.action); err != nil {
				e.log.Warn("notice destination", "id", n.ID, "err", err)
				continue
			}
			batches[n.Key] = b
			order = append(order, n.Key)
		}
		var it notify.Item
		if err := json.Unmarshal(n.Item, &it); err != nil {
			e.log.Warn("notice item", "id", n.ID, "err", err)
			continue
		}
		if n.RunID != run.ID {
			it.Reason = fmt.Sprintf("undelivered notice of run %d: %s", n.RunID, it.Reason)
		}
		b.ids = append(b.ids, n.ID)
		b.items = append(b.items, it)
	}
	delivered := map[string]error{}
	var errs []error
	for _, k := range order {
		b := batches[k]
		dg := notify.Digest{Command: "apply", RunID: run.ID, At: rep.At, Actor: run.Actor(), Items: b.items}
		if !dg.Worth() {
			continue
		}
		var err error
		if e.notifier == nil {
			err = errors.New("no notifier configured")
		} else {
			var n notify.Notifier
			if n, err = e.notifier(b.action); err == nil {
				err = n.Notify(ctx, dg)
			}
		}
		delivered[k] = err
		tgt := target(b.action)
		entry := store.Action{RunID: run.ID, Actor: run.Actor(), Resource: tgt, Kind: "notification", Verb: "notify", Result: store.ResultOK,
			Details: details{Reason: fmt.Sprintf("%d item(s): %s", len(dg.Items), dg.Subject())}.json()}
		if err != nil {
			err = fmt.Errorf("notify %s: %w (%d notice(s) kept for the next run)", tgt, err, len(b.ids))
			delivered[k] = err
			entry.Result, entry.Error = store.ResultFailed, err.Error()
			errs = append(errs, err)
			e.log.Warn("notification failed", "target", tgt, "err", err)
			if serr := e.st.NoticesFailed(ctx, b.ids, err.Error()); serr != nil {
				e.log.Warn("record notices", "err", serr)
			}
		} else {
			rep.Notified = true
			if serr := e.st.NoticesSent(ctx, b.ids); serr != nil {
				e.log.Warn("record notices", "err", serr)
			}
		}
		if _, rerr := e.st.RecordAction(ctx, entry); rerr != nil {
			e.log.Warn("record notification", "err", rerr)
		}
	}
	// The run's notify steps: ok only once delivered.
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		if o.Verb != string(policy.Notify) || o.dest == "" {
			continue
		}
		err, sent := delivered[o.dest]
		if !sent {
			err = errors.New("not sent: another run holds its notices")
		}
		result := store.ResultOK
		if err != nil {
			o.Result, o.Err, result = notify.ResultFailed, err, store.ResultFailed
		}
		entry := o.entry
		entry.Result = result
		if err != nil {
			entry.Error = err.Error()
		}
		id, rerr := e.st.RecordAction(ctx, entry)
		if rerr != nil {
			e.log.Warn("record notice", "err", rerr)
		}
		o.ActionID = id
	}
	rep.NotifyErr = errors.Join(errs...)
}

// recordQueued writes the audit rows of the run's notify steps when the
// digest is deferred (WithDeferredDigest): the notice is in the outbox.
func (e *Executor) recordQueued(ctx context.Context, rep *Report) {
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		if o.Verb != string(policy.Notify) || o.dest == "" {
			continue
		}
		entry := o.entry
		entry.Result = store.ResultOK
		id, err := e.st.RecordAction(ctx, entry)
		if err != nil {
			e.log.Warn("record notice", "err", err)
		}
		o.ActionID = id
	}
}

// Deliver sends, for run (a running run that takes the notices), one
// digest per destination with every notice of a policy's notify actions
// not delivered yet, as Run does at its end unless WithDeferredDigest. It
// reports whether a digest was sent, and what failed (the notices that
// were not delivered stay in the outbox).
func (e *Executor) Deliver(ctx context.Context, run store.Run) (bool, error) {
	rep := &Report{RunID: run.ID, At: e.clock.Now()}
	e.notify(ctx, run, rep)
	return rep.Notified, rep.NotifyErr
}
