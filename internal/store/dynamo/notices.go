package dynamo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/store"
)

// noticeItem is a notice: in partition notice while unsent, moved to
// notice#sent once sent so that claiming reads only the unsent ones.
type noticeItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	ID          int64  `dynamodbav:"id"`
	RunID       int64  `dynamodbav:"run_id"`
	Key         string `dynamodbav:"dest_key"`
	Destination string `dynamodbav:"destination"`
	Item        string `dynamodbav:"item"`
	Created     string `dynamodbav:"created"`
	Attempts    int    `dynamodbav:"attempts"`
	LastError   string `dynamodbav:"last_error,omitempty"`
	ClaimRun    int64  `dynamodbav:"claim_run,omitempty"`
	SentAt      string `dynamodbav:"sent_at,omitempty"`
}

func (it noticeItem) notice() (store.Notice, error) {
	n := store.Notice{ID: it.ID, RunID: it.RunID, Key: it.Key, Destination: json.RawMessage(it.Destination),
		Item: json.RawMessage(it.Item), Attempts: it.Attempts, LastError: it.LastError}
	var err error
	if n.Created, err = parseTime(it.Created); err != nil {
		return store.Notice{}, err
	}
	if n.SentAt, err = parseTimePtr(it.SentAt); err != nil {
		return store.Notice{}, err
	}
	return n, nil
}

// AddNotices queues notices: ids reserved with one atomic add, then batch
// writes; all are visible when it returns.
func (s *Store) AddNotices(ctx context.Context, ns []store.Notice) error {
	if len(ns) == 0 {
		return nil
	}
	for _, n := range ns {
		if (len(n.Destination) > 0 && !json.Valid(n.Destination)) || !json.Valid(n.Item) {
			return fmt.Errorf("queue notices: notice for %s: destination and item must be JSON", n.Key)
		}
	}
	first, err := s.nextIDs(ctx, "notice", len(ns))
	if err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	now := fmtTime(s.now())
	vs := make([]any, len(ns))
	for i, n := range ns {
		dest := string(n.Destination)
		if dest == "" {
			dest = "{}"
		}
		id := first + int64(i)
		vs[i] = noticeItem{PK: "notice", SK: idKey(id), ID: id, RunID: n.RunID, Key: n.Key, Destination: dest,
			Item: string(n.Item), Created: now}
	}
	if err := s.batchPut(ctx, vs); err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	return nil
}

// ClaimNotices claims the unsent notices with the prefix that run may
// send: each with an update conditional on it being unsent and unclaimed,
// claimed by run, or claimed by the run read as no longer running.
func (s *Store) ClaimNotices(ctx context.Context, run int64, prefix string) ([]store.Notice, error) {
	q := query{pk: "notice", filter: "attribute_not_exists(sent_at)"}
	if prefix != "" {
		q.filter += " AND begins_with(dest_key, :prefix)"
		q.vals = item{":prefix": str(prefix)}
	}
	items, err := all[noticeItem](ctx, s, q)
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	status := map[int64]store.RunStatus{}
	var out []store.Notice
	for _, it := range items {
		if it.RunID != run {
			st, err := s.runStatus(ctx, it.RunID, status)
			if err != nil {
				return nil, fmt.Errorf("claim notices: %w", err)
			}
			if st == store.RunRunning {
				continue // its own run sends it
			}
		}
		cond := "attribute_exists(pk) AND attribute_not_exists(sent_at) AND (attribute_not_exists(claim_run) OR claim_run = :run"
		vals := item{":run": num(run)}
		if it.ClaimRun != 0 && it.ClaimRun != run {
			st, err := s.runStatus(ctx, it.ClaimRun, status)
			if err != nil {
				return nil, fmt.Errorf("claim notices: %w", err)
			}
			if st == store.RunRunning {
				continue // another running run holds it
			}
			cond += " OR claim_run = :stale"
			vals[":stale"] = num(it.ClaimRun)
		}
		cond += ")"
		_, err := s.update(ctx, "notice", it.SK, "SET claim_run = :run", cond, vals, nil)
		if condFailed(err) {
			continue // claimed or sent meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("claim notices: %w", err)
		}
		n, err := it.notice()
		if err != nil {
			return nil, fmt.Errorf("claim notices: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// NoticesSent marks notices ids sent (the write that counts), then moves
// each to the sent partition; a crash in between leaves a sent notice in
// the unsent partition, which nothing claims and the next NoticesSent of
// it moves.
func (s *Store) NoticesSent(ctx context.Context, ids []int64) error {
	now := fmtTime(s.now())
	for _, id := range ids {
		_, err := s.update(ctx, "notice", idKey(id), "SET sent_at = if_not_exists(sent_at, :now) REMOVE last_error ADD attempts :one",
			"attribute_exists(pk)", item{":now": str(now), ":one": num(1)}, nil)
		if condFailed(err) {
			continue // already moved
		}
		if err != nil {
			return fmt.Errorf("update notices: %w", err)
		}
		var it noticeItem
		found, err := s.get(ctx, "notice", idKey(id), &it)
		if err != nil {
			return fmt.Errorf("update notices: %w", err)
		}
		if !found {
			continue
		}
		it.PK = "notice#sent"
		if err := s.put(ctx, it, "", nil); err != nil {
			return fmt.Errorf("update notices: %w", err)
		}
		if err := s.del(ctx, "notice", idKey(id), "", nil); err != nil {
			return fmt.Errorf("update notices: %w", err)
		}
	}
	return nil
}

// NoticesFailed records a failed delivery of notices ids.
func (s *Store) NoticesFailed(ctx context.Context, ids []int64, msg string) error {
	for _, id := range ids {
		vals := item{":one": num(1)}
		expr := "ADD attempts :one REMOVE last_error"
		if msg != "" {
			expr = "SET last_error = :msg ADD attempts :one"
			vals[":msg"] = str(msg)
		}
		_, err := s.update(ctx, "notice", idKey(id), expr, "attribute_exists(pk)", vals, nil)
		if err != nil && !condFailed(err) {
			return fmt.Errorf("update notices: %w", err)
		}
	}
	return nil
}

// UnsentNotices returns every notice not sent yet, oldest first.
func (s *Store) UnsentNotices(ctx context.Context) ([]store.Notice, error) {
	items, err := all[noticeItem](ctx, s, query{pk: "notice", filter: "attribute_not_exists(sent_at)"})
	if err != nil {
		return nil, fmt.Errorf("unsent notices: %w", err)
	}
	out := make([]store.Notice, 0, len(items))
	for _, it := range items {
		n, err := it.notice()
		if err != nil {
			return nil, fmt.Errorf("unsent notices: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}
