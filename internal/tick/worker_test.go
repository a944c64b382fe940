package tick_test

import (
	"context"
	"testing"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// TestWorker: a worker (Options.Parent) runs its target under the time
// the orchestrator claimed, without claiming it again, and records the
// result under the orchestrator's run; a duplicate of the worker that
// finds the target leased, or already done in that run, does nothing and
// records nothing.
func TestWorker(t *testing.T) {
	be := backends[0]
	f := newFleet(t, fleetScenario(), runFile)
	h := f.newHost(be.open(t, f.emu.Clock())())
	at := mustTime(t, dayStart)
	ctx := context.Background()
	all := h.targets
	h.targets = nil
	orch := h.tick(at, false) // claims the time, works on nothing
	if orch.Claimed != nil || len(orch.Targets) != 0 {
		t.Fatalf("orchestrator: %+v", orch)
	}
	worker := func(tg tick.Target) *tick.Result {
		t.Helper()
		res, err := tick.Run(ctx, tick.Options{Run: f.run, At: at, Targets: []tick.Target{tg}, Store: h.st, Catalog: pricing.Embedded(),
			Executor: h.ex, Clock: f.clk, Info: store.RunInfo{OSUser: "tick-test"}, Parent: orch.RunID,
			ScheduleNotifier: notify.NewSNS(awsapi.NewClients(h.base, "us-east-1", false).SNS, topicARN)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	tg := all[1]

	// A duplicate in flight holds the lease.
	other, err := h.st.StartRun(ctx, store.RunInfo{Command: tick.WorkerCommand, Tick: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.Claim(ctx, other.ID, resource.TargetID(tg.Account, tg.Region), "tick"); err != nil {
		t.Fatal(err)
	}
	if res := worker(tg); res.Claimed != nil || len(res.Targets) != 1 || res.Targets[0].Status != store.TargetSkipped {
		t.Errorf("worker while another holds the target: %+v", res)
	}
	if rs, _ := h.st.TargetResults(ctx, orch.RunID); len(rs) != 0 {
		t.Errorf("a skipped duplicate recorded %+v under the orchestrator's run", rs)
	}
	if err := h.st.Release(ctx, other.ID, resource.TargetID(tg.Account, tg.Region)); err != nil {
		t.Fatal(err)
	}

	first := worker(tg)
	if first.Claimed != nil || len(first.Targets) != 1 || first.Targets[0].Status != store.TargetOK || first.Targets[0].Counts["resources"] == 0 {
		t.Fatalf("worker: %+v", first)
	}
	calls := f.emu.Counters().Total
	again := worker(tg)
	if len(again.Targets) != 1 || again.Targets[0].Status != store.TargetSkipped || again.Targets[0].Error != "already done in this tick" {
		t.Errorf("duplicate after the first: %+v", again)
	}
	if n := f.emu.Counters().Total; n != calls {
		t.Errorf("the duplicate made %d AWS calls", n-calls)
	}
	rs, err := h.st.TargetResults(ctx, orch.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Account != tg.Account || rs[0].Region != tg.Region || rs[0].Status != store.TargetOK || rs[0].Counts["resources"] == 0 {
		t.Errorf("results under the orchestrator's run: %+v", rs)
	}
	if rs, _ := h.st.TargetResults(ctx, first.RunID); len(rs) != 0 {
		t.Errorf("the worker recorded under its own run too: %+v", rs)
	}
	runs, err := h.st.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == first.RunID && (r.Command != tick.WorkerCommand || !r.Tick.Equal(at)) {
			t.Errorf("worker run: %+v", r)
		}
	}
}
