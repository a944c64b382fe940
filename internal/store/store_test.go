package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, opts ...store.Option) *store.SQLite {
	t.Helper()
	s, err := store.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateFromEmptyAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "sagesaver.db")
	clk := clock.NewManual(t0)
	s := open(t, path, store.WithClock(clk))
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != store.SchemaVersion() || v < 1 {
		t.Fatalf("version %d after open, want %d (>= 1)", v, store.SchemaVersion())
	}
	run, err := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "alice", CallerARN: "arn:aws:iam::111111111111:user/alice", PolicyFile: "p.yaml", PolicyHash: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, run.ID, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := open(t, path, store.WithClock(clk))
	v2, err := s2.Version(ctx)
	if err != nil || v2 != v {
		t.Fatalf("reopen: version %d, %v; want %d", v2, err, v)
	}
	got, err := s2.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := run
	finished := t0
	want.Finished, want.Status = &finished, store.RunFinished
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run after reopen (-want +got):\n%s", diff)
	}
	if got.Actor() != "alice (arn:aws:iam::111111111111:user/alice)" {
		t.Errorf("Actor() = %q", got.Actor())
	}
	if _, err := s2.Run(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run(999) err = %v, want ErrNotFound", err)
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clk))
	run, err := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	saved := pricing.Price{Amount: pricing.MustParseMoney("1101.30"), Known: true}
	id, err := s.BeginAction(ctx, store.Action{RunID: run.ID, Actor: "bob", Resource: "1/us-east-1/endpoint/ep", Kind: "endpoint",
		Verb: "delete", MonthlySaved: saved, Details: json.RawMessage(`{"snapshot":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := s.FinishAction(ctx, id, errors.New("AccessDenied: not allowed"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAction(ctx, id, nil, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finishing twice: err = %v, want ErrNotFound", err)
	}
	if _, err := s.RecordAction(ctx, store.Action{RunID: run.ID, Actor: "bob", Resource: "nb", Kind: "notebook-instance",
		Verb: "stop", DryRun: true, Result: store.ResultSkipped, Error: "skipped: run limit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAction(ctx, store.Action{RunID: run.ID, Verb: "stop", Resource: "x"}); err == nil {
		t.Error("RecordAction without a result: want an error")
	}
	got, err := s.Actions(ctx, store.ActionFilter{RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	fin, fin2 := t0.Add(time.Minute), t0.Add(time.Minute)
	want := []store.Action{
		{ID: 2, RunID: run.ID, Started: t0.Add(time.Minute), Finished: &fin2, Actor: "bob", Resource: "nb", Kind: "notebook-instance",
			Verb: "stop", DryRun: true, Result: store.ResultSkipped, Error: "skipped: run limit", Details: json.RawMessage(`{}`)},
		{ID: 1, RunID: run.ID, Started: t0, Finished: &fin, Actor: "bob", Resource: "1/us-east-1/endpoint/ep", Kind: "endpoint",
			Verb: "delete", Result: store.ResultFailed, Error: "AccessDenied: not allowed", MonthlySaved: saved, Details: json.RawMessage(`{"snapshot":1}`)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Actions (-want +got):\n%s", diff)
	}

	fs := []store.Finding{
		{Resource: "ep", Kind: "endpoint", Rule: "idle-endpoints", Verdict: "idle", Action: "notify", Evidence: "0 invocations", Monthly: saved},
		{Resource: "nb", Kind: "notebook-instance", Verdict: "unknown", Evidence: "no agent"},
	}
	if err := s.AddFindings(ctx, run.ID, fs); err != nil {
		t.Fatal(err)
	}
	gotF, err := s.Findings(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fs {
		fs[i].ID, fs[i].RunID = int64(i+1), run.ID
	}
	if diff := cmp.Diff(fs, gotF); diff != "" {
		t.Errorf("Findings (-want +got):\n%s", diff)
	}
}

func TestSavingsLedgerIsExact(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clk))
	m := pricing.MustParseMoney
	p := func(s string) pricing.Price { return pricing.Price{Amount: m(s), Known: true} }
	// A notebook stopped for 24h at $0.05/h, then started again.
	if _, err := s.StartSaving(ctx, nb("nb-1"), 0, p("0.05"), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSaving(ctx, nb("nb-1"), 0, p("0.05"), t0); !errors.Is(err, store.ErrAlreadySaving) {
		t.Errorf("second open period: err = %v, want ErrAlreadySaving", err)
	}
	if ok, err := s.StopSaving(ctx, nb("nb-1"), t0.Add(24*time.Hour)); !ok || err != nil {
		t.Fatalf("StopSaving = %v, %v", ok, err)
	}
	// An endpoint deleted for 30 minutes at $25.2512883/h, then restored.
	if _, err := s.StartSaving(ctx, nb("ep-1"), 0, p("25.2512883"), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StopSaving(ctx, nb("ep-1"), t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A notebook stopped 90 minutes ago and still stopped: $0.0464/h.
	now := t0.Add(48 * time.Hour)
	if _, err := s.StartSaving(ctx, nb("nb-2"), 0, p("0.0464"), now.Add(-90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// 0.1 + 0.2 in floats is not 0.3: 1000 one-second periods of $0.36/h
	// each save exactly $0.0001, $0.1 in all.
	for i := range 1000 {
		from := t0.Add(time.Duration(2*i) * time.Second)
		if _, err := s.StartSaving(ctx, nb("tiny"), 0, p("0.36"), from); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StopSaving(ctx, nb("tiny"), from.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.StopSaving(ctx, nb("never-saved"), now); ok {
		t.Error("StopSaving of a resource without a period reported true")
	}
	got, err := store.RealizedSavings(ctx, s, now)
	if err != nil {
		t.Fatal(err)
	}
	// 1.2 + 12.62564415 + 0.0696 + 0.1
	want := m("1.2").Add(m("12.62564415")).Add(m("0.0696")).Add(m("0.1"))
	if !got.Known || got.Estimate || !got.Amount.Equal(want) || got.Amount.Plain() != "13.99524415" {
		t.Errorf("realized = %+v, want exact %s (13.99524415)", got, want.Plain())
	}
	// The open period keeps accruing; the closed ones do not.
	later, err := store.RealizedSavings(ctx, s, now.Add(10*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d := later.Amount.Sub(got.Amount); !d.Equal(m("0.464")) {
		t.Errorf("10 more hours added %s, want 0.464", d.Plain())
	}
	ps, err := s.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1003 || ps[2].Until != nil || ps[0].Until == nil {
		t.Errorf("ledger has %d periods; want 1003 with only nb-2 open", len(ps))
	}
}

func TestIdleSinceMarksSnapshots(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clk))

	day := 24 * time.Hour
	// Daily runs with 24h windows: the streak grows.
	first, err := s.ObserveIdle(ctx, nb("ep"), t0, t0.Add(day))
	if err != nil || !first.Equal(t0) {
		t.Fatalf("ObserveIdle = %v, %v", first, err)
	}
	first, err = s.ObserveIdle(ctx, nb("ep"), t0.Add(day), t0.Add(2*day))
	if err != nil || !first.Equal(t0) {
		t.Errorf("touching window: first = %v, %v; want %v (the streak's start)", first, err, t0)
	}
	first, _ = s.ObserveIdle(ctx, nb("ep"), t0.Add(day+12*time.Hour), t0.Add(2*day+12*time.Hour))
	if !first.Equal(t0) {
		t.Errorf("overlapping window: first = %v, want %v", first, t0)
	}
	recs, _ := s.IdleSince(ctx)
	if r := recs[nb("ep")]; !r.LastSeen.Equal(t0.Add(2*day + 12*time.Hour)) {
		t.Errorf("last seen %v", r.LastSeen)
	}
	// A missed day: nobody saw the gap, so a new streak starts.
	first, _ = s.ObserveIdle(ctx, nb("ep"), t0.Add(4*day), t0.Add(5*day))
	if !first.Equal(t0.Add(4 * day)) {
		t.Errorf("after a gap: first = %v, want a new streak at %v", first, t0.Add(4*day))
	}
	if err := s.ResetIdle(ctx, nb("ep")); err != nil {
		t.Fatal(err)
	}
	first, _ = s.ObserveIdle(ctx, nb("ep"), t0.Add(5*day), t0.Add(6*day))
	if !first.Equal(t0.Add(5 * day)) {
		t.Errorf("after reset, first idle = %v, want a new streak", first)
	}

	m := store.Mark{Resource: nb("ep"), Rule: "warn-then-delete", MarkedAt: t0, ActAfter: t0.Add(72 * time.Hour)}
	if ok, err := s.PutMark(ctx, m); !ok || err != nil {
		t.Fatalf("PutMark = %v, %v", ok, err)
	}
	again := m
	again.MarkedAt, again.ActAfter = t0.Add(time.Hour), t0.Add(73*time.Hour)
	if ok, _ := s.PutMark(ctx, again); ok {
		t.Error("re-marking wrote a new mark; want the first kept")
	}
	marks, _ := s.Marks(ctx)
	if diff := cmp.Diff([]store.Mark{m}, marks); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	_ = s.DeleteMark(ctx, nb("ep"), "warn-then-delete")
	if marks, _ := s.Marks(ctx); len(marks) != 0 {
		t.Errorf("marks after delete: %v", marks)
	}

	snap := store.EndpointSnapshot{Account: "1", Region: "us-east-1", Endpoint: "ep", Config: "ep-config-v3",
		Tags: map[string]string{"team": "ml"}, Scaling: json.RawMessage(`{"targets":[{"min":1,"max":4}]}`),
		EndpointConfig: json.RawMessage(`{"name":"ep-config-v3","variants":[{"type":"ml.m5.large"}]}`), Steps: []string{}}
	id, err := s.SaveSnapshot(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestSnapshot(ctx, resource.ID{Account: "1", Region: "us-east-1", Kind: resource.Endpoint, Name: "ep"})
	if err != nil {
		t.Fatal(err)
	}
	snap.ID, snap.TakenAt = id, t0
	if diff := cmp.Diff(snap, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	// Restore steps done are kept until the snapshot is restored.
	if err := s.SetSnapshotSteps(ctx, id, []string{"endpoint-config", "endpoint"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LatestSnapshot(ctx, resource.ID{Account: "1", Region: "us-east-1", Kind: resource.Endpoint, Name: "ep"}); !slices.Equal(got.Steps, []string{"endpoint-config", "endpoint"}) {
		t.Errorf("steps %v", got.Steps)
	}
	if err := s.MarkRestored(ctx, id, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LatestSnapshot(ctx, resource.ID{Account: "1", Region: "us-east-1", Kind: resource.Endpoint, Name: "ep"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after restore: err = %v, want ErrNotFound", err)
	}
}

func TestScheduleMemory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ScheduleMemory(ctx, "office-hours", nb("dev-a"))
	if err != nil || got != nil {
		t.Fatalf("before any put: %s, %v; want nothing", got, err)
	}
	for _, m := range []string{`{"applied":"running"}`, `{"applied":"stopped"}`} {
		if err := st.PutScheduleMemory(ctx, "office-hours", nb("dev-a"), json.RawMessage(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutScheduleMemory(ctx, "nights", nb("dev-a"), json.RawMessage(`{"applied":"running"}`)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(ctx, path) // durable across processes
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err = st.ScheduleMemory(ctx, "office-hours", nb("dev-a"))
	if err != nil || string(got) != `{"applied":"stopped"}` {
		t.Errorf("office-hours memory %s, %v; want the last put", got, err)
	}
	got, _ = st.ScheduleMemory(ctx, "nights", nb("dev-a"))
	if string(got) != `{"applied":"running"}` {
		t.Errorf("nights memory %s: schedules must not share memory", got)
	}
}

// nb is the ID of a notebook instance named name.
func nb(name string) resource.ID {
	return resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: name}
}

// The ledger keeps one open period per resource ID, however the ID was
// come by: from a scan's resource (an endpoint through any of its
// variants) or parsed from what the store wrote.
func TestLedgerRefusesASecondOpenPeriodForOneID(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clock.NewManual(t0)))
	p := func(s string) pricing.Price { return pricing.Price{Amount: pricing.MustParseMoney(s), Known: true} }
	nbRes := resource.Resource{Account: "123456789012", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "Dev-Bob"}
	if _, err := s.StartSaving(ctx, nbRes.ID(), 0, p("0.05"), t0); err != nil {
		t.Fatal(err)
	}
	parsed, err := resource.ParseID("123456789012/us-east-1/notebook-instance/Dev-Bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSaving(ctx, parsed, 0, p("0.05"), t0.Add(time.Second)); !errors.Is(err, store.ErrAlreadySaving) {
		t.Errorf("second open period for %s: %v, want ErrAlreadySaving", parsed, err)
	}
	a := resource.Resource{Account: "123456789012", Region: "us-east-1", Kind: resource.Endpoint, Name: "ep", Variant: "A"}
	b := a
	b.Variant = "B"
	if _, err := s.StartSaving(ctx, a.ID(), 0, p("1"), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSaving(ctx, b.ID(), 0, p("1"), t0); !errors.Is(err, store.ErrAlreadySaving) {
		t.Errorf("a second variant opened a period for its endpoint: %v", err)
	}
	ps, _ := s.Savings(ctx)
	if len(ps) != 2 {
		t.Errorf("ledger %+v, want one period for the notebook and one for the endpoint", ps)
	}
}

// TestSavingsKeepEstimate: an estimated price ("~") stays an estimate in
// the ledger and the audit log, instead of being read back as exact.
func TestSavingsKeepEstimate(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clk))
	est := pricing.Price{Amount: pricing.MustParseMoney("0.257"), Known: true, Estimate: true, Basis: "studio-notebook"}
	exact := pricing.Price{Amount: pricing.MustParseMoney("0.05"), Known: true}
	if _, err := s.StartSaving(ctx, nb("ep-async"), 0, est, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSaving(ctx, nb("nb"), 0, exact, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSaving(ctx, nb("nb-unpriced"), 0, pricing.Unknown, t0); err == nil {
		t.Error("StartSaving with an unknown price: no error (an unknown saving is not $0)")
	}
	ps, err := s.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || !ps[0].Estimate || ps[1].Estimate {
		t.Fatalf("ledger = %+v; want ep-async estimated, nb exact", ps)
	}
	total, err := store.RealizedSavings(ctx, s, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := total.String(); got != "~$0.31" {
		t.Errorf("realized = %s, want ~$0.31 (an estimate)", got)
	}

	run, err := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "t"})
	if err != nil {
		t.Fatal(err)
	}
	monthly := est.Monthly()
	if _, err := s.RecordAction(ctx, store.Action{RunID: run.ID, Resource: "ep-async", Kind: "endpoint", Verb: "delete",
		Result: store.ResultOK, MonthlySaved: monthly}); err != nil {
		t.Fatal(err)
	}
	acts, err := s.Actions(ctx, store.ActionFilter{RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := acts[0].MonthlySaved.String(); got != "~$187.61" {
		t.Errorf("audit log saves %s, want ~$187.61", got)
	}
}
