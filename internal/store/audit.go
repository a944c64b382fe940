package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
)

// Result is an action's outcome in the audit log.
type Result string

// The results.
const (
	// ResultStarted: recorded before the AWS call; still "started" after
	// the run ended means the run died in between (see Recover).
	ResultStarted Result = "started"
	ResultOK      Result = "ok"
	ResultFailed  Result = "failed"
	ResultSkipped Result = "skipped"
)

// Action is one entry of the audit log.
type Action struct {
	ID       int64
	RunID    int64
	Started  time.Time
	Finished *time.Time
	// Actor is who acted (RunInfo.Actor of the run).
	Actor string
	// Resource is the resource key; Kind its inventory kind.
	Resource string
	Kind     string
	// Verb is the action: stop, delete, delete-app, set-idle-shutdown,
	// tag, mark, notify, restore, start...
	Verb   string
	DryRun bool
	Result Result
	Error  string
	// MonthlySaved is what the action saves per month (unknown: not known),
	// with its estimate flag.
	MonthlySaved pricing.Price
	// Details is a JSON object with verb-specific facts ("{}" when empty).
	Details json.RawMessage
}

// BeginAction records an action as started, before the AWS call, and
// returns its id. Started defaults to now.
func (s *SQLite) BeginAction(ctx context.Context, a Action) (int64, error) {
	a.Result = ResultStarted
	a.Finished = nil
	return s.insertAction(ctx, a)
}

// RecordAction records an action that is already over: a dry run, a skip,
// a notification. Result must not be ResultStarted.
func (s *SQLite) RecordAction(ctx context.Context, a Action) (int64, error) {
	if a.Result == ResultStarted || a.Result == "" {
		return 0, fmt.Errorf("record action %s %s: result must be ok, failed or skipped", a.Verb, a.Resource)
	}
	if a.Finished == nil {
		t := s.now()
		a.Finished = &t
	}
	return s.insertAction(ctx, a)
}

func (s *SQLite) insertAction(ctx context.Context, a Action) (int64, error) {
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
	res, err := s.db.ExecContext(ctx, `INSERT INTO actions
		(run_id, started, finished, actor, resource, kind, action, dry_run, result, error, monthly_saved, monthly_saved_estimate, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.RunID, fmtTime(a.Started), fmtTimePtr(a.Finished), a.Actor, a.Resource, a.Kind, a.Verb,
		boolInt(a.DryRun), a.Result, a.Error, priceText(a.MonthlySaved), boolInt(a.MonthlySaved.Known && a.MonthlySaved.Estimate), details)
	if err != nil {
		return 0, fmt.Errorf("record action %s %s: %w", a.Verb, a.Resource, err)
	}
	return res.LastInsertId()
}

// FinishAction records the outcome of a started action: ok when actErr is
// nil, failed with its message otherwise. details, when not nil, replaces
// the stored details.
func (s *SQLite) FinishAction(ctx context.Context, id int64, actErr error, details json.RawMessage) error {
	result, msg := ResultOK, ""
	if actErr != nil {
		result, msg = ResultFailed, actErr.Error()
	}
	return s.finishAction(ctx, id, result, msg, details)
}

// ResolveInterrupted closes an action a dead run left "started", after
// the next run re-checked the resource: result ok if the change is seen
// to have happened, failed if not, with a note saying how it was resolved.
func (s *SQLite) ResolveInterrupted(ctx context.Context, id int64, result Result, note string) error {
	if result == ResultStarted {
		return fmt.Errorf("resolve action %d: result must not be started", id)
	}
	return s.finishAction(ctx, id, result, "interrupted; "+note, nil)
}

func (s *SQLite) finishAction(ctx context.Context, id int64, result Result, msg string, details json.RawMessage) error {
	if details != nil && !json.Valid(details) {
		return fmt.Errorf("finish action %d: details are not JSON", id)
	}
	var d any
	if details != nil {
		d = string(details)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE actions SET finished = ?, result = ?, error = ?,
		details = COALESCE(?, details) WHERE id = ? AND result = 'started'`,
		fmtTime(s.now()), result, msg, d, id)
	if err != nil {
		return fmt.Errorf("finish action %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish action %d: no started action with that id: %w", id, ErrNotFound)
	}
	return nil
}

// ActionFilter selects audit log entries; zero fields do not filter.
type ActionFilter struct {
	RunID    int64
	Resource string
	Since    time.Time
	// Limit caps the number returned (newest first); 0 is no limit.
	Limit int
}

