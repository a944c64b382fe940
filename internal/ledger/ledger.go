// Package ledger reads the savings ledger as people look at it: each
// period with the action that opened it (its verb, policy rule or
// schedule, and team), what it realized (hours x the hourly price it
// ended) and what the action estimated, per calendar month (UTC), and
// those summed by action, rule or team. `sagesaver history` and the
// dashboard's Savings page show the same figures because both read them
// here.
package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Groupings are the keys GroupBy accepts.
var Groupings = []string{"action", "rule", "team"}

// None is the group of the periods without that fact: no action recorded
// (a period opened by hand), no rule, no team tag.
const None = "(none)"

// Month is one calendar month (UTC) of a period or a group.
type Month struct {
	// Month is "2006-01".
	Month string `json:"month"`
	// Realized is what was saved in the month, up to now.
	Realized pricing.Money `json:"realized"`
	// Estimated is what the actions said they would save in the same
	// hours (their monthly saving / 730 per hour, from their start to
	// now, as if nothing had ended the saving).
	Estimated pricing.Money `json:"estimated"`
}

// Entry is one period of the ledger and the action behind it.
type Entry struct {
	Period store.SavingPeriod
	// Action is the audit entry that opened the period (nil when none is
	// recorded).
	Action *store.Action
	// Verb, Rule and Team are the action's verb, the policy rule (or
	// "schedule NAME") that decided it and the resource's team tag when
	// it acted; "" when not known.
	Verb, Rule, Team string
	// Seconds is how long the period saved up to now: Realized is
	// Period.Hourly x Seconds / 3600.
	Seconds  int64
	Realized pricing.Money
	// EstimatedMonthly is what the action said it saves per month (the
	// period's hourly x 730 without an action or its estimate).
	EstimatedMonthly pricing.Money
	// Estimated is EstimatedMonthly over the hours since From up to now.
	Estimated pricing.Money
	// Months is Realized and Estimated by calendar month, oldest first.
	Months []Month
}

// Hours is Seconds in hours.
func (e Entry) Hours() float64 { return float64(e.Seconds) / pricing.SecondsPerHour }

// Actions reads the audit entry of a period (store.Store has it).
type Actions interface {
	Action(ctx context.Context, id int64) (store.Action, error)
}

// Read returns the entries of periods as of now, in the order given.
// An action the audit log no longer has leaves its entry without one.
func Read(ctx context.Context, st Actions, periods []store.SavingPeriod, now time.Time) ([]Entry, error) {
	out := make([]Entry, 0, len(periods))
	for _, p := range periods {
		e := Entry{Period: p}
		if p.ActionID > 0 {
			a, err := st.Action(ctx, p.ActionID)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, err
			default:
				e.Action = &a
			}
		}
		e.fill(now)
		out = append(out, e)
	}
	return out, nil
}

// fill works out e's figures from its period and action.
func (e *Entry) fill(now time.Time) {
	p := e.Period
	e.EstimatedMonthly = p.Hourly.Mul(pricing.HoursPerMonth)
	if a := e.Action; a != nil {
		e.Verb = a.Verb
		var d struct {
			Rule     string `json:"rule"`
			Schedule string `json:"schedule"`
			Team     string `json:"team"`
		}
		if json.Unmarshal(a.Details, &d) == nil {
			e.Rule, e.Team = d.Rule, d.Team
			if e.Rule == "" && d.Schedule != "" {
				e.Rule = "schedule " + d.Schedule
			}
		}
		if a.MonthlySaved.Known {
			e.EstimatedMonthly = a.MonthlySaved.Amount
		}
	}
	end := now
	if p.Until != nil && p.Until.Before(end) {
		end = *p.Until
	}
	if end.After(p.From) {
		e.Seconds = int64(end.Sub(p.From) / time.Second)
	}
	e.Realized = p.Realized(now)
	e.Estimated = estimated(e.EstimatedMonthly, p.From, now)
	e.Months = []Month{}
	for m := monthOf(p.From); m.Before(now); m = m.AddDate(0, 1, 0) {
		next := m.AddDate(0, 1, 0)
		upto := minTime(next, now)
		e.Months = append(e.Months, Month{Month: m.Format("2006-01"),
			Realized:  p.Realized(upto).Sub(p.Realized(m)),
			Estimated: estimated(e.EstimatedMonthly, p.From, upto).Sub(estimated(e.EstimatedMonthly, p.From, m))})
	}
}

