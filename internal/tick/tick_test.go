package tick_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// TestSameTickTwice: a second tick at the same time does nothing and says
// who holds it; the next time is a tick of its own.
func TestSameTickTwice(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			f := newFleet(t, fleetScenario(), runFile)
			h := f.newHost(be.open(t, f.emu.Clock())())
			at := mustTime(t, dayStart)
			first := h.tick(at, false)
			if first.Claimed != nil || len(first.Targets) != 6 || first.Failed() {
				t.Fatalf("first tick: %+v", first)
			}
			before, _ := h.st.Actions(context.Background(), store.ActionFilter{})
			calls := f.emu.Counters().Total
			second := h.tick(at.Add(900*time.Millisecond), false) // the same second
			if second.Claimed == nil || second.Claimed.RunID != first.RunID || len(second.Targets) != 0 {
				t.Fatalf("second tick at the same time: %+v, want claimed by run %d", second, first.RunID)
			}
			after, _ := h.st.Actions(context.Background(), store.ActionFilter{})
			if len(after) != len(before) || f.emu.Counters().Total != calls {
				t.Errorf("the second tick acted: %d actions (was %d), %d AWS calls (was %d)", len(after), len(before), f.emu.Counters().Total, calls)
			}
			if third := h.tick(at.Add(5*time.Minute), false); third.Claimed != nil || len(third.Targets) != 6 {
				t.Errorf("next tick: %+v", third)
			}
		})
	}
}

// TestFailingTargetDoesNotStopOthers: a region that refuses every call
// fails its target, recorded with the reason; the five others are done.
func TestFailingTargetDoesNotStopOthers(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			f := newFleet(t, fleetScenario("222222222222/eu-west-1"), runFile)
			h := f.newHost(be.open(t, f.emu.Clock())())
			h.targets[0].Err = errors.New("assume role arn:aws:iam::111111111111:role/SageSaver: AccessDenied")
			res := h.tick(mustTime(t, dayStart), false)
			if !res.Failed() {
				t.Fatal("the tick reports no failure")
			}
			stored, err := h.st.TargetResults(context.Background(), res.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != 6 {
				t.Fatalf("%d targets recorded, want 6", len(stored))
			}
			for _, r := range stored {
				failed := (r.Account == "111111111111" && r.Region == "eu-west-1") || (r.Account == "222222222222" && r.Region == "eu-west-1")
				switch {
				case failed && (r.Status != store.TargetFailed || r.Error == ""):
					t.Errorf("%s/%s: %s %q, want failed with the reason", r.Account, r.Region, r.Status, r.Error)
				case !failed && (r.Status != store.TargetOK || r.Counts["resources"] == 0 || r.Counts["actions"] != 1):
					t.Errorf("%s/%s: %s %v %q, want ok with the idle endpoint deleted", r.Account, r.Region, r.Status, r.Counts, r.Error)
				}
				if r.Account == "222222222222" && r.Region == "eu-west-1" && !strings.Contains(r.Error, "AccessDenied") {
					t.Errorf("denied region's error: %q", r.Error)
				}
			}
		})
	}
}

// childEnv names the environment of the tick that TestKilledTickRecovered
// runs in a process of its own (this test binary, running TestTickChild)
// and kills with SIGKILL while it deletes an endpoint.
const childEnv = "SAGESAVER_TEST_TICK_CHILD"

// childSpec is what the child process ticks against.
type childSpec struct {
	URL   string `json:"url"`   // the parent's emulator
	State string `json:"state"` // a backend's dsn (openDSN)
	Run   string `json:"run"`   // the run file
	Now   string `json:"now"`
}

// TestTickChild is the child process of TestKilledTickRecovered: a tick
// against the parent's emulator and state. Run by itself (without the
// environment), it does nothing.
func TestTickChild(t *testing.T) {
	v := os.Getenv(childEnv)
	if v == "" {
		return
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(v), &spec); err != nil {
		t.Fatal(err)
	}
	now := mustTime(t, spec.Now)
	clk := clock.NewManual(now)
	st, err := openDSN(context.Background(), spec.State, clk)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(spec.Run)
	if err != nil {
		t.Fatal(err)
	}
	f := newFleetAt(t, spec.URL, string(data))
	f.clk = clk
	h := f.newHost(st)
	h.tick(now, false) // killed in DeleteEndpoint's waiter
}

