package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
)

type actionItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	ID       int64  `dynamodbav:"id"`
	RunID    int64  `dynamodbav:"run_id"`
	Started  string `dynamodbav:"started"`
	Finished string `dynamodbav:"finished,omitempty"`
	Actor    string `dynamodbav:"actor,omitempty"`
	Resource string `dynamodbav:"resource,omitempty"`
	Kind     string `dynamodbav:"kind,omitempty"`
	Verb     string `dynamodbav:"verb,omitempty"`
	DryRun   bool   `dynamodbav:"dry_run"`
	Result   string `dynamodbav:"result"`
	Error    string `dynamodbav:"error,omitempty"`
	// Saved is the monthly saving as exact decimal text, absent when
	// unknown.
	Saved         string `dynamodbav:"monthly_saved,omitempty"`
	SavedEstimate bool   `dynamodbav:"monthly_saved_estimate"`
	Details       string `dynamodbav:"details"`
}

func (it actionItem) action() (store.Action, error) {
	a := store.Action{ID: it.ID, RunID: it.RunID, Actor: it.Actor, Resource: it.Resource, Kind: it.Kind, Verb: it.Verb,
		DryRun: it.DryRun, Result: store.Result(it.Result), Error: it.Error, Details: json.RawMessage(it.Details)}
	var err error
	if a.Started, err = parseTime(it.Started); err != nil {
		return store.Action{}, err
	}
	if a.Finished, err = parseTimePtr(it.Finished); err != nil {
		return store.Action{}, err
	}
	if a.MonthlySaved, err = parsePrice(it.Saved, it.SavedEstimate); err != nil {
		return store.Action{}, err
	}
	return a, nil
}

// priceText is a known price's exact decimal text, "" when unknown.
func priceText(p pricing.Price) string {
	if !p.Known {
		return ""
	}
	return p.Amount.Plain()
}

func parsePrice(s string, estimate bool) (pricing.Price, error) {
	if s == "" {
		return pricing.Unknown, nil
	}
	m, err := pricing.ParseMoney(s)
	if err != nil {
		return pricing.Price{}, fmt.Errorf("stored amount: %w", err)
	}
	return pricing.Price{Amount: m, Known: true, Estimate: estimate}, nil
}

// BeginAction records a as started, before the AWS call. The started
// index entry is written before the action, so that Recover finds every
// started action (an entry without its action is dropped).
func (s *Store) BeginAction(ctx context.Context, a store.Action) (int64, error) {
	a.Result = store.ResultStarted
	a.Finished = nil
	return s.insertAction(ctx, a)
}

// RecordAction records an action that is already over.
func (s *Store) RecordAction(ctx context.Context, a store.Action) (int64, error) {
	if a.Result == store.ResultStarted || a.Result == "" {
		return 0, fmt.Errorf("record action %s %s: result must be ok, failed or skipped", a.Verb, a.Resource)
	}
	if a.Finished == nil {
		t := s.now()
		a.Finished = &t
	}
	return s.insertAction(ctx, a)
}

func (s *Store) insertAction(ctx context.Context, a store.Action) (int64, error) {
	if a.Started.IsZero() {
		a.Started = s.now()
	}
	details := string(a.Details)
	if len(a.Details) == 0 {
		details = "{}"
	}
	if !json.Valid([]byte(details)) {
		return 0, fmt.Errorf("record action %s %s: details are not JSON", a.Verb, a.Resource)
	}
	id, err := s.nextID(ctx, "action")
	if err != nil {
		return 0, fmt.Errorf("record action %s %s: %w", a.Verb, a.Resource, err)
	}
	it := actionItem{PK: "action", SK: idKey(id), ID: id, RunID: a.RunID, Started: fmtTime(a.Started), Actor: a.Actor,
		Resource: a.Resource, Kind: a.Kind, Verb: a.Verb, DryRun: a.DryRun, Result: string(a.Result), Error: a.Error,
		Saved: priceText(a.MonthlySaved), SavedEstimate: a.MonthlySaved.Known && a.MonthlySaved.Estimate, Details: details}
	if a.Finished != nil {
		it.Finished = fmtTime(*a.Finished)
	}
	if a.Result == store.ResultStarted {
		if err := s.put(ctx, indexItem{PK: "started", SK: idKey(id)}, "", nil); err != nil {
			return 0, fmt.Errorf("record action %s %s: %w", a.Verb, a.Resource, err)
		}
	}
	if err := s.put(ctx, it, "attribute_not_exists(pk)", nil); err != nil {
		return 0, fmt.Errorf("record action %s %s: %w", a.Verb, a.Resource, err)
	}
	return id, nil
}

// FinishAction closes started action id: one update conditional on its
// result being started.
func (s *Store) FinishAction(ctx context.Context, id int64, actErr error, details json.RawMessage) error {
	result, msg := store.ResultOK, ""
	if actErr != nil {
		result, msg = store.ResultFailed, actErr.Error()
	}
	return s.finishAction(ctx, id, result, msg, details)
}

// ResolveInterrupted closes started action id that a dead run left.
func (s *Store) ResolveInterrupted(ctx context.Context, id int64, result store.Result, note string) error {
	if result == store.ResultStarted {
		return fmt.Errorf("resolve action %d: result must not be started", id)
	}
	return s.finishAction(ctx, id, result, "interrupted; "+note, nil)
}

