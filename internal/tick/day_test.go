package tick_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// TestSimulatedDay is the must-show of issue 14: the 3-account x 2-region
// fleet ticked every 5 minutes for a simulated day (288 ticks), by two
// hosts at once against one state: every tick is done once, the schedule
// fires on time (07:00 and 19:00), each idle endpoint is deleted once after
// its snapshot, the busy ones are left alone, and every notice goes out in
// exactly one digest.
func TestSimulatedDay(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { simulateDay(t, be) })
	}
}

func simulateDay(t *testing.T, be backend) {
	f := newFleet(t, fleetScenario(), runFile)
	open := be.open(t, f.emu.Clock())
	hosts := []*host{f.newHost(open()), f.newHost(open())}
	start := mustTime(t, dayStart)
	const ticks = 288
	began := time.Now()
	for i := range ticks {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		f.advanceTo(at)
		results := make([]*tick.Result, len(hosts))
		var wg sync.WaitGroup
		for j, h := range hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j] = h.tick(at, false)
			}()
		}
		wg.Wait()
		worked := 0
		for _, res := range results {
			if res.Claimed != nil {
				continue
			}
			worked++
			if res.Failed() || len(res.Targets) != len(accounts)*len(regions) {
				t.Fatalf("tick %s: %+v", at.Format(time.RFC3339), res)
			}
		}
		if worked != 1 {
			t.Fatalf("tick %s: %d hosts worked, want exactly 1", at.Format(time.RFC3339), worked)
		}
	}
	t.Logf("%d ticks of %d targets by 2 hosts in %s", ticks, len(accounts)*len(regions), time.Since(began).Round(time.Millisecond))

	ctx := context.Background()
	st := hosts[0].st
	acts, err := st.Actions(ctx, store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ resource, verb string }
	done := map[key][]store.Action{}
	for _, a := range acts {
		if a.DryRun || a.Result != store.ResultOK {
			continue
		}
		done[key{a.Resource, a.Verb}] = append(done[key{a.Resource, a.Verb}], a)
	}
	day := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	for _, acct := range accounts {
		for _, r := range regions {
			idle := resource.ID{Account: acct, Region: r, Kind: resource.Endpoint, Name: "idle-ep"}
			busy := resource.ID{Account: acct, Region: r, Kind: resource.Endpoint, Name: "busy-ep"}
			nb := resource.ID{Account: acct, Region: r, Kind: resource.NotebookInstance, Name: "dev-nb"}
			dels := done[key{idle.String(), "delete"}]
			if len(dels) != 1 {
				t.Errorf("%s deleted %d times, want once", idle, len(dels))
			} else {
				snap, err := st.LatestSnapshot(ctx, idle)
				if err != nil {
					t.Errorf("%s: no snapshot: %v", idle, err)
				} else if dels[0].Finished == nil || snap.TakenAt.After(*dels[0].Finished) {
					t.Errorf("%s: snapshot at %s, delete finished %v: the snapshot must come first", idle, snap.TakenAt, dels[0].Finished)
				}
			}
			if n := len(done[key{busy.String(), "delete"}]); n != 0 {
				t.Errorf("%s (busy) deleted %d times", busy, n)
			}
			for _, want := range []struct {
				verb string
				at   time.Time
			}{{"start", day(7)}, {"stop", day(19)}} {
				got := done[key{nb.String(), want.verb}]
				if len(got) != 1 {
					t.Errorf("%s: %d %s actions, want 1", nb, len(got), want.verb)
					continue
				}
				if s := got[0].Started; s.Before(want.at) || !s.Before(want.at.Add(5*time.Minute)) {
					t.Errorf("%s: %s at %s, want in the tick of %s", nb, want.verb, s.Format(time.RFC3339), want.at.Format(time.RFC3339))
				}
			}
		}
	}

	// Every notice in exactly one digest, and nothing left unsent.
	pub := f.emu.Published()
	all := make([]string, len(pub))
	for i, m := range pub {
		all[i] = m.Message
	}
	for _, acct := range accounts {
		for _, r := range regions {
			for _, item := range []string{
				fmt.Sprintf("idle-ep (%s, endpoint, account %s)", r, acct),
				fmt.Sprintf("dev-nb (%s, notebook-instance, account %s): started", r, acct),
				fmt.Sprintf("dev-nb (%s, notebook-instance, account %s): stopped", r, acct),
			} {
				n := 0
				for _, m := range all {
					n += strings.Count(m, item)
				}
				if n != 1 {
					t.Errorf("%q is in %d digests, want 1", item, n)
				}
			}
		}
	}
	if unsent, err := st.UnsentNotices(ctx); err != nil || len(unsent) != 0 {
		t.Errorf("unsent notices: %d (%v)", len(unsent), err)
	}
	if len(pub) > 2*24 {
		t.Errorf("%d digests in a day with an hourly digest for two senders", len(pub))
	}

	// Every tick is recorded once, with its targets and their AWS calls;
	// endpoint evidence is incremental: at most one fetch an hour per
	// target, whatever the tick rate.
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	worked := map[time.Time]int{}
	fetches := map[string]int{}
	metricsRequested := 0
	for _, r := range runs {
		if r.Command != tick.Command {
			continue
		}
		trs, err := st.TargetResults(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(trs) > 0 {
			worked[r.Tick]++
		}
		for _, tr := range trs {
			fetches[tr.Account+"/"+tr.Region] += tr.Calls["cloudwatch:GetMetricData"]
			metricsRequested += tr.MetricsRequested
			if tr.Calls["sagemaker:ListNotebookInstances"] == 0 {
				t.Errorf("tick %s %s/%s: no calls recorded: %v", r.Tick.Format(time.RFC3339), tr.Account, tr.Region, tr.Calls)
			}
		}
	}
	t.Logf("metrics requested over the day: %d; GetMetricData calls per target: %v", metricsRequested, fetches)
	for k, n := range fetches {
		if n == 0 || n > 24 {
			t.Errorf("%s: %d GetMetricData calls in a day, want 1 to 24 (hourly at most)", k, n)
		}
	}
	if len(worked) != ticks {
		t.Errorf("%d ticks recorded with targets, want %d", len(worked), ticks)
	}
	for at, n := range worked {
		if n != 1 {
			t.Errorf("tick %s worked by %d runs", at, n)
		}
	}
}