// TestKilledTickRecovered: a tick killed with kill -9 while it deletes an
// endpoint leaves the delete started and the target leased; the next tick
// frees the lease, and its policy pass resolves the delete as apply does
// (the endpoint is gone: ok, "interrupted; endpoint is gone") and does not
// delete it again. On every backend: the next tick is another host's, with
// its own handle on the state. Where a dead run is known only by its
// lease running out (DynamoDB: the killed process may have been another
// host's), the ticks within the lease leave its target alone (skipped,
// nothing done twice) and the first tick after it recovers.
func TestKilledTickRecovered(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { killedTickRecovered(t, be) })
	}
}

func killedTickRecovered(t *testing.T, be backend) {
	// The child's first target is 111111111111/eu-west-1: it is killed
	// in the delete of that target's idle endpoint.
	f := newFleet(t, fleetScenario(), runFile)
	f.hang.Store(true)
	dsn := be.newState(t)
	open := openerOf(t, dsn, f.emu.Clock())
	// Wait until the child has begun the delete (its intent is in the
	// audit log), then kill it.
	st := open()
	at := mustTime(t, dayStart)
	spec, err := json.Marshal(childSpec{URL: f.url, State: dsn, Run: f.run.Path, Now: at.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestTickChild$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+string(spec))
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	idle := resource.ID{Account: accounts[0], Region: "eu-west-1", Kind: resource.Endpoint, Name: "idle-ep"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		acts, _ := st.Actions(context.Background(), store.ActionFilter{})
		started := false
		for _, a := range acts {
			started = started || (a.Resource == idle.String() && a.Verb == "delete" && a.Result == store.ResultStarted)
		}
		if started && f.deleting.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatalf("the child never began the delete (%d deleting): %+v", f.deleting.Load(), acts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	f.hang.Store(false)
	f.emu.Advance(5 * time.Minute) // the endpoint is gone by now

	h := f.newHost(open())
	next := at.Add(5 * time.Minute)
	recovered := 0 // actions resolved by the ticks' policy passes
	if be.leaseOnly {
		res := h.tick(next, false)
		if res.Recovered != 0 || len(res.Targets) != 6 || res.Targets[0].Status != store.TargetSkipped {
			t.Fatalf("tick within the killed run's lease: %+v; want its target skipped, nothing recovered at the start", res)
		}
		// The other targets' deletes move the virtual clock on: the lease
		// may run out during this tick, whose next policy pass then
		// resolves the killed run's delete.
		for _, r := range res.Targets {
			recovered += r.Counts["recovered"]
		}
		next = at.Add(store.DefaultLease + 5*time.Minute)
		f.advanceTo(next)
	}
	res := h.tick(next, false)
	if res.Failed() || len(res.Targets) != 6 || res.Targets[0].Status != store.TargetOK {
		t.Fatalf("next tick: %+v", res)
	}
	for _, r := range res.Targets {
		recovered += r.Counts["recovered"]
	}
	if !be.leaseOnly && res.Recovered != 1 {
		t.Errorf("next tick found %d actions left started, want 1", res.Recovered)
	}
	if recovered != 1 {
		t.Errorf("%d actions resolved by the policy passes, want 1", recovered)
	}
	acts, err := st.Actions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var deletes []store.Action
	for _, a := range acts {
		if a.Resource == idle.String() && a.Verb == "delete" && !a.DryRun {
			deletes = append(deletes, a)
		}
	}
	if len(deletes) != 1 || deletes[0].Result != store.ResultOK || !strings.Contains(deletes[0].Error, "interrupted; endpoint is gone") {
		t.Errorf("deletes of %s after recovery: %+v; want the one started, resolved ok (gone)", idle, deletes)
	}
}

// TestStopFinishesTheActionInFlight: a stop (SIGTERM) during the first
// target's delete lets that delete finish, uncut; the five targets not
// started are recorded as not done, and so is the tick; the next tick
// does them.
func TestStopFinishesTheActionInFlight(t *testing.T) {
	be := backends[0]
	f := newFleet(t, fleetScenario(), runFile)
	h := f.newHost(be.open(t, f.emu.Clock())())
	ctx := context.Background()
	stop := make(chan struct{})
	var once sync.Once
	onDelete := func() { once.Do(func() { close(stop) }) }
	f.onDelete.Store(&onDelete)
	at := mustTime(t, dayStart)
	res := h.tickStop(at, false, stop)
	f.onDelete.Store(nil)
	if len(res.Targets) != 6 || res.Failed() {
		t.Fatalf("stopped tick: %+v; want 6 targets, none failed", res)
	}
	first := res.Targets[0]
	if first.Account != accounts[0] || first.Region != "eu-west-1" || first.Status != store.TargetSkipped ||
		first.Error != action.ErrNotDone.Error() || first.Counts["actions"] != 1 {
		t.Errorf("first target: %+v; want its delete done, the rest of its work not done", first)
	}
	for _, r := range res.Targets[1:] {
		if r.Status != store.TargetSkipped || r.Error != action.ErrNotDone.Error() || len(r.Counts) != 0 {
			t.Errorf("target %s/%s: %+v; want skipped, not done", r.Account, r.Region, r)
		}
	}
	stored, err := h.st.TargetResults(ctx, res.RunID)
	if err != nil || len(stored) != 6 {
		t.Fatalf("recorded targets: %v %+v", err, stored)
	}
	run, err := h.st.Run(ctx, res.RunID)
	if err != nil || run.Status != store.RunFailed || run.Error != action.ErrNotDone.Error() {
		t.Errorf("the stopped tick's run: %+v %v; want failed, not done", run, err)
	}
	deletes := func() map[string]store.Result {
		t.Helper()
		acts, err := h.st.Actions(ctx, store.ActionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]store.Result{}
		for _, a := range acts {
			if a.Verb == "delete" && !a.DryRun {
				if _, dup := out[a.Resource]; dup {
					t.Errorf("%s deleted twice", a.Resource)
				}
				out[a.Resource] = a.Result
			}
		}
		return out
	}
	inFlight := resource.ID{Account: accounts[0], Region: "eu-west-1", Kind: resource.Endpoint, Name: "idle-ep"}.String()
	if got := deletes(); len(got) != 1 || got[inFlight] != store.ResultOK {
		t.Fatalf("deletes after the stop: %v; want only %s's, finished ok", got, inFlight)
	}

	f.emu.Advance(5 * time.Minute)
	next := h.tick(at.Add(5*time.Minute), false)
	if next.Failed() || len(next.Targets) != 6 {
		t.Fatalf("next tick: %+v", next)
	}
	for _, r := range next.Targets {
		if r.Status != store.TargetOK {
			t.Errorf("next tick's target %s/%s: %+v", r.Account, r.Region, r)
		}
	}
	got := deletes()
	if len(got) != 6 {
		t.Errorf("deletes after the next tick: %v; want one per target", got)
	}
	for k, r := range got {
		if r != store.ResultOK {
			t.Errorf("delete of %s: %s", k, r)
		}
	}
}

// TestDueFromStore: what is due is remembered in the state, not by the
// host: a fresh host (its own handle, nothing local) 5 minutes after the
// first reads no endpoint evidence and describes nothing the first
// described (the store's inventory cache); an hour later the policies are
// due again (their endpoint evidence is the state's incremental one).
func TestDueFromStore(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			f := newFleet(t, fleetScenario(), runFile)
			open := be.open(t, f.emu.Clock())
			at := mustTime(t, dayStart)
			if res := f.newHost(open()).tick(at, false); res.Failed() {
				t.Fatalf("first tick: %+v", res)
			}
			metricCalls := func() int64 { return f.emu.Counters().Calls["cloudwatch:GetMetricData"] }
			before := metricCalls()
			fresh := f.newHost(open())
			f.advanceTo(at.Add(5 * time.Minute))
			res := fresh.tick(at.Add(5*time.Minute), false)
			if res.Failed() || metricCalls() != before {
				t.Errorf("5 minutes later on a fresh host: %d GetMetricData calls (want none), %+v", metricCalls()-before, res)
			}
			for _, r := range res.Targets {
				if _, ran := r.Counts["findings"]; ran {
					t.Errorf("%s/%s: the policies ran again 5 minutes later: %v", r.Account, r.Region, r.Counts)
				}
			}
			if keys, err := fresh.st.BlobKeys(context.Background(), "inventory", ""); err != nil || len(keys) != 6 {
				t.Errorf("inventory cache in the state: %v (%v), want one blob per target", keys, err)
			}
			f.advanceTo(at.Add(time.Hour))
			res = fresh.tick(at.Add(time.Hour), false)
			for _, r := range res.Targets {
				if _, ran := r.Counts["findings"]; !ran {
					t.Errorf("%s/%s: the policies did not run an hour later: %v", r.Account, r.Region, r.Counts)
				}
			}
		})
	}
}