// Actions returns audit log entries, newest first.
func (s *SQLite) Actions(ctx context.Context, f ActionFilter) ([]Action, error) {
	where, args := "WHERE 1=1", []any{}
	if f.RunID != 0 {
		where += " AND a.run_id = ?"
		args = append(args, f.RunID)
	}
	if f.Resource != "" {
		where += " AND a.resource = ?"
		args = append(args, f.Resource)
	}
	if !f.Since.IsZero() {
		where += " AND a.started >= ?"
		args = append(args, fmtTime(f.Since))
	}
	where += " ORDER BY a.id DESC"
	if f.Limit > 0 {
		where += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	out, err := s.queryActions(ctx, where, args...)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return out, nil
}

// Action returns one audit log entry, or ErrNotFound.
func (s *SQLite) Action(ctx context.Context, id int64) (Action, error) {
	out, err := s.queryActions(ctx, "WHERE a.id = ?", id)
	if err != nil {
		return Action{}, fmt.Errorf("action %d: %w", id, err)
	}
	if len(out) == 0 {
		return Action{}, fmt.Errorf("action %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

func (s *SQLite) queryActions(ctx context.Context, where string, args ...any) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.run_id, a.started, a.finished, a.actor, a.resource, a.kind,
		a.action, a.dry_run, a.result, a.error, a.monthly_saved, a.monthly_saved_estimate, a.details
		FROM actions a JOIN runs r ON r.id = a.run_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var started, details string
		var finished, saved sql.NullString
		var dry, est int
		if err := rows.Scan(&a.ID, &a.RunID, &started, &finished, &a.Actor, &a.Resource, &a.Kind, &a.Verb,
			&dry, &a.Result, &a.Error, &saved, &est, &details); err != nil {
			return nil, err
		}
		a.DryRun = dry == 1
		a.Details = json.RawMessage(details)
		if a.Started, err = parseTime(started); err != nil {
			return nil, err
		}
		if a.Finished, err = parseTimePtr(finished); err != nil {
			return nil, err
		}
		if a.MonthlySaved, err = parsePrice(saved, est == 1); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Finding is one line of a plan as recorded for a run.
type Finding struct {
	ID       int64
	RunID    int64
	Resource string
	Kind     string
	Rule     string
	// Verdict is the idle state ("idle", "unknown", ...).
	Verdict string
	// Action is what the policy would do ("" for none, or "skipped: ...").
	Action   string
	Evidence string
	Monthly  pricing.Price
}

// AddFindings records a run's findings in one transaction.
func (s *SQLite) AddFindings(ctx context.Context, runID int64, fs []Finding) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO findings
			(run_id, resource, kind, rule, verdict, action, evidence, monthly, monthly_estimate)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, f := range fs {
			if _, err := stmt.ExecContext(ctx, runID, f.Resource, f.Kind, f.Rule, f.Verdict, f.Action, f.Evidence,
				priceText(f.Monthly), boolInt(f.Monthly.Known && f.Monthly.Estimate)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record findings of run %d: %w", runID, err)
	}
	return nil
}

// Findings returns the findings of a run in the order recorded.
func (s *SQLite) Findings(ctx context.Context, runID int64) ([]Finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, run_id, resource, kind, rule, verdict, action, evidence, monthly, monthly_estimate
		FROM findings WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("findings of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var f Finding
		var monthly sql.NullString
		var est int
		if err := rows.Scan(&f.ID, &f.RunID, &f.Resource, &f.Kind, &f.Rule, &f.Verdict, &f.Action, &f.Evidence, &monthly, &est); err != nil {
			return nil, fmt.Errorf("findings of run %d: %w", runID, err)
		}
		if f.Monthly, err = parsePrice(monthly, est == 1); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// priceText stores a known price as its exact decimal text, unknown as NULL.
func priceText(p pricing.Price) any {
	if !p.Known {
		return nil
	}
	return p.Amount.Plain()
}

func parsePrice(ns sql.NullString, estimate bool) (pricing.Price, error) {
	if !ns.Valid {
		return pricing.Unknown, nil
	}
	m, err := pricing.ParseMoney(ns.String)
	if err != nil {
		return pricing.Price{}, fmt.Errorf("stored amount: %w", err)
	}
	return pricing.Price{Amount: m, Known: true, Estimate: estimate}, nil
}
