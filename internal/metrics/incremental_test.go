package metrics_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// incScenario: "ab" has traffic on one of two variants, "idle" and
// "quiet-queue" have none, "queue" has a backlog, "young" is 2 hours old,
// "wakes" gets traffic from 13:10, and "late"'s datapoints appear two
// hours after their time (every: 2h: the 14:00 one shows at 16:00), as
// CloudWatch's late-arriving datapoints do.
const incScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        endpoints:
          - {name: ab, age: 30d, variants: [{name: A, image: "i:1", instanceType: ml.m5.large, count: 1}, {name: B, image: "i:1", instanceType: ml.m5.large, count: 1}]}
          - {name: idle, age: 30d, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]}
          - {name: young, age: 2h, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]}
          - {name: queue, age: 30d, async: {outputPath: "s3://b/out"}, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.g4dn.xlarge, count: 1}]}
          - {name: quiet-queue, age: 30d, async: {outputPath: "s3://b/out"}, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.g4dn.xlarge, count: 1}]}
          - {name: wakes, age: 30d, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]}
          - {name: late, age: 30d, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]}
        metrics:
          - {metric: Invocations, endpoint: ab, variant: B, value: 10}
          - {metric: Invocations, endpoint: idle, value: 3, from: 15d, to: 10d}
          - {metric: ApproximateBacklogSize, endpoint: queue, value: 7}
          - {metric: ApproximateBacklogSize, endpoint: quiet-queue, value: 0}
          - {metric: Invocations, endpoint: wakes, value: 2, gaps: [{from: 15d, to: now}]}
          - {metric: Invocations, endpoint: late, value: 1, every: 2h, gaps: [{from: 15d, to: now}]}
