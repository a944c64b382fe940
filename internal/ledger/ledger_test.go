package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

type actions map[int64]store.Action

func (a actions) Action(_ context.Context, id int64) (store.Action, error) {
	x, ok := a[id]
	if !ok {
		return store.Action{}, fmt.Errorf("action %d: %w", id, store.ErrNotFound)
	}
	return x, nil
}

func money(s string) pricing.Money { return pricing.MustParseMoney(s) }

// TestReadAndGroup: a period that spans a month end realizes its hours x
// $/h in each month, the action's monthly estimate runs on after the
// period ended, and the groups by action, rule and team are the sums of
// their entries, month by month.
func TestReadAndGroup(t *testing.T) {
	id := func(s string) resource.ID {
		x, err := resource.ParseID(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	at := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	until := at("2026-12-01T10:00:00Z")
	acts := actions{
		1: {ID: 1, Verb: "stop", MonthlySaved: pricing.Price{Amount: money("730"), Known: true},
			Details: json.RawMessage(`{"rule":"idle-notebooks","team":"growth"}`)},
		2: {ID: 2, Verb: "delete", MonthlySaved: pricing.Price{Amount: money("1460"), Known: true},
			Details: json.RawMessage(`{"rule":"idle-endpoints"}`)},
		3: {ID: 3, Verb: "stop", Details: json.RawMessage(`{"schedule":"office-hours","team":"growth"}`)},
	}
	periods := []store.SavingPeriod{
		// 1 $/h from 20:00 on Nov 30 to 10:00 on Dec 1: 4 h in November, 10 h in December.
		{Resource: id("1/us-east-1/notebook-instance/a"), ActionID: 1, Hourly: money("1"), From: at("2026-11-30T20:00:00Z"), Until: &until},
		// 2 $/h from Dec 1, still saving.
		{Resource: id("1/us-east-1/endpoint/b"), ActionID: 2, Hourly: money("2"), From: at("2026-12-01T00:00:00Z"), Estimate: true},
		// 0.5 $/h, a schedule's stop.
		{Resource: id("1/us-east-1/notebook-instance/c"), ActionID: 3, Hourly: money("0.5"), From: at("2026-12-01T12:00:00Z")},
		// An action the audit log lost, and none at all.
		{Resource: id("1/us-east-1/notebook-instance/d"), ActionID: 99, Hourly: money("0.1"), From: at("2026-12-02T00:00:00Z")},
	}
	now := at("2026-12-02T00:00:00Z")
	es, err := Read(context.Background(), acts, periods, now)
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	if e.Seconds != 14*3600 || !e.Realized.Equal(money("14")) || e.Hours() != 14 {
		t.Errorf("entry 0: %d s, realized %s", e.Seconds, e.Realized)
	}
	// The estimate runs from 20:00 to now: 28 h at 730/730 = 1 $/h.
	if !e.Estimated.Equal(money("28")) || !e.EstimatedMonthly.Equal(money("730")) {
		t.Errorf("entry 0 estimated %s (monthly %s), want 28 (730)", e.Estimated, e.EstimatedMonthly)
	}
	wantMonths := []Month{{Month: "2026-11", Realized: money("4"), Estimated: money("4")}, {Month: "2026-12", Realized: money("10"), Estimated: money("24")}}
	if d := cmp.Diff(wantMonths, e.Months, cmp.Comparer(func(a, b pricing.Money) bool { return a.Equal(b) })); d != "" {
		t.Errorf("entry 0 months (-want +got):\n%s", d)
	}
	if es[2].Rule != "schedule office-hours" || es[2].Team != "growth" || es[3].Action != nil || es[3].Key("action") != None {
		t.Errorf("entries 2, 3: %+v %+v", es[2], es[3])
	}
	// Without an action's estimate the estimate is the period's hourly.
	if !es[3].EstimatedMonthly.Equal(money("73")) {
		t.Errorf("entry 3 estimated monthly %s, want 73", es[3].EstimatedMonthly)
	}

	eq := cmp.Comparer(func(a, b pricing.Money) bool { return a.Equal(b) })
	byTeam := GroupBy(es, "team")
	want := []Group{
		{Key: "growth", Periods: 2, Open: 1, Hourly: money("0.5"), Realized: money("20"), Estimated: money("34"), EstimatedMonthly: money("1095"),
			Months: []Month{{Month: "2026-11", Realized: money("4"), Estimated: money("4")}, {Month: "2026-12", Realized: money("16"), Estimated: money("30")}}},
		{Key: None, Periods: 2, Open: 2, Hourly: money("2.1"), Realized: money("48"), Estimated: money("48"), EstimatedMonthly: money("1533"), Estimate: true,
			Months: []Month{{Month: "2026-11", Realized: pricing.Zero, Estimated: pricing.Zero}, {Month: "2026-12", Realized: money("48"), Estimated: money("48")}}},
	}
	want[0], want[1] = want[1], want[0] // the most realized first
	if d := cmp.Diff(want, byTeam, eq); d != "" {
		t.Errorf("by team (-want +got):\n%s", d)
	}
	byAction := GroupBy(es, "action")
	if len(byAction) != 3 || byAction[0].Key != "delete" || byAction[1].Key != "stop" || !byAction[1].Realized.Equal(money("20")) || byAction[2].Key != None {
		t.Errorf("by action: %+v", byAction)
	}
	byRule := GroupBy(es, "rule")
	var keys []string
	for _, g := range byRule {
		keys = append(keys, g.Key)
	}
	if d := cmp.Diff([]string{"idle-endpoints", "idle-notebooks", "schedule office-hours", None}, keys); d != "" {
		t.Errorf("by rule (-want +got):\n%s", d)
	}
}
