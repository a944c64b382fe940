// Package storetest is the contract suite of store.Store: what every
// backend (SQLite today, DynamoDB next) must do, as tests. A backend's
// test calls Run with a function that makes a fresh, empty state and
// returns how to open handles on it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Open opens a new handle on one state, reading the time from clk and
// using store.DefaultLease. Every handle an Open returns shares that
// state, as separate processes sharing it would; Open closes the handle
// when the test ends.
type Open func(t *testing.T, clk clock.Clock) store.Store

// Racers is how many goroutines race for one claim or ledger period.
const Racers = 32

// t0 is the suite's start time: a fixed instant, so that failures
// reproduce.
var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// Run runs the contract suite; newState makes a fresh, empty state for
// each subtest.
func Run(t *testing.T, newState func(t *testing.T) Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"Runs", testRuns},
		{"ClaimExactlyOneWinner", testClaimExactlyOneWinner},
		{"ClaimRules", testClaimRules},
		{"HeartbeatExtendsClaims", testHeartbeatExtendsClaims},
		{"RecoverAbandonedRun", testRecover},
		{"Actions", testActions},
		{"Findings", testFindings},
		{"Ledger", testLedger},
		{"LedgerOneOpenPeriodUnderRace", testLedgerRace},
		{"Snapshots", testSnapshots},
		{"NoticesOutbox", testNotices},
		{"IdleSince", testIdleSince},
		{"Marks", testMarks},
		{"ScheduleMemory", testScheduleMemory},
		{"RunTick", testRunTick},
		{"ClaimTickFirstWinsForEver", testClaimTickRules},
		{"ClaimTickExactlyOneWinner", testClaimTickExactlyOneWinner},
		{"TargetLease", testTargetLease},
		{"TargetResults", testTargetResults},
		{"Blobs", testBlobs},
		{"BlobKeys", testBlobKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newState(t)) })
	}
}

func nb(name string) resource.ID {
	return resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: name}
}

func ep(name string) resource.ID {
	return resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: name}
}

func price(s string, estimate bool) pricing.Price {
	return pricing.Price{Amount: pricing.MustParseMoney(s), Known: true, Estimate: estimate}
}

// moneyEqual compares pricing.Money by value.
var moneyEqual = cmp.Comparer(func(a, b pricing.Money) bool { return a.Equal(b) })

func startRun(t *testing.T, s store.Store, user string) store.Run {
	t.Helper()
	r, err := s.StartRun(context.Background(), store.RunInfo{Command: "apply", OSUser: user})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testRuns(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	info := store.RunInfo{Command: "schedule run", DryRun: true, OSUser: "alice", CallerARN: "arn:aws:iam::111111111111:user/alice", PolicyFile: "s.yaml", PolicyHash: "abc"}
	a, err := s.StartRun(ctx, info)
	must(t, err)
	if a.ID <= 0 || a.Status != store.RunRunning || !a.Started.Equal(t0) || !a.Heartbeat.Equal(t0) || a.RunInfo != info {
		t.Errorf("StartRun = %+v", a)
	}
	got, err := s.Run(ctx, a.ID)
	must(t, err)
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Run after StartRun (-want +got):\n%s", diff)
	}
	clk.Advance(time.Minute)
	b := startRun(t, s, "bob")
	if b.ID <= a.ID {
		t.Errorf("second run id %d, want more than %d", b.ID, a.ID)
	}
	clk.Advance(time.Minute)
	must(t, s.FinishRun(ctx, a.ID, nil))
	must(t, s.FinishRun(ctx, b.ID, errors.New("stop notebook x: boom")))
	ga, _ := s.Run(ctx, a.ID)
	gb, _ := s.Run(ctx, b.ID)
	if ga.Status != store.RunFinished || ga.Error != "" || ga.Finished == nil || !ga.Finished.Equal(clk.Now()) {
		t.Errorf("finished run = %+v", ga)
	}
	if gb.Status != store.RunFailed || gb.Error != "stop notebook x: boom" {
		t.Errorf("failed run = %+v", gb)
	}
	if err := s.Heartbeat(ctx, a.ID); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("Heartbeat of a finished run: %v, want ErrNotRunning", err)
	}
	runs, err := s.Runs(ctx, 0)
	must(t, err)
	if len(runs) != 2 || runs[0].ID != b.ID || runs[1].ID != a.ID {
		t.Errorf("Runs(0) = %v, want newest first [%d %d]", runs, b.ID, a.ID)
	}
	if runs, _ := s.Runs(ctx, 1); len(runs) != 1 || runs[0].ID != b.ID {
		t.Errorf("Runs(1) = %v, want [%d]", runs, b.ID)
	}
	if _, err := s.Run(ctx, b.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run(unknown): %v, want ErrNotFound", err)
	}
}