// Totals are entries summed as of now.
type Totals struct {
	// Realized is all the entries realized; RealizedMonth the part of it
	// in now's calendar month (UTC).
	Realized, RealizedMonth pricing.Money
	// Estimated is the sum of the entries' Estimated.
	Estimated pricing.Money
	// Saving is what the periods still open save per hour.
	Saving pricing.Money
	// RealizedEstimate and SavingEstimate are true when a term of
	// Realized, or of Saving, is an estimated price.
	RealizedEstimate, SavingEstimate bool
}

// Sum is the totals of entries read as of now (Read).
func Sum(entries []Entry, now time.Time) Totals {
	var t Totals
	month := now.UTC().Format("2006-01")
	for _, e := range entries {
		t.Realized = t.Realized.Add(e.Realized)
		t.Estimated = t.Estimated.Add(e.Estimated)
		for _, m := range e.Months {
			if m.Month == month {
				t.RealizedMonth = t.RealizedMonth.Add(m.Realized)
			}
		}
		t.RealizedEstimate = t.RealizedEstimate || e.Period.Estimate
		if e.Period.Until == nil {
			t.Saving = t.Saving.Add(e.Period.Hourly)
			t.SavingEstimate = t.SavingEstimate || e.Period.Estimate
		}
	}
	return t
}

// At is what the entry had realized and what its action estimated by t
// (t before now; each zero before the period's start): the points of a
// realized-vs-estimated chart.
func (e Entry) At(t time.Time) (realized, estimate pricing.Money) {
	return e.Period.Realized(t), estimated(e.EstimatedMonthly, e.Period.From, t)
}

// estimated is monthly's share of the whole seconds from from to t (zero
// before from).
func estimated(monthly pricing.Money, from, t time.Time) pricing.Money {
	if !t.After(from) {
		return pricing.Zero
	}
	return monthly.MulRat(int64(t.Sub(from)/time.Second), pricing.SecondsPerHour*pricing.HoursPerMonth)
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Group is the entries of one action verb, rule or team, summed.
type Group struct {
	Key string `json:"key"`
	// Periods counts the entries; Open those still saving.
	Periods int `json:"periods"`
	Open    int `json:"open"`
	// Hourly is what the open ones save per hour now.
	Hourly           pricing.Money `json:"saving_hourly"`
	Realized         pricing.Money `json:"realized"`
	Estimated        pricing.Money `json:"estimated"`
	EstimatedMonthly pricing.Money `json:"estimated_monthly"`
	// Estimate is true when a term of Realized is an estimated price.
	Estimate bool `json:"estimate"`
	// Months are the months of Months(entries), each with the group's
	// sums (zero where it saved nothing), oldest first.
	Months []Month `json:"months"`
}

// Key is e's key in the grouping by ("action", "rule" or "team"), None
// when e lacks it.
func (e Entry) Key(by string) string {
	var k string
	switch by {
	case "action":
		k = e.Verb
	case "rule":
		k = e.Rule
	case "team":
		k = e.Team
	}
	if k == "" {
		return None
	}
	return k
}

// Months is every month of the entries, oldest first.
func Months(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		for _, m := range e.Months {
			if !slices.Contains(out, m.Month) {
				out = append(out, m.Month)
			}
		}
	}
	slices.Sort(out)
	return out
}

// GroupBy sums entries by their Key(by), the most realized first (then by
// key).
func GroupBy(entries []Entry, by string) []Group {
	months := Months(entries)
	idx := map[string]int{}
	out := []Group{}
	for i := range entries {
		e := &entries[i]
		k := e.Key(by)
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			g := Group{Key: k, Months: make([]Month, len(months))}
			for n, m := range months {
				g.Months[n].Month = m
			}
			out = append(out, g)
		}
		g := &out[j]
		g.Periods++
		if e.Period.Until == nil {
			g.Open++
			g.Hourly = g.Hourly.Add(e.Period.Hourly)
		}
		g.Realized = g.Realized.Add(e.Realized)
		g.Estimated = g.Estimated.Add(e.Estimated)
		g.EstimatedMonthly = g.EstimatedMonthly.Add(e.EstimatedMonthly)
		g.Estimate = g.Estimate || e.Period.Estimate
		for _, m := range e.Months {
			n, _ := slices.BinarySearch(months, m.Month)
			g.Months[n].Realized = g.Months[n].Realized.Add(m.Realized)
			g.Months[n].Estimated = g.Months[n].Estimated.Add(m.Estimated)
		}
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		if c := b.Realized.Cmp(a.Realized); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