func (s *Store) finishAction(ctx context.Context, id int64, result store.Result, msg string, details json.RawMessage) error {
	if details != nil && !json.Valid(details) {
		return fmt.Errorf("finish action %d: details are not JSON", id)
	}
	expr := "SET finished = :now, #result = :result, #error = :msg"
	vals := item{":now": str(fmtTime(s.now())), ":result": str(string(result)), ":msg": str(msg),
		":started": str(string(store.ResultStarted))}
	if details != nil {
		expr += ", details = :details"
		vals[":details"] = str(string(details))
	}
	_, err := s.update(ctx, "action", idKey(id), expr, "#result = :started", vals,
		map[string]string{"#result": "result", "#error": "error"})
	if condFailed(err) {
		return fmt.Errorf("finish action %d: no started action with that id: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("finish action %d: %w", id, err)
	}
	if err := s.del(ctx, "started", idKey(id), "", nil); err != nil {
		return fmt.Errorf("finish action %d: %w", id, err)
	}
	return nil
}

// Actions returns the audit log entries f selects, newest first.
func (s *Store) Actions(ctx context.Context, f store.ActionFilter) ([]store.Action, error) {
	q := query{pk: "action", desc: true, vals: item{}, names: map[string]string{}}
	var conds []string
	if f.RunID != 0 {
		conds = append(conds, "run_id = :run")
		q.vals[":run"] = num(f.RunID)
	}
	if f.Resource != "" {
		conds = append(conds, "#resource = :resource")
		q.vals[":resource"] = str(f.Resource)
		q.names["#resource"] = "resource"
	}
	if !f.Since.IsZero() {
		conds = append(conds, "started >= :since")
		q.vals[":since"] = str(fmtTime(f.Since))
	}
	for i, c := range conds {
		if i > 0 {
			q.filter += " AND "
		}
		q.filter += c
	}
	var out []store.Action
	err := s.each(ctx, q, func(it item) (bool, error) {
		var ai actionItem
		if err := unmarshal(it, &ai); err != nil {
			return false, err
		}
		a, err := ai.action()
		if err != nil {
			return false, err
		}
		out = append(out, a)
		return f.Limit <= 0 || len(out) < f.Limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return out, nil
}

// Action returns action id, or ErrNotFound.
func (s *Store) Action(ctx context.Context, id int64) (store.Action, error) {
	var it actionItem
	found, err := s.get(ctx, "action", idKey(id), &it)
	if err != nil {
		return store.Action{}, fmt.Errorf("action %d: %w", id, err)
	}
	if !found {
		return store.Action{}, fmt.Errorf("action %d: %w", id, store.ErrNotFound)
	}
	return it.action()
}

// interrupted lists every started action of a run that is not running,
// oldest first, dropping index entries of actions no longer started.
func (s *Store) interrupted(ctx context.Context) ([]store.Action, error) {
	started, err := all[indexItem](ctx, s, query{pk: "started"})
	if err != nil {
		return nil, err
	}
	status := map[int64]store.RunStatus{}
	var out []store.Action
	for _, ix := range started {
		var it actionItem
		found, err := s.get(ctx, "action", ix.SK, &it)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // BeginAction in progress, or one that died before its action
		}
		if it.Result != string(store.ResultStarted) {
			// A FinishAction that died before dropping the entry.
			if err := s.del(ctx, "started", ix.SK, "", nil); err != nil {
				return nil, err
			}
			continue
		}
		st, err := s.runStatus(ctx, it.RunID, status)
		if err != nil {
			return nil, err
		}
		if st == store.RunRunning {
			continue
		}
		a, err := it.action()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

type findingItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	ID       int64  `dynamodbav:"id"`
	RunID    int64  `dynamodbav:"run_id"`
	Resource string `dynamodbav:"resource,omitempty"`
	Kind     string `dynamodbav:"kind,omitempty"`
	Rule     string `dynamodbav:"rule,omitempty"`
	Verdict  string `dynamodbav:"verdict,omitempty"`
	Action   string `dynamodbav:"action,omitempty"`
	Evidence string `dynamodbav:"evidence,omitempty"`
	Monthly  string `dynamodbav:"monthly,omitempty"`
	Estimate bool   `dynamodbav:"monthly_estimate"`
}

func findingsPK(run int64) string { return fmt.Sprintf("finding#%d", run) }

// AddFindings records a run's findings: ids reserved with one atomic add,
// then batch writes. All are visible when it returns.
func (s *Store) AddFindings(ctx context.Context, runID int64, fs []store.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	first, err := s.nextIDs(ctx, "finding", len(fs))
	if err != nil {
		return fmt.Errorf("record findings of run %d: %w", runID, err)
	}
	vs := make([]any, len(fs))
	for i, f := range fs {
		id := first + int64(i)
		vs[i] = findingItem{PK: findingsPK(runID), SK: idKey(id), ID: id, RunID: runID, Resource: f.Resource, Kind: f.Kind,
			Rule: f.Rule, Verdict: f.Verdict, Action: f.Action, Evidence: f.Evidence,
			Monthly: priceText(f.Monthly), Estimate: f.Monthly.Known && f.Monthly.Estimate}
	}
	if err := s.batchPut(ctx, vs); err != nil {
		return fmt.Errorf("record findings of run %d: %w", runID, err)
	}
	return nil
}

// Findings returns run runID's findings in the order recorded.
func (s *Store) Findings(ctx context.Context, runID int64) ([]store.Finding, error) {
	items, err := all[findingItem](ctx, s, query{pk: findingsPK(runID)})
	if err != nil {
		return nil, fmt.Errorf("findings of run %d: %w", runID, err)
	}
	out := make([]store.Finding, 0, len(items))
	for _, it := range items {
		m, err := parsePrice(it.Monthly, it.Estimate)
		if err != nil {
			return nil, fmt.Errorf("findings of run %d: %w", runID, err)
		}
		out = append(out, store.Finding{ID: it.ID, RunID: it.RunID, Resource: it.Resource, Kind: it.Kind, Rule: it.Rule,
			Verdict: it.Verdict, Action: it.Action, Evidence: it.Evidence, Monthly: m})
	}
	return out, nil
}