// testClaimExactlyOneWinner: Racers runs, each on its own handle, claim
// one resource at once, round after round; exactly one wins each round,
// every loser is told who holds it, and the winner's release opens the
// next round.
func testClaimExactlyOneWinner(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	stores, runs := racers(t, open, clk, "u")
	const rounds = 5
	for round := range rounds {
		res := nb("contended")
		if round == rounds-1 {
			res = nb("fresh")
		}
		errs := race(func(i int) error { return stores[i].Claim(ctx, runs[i], res, "stop") })
		winner := oneWinner(t, fmt.Sprint("round ", round), errs, store.ErrClaimed)
		for i, err := range errs {
			var ce *store.ClaimedError
			switch {
			case err == nil:
			case !errors.As(err, &ce):
				t.Fatalf("round %d: run %d: %v, want a *ClaimedError", round, runs[i], err)
			case ce.RunID != runs[winner] || ce.Resource != res || ce.Action != "stop":
				t.Errorf("round %d: run %d told %+v, want holder %d", round, runs[i], ce, runs[winner])
			}
		}
		claims, err := stores[0].Claims(ctx)
		must(t, err)
		if len(claims) != 1 || claims[0].RunID != runs[winner] || claims[0].Resource != res {
			t.Errorf("round %d: Claims = %+v, want one by run %d", round, claims, runs[winner])
		}
		must(t, stores[winner].Release(ctx, runs[winner], res))
	}
}

func testClaimRules(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	a, b := startRun(t, s, "a"), startRun(t, s, "b")
	r := nb("dev-bob")
	must(t, s.Claim(ctx, a.ID, r, "stop"))
	must(t, s.Claim(ctx, a.ID, r, "stop")) // the holder renews
	err := s.Claim(ctx, b.ID, r, "delete")
	var ce *store.ClaimedError
	if !errors.As(err, &ce) || ce.RunID != a.ID || !ce.Expires.Equal(t0.Add(store.DefaultLease)) {
		t.Fatalf("Claim by another run: %v, want *ClaimedError by run %d until %s", err, a.ID, t0.Add(store.DefaultLease))
	}
	// Release by a run that does not hold it leaves the claim.
	must(t, s.Release(ctx, b.ID, r))
	if err := s.Claim(ctx, b.ID, r, "delete"); !errors.Is(err, store.ErrClaimed) {
		t.Fatalf("after another run's Release: %v, want ErrClaimed", err)
	}
	must(t, s.Release(ctx, a.ID, r))
	must(t, s.Release(ctx, a.ID, r)) // nothing held: no error
	must(t, s.Claim(ctx, b.ID, r, "delete"))

	// A finished holder's claims are gone.
	r2 := nb("dev-carol")
	must(t, s.Claim(ctx, a.ID, r2, "stop"))
	must(t, s.FinishRun(ctx, a.ID, nil))
	must(t, s.Claim(ctx, b.ID, r2, "stop"))
	if err := s.Claim(ctx, a.ID, nb("dev-dan"), "stop"); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("Claim by a finished run: %v, want ErrNotRunning", err)
	}
	claims, err := s.Claims(ctx)
	must(t, err)
	want := []store.ClaimInfo{
		{Resource: r, RunID: b.ID, Action: "delete", Claimed: t0, Expires: t0.Add(store.DefaultLease)},
		{Resource: r2, RunID: b.ID, Action: "stop", Claimed: t0, Expires: t0.Add(store.DefaultLease)},
	}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("Claims (-want +got):\n%s", diff)
	}

	// A lease that ran out without a heartbeat is taken over.
	c := startRun(t, s, "c")
	clk.Advance(store.DefaultLease + time.Second)
	must(t, s.Claim(ctx, c.ID, r, "delete"))
	if err := s.Claim(ctx, b.ID, r, "delete"); !errors.Is(err, store.ErrClaimed) {
		t.Errorf("the old holder claiming again after a takeover: %v, want ErrClaimed", err)
	}

	// At the instant a claim expires (its ClaimInfo.Expires) it is free:
	// every backend reads the boundary the same way.
	r3 := nb("dev-erin")
	must(t, s.Claim(ctx, c.ID, r3, "stop"))
	clk.Advance(store.DefaultLease)
	d := startRun(t, s, "d")
	if err := s.Claim(ctx, d.ID, r3, "stop"); err != nil {
		t.Errorf("Claim at the instant the lease ends: %v, want the claim taken over", err)
	}
}