`

// incResources is the inventory of incScenario's endpoints at its start
// (12:00), one resource per variant.
func incResources() map[resource.ID][]resource.Resource {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ep := func(name, variant string, age time.Duration, async bool) resource.Resource {
		c := start.Add(-age)
		return resource.Resource{Account: "123456789012", Region: "us-east-1", Kind: resource.Endpoint,
			Name: name, Variant: variant, Status: "InService", Running: true, Async: async, Created: &c, LastModified: &c}
	}
	month := 30 * 24 * time.Hour
	out := map[resource.ID][]resource.Resource{}
	for _, rs := range [][]resource.Resource{
		{ep("ab", "A", month, false), ep("ab", "B", month, false)},
		{ep("idle", "AllTraffic", month, false)},
		{ep("young", "AllTraffic", 2*time.Hour, false)},
		{ep("queue", "AllTraffic", month, true)},
		{ep("quiet-queue", "AllTraffic", month, true)},
		{ep("wakes", "AllTraffic", month, false)},
		{ep("late", "AllTraffic", month, false)},
	} {
		out[rs[0].ID()] = rs
	}
	return out
}

// storeMemory is the evidence memory in a SQLite state store (the store's
// blobs, through metrics.StoreMemory), counting its writes.
type storeMemory struct {
	metrics.Memory
	st   *store.SQLite
	mu   sync.Mutex
	puts int
}

func newStoreMemory(t *testing.T) *storeMemory {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &storeMemory{Memory: metrics.StoreMemory(st), st: st}
}

func (m *storeMemory) Put(ctx context.Context, key string, b []byte) error {
	m.mu.Lock()
	m.puts++
	m.mu.Unlock()
	return m.Memory.Put(ctx, key, b)
}

const incWindow = 25 * time.Hour // a 24-hour policy plus the executor's overlap

func states(groups map[resource.ID][]resource.Resource, evs map[resource.ID]idle.EndpointEvidence, now time.Time) map[string]idle.State {
	out := map[string]idle.State{}
	for k, rs := range groups {
		out[k.Name] = idle.Endpoint(rs, evs[k], now).State
	}
	return out
}

var incKey = metrics.EvidenceKey("123456789012", "us-east-1")

// A simulated day of 5-minute ticks: each endpoint's metrics are fetched
// at most hourly (24 metrics a variant a day), an endpoint idle over a
// whole window every 4 hours by default, an endpoint whose traffic is
// still inside the window not at all; every tick's verdicts are those a
// full fetch of the same windows gives.
func TestIncrementalEvidenceDay(t *testing.T) {
	for _, tc := range []struct {
		name            string
		opts            []metrics.EvidenceOption
		metrics         int64
		wakesAt, lateAt int // hour of the day first seen active
	}{
		// ab 2 (once: B's traffic), queue 2 (once: its backlog), idle 24,
		// young 24, quiet-queue 2 x 24, wakes 2 (12 and 13:00), late 3 (12
		// to 14:00, when its 12:00 datapoint shows).
		{"hourly", []metrics.EvidenceOption{metrics.WithQuietEvery(time.Hour)}, 105, 13, 14},
		// idle 6 and quiet-queue 2 x 6 (every 4 hours), young 24 (younger
		// than the window all day), wakes and late 2 (12 and 16:00).
		{"default", nil, 2 + 2 + 6 + 12 + 24 + 2 + 2, 16, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := emulatortest.Start(t, incScenario)
			f := metrics.New(env.Clients("us-east-1").CloudWatch)
			mem := newStoreMemory(t)
			inc := metrics.NewEvidence(f, mem, incKey, tc.opts...)
			groups := incResources()
			ctx := context.Background()
			var requested int64
			var lateActive, wakesActive time.Time
			for range 288 {
				now := env.Emu.Now()
				before := env.Emu.Counters().MetricsRequested
				evs := inc.Endpoints(ctx, metrics.NewWindow(now, incWindow), groups)
				requested += env.Emu.Counters().MetricsRequested - before
				got := states(groups, evs, now)
				// A full fetch of each incremental window must agree.
				want := map[string]idle.State{}
				for k, rs := range groups {
					ev := evs[k]
					if ev.Err != nil {
						t.Fatalf("%s: %s: %v", now.Format("15:04"), k.Name, ev.Err)
					}
					if got := ev.End.Sub(ev.Start); got != incWindow {
						t.Fatalf("%s: %s: window %v, want %v", now.Format("15:04"), k.Name, got, incWindow)
					}
					full := f.Endpoints(ctx, metrics.NewWindow(ev.End, incWindow), map[resource.ID][]resource.Resource{k: rs})
					want[k.Name] = idle.Endpoint(rs, full[k], now).State
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("%s: incremental verdicts differ from a full fetch of the same windows (-full +incremental):\n%s", now.Format("15:04"), d)
				}
				if got["late"] == idle.Active && lateActive.IsZero() {
					lateActive = now
				}
				if got["wakes"] == idle.Active && wakesActive.IsZero() {
					wakesActive = now
				}
				env.Emu.Advance(5 * time.Minute)
			}
			if requested != tc.metrics {
				t.Errorf("metrics requested over the day = %d, want %d", requested, tc.metrics)
			}
			day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
			if want := day.Add(time.Duration(tc.wakesAt) * time.Hour); !wakesActive.Equal(want) {
				t.Errorf("wakes (traffic from 12:00) seen active at %v, want %v", wakesActive, want)
			}
			if want := day.Add(time.Duration(tc.lateAt) * time.Hour); !lateActive.Equal(want) {
				t.Errorf("late (12:00 datapoint published at 14:00) seen active at %v, want %v", lateActive, want)
			}
			// One memory write a tick that fetched: young's, hourly.
			if mem.puts != 24 {
				t.Errorf("memory writes = %d, want 24", mem.puts)
			}
		})
	}
}

// Whatever the tick rate: a tick every minute for three hours requests
// what three hourly fetches do.
func TestIncrementalEvidenceTickRate(t *testing.T) {
	env := emulatortest.Start(t, incScenario)
	inc := metrics.NewEvidence(metrics.New(env.Clients("us-east-1").CloudWatch), newStoreMemory(t), incKey, metrics.WithQuietEvery(time.Hour))
	groups := incResources()
	for range 3 * 60 {
		inc.Endpoints(context.Background(), metrics.NewWindow(env.Emu.Now(), incWindow), groups)
		env.Emu.Advance(time.Minute)
	}
	// 12, 13 and 14:00: idle, young 3 each, quiet-queue 2 x 3, late 3
	// (active from 14:00); wakes 2 (active from 13:00); ab, queue 2 once.
	if got := env.Emu.Counters().MetricsRequested; got != 3+3+6+3+2+2+2 {
		t.Errorf("metrics requested in 180 one-minute ticks = %d, want %d", got, 3+3+6+3+2+2+2)
	}
}

// Without re-reading the period before the last fetch's end, a datapoint
// that CloudWatch publishes late is never read: the endpoint looks idle
// while it is not. (This is why DefaultRefetchPeriods is 1.)
func TestIncrementalEvidenceLateDatapoints(t *testing.T) {
	for _, tc := range []struct {
		refetch int
		want    idle.State
	}{{0, idle.Idle}, {1, idle.Active}} {
		t.Run(fmt.Sprint("refetch ", tc.refetch), func(t *testing.T) {
			env := emulatortest.Start(t, incScenario)
			inc := metrics.NewEvidence(metrics.New(env.Clients("us-east-1").CloudWatch), newStoreMemory(t), incKey,
				metrics.WithRefetchPeriods(tc.refetch), metrics.WithQuietEvery(time.Hour))
			groups := incResources()
			late := map[resource.ID][]resource.Resource{}
			for k, rs := range groups {
				if k.Name == "late" {
					late[k] = rs
				}
			}
			var evs map[resource.ID]idle.EndpointEvidence
			for range 7 * 12 { // to 18:55: the 12:00, 14:00 and 16:00 datapoints have shown
				evs = inc.Endpoints(context.Background(), metrics.NewWindow(env.Emu.Now(), incWindow), late)
				env.Emu.Advance(5 * time.Minute)
			}
			if got := states(late, evs, env.Emu.Now())["late"]; got != tc.want {
				t.Errorf("late: %s, want %s", got, tc.want)
			}
		})
	}
}

// A new variant, a re-created endpoint, a gap longer than the window, a
// clock that went back, an unreadable memory and a failed fetch: each is
// fetched again over what it needs, and says what a full fetch says.
func TestIncrementalEvidenceChanges(t *testing.T) {
	env := emulatortest.Start(t, incScenario)
	f := metrics.New(env.Clients("us-east-1").CloudWatch)
	mem := newStoreMemory(t)
	inc := metrics.NewEvidence(f, mem, incKey)
	ctx := context.Background()
	groups := incResources()
	var ab, idleEP resource.ID
	for k := range groups {
		switch k.Name {
		case "ab":
			ab = k
		case "idle":
			idleEP = k
		}
	}
	// fetch runs one tick at now and returns the metrics it requested.
	fetch := func(now time.Time, groups map[resource.ID][]resource.Resource) (int64, map[resource.ID]idle.EndpointEvidence) {
		t.Helper()
		before := env.Emu.Counters().MetricsRequested
		evs := inc.Endpoints(ctx, metrics.NewWindow(now, incWindow), groups)
		return env.Emu.Counters().MetricsRequested - before, evs
	}
	check := func(what string, now time.Time, groups map[resource.ID][]resource.Resource, evs map[resource.ID]idle.EndpointEvidence) {
		t.Helper()
		full := f.Endpoints(ctx, metrics.NewWindow(now, incWindow), groups)
		if d := cmp.Diff(states(groups, full, now), states(groups, evs, now)); d != "" {
			t.Errorf("%s: verdicts (-full +incremental):\n%s", what, d)
		}
	}
	now := env.Emu.Now()
	if n, _ := fetch(now, groups); n != 10 {
		t.Fatalf("first fetch: %d metrics, want 10 (every series)", n)
	}
	first := now
	now = now.Add(10 * time.Minute)
	if n, _ := fetch(now, groups); n != 0 {
		t.Errorf("10 minutes later: %d metrics, want 0", n)
	}
	t.Run("another host's clock 10 minutes behind", func(t *testing.T) {
		behind := first.Add(-10 * time.Minute)
		n, evs := fetch(behind, groups)
		if n != 0 {
			t.Errorf("%d metrics, want 0: the memory is used", n)
		}
		for k, ev := range evs {
			if ev.Err != nil || ev.End.After(behind) {
				t.Errorf("%s: evidence to %v (err %v), want to at most %v", k.Name, ev.End, ev.Err, behind)
			}
		}
		check("clock behind", behind, groups, evs)
	})

	t.Run("new variant", func(t *testing.T) {
		g := maps.Clone(groups)
		c := g[ab][0]
		c.Variant = "C"
		g[ab] = append(slices.Clone(g[ab]), c)
		n, evs := fetch(now, map[resource.ID][]resource.Resource{ab: g[ab]})
		if n != 3 {
			t.Errorf("a variant added: %d metrics, want 3 (the endpoint's series over the whole window)", n)
		}
		check("new variant", now, map[resource.ID][]resource.Resource{ab: g[ab]}, evs)
	})
	t.Run("re-created", func(t *testing.T) {
		g := map[resource.ID][]resource.Resource{idleEP: slices.Clone(groups[idleEP])}
		c := now.Add(-time.Hour)
		g[idleEP][0].Created, g[idleEP][0].LastModified = &c, &c
		n, evs := fetch(now, g)
		if n != 1 {
			t.Errorf("re-created: %d metrics, want 1", n)
		}
		if v := idle.Endpoint(g[idleEP], evs[idleEP], now); v.State != idle.Unknown || v.Reason != idle.ReasonYoung {
			t.Errorf("re-created an hour ago: %s (%s), want unknown: young", v.State, v.Evidence)
		}
	})
	t.Run("gap longer than the window", func(t *testing.T) {
		env.Emu.Advance(30 * time.Hour)
		now := env.Emu.Now()
		n, evs := fetch(now, groups)
		if n != 10 {
			t.Errorf("after 30 hours: %d metrics, want 10", n)
		}
		check("after a gap", now, groups, evs)
		for k, ev := range evs {
			if !ev.End.Equal(now) {
				t.Errorf("%s: evidence ends %v, want now %v", k.Name, ev.End, now)
			}
		}
	})
	t.Run("clock went back", func(t *testing.T) {
		back := env.Emu.Now().Add(-3 * time.Hour)
		n, evs := fetch(back, groups)
		if n != 10 {
			t.Errorf("3 hours back: %d metrics, want 10 (memory from the future forgotten)", n)
		}
		for k, ev := range evs {
			if ev.End.After(back) {
				t.Errorf("%s: evidence ends %v, after now %v", k.Name, ev.End, back)
			}
		}
	})
	t.Run("unreadable memory", func(t *testing.T) {
		now := env.Emu.Now().Add(-3 * time.Hour)
		if err := mem.Put(ctx, incKey, []byte("{not gzip")); err != nil {
			t.Fatal(err)
		}
		n, evs := fetch(now, groups)
		if n != 10 {
			t.Errorf("unreadable memory: %d metrics, want 10 (all)", n)
		}
		check("unreadable memory", now, groups, evs)
	})
	t.Run("fetch fails", func(t *testing.T) {
		env.Emu.Advance(2 * time.Hour)
		now := env.Emu.Now()
		env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Status: 400}}})
		puts := mem.puts
		_, evs := fetch(now, groups)
		if evs[idleEP].Err == nil {
			t.Errorf("idle: no error, want the fetch's")
		}
		if mem.puts != puts {
			t.Errorf("a failed fetch wrote the memory %d times", mem.puts-puts)
		}
		env.Emu.SetFaults(emulator.FaultConfig{})
		n, evs := fetch(now, groups)
		if n == 0 || evs[idleEP].Err != nil {
			t.Errorf("after the failure: %d metrics, err %v; want the due endpoints fetched", n, evs[idleEP].Err)
		}
		check("after a failure", now, groups, evs)
	})
	t.Run("kept in the store, deleted endpoints forgotten", func(t *testing.T) {
		keys, err := mem.st.BlobKeys(ctx, metrics.EvidenceBlobKind, "")
		if err != nil || !slices.Equal(keys, []string{incKey}) {
			t.Fatalf("evidence blobs %v (%v), want one: %s", keys, err, incKey)
		}
		remembered := func() []string {
			b, _, err := mem.st.Blob(ctx, metrics.EvidenceBlobKind, incKey)
			if err != nil {
				t.Fatal(err)
			}
			z, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var m struct{ Endpoints map[string]json.RawMessage }
			if err := json.NewDecoder(z).Decode(&m); err != nil {
				t.Fatal(err)
			}
			return slices.Sorted(maps.Keys(m.Endpoints))
		}
		if got := remembered(); len(got) != len(groups) {
			t.Fatalf("remembered %v, want the %d endpoints", got, len(groups))
		}
		// "late" is deleted: the ticks of the next two days do not ask.
		g := maps.Clone(groups)
		var late string
		for k := range g {
			if k.Name == "late" {
				late = k.String()
				delete(g, k)
			}
		}
		for range 2*25 + 1 {
			env.Emu.Advance(time.Hour)
			fetch(env.Emu.Now(), g)
		}
		if got := remembered(); slices.Contains(got, late) || len(got) != len(g) {
			t.Errorf("remembered %v after two windows without %s", got, late)
		}
	})
}
