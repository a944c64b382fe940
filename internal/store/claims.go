package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// ClaimedError is returned by Claim when another live run holds the
// resource.
type ClaimedError struct {
	Resource resource.ID
	RunID    int64
	Action   string
	Expires  time.Time
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("resource %s is claimed by run %d (%s) until %s", e.Resource, e.RunID, e.Action, e.Expires.Format(time.RFC3339))
}

// ErrClaimed matches every *ClaimedError with errors.Is.
var ErrClaimed = errors.New("resource claimed by another run")

// Is makes errors.Is(err, ErrClaimed) true.
func (e *ClaimedError) Is(target error) bool { return target == ErrClaimed }

// Claim takes resource for run id before it acts with action. It succeeds
// when nobody holds the resource, when run id already does (the lease is
// renewed), or when the holder is no longer alive (finished, process gone,
// or lease expired: the claim is taken over). Otherwise it returns a
// *ClaimedError; for a run that is no longer running, ErrNotRunning. The check and the insert are one IMMEDIATE transaction,
// and resource is the table's primary key, so of two runs claiming at once
// in any number of processes exactly one wins.
func (s *SQLite) Claim(ctx context.Context, id int64, res resource.ID, action string) error {
	key := res.String()
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var holder int64
		var holderAction, expires string
		err := tx.QueryRowContext(ctx, `SELECT run_id, action, expires_at FROM claims WHERE resource = ?`, key).
			Scan(&holder, &holderAction, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case holder == id:
		default:
			exp, err := parseTime(expires)
			if err != nil {
				return err
			}
			r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = ?`, holder))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if now.Before(exp) && err == nil && s.alive(r, now) {
				return &ClaimedError{Resource: res, RunID: holder, Action: holderAction, Expires: exp}
			}
		}
		// Claiming is a sign of life: it refreshes the run's heartbeat.
		// A run declared abandoned (or finished) must not act any more.
		res, err := tx.ExecContext(ctx, `UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'`, fmtTime(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d: %w", id, ErrNotRunning)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO claims (resource, run_id, action, claimed_at, expires_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (resource) DO UPDATE SET run_id = excluded.run_id, action = excluded.action,
				claimed_at = excluded.claimed_at, expires_at = excluded.expires_at`,
			key, id, action, fmtTime(now), fmtTime(now.Add(s.lease)))
		return err
	})
	var ce *ClaimedError
	if errors.As(err, &ce) {
		return ce
	}
	if err != nil {
		return fmt.Errorf("claim %s: %w", key, err)
	}
	return nil
}

// Release gives up run id's claim on res (no error if it holds none).
func (s *SQLite) Release(ctx context.Context, id int64, res resource.ID) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM claims WHERE resource = ? AND run_id = ?`, res.String(), id); err != nil {
		return fmt.Errorf("release %s: %w", res, err)
	}
	return nil
}

// ClaimInfo is a recorded claim.
type ClaimInfo struct {
	Resource resource.ID
	RunID    int64
	Action   string
	Claimed  time.Time
	Expires  time.Time
}

// Claims lists the claims currently recorded (live or not yet recovered).
func (s *SQLite) Claims(ctx context.Context) ([]ClaimInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT resource, run_id, action, claimed_at, expires_at FROM claims ORDER BY resource`)
	if err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	defer rows.Close()
	var out []ClaimInfo
	for rows.Next() {
		var c ClaimInfo
		var claimed, expires string
		if err := rows.Scan(&c.Resource, &c.RunID, &c.Action, &claimed, &expires); err != nil {
			return nil, fmt.Errorf("list claims: %w", err)
		}
		if c.Claimed, err = parseTime(claimed); err != nil {
			return nil, err
		}
		if c.Expires, err = parseTime(expires); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