func testHeartbeatExtendsClaims(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	a, b := startRun(t, s, "a"), startRun(t, s, "b")
	r := ep("big")
	must(t, s.Claim(ctx, a.ID, r, "delete"))
	for range 4 {
		clk.Advance(store.DefaultLease / 2)
		must(t, s.Heartbeat(ctx, a.ID))
	}
	clk.Advance(store.DefaultLease / 2)
	if err := s.Claim(ctx, b.ID, r, "delete"); !errors.Is(err, store.ErrClaimed) {
		t.Fatalf("after heartbeats every half lease for two leases: %v, want ErrClaimed", err)
	}
	claims, _ := s.Claims(ctx)
	if len(claims) != 1 || !claims[0].Expires.Equal(clk.Now().Add(store.DefaultLease/2)) {
		t.Errorf("Claims = %+v, want one expiring at the last heartbeat plus the lease", claims)
	}
}

// testRecover: a run that stopped heart-beating (killed) is found by the
// next run's Recover, abandoned, its claims released and its started
// action listed; a live run is left alone.
func testRecover(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	dead := open(t, clk)
	run := startRun(t, dead, "killed")
	r := ep("prod")
	must(t, dead.Claim(ctx, run.ID, r, "delete"))
	id, err := dead.BeginAction(ctx, store.Action{RunID: run.ID, Actor: "killed", Resource: r.String(), Kind: "endpoint", Verb: "delete"})
	must(t, err)
	done, err := dead.RecordAction(ctx, store.Action{RunID: run.ID, Actor: "killed", Resource: "x", Kind: "endpoint", Verb: "delete", Result: store.ResultSkipped})
	must(t, err)

	s := open(t, clk)
	clk.Advance(store.DefaultLease + time.Second)
	live := startRun(t, s, "live")
	rec, err := s.Recover(ctx)
	must(t, err)
	if len(rec.Abandoned) != 1 || rec.Abandoned[0].ID != run.ID || rec.Abandoned[0].Status != store.RunAbandoned {
		t.Fatalf("Abandoned = %+v, want run %d", rec.Abandoned, run.ID)
	}
	if len(rec.Interrupted) != 1 || rec.Interrupted[0].ID != id || rec.Interrupted[0].Result != store.ResultStarted {
		t.Fatalf("Interrupted = %+v, want action %d (not %d, which is over)", rec.Interrupted, id, done)
	}
	if got, _ := s.Run(ctx, run.ID); got.Status != store.RunAbandoned {
		t.Errorf("abandoned run's status %q", got.Status)
	}
	if got, _ := s.Run(ctx, live.ID); got.Status != store.RunRunning {
		t.Errorf("live run's status %q, want running", got.Status)
	}
	if claims, _ := s.Claims(ctx); len(claims) != 0 {
		t.Errorf("claims after Recover: %+v", claims)
	}
	if err := dead.Heartbeat(ctx, run.ID); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("the abandoned run's Heartbeat: %v, want ErrNotRunning", err)
	}
	must(t, s.Claim(ctx, live.ID, r, "delete"))
	must(t, s.ResolveInterrupted(ctx, id, store.ResultOK, "endpoint is gone"))
	a, err := s.Action(ctx, id)
	must(t, err)
	if a.Result != store.ResultOK || a.Error != "interrupted; endpoint is gone" || a.Finished == nil {
		t.Errorf("resolved action = %+v", a)
	}
	if err := s.FinishAction(ctx, id, nil, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finishing a resolved action: %v, want ErrNotFound", err)
	}
	if rec, _ := s.Recover(ctx); len(rec.Abandoned) != 0 || len(rec.Interrupted) != 0 {
		t.Errorf("second Recover = %+v, want nothing", rec)
	}
}