// TestCountHook: what the Count hook's read says of a target is recorded
// with the target's result.
func TestCountHook(t *testing.T) {
	f := newFleet(t, fleetScenario(), runFile)
	h := f.newHost(backends[0].open(t, f.emu.Clock())())
	res, err := tick.Run(context.Background(), tick.Options{Run: f.run, At: mustTime(t, dayStart), Targets: h.targets, Store: h.st,
		Catalog: pricing.Embedded(), Executor: h.ex, Clock: f.clk, Info: store.RunInfo{OSUser: "tick-test"},
		Count: func(ctx context.Context) (context.Context, func() (map[string]int, int)) {
			return ctx, func() (map[string]int, int) { return map[string]int{"sagemaker:ListEndpoints": 2}, 7 }
		}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.st.TargetResults(context.Background(), res.RunID)
	if err != nil || len(stored) != 6 {
		t.Fatalf("%d results (%v)", len(stored), err)
	}
	for _, r := range stored {
		if r.Calls["sagemaker:ListEndpoints"] != 2 || r.MetricsRequested != 7 {
			t.Errorf("%s/%s: calls %v, metrics %d", r.Account, r.Region, r.Calls, r.MetricsRequested)
		}
	}
}

// countingStore counts the blobs written, by kind.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	writes map[string]int
}

func (c *countingStore) PutBlob(ctx context.Context, kind, key string, value []byte) error {
	c.mu.Lock()
	c.writes[kind]++
	c.mu.Unlock()
	return c.Store.PutBlob(ctx, kind, key, value)
}

func (c *countingStore) written(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes[kind]
}

// TestScanStoredWhenChanged: a target's inventory (BlobScan) is written
// when it changed, not at every inventory tick: the same fleet an hour
// later writes nothing; a notebook started in one target writes that
// target's alone.
func TestScanStoredWhenChanged(t *testing.T) {
	for _, be := range backends[:2] { // SQLite and dynalite: the rule is the tick's
		t.Run(be.name, func(t *testing.T) {
			f := newFleet(t, fleetScenario(), runFile)
			st := &countingStore{Store: be.open(t, f.emu.Clock())(), writes: map[string]int{}}
			h := f.newHost(st)
			at := mustTime(t, dayStart)
			if res := h.tick(at, true); res.Failed() {
				t.Fatalf("first tick: %+v", res)
			}
			if n := st.written(tick.BlobScan); n != 6 {
				t.Fatalf("first tick wrote %d inventories, want 6", n)
			}
			at = at.Add(time.Hour) // inventory is due hourly
			f.advanceTo(at)
			if res := h.tick(at, true); res.Failed() || res.Targets[0].Counts["resources"] == 0 {
				t.Fatalf("second tick: %+v", res)
			}
			if n := st.written(tick.BlobScan); n != 6 {
				t.Errorf("an unchanged fleet's inventories were written again: %d writes, want 6", n-6)
			}
			// How fresh the inventory is comes from the tick's record,
			// not from the blob's time.
			if got, err := tick.InventoryAt(context.Background(), st, accounts[0]+"/"+regions[0]); err != nil || !got.Equal(at) {
				t.Errorf("InventoryAt = %v, %v; want the second tick's time %v", got, err, at)
			}
			target := h.targets[0]
			if _, err := target.Clients.SageMaker.StartNotebookInstance(context.Background(),
				&sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("dev-nb")}); err != nil {
				t.Fatal(err)
			}
			at = at.Add(time.Hour)
			f.advanceTo(at)
			if res := h.tick(at, true); res.Failed() {
				t.Fatalf("third tick: %+v", res)
			}
			if n := st.written(tick.BlobScan); n != 7 {
				t.Errorf("after one target changed: %d inventory writes, want 7", n)
			}
			data, _, err := st.Blob(context.Background(), tick.BlobScan, target.Account+"/"+target.Region)
			if err != nil || !strings.Contains(string(data), "InService") && !strings.Contains(string(data), "Pending") {
				t.Errorf("%s/%s inventory does not show the notebook started (%v): %.300s", target.Account, target.Region, err, data)
			}
		})
	}
}
