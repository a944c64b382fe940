package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// IdleRecord is a resource's idle streak: idle evidence without a gap from
// FirstIdle to LastSeen.
type IdleRecord struct {
	Resource  resource.ID
	FirstIdle time.Time
	LastSeen  time.Time
}

// ObserveIdle records that resource was idle over the evidence window
// [from, to] (an endpoint's metrics window: idle.Verdict.Since to now) and
// returns the start of its idle streak. Windows that overlap or touch the
// previous one extend the streak, so a 3-day idleFor is reached after
// three daily runs with 24-hour windows; a window that starts after the
// last one ended (a run was missed) starts a new streak, because nobody
// saw what happened in the gap.
func (s *SQLite) ObserveIdle(ctx context.Context, res resource.ID, from, to time.Time) (time.Time, error) {
	var first string
	err := s.db.QueryRowContext(ctx, `INSERT INTO idle_since (resource, first_idle, last_seen) VALUES (?, ?, ?)
		ON CONFLICT (resource) DO UPDATE SET
			first_idle = CASE WHEN idle_since.last_seen >= excluded.first_idle
				THEN MIN(idle_since.first_idle, excluded.first_idle) ELSE excluded.first_idle END,
			last_seen = CASE WHEN idle_since.last_seen >= excluded.first_idle
				THEN MAX(idle_since.last_seen, excluded.last_seen) ELSE excluded.last_seen END
		RETURNING first_idle`, res, fmtTime(from), fmtTime(to)).Scan(&first)
	if err != nil {
		return time.Time{}, fmt.Errorf("observe idle %s: %w", res, err)
	}
	return parseTime(first)
}

// ResetIdle forgets resource's idle streak: it was seen active.
// (An Unknown verdict changes nothing: call neither.)
func (s *SQLite) ResetIdle(ctx context.Context, res resource.ID) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM idle_since WHERE resource = ?`, res); err != nil {
		return fmt.Errorf("reset idle %s: %w", res, err)
	}
	return nil
}

// IdleSince returns every resource's idle streak, by resource ID.
func (s *SQLite) IdleSince(ctx context.Context) (map[resource.ID]IdleRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT resource, first_idle, last_seen FROM idle_since`)
	if err != nil {
		return nil, fmt.Errorf("idle since: %w", err)
	}
	defer rows.Close()
	out := map[resource.ID]IdleRecord{}
	for rows.Next() {
		var r IdleRecord
		var first, last string
		if err := rows.Scan(&r.Resource, &first, &last); err != nil {
			return nil, fmt.Errorf("idle since: %w", err)
		}
		if r.FirstIdle, err = parseTime(first); err != nil {
			return nil, err
		}
		if r.LastSeen, err = parseTime(last); err != nil {
			return nil, err
		}
		out[r.Resource] = r
	}
	return out, rows.Err()
}

// Mark is a warn-then-act mark: rule marked resource at MarkedAt and may
// act after ActAfter.
type Mark struct {
	Resource resource.ID
	Rule     string
	MarkedAt time.Time
	ActAfter time.Time
	RunID    int64
}

