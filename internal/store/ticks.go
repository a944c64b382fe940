package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TickClaimedError is returned by ClaimTick when another run holds the
// tick.
type TickClaimedError struct {
	// At is the tick's time, to the second.
	At time.Time
	// RunID is the run that holds it, since Claimed.
	RunID   int64
	Claimed time.Time
}

func (e *TickClaimedError) Error() string {
	return fmt.Sprintf("tick %s is claimed by run %d (since %s)", e.At.Format(time.RFC3339), e.RunID, e.Claimed.Format(time.RFC3339))
}

// ErrTickClaimed matches every *TickClaimedError with errors.Is.
var ErrTickClaimed = errors.New("tick claimed by another run")

// Is makes errors.Is(err, ErrTickClaimed) true.
func (e *TickClaimedError) Is(target error) bool { return target == ErrTickClaimed }

// TickTime is the time under which a tick scheduled at at is claimed: UTC,
// to the second.
func TickTime(at time.Time) time.Time { return at.UTC().Truncate(time.Second) }

// ClaimTick records that run holds the tick at TickTime(at). The row's key
// is the time, inserted if absent, so the first claim wins for ever in
// any number of processes; the holder claiming again succeeds.
func (s *SQLite) ClaimTick(ctx context.Context, run int64, at time.Time) error {
	at = TickTime(at)
	key := fmtTime(at)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO tick_claims (tick, run_id, claimed_at) VALUES (?, ?, ?)
		ON CONFLICT (tick) DO NOTHING`, key, run, fmtTime(s.now())); err != nil {
		return fmt.Errorf("claim tick %s: %w", key, err)
	}
	var holder int64
	var claimed string
	if err := s.db.QueryRowContext(ctx, `SELECT run_id, claimed_at FROM tick_claims WHERE tick = ?`, key).Scan(&holder, &claimed); err != nil {
		return fmt.Errorf("claim tick %s: %w", key, err)
	}
	if holder == run {
		return nil
	}
	ct, err := parseTime(claimed)
	if err != nil {
		return fmt.Errorf("claim tick %s: %w", key, err)
	}
	return &TickClaimedError{At: at, RunID: holder, Claimed: ct}
}

// TickHolder returns the run that holds the tick at TickTime(at), or
// ErrNotFound.
func (s *SQLite) TickHolder(ctx context.Context, at time.Time) (int64, error) {
	key := fmtTime(TickTime(at))
	var holder int64
	err := s.db.QueryRowContext(ctx, `SELECT run_id FROM tick_claims WHERE tick = ?`, key).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("holder of tick %s: %w", key, err)
	}
	return holder, nil
}

// The statuses of a TargetResult.
const (
	TargetOK      = "ok"
	TargetFailed  = "failed"
	TargetSkipped = "skipped"
)

// TargetResult is what one run (a tick) did for one target, an account
// in a region.
type TargetResult struct {
	Account, Region string
	// Status is TargetOK, TargetFailed or TargetSkipped.
	Status            string
	Started, Finished time.Time
	// Error is why the target failed or was skipped.
	Error string
	// Counts are "resources", "findings", "actions", "notices", ...
	Counts map[string]int
	// Calls counts AWS calls by operation: "sagemaker:ListEndpoints" -> n.
	Calls map[string]int
	// MetricsRequested is how many metrics GetMetricData was asked for.
	MetricsRequested int
}

// RecordTarget stores r for run, replacing what was stored for its
// account and region.
func (s *SQLite) RecordTarget(ctx context.Context, run int64, r TargetResult) error {
	if r.Account == "" || r.Region == "" {
		return fmt.Errorf("record target of run %d: account and region are required", run)
	}
	counts, err := json.Marshal(nonNil(r.Counts))
	if err != nil {
		return fmt.Errorf("record target %s/%s: %w", r.Account, r.Region, err)
	}
	calls, err := json.Marshal(nonNil(r.Calls))
	if err != nil {
		return fmt.Errorf("record target %s/%s: %w", r.Account, r.Region, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO target_results
		(run_id, account, region, status, started, finished, error, counts, calls, metrics_requested)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, account, region) DO UPDATE SET status = excluded.status, started = excluded.started,
			finished = excluded.finished, error = excluded.error, counts = excluded.counts, calls = excluded.calls,
			metrics_requested = excluded.metrics_requested`,
		run, r.Account, r.Region, r.Status, fmtTime(r.Started), fmtTime(r.Finished), r.Error,
		string(counts), string(calls), r.MetricsRequested)
	if err != nil {
		return fmt.Errorf("record target %s/%s of run %d: %w", r.Account, r.Region, run, err)
	}
	return nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// TargetResults returns run's target results by account then region.
func (s *SQLite) TargetResults(ctx context.Context, run int64) ([]TargetResult, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account, region, status, started, finished, error, counts, calls, metrics_requested
		FROM target_results WHERE run_id = ? ORDER BY account, region`, run)
	if err != nil {
		return nil, fmt.Errorf("target results of run %d: %w", run, err)
	}
	defer rows.Close()
	var out []TargetResult
	for rows.Next() {
		var r TargetResult
		var started, finished, counts, calls string
		if err := rows.Scan(&r.Account, &r.Region, &r.Status, &started, &finished, &r.Error, &counts, &calls, &r.MetricsRequested); err != nil {
			return nil, fmt.Errorf("target results of run %d: %w", run, err)
		}
		if r.Started, err = parseTime(started); err != nil {
			return nil, err
		}
		if r.Finished, err = parseTime(finished); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
			return nil, fmt.Errorf("target results of run %d: counts: %w", run, err)
		}
		if err := json.Unmarshal([]byte(calls), &r.Calls); err != nil {
			return nil, fmt.Errorf("target results of run %d: calls: %w", run, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
