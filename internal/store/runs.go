package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RunStatus is where a run stands.
type RunStatus string

// The statuses.
const (
	RunRunning   RunStatus = "running"
	RunFinished  RunStatus = "finished"
	RunFailed    RunStatus = "failed"
	RunAbandoned RunStatus = "abandoned" // its process died before finishing
)

// RunInfo is what the caller says about a run.
type RunInfo struct {
	// Command is the subcommand, e.g. "apply" or "schedule run".
	Command string
	DryRun  bool
	// OSUser and CallerARN together are the actor: who ran it, and as
	// which AWS principal (sts:GetCallerIdentity).
	OSUser    string
	CallerARN string
	// PolicyFile and PolicyHash identify the policy or schedules file
	// (hash: hex SHA-256 of its bytes).
	PolicyFile string
	PolicyHash string
	// Tick is the scheduled time of a tick (`sagesaver run`), zero for
	// any other run.
	Tick time.Time
}

// Actor is the "who" of the audit log: "alice (arn:aws:iam::...)".
func (i RunInfo) Actor() string {
	if i.CallerARN == "" {
		return i.OSUser
	}
	return i.OSUser + " (" + i.CallerARN + ")"
}

// Run is a recorded run.
type Run struct {
	ID int64
	RunInfo
	Started   time.Time
	Finished  *time.Time
	Status    RunStatus
	Error     string
	PID       int
	Host      string
	Heartbeat time.Time
}

// StartRun records a new run by this process and returns it.
func (s *SQLite) StartRun(ctx context.Context, info RunInfo) (Run, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs
		(started, command, dry_run, os_user, caller_arn, policy_file, policy_hash, pid, host, heartbeat, tick)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		fmtTime(now), info.Command, boolInt(info.DryRun), info.OSUser, info.CallerARN,
		info.PolicyFile, info.PolicyHash, s.pid, s.host, fmtTime(now), fmtTimeZero(info.Tick))
	if err != nil {
		return Run{}, fmt.Errorf("start run: %w", err)
	}
	if !info.Tick.IsZero() {
		info.Tick = info.Tick.UTC()
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Run{}, fmt.Errorf("start run: %w", err)
	}
	return Run{ID: id, RunInfo: info, Started: now, Status: RunRunning, PID: s.pid, Host: s.host, Heartbeat: now}, nil
}

// Heartbeat tells the store run id is alive: it refreshes the run's
// heartbeat and extends every claim the run holds by the lease. A long
// action calls it at least every lease/2.
func (s *SQLite) Heartbeat(ctx context.Context, id int64) error {
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'`, fmtTime(now), id)
		if err != nil {
			return fmt.Errorf("heartbeat run %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("heartbeat run %d: %w", id, ErrNotRunning)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET expires_at = ? WHERE run_id = ?`, fmtTime(now.Add(s.lease)), id); err != nil {
			return fmt.Errorf("heartbeat run %d: %w", id, err)
		}
		return nil
	})
}

// ErrNotRunning is returned for a run that is no longer running (finished,
// or declared abandoned by another process after its lease expired).
var ErrNotRunning = errors.New("run is not running")

// FinishRun records the end of a run: finished when runErr is nil, failed
// otherwise; the run's remaining claims are released.
func (s *SQLite) FinishRun(ctx context.Context, id int64, runErr error) error {
	status, msg := RunFinished, ""
	if runErr != nil {
		status, msg = RunFailed, runErr.Error()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished = ?, status = ?, error = ? WHERE id = ?`,
			fmtTime(s.now()), status, msg, id); err != nil {
			return fmt.Errorf("finish run %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE run_id = ?`, id); err != nil {
			return fmt.Errorf("finish run %d: %w", id, err)
		}
		return nil
	})
}

const runCols = `id, started, finished, command, dry_run, os_user, caller_arn, policy_file, policy_hash, pid, host, heartbeat, status, error, tick`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started, heartbeat string
	var finished, tick sql.NullString
	var dry int
	err := row.Scan(&r.ID, &started, &finished, &r.Command, &dry, &r.OSUser, &r.CallerARN, &r.PolicyFile,
		&r.PolicyHash, &r.PID, &r.Host, &heartbeat, &r.Status, &r.Error, &tick)
	if err != nil {
		return Run{}, err
	}
	r.DryRun = dry == 1
	if r.Started, err = parseTime(started); err != nil {
		return Run{}, err
	}
	if r.Heartbeat, err = parseTime(heartbeat); err != nil {
		return Run{}, err
	}
	if r.Finished, err = parseTimePtr(finished); err != nil {
		return Run{}, err
	}
	if tick.Valid {
		if r.Tick, err = parseTime(tick.String); err != nil {
			return Run{}, err
		}
	}
	return r, nil
}

// Run returns run id, or ErrNotFound.
func (s *SQLite) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", id, err)
	}
	return r, nil
}

// Runs returns the latest runs, newest first (all when limit <= 0).
func (s *SQLite) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+runCols+` FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// alive reports whether a run still counts as running at now: status
// running, and its process is not known to be gone, and its heartbeat is
// within the lease. A process on this host is checked directly (the store
// is a local file, so every run that uses it runs on this host, except
// when a state directory is shared between machines or containers, where
// the lease decides).
func (s *SQLite) alive(r Run, now time.Time) bool {
	if !r.Live(now, s.lease) {
		return false
	}
	return r.Host != s.host || r.PID <= 0 || processAlive(r.PID)
}

// Live reports whether r counts as running at now by its record alone:
// status running and a heartbeat less than lease old. Every backend
// applies this rule; one may know more (SQLite: a process of its host
// that is gone).
func (r Run) Live(now time.Time, lease time.Duration) bool {
	return r.Status == RunRunning && now.Sub(r.Heartbeat) < lease
}

// Recovery is what a previous run left unfinished.
type Recovery struct {
	// Abandoned are runs whose process died without finishing; Recover
	// marks them abandoned and releases their claims.
	Abandoned []Run
	// Interrupted are actions of those runs (and of any earlier abandoned
	// run) still "started": the AWS call may or may not have happened. The
	// next apply re-checks each resource and closes the row with
	// ResolveInterrupted.
	Interrupted []Action
}

// Recover finds runs that died without finishing (their process is gone,
// or their heartbeat is older than the lease), marks them abandoned,
// releases their claims, and returns them with every action still
// "started" by a run that is no longer alive. A run in progress in another
// process is left alone. Call it after Open, before acting.
func (s *SQLite) Recover(ctx context.Context) (Recovery, error) {
	var rec Recovery
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+runCols+` FROM runs WHERE status = 'running' ORDER BY id`)
		if err != nil {
			return err
		}
		var running []Run
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return err
			}
			running = append(running, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range running {
			if s.alive(r, now) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'abandoned', error = ? WHERE id = ?`,
				"process ended without finishing (found by run recovery at "+fmtTime(now)+")", r.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE run_id = ?`, r.ID); err != nil {
				return err
			}
			r.Status = RunAbandoned
			rec.Abandoned = append(rec.Abandoned, r)
		}
		return nil
	})
	if err != nil {
		return Recovery{}, fmt.Errorf("recover runs: %w", err)
	}
	rec.Interrupted, err = s.queryActions(ctx, `WHERE a.result = 'started' AND r.status <> 'running' ORDER BY a.id`)
	if err != nil {
		return Recovery{}, fmt.Errorf("recover runs: %w", err)
	}
	return rec, nil
}