// PutMark records a mark. An existing mark for the same resource and rule
// is kept as it is: marking again never restarts or shortens the grace.
// It reports whether a new mark was written.
func (s *SQLite) PutMark(ctx context.Context, m Mark) (bool, error) {
	var run any
	if m.RunID != 0 {
		run = m.RunID
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO marks (resource, rule, marked_at, act_after, run_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (resource, rule) DO NOTHING`, m.Resource, m.Rule, fmtTime(m.MarkedAt), fmtTime(m.ActAfter), run)
	if err != nil {
		return false, fmt.Errorf("mark %s: %w", m.Resource, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteMark removes a mark (the owner removed the tag, the resource
// became active, or the rule acted).
func (s *SQLite) DeleteMark(ctx context.Context, res resource.ID, rule string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM marks WHERE resource = ? AND rule = ?`, res, rule); err != nil {
		return fmt.Errorf("unmark %s: %w", res, err)
	}
	return nil
}

// Marks returns every mark, by resource then rule.
func (s *SQLite) Marks(ctx context.Context) ([]Mark, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT resource, rule, marked_at, act_after, COALESCE(run_id, 0) FROM marks ORDER BY resource, rule`)
	if err != nil {
		return nil, fmt.Errorf("list marks: %w", err)
	}
	defer rows.Close()
	var out []Mark
	for rows.Next() {
		var m Mark
		var at, after string
		if err := rows.Scan(&m.Resource, &m.Rule, &at, &after, &m.RunID); err != nil {
			return nil, fmt.Errorf("list marks: %w", err)
		}
		if m.MarkedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		if m.ActAfter, err = parseTime(after); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EndpointSnapshot is what re-creating a deleted endpoint needs:
// DeleteEndpoint keeps the endpoint config and model but drops the
// Application Auto Scaling registration, and the tags go with the endpoint.
type EndpointSnapshot struct {
	ID       int64
	ActionID int64
	Account  string
	Region   string
	Endpoint string
	Config   string
	Tags     map[string]string
	// Scaling is a JSON document with the scalable targets and scaling
	// policies (the executor chooses its shape; the store keeps it as is).
	Scaling json.RawMessage
	// EndpointConfig is a JSON document with the endpoint config itself
	// (the executor chooses its shape), "{}" when not kept.
	EndpointConfig json.RawMessage
	// Steps are the restore steps done so far, in order (SetSnapshotSteps).
	Steps      []string
	TakenAt    time.Time
	RestoredAt *time.Time
}

// SaveSnapshot records a snapshot and returns its id. TakenAt defaults to now.
func (s *SQLite) SaveSnapshot(ctx context.Context, snap EndpointSnapshot) (int64, error) {
	if snap.TakenAt.IsZero() {
		snap.TakenAt = s.now()
	}
	tags, err := json.Marshal(snap.Tags)
	if err != nil {
		return 0, err
	}
	if snap.Tags == nil {
		tags = []byte("{}")
	}
	scaling := string(snap.Scaling)
	if scaling == "" {
		scaling = "{}"
	}
	if !json.Valid([]byte(scaling)) {
		return 0, fmt.Errorf("snapshot endpoint %s: scaling is not JSON", snap.Endpoint)
	}
	config := string(snap.EndpointConfig)
	if config == "" {
		config = "{}"
	}
	if !json.Valid([]byte(config)) {
		return 0, fmt.Errorf("snapshot endpoint %s: endpoint config is not JSON", snap.Endpoint)
	}
	steps, err := json.Marshal(append([]string{}, snap.Steps...))
	if err != nil {
		return 0, err
	}
	var aid any
	if snap.ActionID != 0 {
		aid = snap.ActionID
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO endpoint_snapshots
		(action_id, account, region, endpoint_name, config_name, tags, scaling, endpoint_config, restore_steps, taken_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		aid, snap.Account, snap.Region, snap.Endpoint, snap.Config, string(tags), scaling, config, string(steps), fmtTime(snap.TakenAt))
	if err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	return res.LastInsertId()
}

// LatestSnapshot returns the newest snapshot of an endpoint not yet
// restored, or ErrNotFound.
func (s *SQLite) LatestSnapshot(ctx context.Context, ep resource.ID) (EndpointSnapshot, error) {
	account, region, endpoint := ep.Account, ep.Region, ep.Name
	var snap EndpointSnapshot
	var tags, scaling, config, steps, taken string
	var restored sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT id, COALESCE(action_id, 0), account, region, endpoint_name, config_name,
		tags, scaling, endpoint_config, restore_steps, taken_at, restored_at FROM endpoint_snapshots
		WHERE account = ? AND region = ? AND endpoint_name = ? AND restored_at IS NULL ORDER BY id DESC LIMIT 1`,
		account, region, endpoint).Scan(&snap.ID, &snap.ActionID, &snap.Account, &snap.Region, &snap.Endpoint,
		&snap.Config, &tags, &scaling, &config, &steps, &taken, &restored)
	if errors.Is(err, sql.ErrNoRows) {
		return EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: %w", endpoint, ErrNotFound)
	}
	if err != nil {
		return EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: %w", endpoint, err)
	}
	if err := json.Unmarshal([]byte(tags), &snap.Tags); err != nil {
		return EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: tags: %w", endpoint, err)
	}
	snap.Scaling, snap.EndpointConfig = json.RawMessage(scaling), json.RawMessage(config)
	if err := json.Unmarshal([]byte(steps), &snap.Steps); err != nil {
		return EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: restore steps: %w", endpoint, err)
	}
	if snap.TakenAt, err = parseTime(taken); err != nil {
		return EndpointSnapshot{}, err
	}
	if snap.RestoredAt, err = parseTimePtr(restored); err != nil {
		return EndpointSnapshot{}, err
	}
	return snap, nil
}

// MarkRestored records that snapshot id was used to re-create its endpoint.
func (s *SQLite) MarkRestored(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE endpoint_snapshots SET restored_at = ? WHERE id = ? AND restored_at IS NULL`, fmtTime(at), id)
	if err != nil {
		return fmt.Errorf("mark snapshot %d restored: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark snapshot %d restored: %w", id, ErrNotFound)
	}
	return nil
}

// SetSnapshotSteps records the restore steps done so far on snapshot id
// (restore is resumable: the next restore skips them).
func (s *SQLite) SetSnapshotSteps(ctx context.Context, id int64, steps []string) error {
	b, err := json.Marshal(append([]string{}, steps...))
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE endpoint_snapshots SET restore_steps = ? WHERE id = ? AND restored_at IS NULL`, string(b), id)
	if err != nil {
		return fmt.Errorf("snapshot %d restore steps: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("snapshot %d restore steps: %w", id, ErrNotFound)
	}
	return nil
}
