package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// ErrAlreadySaving is returned by StartSaving when the resource already
// has an open savings period.
var ErrAlreadySaving = errors.New("resource already has an open savings period")

// SavingPeriod is one period of the savings ledger: Hourly dollars saved
// from From until Until (nil while it still saves: a stopped notebook saves
// until it is started again, a deleted endpoint until it is restored).
type SavingPeriod struct {
	ID       int64
	Resource resource.ID
	ActionID int64
	Hourly   pricing.Money
	// Estimate is true when Hourly is an estimated price (another
	// component's for the same instance type, pricing.Price.Estimate):
	// what the period saved is shown with "~".
	Estimate bool
	From     time.Time
	Until    *time.Time
}

// Realized is what the period saved up to now (or up to Until if it
// closed earlier): Hourly x elapsed seconds / 3600, exact to 12 decimal
// places (pricing.Money.MulRat). Nothing before From.
func (p SavingPeriod) Realized(now time.Time) pricing.Money {
	end := now
	if p.Until != nil && p.Until.Before(end) {
		end = *p.Until
	}
	if !end.After(p.From) {
		return pricing.Zero
	}
	secs := int64(end.Sub(p.From) / time.Second)
	return p.Hourly.MulRat(secs, pricing.SecondsPerHour)
}

// StartSaving opens a savings period for resource from the given time,
// linked to the action that caused it (0 for none), at the hourly saving
// cost.Saves decided; its estimate flag is kept. It returns
// ErrAlreadySaving if one is open (the partial unique index enforces it),
// and an error for an unknown price (an unknown saving is not $0).
func (s *SQLite) StartSaving(ctx context.Context, res resource.ID, actionID int64, hourly pricing.Price, from time.Time) (int64, error) {
	if !hourly.Known {
		return 0, fmt.Errorf("start saving %s: the hourly saving is unknown", res)
	}
	var aid any
	if actionID != 0 {
		aid = actionID
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM savings WHERE resource = ? AND until_at IS NULL`, res.String()).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadySaving
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO savings (resource, action_id, hourly, estimate, from_at) VALUES (?, ?, ?, ?, ?)`,
			res.String(), aid, hourly.Amount.Plain(), boolInt(hourly.Estimate), fmtTime(from))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start saving %s: %w", res, err)
	}
	return id, nil
}

// StopSaving closes resource's open savings period at until (the notebook
// was started again, the endpoint restored). It reports whether a period
// was open.
func (s *SQLite) StopSaving(ctx context.Context, res resource.ID, until time.Time) (bool, error) {
	r, err := s.db.ExecContext(ctx, `UPDATE savings SET until_at = MAX(from_at, ?) WHERE resource = ? AND until_at IS NULL`,
		fmtTime(until), res.String())
	if err != nil {
		return false, fmt.Errorf("stop saving %s: %w", res, err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

// Savings returns the ledger, oldest first.
func (s *SQLite) Savings(ctx context.Context) ([]SavingPeriod, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, resource, COALESCE(action_id, 0), hourly, estimate, from_at, until_at FROM savings ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("savings ledger: %w", err)
	}
	defer rows.Close()
	var out []SavingPeriod
	for rows.Next() {
		var p SavingPeriod
		var hourly, from string
		var until sql.NullString
		var est int
		if err := rows.Scan(&p.ID, &p.Resource, &p.ActionID, &hourly, &est, &from, &until); err != nil {
			return nil, fmt.Errorf("savings ledger: %w", err)
		}
		if p.Hourly, err = pricing.ParseMoney(hourly); err != nil {
			return nil, fmt.Errorf("savings ledger: %w", err)
		}
		p.Estimate = est == 1
		if p.From, err = parseTime(from); err != nil {
			return nil, err
		}
		if p.Until, err = parseTimePtr(until); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
