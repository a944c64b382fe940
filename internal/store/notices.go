package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Notice is one item of a notification digest in the outbox: written when
// the action it reports is over, sent with the next digest to its
// destination, and marked sent only once the destination accepted it.
type Notice struct {
	ID    int64
	RunID int64
	// Key names the destination: the notices of one key go out in one
	// digest. Destination says how to reach it (JSON, the caller's shape).
	Key         string
	Destination json.RawMessage
	// Item is the digest item (JSON, the caller's shape).
	Item      json.RawMessage
	Created   time.Time
	Attempts  int
	LastError string
	SentAt    *time.Time
}

// AddNotices queues notices, unsent, in one transaction.
func (s *SQLite) AddNotices(ctx context.Context, ns []Notice) error {
	if len(ns) == 0 {
		return nil
	}
	now := fmtTime(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO notices (run_id, dest_key, destination, item, created) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, n := range ns {
			dest := string(n.Destination)
			if dest == "" {
				dest = "{}"
			}
			if !json.Valid([]byte(dest)) || !json.Valid(n.Item) {
				return fmt.Errorf("notice for %s: destination and item must be JSON", n.Key)
			}
			if _, err := stmt.ExecContext(ctx, n.RunID, n.Key, dest, string(n.Item), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	return nil
}

// ClaimNotices claims for run every unsent notice whose key starts with
// prefix, of run itself or of a run no longer running (finished, failed or
// abandoned: their notices were not delivered), that no running run has
// claimed; and returns them oldest first. Two runs never send the same
// notice at once.
func (s *SQLite) ClaimNotices(ctx context.Context, run int64, prefix string) ([]Notice, error) {
	var out []Notice
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notices SET claim_run = ?
			WHERE sent_at IS NULL AND substr(dest_key, 1, ?) = ?
			AND (run_id = ? OR run_id NOT IN (SELECT id FROM runs WHERE status = 'running'))
			AND (claim_run IS NULL OR claim_run = ? OR claim_run NOT IN (SELECT id FROM runs WHERE status = 'running'))
			RETURNING id, run_id, dest_key, destination, item, created, attempts, last_error`,
			run, len(prefix), prefix, run, run)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notice
			var dest, item, created string
			if err := rows.Scan(&n.ID, &n.RunID, &n.Key, &dest, &item, &created, &n.Attempts, &n.LastError); err != nil {
				return err
			}
			n.Destination, n.Item = json.RawMessage(dest), json.RawMessage(item)
			if n.Created, err = parseTime(created); err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	// RETURNING gives no order guarantee.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NoticesSent records that the destination accepted notices ids.
func (s *SQLite) NoticesSent(ctx context.Context, ids []int64) error {
	return s.updateNotices(ctx, ids, `UPDATE notices SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id IN (%s)`, fmtTime(s.now()))
}

// NoticesFailed records a failed delivery of notices ids: they stay unsent,
// for the next run.
func (s *SQLite) NoticesFailed(ctx context.Context, ids []int64, msg string) error {
	return s.updateNotices(ctx, ids, `UPDATE notices SET attempts = attempts + 1, last_error = ? WHERE id IN (%s)`, msg)
}

func (s *SQLite) updateNotices(ctx context.Context, ids []int64, q string, first any) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{first}
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf(q, marks), args...); err != nil {
		return fmt.Errorf("update notices: %w", err)
	}
	return nil
}

// UnsentNotices returns every notice not delivered yet, oldest first.
func (s *SQLite) UnsentNotices(ctx context.Context) ([]Notice, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, run_id, dest_key, destination, item, created, attempts, last_error
		FROM notices WHERE sent_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("unsent notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var dest, item, created string
		if err := rows.Scan(&n.ID, &n.RunID, &n.Key, &dest, &item, &created, &n.Attempts, &n.LastError); err != nil {
			return nil, fmt.Errorf("unsent notices: %w", err)
		}
		n.Destination, n.Item = json.RawMessage(dest), json.RawMessage(item)
		if n.Created, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