func testActions(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	run := startRun(t, s, "bob")
	other := startRun(t, s, "carol")
	saved := price("1234.567890123456", true)
	id, err := s.BeginAction(ctx, store.Action{RunID: run.ID, Actor: "bob", Resource: "r1", Kind: "notebook-instance", Verb: "stop",
		MonthlySaved: saved, Details: json.RawMessage(`{"before":"InService"}`)})
	must(t, err)
	a, err := s.Action(ctx, id)
	must(t, err)
	if a.Result != store.ResultStarted || a.Finished != nil || !a.Started.Equal(t0) {
		t.Errorf("begun action = %+v, want started, not finished", a)
	}
	clk.Advance(3 * time.Minute)
	must(t, s.FinishAction(ctx, id, nil, json.RawMessage(`{"after":"Stopped"}`)))
	if err := s.FinishAction(ctx, id, errors.New("again"), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finishing twice: %v, want ErrNotFound", err)
	}
	a, _ = s.Action(ctx, id)
	if a.Result != store.ResultOK || a.Finished == nil || !a.Finished.Equal(t0.Add(3*time.Minute)) || string(a.Details) != `{"after":"Stopped"}` {
		t.Errorf("finished action = %+v", a)
	}
	if !a.MonthlySaved.Known || !a.MonthlySaved.Estimate || !a.MonthlySaved.Amount.Equal(saved.Amount) {
		t.Errorf("MonthlySaved = %+v, want exactly %s, estimate", a.MonthlySaved, saved.Amount.Plain())
	}
	failed, err := s.BeginAction(ctx, store.Action{RunID: run.ID, Actor: "bob", Resource: "r2", Kind: "endpoint", Verb: "delete"})
	must(t, err)
	must(t, s.FinishAction(ctx, failed, errors.New("delete endpoint r2: throttled"), nil))
	if _, err := s.RecordAction(ctx, store.Action{RunID: run.ID, Verb: "stop", Resource: "r3", Result: store.ResultStarted}); err == nil {
		t.Error("RecordAction with result started: no error")
	}
	skipped, err := s.RecordAction(ctx, store.Action{RunID: other.ID, Actor: "carol", Resource: "r1", Kind: "notebook-instance", Verb: "stop", DryRun: true, Result: store.ResultSkipped})
	must(t, err)

	if a, _ := s.Action(ctx, failed); a.Result != store.ResultFailed || a.Error != "delete endpoint r2: throttled" || a.MonthlySaved.Known {
		t.Errorf("failed action = %+v, want failed with the message and an unknown saving", a)
	}
	if a, _ := s.Action(ctx, skipped); !a.DryRun || a.Finished == nil || string(a.Details) != "{}" {
		t.Errorf("recorded action = %+v, want dry run, finished, details {}", a)
	}
	ids := func(as []store.Action) []int64 {
		var out []int64
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    store.ActionFilter
		want []int64
	}{
		{store.ActionFilter{}, []int64{skipped, failed, id}},
		{store.ActionFilter{RunID: run.ID}, []int64{failed, id}},
		{store.ActionFilter{Resource: "r1"}, []int64{skipped, id}},
		{store.ActionFilter{Limit: 1}, []int64{skipped}},
		{store.ActionFilter{Since: t0.Add(time.Minute)}, []int64{skipped, failed}},
	} {
		got, err := s.Actions(ctx, tc.f)
		must(t, err)
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("Actions(%+v) ids (-want +got):\n%s", tc.f, diff)
		}
	}
	if _, err := s.Action(ctx, skipped+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Action(unknown): %v, want ErrNotFound", err)
	}
}

