package dynamo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// period is one savings period inside a ledger item.
type period struct {
	ID       int64  `dynamodbav:"id"`
	ActionID int64  `dynamodbav:"action_id"`
	Hourly   string `dynamodbav:"hourly"`
	Estimate bool   `dynamodbav:"estimate"`
	From     string `dynamodbav:"from"`
	Until    string `dynamodbav:"until,omitempty"`
}

// ledgerItem is one resource's ledger: its closed periods and at most
// one open one, so that opening and closing are single-item conditional
// writes. A period is about 120 bytes: an item holds thousands.
type ledgerItem struct {
	PK     string   `dynamodbav:"pk"`
	SK     string   `dynamodbav:"sk"`
	Open   *period  `dynamodbav:"open,omitempty"`
	Closed []period `dynamodbav:"closed,omitempty"`
}

// StartSaving opens a period: one update conditional on no open period.
func (s *Store) StartSaving(ctx context.Context, res resource.ID, actionID int64, hourly pricing.Price, from time.Time) (int64, error) {
	if !hourly.Known {
		return 0, fmt.Errorf("start saving %s: the hourly saving is unknown", res)
	}
	id, err := s.nextID(ctx, "saving")
	if err != nil {
		return 0, fmt.Errorf("start saving %s: %w", res, err)
	}
	p, err := attributevalue.Marshal(period{ID: id, ActionID: actionID, Hourly: hourly.Amount.Plain(), Estimate: hourly.Estimate, From: fmtTime(from)})
	if err != nil {
		return 0, fmt.Errorf("start saving %s: %w", res, err)
	}
	_, err = s.update(ctx, "ledger", res.String(), "SET #open = :p", "attribute_not_exists(#open)", item{":p": p}, map[string]string{"#open": "open"})
	if condFailed(err) {
		return 0, fmt.Errorf("start saving %s: %w", res, store.ErrAlreadySaving)
	}
	if err != nil {
		return 0, fmt.Errorf("start saving %s: %w", res, err)
	}
	return id, nil
}

// StopSaving closes res's open period at until (never before its From):
// one update moving the open period, as read, to the closed ones.
func (s *Store) StopSaving(ctx context.Context, res resource.ID, until time.Time) (bool, error) {
	k := res.String()
	for attempt := 0; attempt <= maxRetries; attempt++ {
		var l ledgerItem
		if _, err := s.get(ctx, "ledger", k, &l); err != nil {
			return false, fmt.Errorf("stop saving %s: %w", res, err)
		}
		if l.Open == nil {
			return false, nil
		}
		closed := *l.Open
		closed.Until = max(fmtTime(until), closed.From)
		c, err := attributevalue.Marshal([]period{closed})
		if err != nil {
			return false, fmt.Errorf("stop saving %s: %w", res, err)
		}
		_, err = s.update(ctx, "ledger", k, "SET closed = list_append(if_not_exists(closed, :none), :c) REMOVE #open",
			"#open.id = :id", item{":c": c, ":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, ":id": num(closed.ID)}, map[string]string{"#open": "open"})
		if err == nil {
			return true, nil
		}
		if !condFailed(err) {
			return false, fmt.Errorf("stop saving %s: %w", res, err)
		}
	}
	return false, fmt.Errorf("stop saving %s: the ledger kept changing", res)
}

// Savings returns the whole ledger, oldest first.
func (s *Store) Savings(ctx context.Context) ([]store.SavingPeriod, error) {
	items, err := all[ledgerItem](ctx, s, query{pk: "ledger"})
	if err != nil {
		return nil, fmt.Errorf("savings ledger: %w", err)
	}
	var out []store.SavingPeriod
	for _, it := range items {
		res, err := resource.ParseID(it.SK)
		if err != nil {
			return nil, fmt.Errorf("savings ledger: %w", err)
		}
		ps := it.Closed
		if it.Open != nil {
			ps = append(ps, *it.Open)
		}
		for _, p := range ps {
			sp := store.SavingPeriod{ID: p.ID, Resource: res, ActionID: p.ActionID, Estimate: p.Estimate}
			if sp.Hourly, err = pricing.ParseMoney(p.Hourly); err != nil {
				return nil, fmt.Errorf("savings ledger: %w", err)
			}
			if sp.From, err = parseTime(p.From); err != nil {
				return nil, err
			}
			if sp.Until, err = parseTimePtr(p.Until); err != nil {
				return nil, err
			}
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
