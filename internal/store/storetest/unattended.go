package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The unattended part of the contract (issue #14): ticks, target leases
// and results, blobs.

// testRunTick: a tick's scheduled time is kept with its run; other runs
// have none.
func testRunTick(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	tick := t0.Add(-5 * time.Minute)
	info := store.RunInfo{Command: "run", OSUser: "cron", Tick: tick.In(time.FixedZone("CET", 3600))}
	r, err := s.StartRun(ctx, info)
	must(t, err)
	other := startRun(t, s, "alice")
	got, err := s.Run(ctx, r.ID)
	must(t, err)
	if !got.Tick.Equal(tick) || got.Tick.Location() != time.UTC || !r.Tick.Equal(tick) {
		t.Errorf("Run.Tick = %v (StartRun said %v), want %v in UTC", got.Tick, r.Tick, tick)
	}
	runs, err := s.Runs(ctx, 0)
	must(t, err)
	if len(runs) != 2 || !runs[0].Tick.IsZero() || !runs[1].Tick.Equal(tick) {
		t.Errorf("Runs = %+v, want run %d without a tick, run %d with %v", runs, other.ID, r.ID, tick)
	}
}

// testClaimTickRules: the first claim of a time wins for ever (after the
// holder finished, was abandoned, or any lease ran out); the time is
// counted to the second; the holder may claim again; other times are
// free.
func testClaimTickRules(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	a, b := startRun(t, s, "a"), startRun(t, s, "b")
	at := t0.Add(-time.Minute)
	if _, err := s.TickHolder(ctx, at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TickHolder of an unclaimed tick = %v, want ErrNotFound", err)
	}
	must(t, s.ClaimTick(ctx, a.ID, at))
	must(t, s.ClaimTick(ctx, a.ID, at)) // a retried write
	refused := func(step string, run int64, when time.Time) {
		t.Helper()
		err := s.ClaimTick(ctx, run, when)
		var te *store.TickClaimedError
		if !errors.As(err, &te) || !errors.Is(err, store.ErrTickClaimed) {
			t.Fatalf("%s: ClaimTick = %v, want a *TickClaimedError", step, err)
		}
		if te.RunID != a.ID || !te.At.Equal(at) || !te.Claimed.Equal(t0) {
			t.Errorf("%s: %+v, want held by run %d at %v since %v", step, te, a.ID, at, t0)
		}
	}
	refused("another run", b.ID, at)
	// The holder is read back, the same second written another way, and
	// the loser's claim changed nothing.
	if h, err := s.TickHolder(ctx, at.Add(500*time.Millisecond).In(time.FixedZone("X", 3600))); err != nil || h != a.ID {
		t.Errorf("TickHolder = %d, %v, want run %d", h, err, a.ID)
	}
	// The same second, written another way, is the same tick.
	refused("the same second, later nanoseconds", b.ID, at.Add(999*time.Millisecond).In(time.FixedZone("X", -7200)))
	must(t, s.FinishRun(ctx, a.ID, nil))
	refused("after the holder finished", b.ID, at)
	clk.Advance(100 * store.DefaultLease)
	refused("long after", b.ID, at)
	c := startRun(t, s, "c")
	_, err := s.Recover(ctx)
	must(t, err)
	refused("after Recover", c.ID, at)
	// The next second is another tick.
	must(t, s.ClaimTick(ctx, b.ID, at.Add(time.Second)))
	if err := s.ClaimTick(ctx, c.ID, at.Add(time.Second)); !errors.Is(err, store.ErrTickClaimed) {
		t.Errorf("a second claim of the next tick: %v, want ErrTickClaimed", err)
	}
}

// testClaimTickExactlyOneWinner: Racers runs, each on its own handle,
// claim one tick at once, a new tick each round: exactly one wins, and
// every loser is told who.
func testClaimTickExactlyOneWinner(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	stores, runs := racers(t, open, clk, "host")
	for round := range 5 {
		at := t0.Add(time.Duration(round) * 5 * time.Minute)
		errs := race(func(i int) error { return stores[i].ClaimTick(ctx, runs[i], at) })
		winner := oneWinner(t, fmt.Sprint("round ", round), errs, store.ErrTickClaimed)
		for i, err := range errs {
			var te *store.TickClaimedError
			if errors.As(err, &te) && (te.RunID != runs[winner] || !te.At.Equal(at)) {
				t.Errorf("round %d: run %d told %+v, want holder %d", round, runs[i], te, runs[winner])
			}
		}
	}
}

// racers opens Racers handles on one state, each with a run of its own
// (user user plus its index) started on it.
func racers(t *testing.T, open Open, clk clock.Clock, user string) ([]store.Store, []int64) {
	t.Helper()
	stores := make([]store.Store, Racers)
	runs := make([]int64, Racers)
	for i := range stores {
		stores[i] = open(t, clk)
		runs[i] = startRun(t, stores[i], fmt.Sprint(user, i)).ID
	}
	return stores, runs
}

// race calls fn(i) for i in [0, Racers) from Racers goroutines started at
// once and returns their errors.
func race(fn func(i int) error) []error {
	errs := make([]error, Racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range Racers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner fails t unless exactly one of errs is nil and every other
// matches lost; it returns the winner's index.
func oneWinner(t *testing.T, what string, errs []error, lost error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("%s: racers %d and %d both won", what, winner, i)
			}
			winner = i
		case errors.Is(err, lost):
		default:
			t.Fatalf("%s: racer %d: %v", what, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	return winner
}

// testTargetLease: a target lease is an ordinary claim on the target's
// ID: one winner among racers, and taken over once the lease ran out.
// It does not hold the target's resources, nor another target.
func testTargetLease(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	stores, runs := racers(t, open, clk, "host")
	target := resource.TargetID("111111111111", "us-east-1")
	errs := race(func(i int) error { return stores[i].Claim(ctx, runs[i], target, "tick") })
	w := oneWinner(t, "target lease", errs, store.ErrClaimed)
	for i, err := range errs {
		var ce *store.ClaimedError
		if errors.As(err, &ce) && (ce.RunID != runs[w] || ce.Resource != target) {
			t.Errorf("racer %d told %+v, want holder %d of %s", i, ce, runs[w], target)
		}
	}
	other := (w + 1) % Racers
	must(t, stores[other].Claim(ctx, runs[other], resource.TargetID("111111111111", "eu-west-1"), "tick"))
	must(t, stores[other].Claim(ctx, runs[other], nb("in-the-target"), "stop"))
	claims, err := stores[0].Claims(ctx)
	must(t, err)
	if len(claims) != 3 {
		t.Errorf("Claims = %+v, want the two targets and the notebook", claims)
	}

	// The holder stops heart-beating (killed): once its lease ran out,
	// the next tick's run takes the target over, and the old holder cannot
	// take it back.
	clk.Advance(store.DefaultLease + time.Second)
	next := startRun(t, stores[other], "next")
	must(t, stores[other].Claim(ctx, next.ID, target, "tick"))
	if err := stores[w].Claim(ctx, runs[w], target, "tick"); !errors.Is(err, store.ErrClaimed) {
		t.Errorf("the old holder after the takeover: %v, want ErrClaimed", err)
	}
}

func testTargetResults(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	run, other := startRun(t, s, "tick"), startRun(t, s, "other")
	if got, err := s.TargetResults(ctx, run.ID); err != nil || len(got) != 0 {
		t.Fatalf("TargetResults before any = %+v, %v; want none", got, err)
	}
	ns := time.Nanosecond
	b2 := store.TargetResult{Account: "222222222222", Region: "eu-west-1", Status: store.TargetFailed,
		Started: t0.Add(ns), Finished: t0.Add(time.Second + ns), Error: "assume role: access denied"}
	a2 := store.TargetResult{Account: "111111111111", Region: "us-west-2", Status: store.TargetSkipped,
		Started: t0, Finished: t0, Error: "target leased by run 7"}
	a1 := store.TargetResult{Account: "111111111111", Region: "eu-west-1", Status: "running", Started: t0}
	for _, r := range []store.TargetResult{b2, a2, a1} {
		must(t, s.RecordTarget(ctx, run.ID, r))
	}
	// The first one finishes: its result replaces the one recorded.
	a1 = store.TargetResult{Account: "111111111111", Region: "eu-west-1", Status: store.TargetOK,
		Started: t0, Finished: t0.Add(42 * time.Second),
		Counts:           map[string]int{"resources": 120, "findings": 3, "actions": 1},
		Calls:            map[string]int{"sagemaker:ListEndpoints": 2, "cloudwatch:GetMetricData": 5},
		MetricsRequested: 480}
	must(t, s.RecordTarget(ctx, run.ID, a1))
	must(t, s.RecordTarget(ctx, other.ID, store.TargetResult{Account: "000000000000", Region: "us-east-1", Status: store.TargetOK}))
	if err := s.RecordTarget(ctx, run.ID, store.TargetResult{Account: "111111111111", Status: store.TargetOK}); err == nil {
		t.Error("RecordTarget without a region: no error")
	}
	got, err := s.TargetResults(ctx, run.ID)
	must(t, err)
	if diff := cmp.Diff([]store.TargetResult{a1, a2, b2}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("TargetResults by account then region (-want +got):\n%s", diff)
	}
	if got, _ := s.TargetResults(ctx, other.ID); len(got) != 1 || got[0].Account != "000000000000" {
		t.Errorf("the other run's results = %+v", got)
	}
}

func testBlobs(t *testing.T, open Open) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s := open(t, clk)
	if _, _, err := s.Blob(ctx, "inventory", "111111111111/us-east-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob of nothing: %v, want ErrNotFound", err)
	}
	must(t, s.PutBlob(ctx, "inventory", "k", []byte("first")))
	clk.Advance(time.Minute)
	must(t, s.PutBlob(ctx, "inventory", "k", []byte("second")))
	v, at, err := s.Blob(ctx, "inventory", "k")
	must(t, err)
	if string(v) != "second" || !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("Blob = %q put %v, want the second put at %v", v, at, t0.Add(time.Minute))
	}
	// Kinds do not share keys.
	if _, _, err := s.Blob(ctx, "evidence", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob of another kind: %v, want ErrNotFound", err)
	}
	// Large values (an account's inventory) round-trip byte for byte:
	// incompressible, so that a backend with an item limit must split.
	big := make([]byte, 6<<20+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	must(t, s.PutBlob(ctx, "inventory", "big", big))
	got, _, err := open(t, clk).Blob(ctx, "inventory", "big")
	must(t, err)
	if !bytes.Equal(got, big) {
		t.Errorf("a %d-byte blob came back as %d bytes, not the same", len(big), len(got))
	}
	// Replacing a large value by a small one leaves nothing of the large.
	must(t, s.PutBlob(ctx, "inventory", "big", []byte("small")))
	if got, _, _ := s.Blob(ctx, "inventory", "big"); string(got) != "small" {
		t.Errorf("after replacing the large value: %d bytes", len(got))
	}
	must(t, s.PutBlob(ctx, "evidence", "empty", nil))
	if got, _, err := s.Blob(ctx, "evidence", "empty"); err != nil || len(got) != 0 {
		t.Errorf("an empty blob = %q, %v", got, err)
	}
	if err := s.PutBlob(ctx, "", "k", []byte("x")); err == nil {
		t.Error("PutBlob without a kind: no error")
	}
	if err := s.PutBlob(ctx, "inventory", "", []byte("x")); err == nil {
		t.Error("PutBlob without a key: no error")
	}

	must(t, s.DeleteBlob(ctx, "inventory", "k"))
	must(t, s.DeleteBlob(ctx, "inventory", "k")) // absent: no error
	must(t, s.DeleteBlob(ctx, "dismissal", "never-put"))
	if _, _, err := s.Blob(ctx, "inventory", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob after DeleteBlob: %v, want ErrNotFound", err)
	}
	if _, _, err := s.Blob(ctx, "inventory", "big"); err != nil {
		t.Errorf("deleting one key removed another: %v", err)
	}
}

func testBlobKeys(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, clock.NewManual(t0))
	for _, k := range []string{"b/2", "a/1", "ab", "a", "B", "a/0/x", "é", "z"} {
		must(t, s.PutBlob(ctx, "evidence", k, []byte(k)))
	}
	must(t, s.PutBlob(ctx, "inventory", "a/9", []byte("x")))
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"B", "a", "a/0/x", "a/1", "ab", "b/2", "z", "é"}}, // by bytes
		{"a", []string{"a", "a/0/x", "a/1", "ab"}},
		{"a/", []string{"a/0/x", "a/1"}},
		{"a/1", []string{"a/1"}},
		{"A", nil},
		{"a/1/", nil},
		{"%", nil}, // not a pattern
	} {
		got, err := s.BlobKeys(ctx, "evidence", tc.prefix)
		must(t, err)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("BlobKeys(evidence, %q) (-want +got):\n%s", tc.prefix, diff)
		}
	}
	must(t, s.DeleteBlob(ctx, "evidence", "a/1"))
	if got, _ := s.BlobKeys(ctx, "evidence", "a/"); !cmp.Equal(got, []string{"a/0/x"}) {
		t.Errorf("BlobKeys after DeleteBlob = %v", got)
	}
	if got, _ := s.BlobKeys(ctx, "dismissal", ""); len(got) != 0 {
		t.Errorf("BlobKeys of an unused kind = %v", got)
	}
}