func testFindings(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	run := startRun(t, s, "a")
	fs := []store.Finding{
		{Resource: "b", Kind: "endpoint", Rule: "idle", Verdict: "idle", Action: "delete", Evidence: "0 invocations", Monthly: price("41.975", false)},
		{Resource: "a", Kind: "notebook-instance", Rule: "idle", Verdict: "unknown", Action: "skipped: no data", Monthly: pricing.Unknown},
	}
	must(t, s.AddFindings(ctx, run.ID, fs))
	got, err := s.Findings(ctx, run.ID)
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("Findings = %+v", got)
	}
	for i := range got {
		if got[i].ID <= 0 || got[i].RunID != run.ID {
			t.Errorf("finding %d: id %d run %d", i, got[i].ID, got[i].RunID)
		}
		got[i].ID, got[i].RunID = 0, 0
	}
	if diff := cmp.Diff(fs, got, moneyEqual); diff != "" {
		t.Errorf("Findings in the order recorded (-want +got):\n%s", diff)
	}
}

func testLedger(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	r := nb("dev-bob")
	if _, err := s.StartSaving(ctx, r, 0, pricing.Unknown, t0); err == nil {
		t.Error("StartSaving at an unknown price: no error")
	}
	hourly := price("0.000000000002", false) // 12 decimal places
	id, err := s.StartSaving(ctx, r, 0, hourly, t0)
	must(t, err)
	if _, err := s.StartSaving(ctx, r, 0, hourly, t0.Add(time.Hour)); !errors.Is(err, store.ErrAlreadySaving) {
		t.Errorf("second open period: %v, want ErrAlreadySaving", err)
	}
	// Another ID (the same name in another region) is another resource.
	other := r
	other.Region = "eu-west-1"
	est := price("0.1234567", true)
	oid, err := s.StartSaving(ctx, other, 0, est, t0)
	must(t, err)
	if open, err := s.StopSaving(ctx, r, t0.Add(3*time.Hour)); !open || err != nil {
		t.Fatalf("StopSaving = %v, %v; want true", open, err)
	}
	if open, err := s.StopSaving(ctx, r, t0.Add(4*time.Hour)); open || err != nil {
		t.Errorf("StopSaving with nothing open = %v, %v; want false", open, err)
	}
	// Closed: a new period may open; one closed before it began ends at From.
	nid, err := s.StartSaving(ctx, r, 0, hourly, t0.Add(5*time.Hour))
	must(t, err)
	if _, err := s.StopSaving(ctx, r, t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Savings(ctx)
	must(t, err)
	until1, until3 := t0.Add(3*time.Hour), t0.Add(5*time.Hour)
	want := []store.SavingPeriod{
		{ID: id, Resource: r, Hourly: hourly.Amount, From: t0, Until: &until1},
		{ID: oid, Resource: other, Hourly: est.Amount, Estimate: true, From: t0},
		{ID: nid, Resource: r, Hourly: hourly.Amount, From: t0.Add(5 * time.Hour), Until: &until3},
	}
	if diff := cmp.Diff(want, got, moneyEqual); diff != "" {
		t.Fatalf("Savings (-want +got):\n%s", diff)
	}
	total, err := store.RealizedSavings(ctx, s, t0.Add(90*time.Minute))
	must(t, err)
	// At 90 minutes: 1.5h at 2e-12 (closed at 3h), 1.5h at 0.1234567.
	wantTotal := pricing.MustParseMoney("0.000000000003").Add(pricing.MustParseMoney("0.18518505"))
	if !total.Known || !total.Estimate || !total.Amount.Equal(wantTotal) {
		t.Errorf("RealizedSavings = %+v, want exactly %s, estimate", total, wantTotal.Plain())
	}
}

// testLedgerRace: Racers callers open a period for one resource at once;
// exactly one does.
func testLedgerRace(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	stores := make([]store.Store, Racers)
	for i := range stores {
		stores[i] = open(t, clk)
	}
	r := ep("prod")
	errs := race(func(i int) error {
		_, err := stores[i].StartSaving(ctx, r, 0, price("1.5", false), t0)
		return err
	})
	oneWinner(t, "StartSaving", errs, store.ErrAlreadySaving)
	if got, _ := stores[0].Savings(ctx); len(got) != 1 {
		t.Errorf("%d periods; want exactly one", len(got))
	}
}

func testSnapshots(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	e := ep("prod")
	if _, err := s.LatestSnapshot(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestSnapshot with none: %v, want ErrNotFound", err)
	}
	first := store.EndpointSnapshot{Account: e.Account, Region: e.Region, Endpoint: e.Name, Config: "prod-cfg-1",
		Tags: map[string]string{"team": "ml"}, Scaling: json.RawMessage(`{"targets":[]}`), EndpointConfig: json.RawMessage(`{"name":"prod-cfg-1"}`)}
	id1, err := s.SaveSnapshot(ctx, first)
	must(t, err)
	clk.Advance(time.Hour)
	second := first
	second.Config = "prod-cfg-2"
	id2, err := s.SaveSnapshot(ctx, second)
	must(t, err)
	if id2 <= id1 {
		t.Errorf("snapshot ids %d then %d", id1, id2)
	}
	if _, err := s.SaveSnapshot(ctx, store.EndpointSnapshot{Account: e.Account, Region: e.Region, Endpoint: "other", Scaling: json.RawMessage(`not json`)}); err == nil {
		t.Error("SaveSnapshot with scaling that is not JSON: no error")
	}
	got, err := s.LatestSnapshot(ctx, e)
	must(t, err)
	want := second
	want.ID, want.TakenAt, want.Steps = id2, t0.Add(time.Hour), []string{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LatestSnapshot (-want +got):\n%s", diff)
	}
	must(t, s.SetSnapshotSteps(ctx, id2, []string{"config", "endpoint"}))
	if got, _ := s.LatestSnapshot(ctx, e); !cmp.Equal(got.Steps, []string{"config", "endpoint"}) {
		t.Errorf("Steps = %v after SetSnapshotSteps", got.Steps)
	}
	at := t0.Add(2 * time.Hour)
	must(t, s.MarkRestored(ctx, id2, at))
	if err := s.MarkRestored(ctx, id2, at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restoring twice: %v, want ErrNotFound", err)
	}
	if err := s.SetSnapshotSteps(ctx, id2, []string{"x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("steps on a restored snapshot: %v, want ErrNotFound", err)
	}
	// The restored one is no longer the latest to restore: the older is.
	if got, err := s.LatestSnapshot(ctx, e); err != nil || got.ID != id1 || got.Config != "prod-cfg-1" {
		t.Errorf("LatestSnapshot after restore = %d %q, %v; want %d", got.ID, got.Config, err, id1)
	}
	must(t, s.MarkRestored(ctx, id1, at))
	if _, err := s.LatestSnapshot(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestSnapshot when all are restored: %v, want ErrNotFound", err)
	}
}

// testNotices: the outbox. A running run claims the unsent notices of
// runs that are not running; no other running run gets them; a failed
// delivery leaves them for the next run; a sent notice is never claimed
// again.
func testNotices(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	old := startRun(t, s, "old")
	item := func(n string) json.RawMessage { return json.RawMessage(`{"name":"` + n + `"}`) }
	must(t, s.AddNotices(ctx, []store.Notice{
		{RunID: old.ID, Key: "sns:arn:topic", Destination: json.RawMessage(`{"topic":"t"}`), Item: item("a")},
		{RunID: old.ID, Key: "sns:arn:topic", Item: item("b")},
		{RunID: old.ID, Key: "webhook:x", Item: item("c")},
	}))
	if err := s.AddNotices(ctx, []store.Notice{{RunID: old.ID, Key: "k", Item: json.RawMessage(`nope`)}}); err == nil {
		t.Error("AddNotices with an item that is not JSON: no error")
	}
	a, b := startRun(t, s, "a"), startRun(t, s, "b")
	// The notices of a running run are its own to send.
	if got, _ := s.ClaimNotices(ctx, a.ID, "sns:"); len(got) != 0 {
		t.Errorf("claimed %d notices of a running run", len(got))
	}
	must(t, s.FinishRun(ctx, old.ID, errors.New("killed before sending")))
	got, err := s.ClaimNotices(ctx, a.ID, "sns:")
	must(t, err)
	if len(got) != 2 || string(got[0].Item) != `{"name":"a"}` || string(got[1].Item) != `{"name":"b"}` || got[0].ID >= got[1].ID {
		t.Fatalf("ClaimNotices = %+v, want a then b", got)
	}
	if string(got[0].Destination) != `{"topic":"t"}` || string(got[1].Destination) != "{}" || !got[0].Created.Equal(t0) || got[0].RunID != old.ID {
		t.Errorf("claimed notice = %+v", got[0])
	}
	if other, _ := s.ClaimNotices(ctx, b.ID, "sns:"); len(other) != 0 {
		t.Errorf("a second running run claimed %d notices another holds", len(other))
	}
	ids := []int64{got[0].ID, got[1].ID}
	must(t, s.NoticesFailed(ctx, ids, "publish: throttled"))
	must(t, s.FinishRun(ctx, a.ID, nil))
	retry, err := s.ClaimNotices(ctx, b.ID, "sns:")
	must(t, err)
	if len(retry) != 2 || retry[0].Attempts != 1 || retry[0].LastError != "publish: throttled" {
		t.Fatalf("retry = %+v, want both, one attempt, the error", retry)
	}
	clk.Advance(time.Minute)
	must(t, s.NoticesSent(ctx, ids))
	must(t, s.FinishRun(ctx, b.ID, nil))
	c := startRun(t, s, "c")
	if again, _ := s.ClaimNotices(ctx, c.ID, "sns:"); len(again) != 0 {
		t.Errorf("sent notices claimed again: %+v", again)
	}
	unsent, err := s.UnsentNotices(ctx)
	must(t, err)
	if len(unsent) != 1 || unsent[0].Key != "webhook:x" || unsent[0].SentAt != nil {
		t.Errorf("UnsentNotices = %+v, want the webhook one", unsent)
	}
}

func testIdleSince(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	r := ep("quiet")
	day := 24 * time.Hour
	steps := []struct {
		from, to, want time.Time
	}{
		{t0, t0.Add(day), t0},
		{t0.Add(day), t0.Add(2 * day), t0},                  // touches: extends
		{t0.Add(day + time.Hour), t0.Add(3 * day), t0},      // overlaps: extends
		{t0.Add(4 * day), t0.Add(5 * day), t0.Add(4 * day)}, // a gap: starts over
	}
	for i, st := range steps {
		got, err := s.ObserveIdle(ctx, r, st.from, st.to)
		must(t, err)
		if !got.Equal(st.want) {
			t.Errorf("step %d: streak starts %s, want %s", i, got, st.want)
		}
	}
	q := nb("busy")
	_, err := s.ObserveIdle(ctx, q, t0, t0.Add(time.Hour))
	must(t, err)
	got, err := s.IdleSince(ctx)
	must(t, err)
	want := map[resource.ID]store.IdleRecord{
		r: {Resource: r, FirstIdle: t0.Add(4 * day), LastSeen: t0.Add(5 * day)},
		q: {Resource: q, FirstIdle: t0, LastSeen: t0.Add(time.Hour)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IdleSince (-want +got):\n%s", diff)
	}
	must(t, s.ResetIdle(ctx, q))
	if got, _ := s.IdleSince(ctx); len(got) != 1 {
		t.Errorf("after ResetIdle: %+v", got)
	}
	if first, _ := s.ObserveIdle(ctx, q, t0.Add(2*time.Hour), t0.Add(3*time.Hour)); !first.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("after a reset the streak starts %s, want the new window's start", first)
	}
}

func testMarks(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	run := startRun(t, s, "a")
	m := store.Mark{Resource: nb("b"), Rule: "idle-notebooks", MarkedAt: t0, ActAfter: t0.Add(72 * time.Hour), RunID: run.ID}
	if isNew, err := s.PutMark(ctx, m); !isNew || err != nil {
		t.Fatalf("PutMark = %v, %v; want new", isNew, err)
	}
	later := m
	later.MarkedAt, later.ActAfter = t0.Add(time.Hour), t0.Add(73*time.Hour)
	if isNew, err := s.PutMark(ctx, later); isNew || err != nil {
		t.Errorf("PutMark again = %v, %v; want kept", isNew, err)
	}
	a := store.Mark{Resource: nb("a"), Rule: "z-rule", MarkedAt: t0, ActAfter: t0}
	b := store.Mark{Resource: nb("b"), Rule: "a-rule", MarkedAt: t0, ActAfter: t0}
	for _, x := range []store.Mark{a, b} {
		_, err := s.PutMark(ctx, x)
		must(t, err)
	}
	got, err := s.Marks(ctx)
	must(t, err)
	if diff := cmp.Diff([]store.Mark{a, b, m}, got); diff != "" {
		t.Errorf("Marks by resource then rule, the first grace kept (-want +got):\n%s", diff)
	}
	must(t, s.DeleteMark(ctx, m.Resource, m.Rule))
	must(t, s.DeleteMark(ctx, m.Resource, m.Rule))
	if got, _ := s.Marks(ctx); len(got) != 2 {
		t.Errorf("after DeleteMark: %+v", got)
	}
	if isNew, _ := s.PutMark(ctx, later); !isNew {
		t.Error("PutMark after DeleteMark: not new")
	}
}

func testScheduleMemory(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	r := nb("dev-bob")
	if got, err := s.ScheduleMemory(ctx, "nights", r); got != nil || err != nil {
		t.Fatalf("ScheduleMemory with none = %s, %v; want nil", got, err)
	}
	must(t, s.PutScheduleMemory(ctx, "nights", r, json.RawMessage(`{"applied":"stopped"}`)))
	must(t, s.PutScheduleMemory(ctx, "nights", r, json.RawMessage(`{"applied":"running"}`)))
	must(t, s.PutScheduleMemory(ctx, "weekends", r, json.RawMessage(`{"applied":"stopped"}`)))
	if got, _ := s.ScheduleMemory(ctx, "nights", r); string(got) != `{"applied":"running"}` {
		t.Errorf("nights = %s, want the last put", got)
	}
	if got, _ := s.ScheduleMemory(ctx, "weekends", r); string(got) != `{"applied":"stopped"}` {
		t.Errorf("weekends = %s: schedules must not share memory", got)
	}
	if got, _ := s.ScheduleMemory(ctx, "nights", nb("other")); got != nil {
		t.Errorf("another resource's memory = %s, want nil", got)
	}
}
