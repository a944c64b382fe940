package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// TestHistoryShowsEstimates: a saving priced from an estimate reads "~" in
// history, per period and in the totals; an exact one does not.
func TestHistoryShowsEstimates(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	est := pricing.Price{Amount: pricing.MustParseMoney("0.23"), Known: true, Estimate: true}
	exact := pricing.Price{Amount: pricing.MustParseMoney("0.736"), Known: true}
	if _, err := st.StartSaving(ctx, mustID(t, "123456789012/us-east-1/endpoint/churn-predictor"), 0, est, from); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartSaving(ctx, mustID(t, "123456789012/us-east-1/notebook-instance/dev-bob"), 0, exact, from); err != nil {
		t.Fatal(err)
	}
	doc, err := readHistory(ctx, st, 0, from.Add(10*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeLedger(&b, doc); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"endpoint/churn-predictor   2026-11-25 12:00Z  still saving  ~$0.23  ~$2.30\n",
		"notebook-instance/dev-bob  2026-11-25 12:00Z  still saving  $0.736  $7.36\n",
		"Realized savings: ~$9.66; saving now ~$0.966/hour (~$705.18/month)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if !doc.Savings[0].Estimate || doc.Savings[1].Estimate || !doc.RealizedEstimate || !doc.SavingEstimate {
		t.Errorf("JSON estimate flags = %+v", doc)
	}
}

func mustID(t *testing.T, s string) resource.ID {
	t.Helper()
	id, err := resource.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestHistoryJSONBreakdown: history -o json traces each ledger period to
// the action that opened it (verb, rule, team) and gives hours x hourly =
// realized per month, the action's estimate beside it, and the sums by
// action, rule and team, in the published schema.
func TestHistoryJSONBreakdown(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	run, err := st.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	aid, err := st.RecordAction(ctx, store.Action{RunID: run.ID, Actor: "alice", Resource: "123456789012/us-east-1/notebook-instance/dev-bob", Kind: "notebook-instance",
		Verb: "stop", Result: store.ResultOK, MonthlySaved: pricing.Price{Amount: pricing.MustParseMoney("730"), Known: true},
		Details: []byte(`{"rule":"stop-idle-dev-notebooks","team":"growth"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartSaving(ctx, mustID(t, "123456789012/us-east-1/notebook-instance/dev-bob"), aid,
		pricing.Price{Amount: pricing.MustParseMoney("0.5"), Known: true}, from); err != nil {
		t.Fatal(err)
	}
	doc, err := readHistory(ctx, st, 0, from.Add(10*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.EncodeJSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	checkSchema(t, "history", b.String())
	for _, want := range []string{
		`"action_id": 1,`, `"action": "stop",`, `"rule": "stop-idle-dev-notebooks",`, `"team": "growth",`, `"hours": 10,`,
		`"estimated_monthly": 730,`, `"estimated": 10,`, `"realized": 5,`,
		`"month": "2026-11",
          "realized": 2,
          "estimated": 4`,
		`"estimated_total": 10,`, `"key": "growth",`, `"key": "stop-idle-dev-notebooks",`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("history -o json lacks %q:\n%s", want, b.String())
		}
	}
	if len(doc.ByAction) != 1 || doc.ByAction[0].Key != "stop" || !doc.ByAction[0].Realized.Equal(doc.Realized) || len(doc.ByAction[0].Months) != 2 {
		t.Errorf("by_action = %+v", doc.ByAction)
	}
}
