package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

type claimItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	RunID     int64  `dynamodbav:"run_id"`
	Action    string `dynamodbav:"action,omitempty"`
	ClaimedAt string `dynamodbav:"claimed_at"`
	ExpiresAt string `dynamodbav:"expires_at"`
	// TTL is when DynamoDB may garbage-collect the item (epoch seconds),
	// well after expires_at; never used to decide anything.
	TTL int64 `dynamodbav:"ttl"`
}

func (it claimItem) info() (store.ClaimInfo, error) {
	res, err := resource.ParseID(it.SK)
	if err != nil {
		return store.ClaimInfo{}, err
	}
	c := store.ClaimInfo{Resource: res, RunID: it.RunID, Action: it.Action}
	if c.Claimed, err = parseTime(it.ClaimedAt); err != nil {
		return store.ClaimInfo{}, err
	}
	if c.Expires, err = parseTime(it.ExpiresAt); err != nil {
		return store.ClaimInfo{}, err
	}
	return c, nil
}

// Claim takes res for run id: one conditional put of the claim item, if
// it is absent, held by run id, or at or past its expires_at. When the
// condition fails, the claim is read: a holder that is still alive gets a
// *store.ClaimedError; one that is not (finished, abandoned, heartbeat
// older than the lease) is taken over by a put conditional on the claim
// being exactly as read, so of any number of racers one wins.
func (s *Store) Claim(ctx context.Context, id int64, res resource.ID, action string) error {
	k := res.String()
	for attempt := 0; ; attempt++ {
		if attempt > maxRetries {
			return fmt.Errorf("claim %s: the claim kept changing", k)
		}
		if attempt > 1 {
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return fmt.Errorf("claim %s: %w", k, err)
			}
		}
		now := s.now()
		// Claiming is a sign of life, and a run that is not running
		// (finished, or abandoned by Recover) must not act any more.
		if err := s.beat(ctx, id, now); err != nil {
			return fmt.Errorf("claim %s: %w", k, err)
		}
		exp := now.Add(s.lease)
		mine := claimItem{PK: "claim", SK: k, RunID: id, Action: action, ClaimedAt: fmtTime(now),
			ExpiresAt: fmtTime(exp), TTL: exp.Add(ttlAfter).Unix()}
		err := s.put(ctx, mine, "attribute_not_exists(pk) OR run_id = :id OR expires_at <= :now",
			item{":id": num(id), ":now": str(fmtTime(now))})
		if err == nil {
			return nil
		}
		if !condFailed(err) {
			return fmt.Errorf("claim %s: %w", k, err)
		}
		var held claimItem
		found, err := s.get(ctx, "claim", k, &held)
		if err != nil {
			return fmt.Errorf("claim %s: %w", k, err)
		}
		if !found {
			continue // released meanwhile
		}
		exp, err = parseTime(held.ExpiresAt)
		if err != nil {
			return fmt.Errorf("claim %s: %w", k, err)
		}
		if held.RunID == id || !now.Before(exp) {
			continue // changed meanwhile: try again
		}
		holder, err := s.Run(ctx, held.RunID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("claim %s: %w", k, err)
		}
		if err == nil && s.alive(holder, now) {
			return &store.ClaimedError{Resource: res, RunID: held.RunID, Action: held.Action, Expires: exp}
		}
		// The holder is gone: take over the claim as read, and only it.
		err = s.put(ctx, mine, "run_id = :holder AND claimed_at = :claimed AND expires_at = :exp",
			item{":holder": num(held.RunID), ":claimed": str(held.ClaimedAt), ":exp": str(held.ExpiresAt)})
		if err == nil {
			return nil
		}
		if !condFailed(err) {
			return fmt.Errorf("claim %s: %w", k, err)
		}
	}
}

// Release deletes run id's claim on res, if it holds it.
func (s *Store) Release(ctx context.Context, id int64, res resource.ID) error {
	err := s.del(ctx, "claim", res.String(), "run_id = :id", item{":id": num(id)})
	if err != nil && !condFailed(err) {
		return fmt.Errorf("release %s: %w", res, err)
	}
	return nil
}

// releaseAll deletes every claim run id holds.
func (s *Store) releaseAll(ctx context.Context, id int64) error {
	claims, err := s.claimsOf(ctx, id)
	if err != nil {
		return err
	}
	for _, c := range claims {
		if err := s.del(ctx, "claim", c.SK, "run_id = :id", item{":id": num(id)}); err != nil && !condFailed(err) {
			return err
		}
	}
	return nil
}

func (s *Store) claimsOf(ctx context.Context, id int64) ([]claimItem, error) {
	return all[claimItem](ctx, s, query{pk: "claim", filter: "run_id = :id", vals: item{":id": num(id)}})
}

// Claims lists the recorded claims by resource.
func (s *Store) Claims(ctx context.Context) ([]store.ClaimInfo, error) {
	items, err := all[claimItem](ctx, s, query{pk: "claim"})
	if err != nil {
		return nil, fmt.Errorf("list claims: %w", err)
	}
	out := make([]store.ClaimInfo, 0, len(items))
	for _, it := range items {
		c, err := it.info()
		if err != nil {
			return nil, fmt.Errorf("list claims: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}
