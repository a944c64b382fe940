package ownbill_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/ownbill"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// The fleet: 10,000 endpoints (2 variants on a fifth of them),
// 2,000 notebooks, 20 accounts x 4 regions. Each target (account x
// region) has an eightieth of it.
const (
	fleetEndpoints = 10000
	fleetNotebooks = 2000
	fleetAccounts  = 20
	fleetRegions   = 4
)

var (
	benchAccounts = flag.Int("ownbill-accounts", 1, "accounts simulated (x 4 regions each); the rest of the 20 is extrapolated")
	benchTicks    = flag.Int("ownbill-ticks", 288, "5-minute ticks simulated (288: a day)")
	benchQuiet    = flag.Duration("ownbill-quiet-every", metrics.DefaultQuietEvery, "how often endpoints idle over a whole window are fetched (metrics.WithQuietEvery)")
)

// BenchmarkOwnBill simulates a day of 5-minute ticks for a part of the
// issue's fleet on the emulator (real SDK clients over HTTP, the virtual
// clock advanced 5 minutes a tick) and prints the tool's own monthly AWS
// bill for the whole fleet. Each tick does, per target, what the tick does
// every 5 minutes: a repeat inventory scan through the target's cache, and
// the incremental endpoint evidence over a 25-hour window (a 24-hour policy
// plus the executor's overlap). The simulated targets run concurrently; the
// counts are per target and scale by 80 / simulated targets. See
// BENCHMARKS.md ("The tool's own AWS bill").
//
//	go test ./internal/ownbill -run '^$' -bench OwnBill -benchtime 1x -timeout 60m
func BenchmarkOwnBill(b *testing.B) {
	accounts := min(max(*benchAccounts, 1), fleetAccounts)
	targetsTotal := fleetAccounts * fleetRegions
	perTargetEndpoints := fleetEndpoints / targetsTotal
	perTargetNotebooks := fleetNotebooks / targetsTotal

	sc := emulator.LargeScenario(emulator.LargeOptions{Endpoints: perTargetEndpoints * fleetRegions, Notebooks: perTargetNotebooks * fleetRegions,
		Regions: fleetRegions, SecondVariantEvery: 5})
	base := sc.Accounts[0]
	sc.Accounts = nil
	for a := range accounts {
		acct := base
		acct.ID = fmt.Sprintf("1000000000%02d", a)
		acct.AccessKeys = []string{fmt.Sprintf("AKIDOWNBILL%02d", a)}
		sc.Accounts = append(sc.Accounts, acct)
	}
	emu := emulator.New(emulator.Options{})
	if err := emu.Load(sc); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()

	// The state: a SQLite store, its blob reads and writes counted.
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "state.db"), store.WithClock(emu.Clock()))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	blobs := &countedBlobs{SQLite: st}

	type target struct {
		account, region string
		inv             inventory.Target
		evidence        *metrics.Evidence
		variants        int
		scanJSON        []byte // the last scan's resources as JSON
	}
	var targets []*target
	for _, a := range sc.Accounts {
		cfg := emulatortest.Config(b, srv.URL, a.AccessKeys[0])
		for _, r := range emulator.LargeRegions[:fleetRegions] {
			cl := awsapi.NewClients(cfg, r, false)
			targets = append(targets, &target{account: a.ID, region: r,
				inv: inventory.Target{Account: a.ID, Region: r, API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging}},
				evidence: metrics.NewEvidence(metrics.New(cl.Metrics), metrics.StoreMemory(blobs), metrics.EvidenceKey(a.ID, r),
					metrics.WithQuietEvery(*benchQuiet))})
		}
	}
	const window = 25 * time.Hour
	sc2 := &inventory.Scanner{Collectors: inventory.DefaultCollectors()}

	type tickStats struct {
		calls   map[string]int
		metrics int
		wall    time.Duration // the slowest target's
		sum     time.Duration // all targets'
	}
	var ticks []tickStats
	ctx := context.Background()
	b.ResetTimer()
	stopHeap := testutil.PeakHeap()
	start := time.Now()
	for range *benchTicks {
		now := emu.Now()
		tickCounter := awsconfig.NewCounter()
		tctx := awsconfig.WithCounter(ctx, tickCounter)
		var mu sync.Mutex
		var ts tickStats
		g, gctx := errgroup.WithContext(tctx)
		for _, t := range targets {
			g.Go(func() error {
				t0 := time.Now()
				c := awsconfig.NewCounter()
				ctx := awsconfig.WithCounter(gctx, c)
				cache := inventory.NewStoreCache(blobs, emu.Clock())
				if err := cache.Load(ctx, t.inv); err != nil {
					return err
				}
				res := sc2.Scan(ctx, []inventory.Target{t.inv}, &inventory.Env{Now: now, JobLookback: inventory.DefaultJobLookback, Cache: cache})
				if len(res.Failures) > 0 {
					return fmt.Errorf("%s/%s: %+v", t.account, t.region, res.Failures)
				}
				if err := cache.Save(ctx); err != nil {
					return err
				}
				groups := map[resource.ID][]resource.Resource{}
				variants := 0
				for _, r := range res.Resources {
					if r.Kind == resource.Endpoint && r.Running {
						k := idle.SubjectKey(&r)
						groups[k] = append(groups[k], r)
						variants++
					}
				}
				evs := t.evidence.Endpoints(ctx, metrics.NewWindow(now, window), groups)
				for k, ev := range evs {
					if ev.Err != nil {
						return fmt.Errorf("%s: %w", k, ev.Err)
					}
				}
				d := time.Since(t0)
				scan, err := json.Marshal(res.Resources)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				t.variants = variants
				t.scanJSON = scan
				ts.sum += d
				ts.wall = max(ts.wall, d)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		ts.calls, ts.metrics = tickCounter.Calls(), tickCounter.MetricsRequested()
		ticks = append(ticks, ts)
		emu.Advance(5 * time.Minute)
	}
	elapsed := time.Since(start)
	peak := stopHeap()
	b.StopTimer()

	// What was measured.
	simulated := len(targets)
	scale := float64(targetsTotal) / float64(simulated)
	variants, endpoints := 0, 0
	for _, t := range targets {
		variants += t.variants
	}
	endpoints = perTargetEndpoints * simulated
	totalMetrics, totalCalls := 0, 0
	ops := map[string]int{}
	var sumTarget time.Duration
	for _, ts := range ticks {
		totalMetrics += ts.metrics
		for op, n := range ts.calls {
			ops[op] += n
			totalCalls += n
		}
		sumTarget += ts.sum
	}
	days := float64(len(ticks)) * 5 / (24 * 60)
	perVariantDay := float64(totalMetrics) / float64(variants) / days
	steady := ticks[min(1, len(ticks)-1):]
	steadyCalls := 0
	for _, ts := range steady {
		for _, n := range ts.calls {
			steadyCalls += n
		}
	}
	meanTarget := sumTarget / time.Duration(len(ticks)*simulated)

	// Store items: a target's inventory cache and evidence memory.
	invBytes, evBytes, scanBytes, scanGz := 0, 0, 0, 0
	for _, t := range targets {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		_, _ = w.Write(t.scanJSON)
		_ = w.Close()
		scanBytes += len(t.scanJSON)
		scanGz += z.Len()
		k := metrics.EvidenceKey(t.account, t.region)
		inv, _, err := st.Blob(ctx, inventory.CacheBlobKind, k)
		if err != nil {
			b.Fatal(err)
		}
		ev, _, err := st.Blob(ctx, metrics.EvidenceBlobKind, k)
		if err != nil {
			b.Fatal(err)
		}
		invBytes += len(inv)
		evBytes += len(ev)
	}
	fleet := ownbill.Fleet{Endpoints: fleetEndpoints, Variants: int(float64(variants) * scale), Notebooks: fleetNotebooks, Targets: targetsTotal}
	// One Lambda invocation a tick does the 80 targets, as many at once as
	// were simulated here: the slowest simulated tick, scaled.
	var wallSum time.Duration
	for _, ts := range ticks {
		wallSum += ts.wall
	}
	tickDuration := time.Duration(float64(wallSum/time.Duration(len(ticks))) * scale)
	cfg := ownbill.Config{MetricsPerVariantDay: perVariantDay, TickDuration: tickDuration, MemoryMB: 1024,
		InventoryKB: (invBytes/simulated + 1023) / 1024, EvidenceKB: (evBytes/simulated + 1023) / 1024, NoticesPerDay: 1, EmailShare: 1}
	bill := ownbill.Price(ownbill.Estimate(fleet, cfg), ownbill.USEast1)

	var out strings.Builder
	fmt.Fprintf(&out, "\nsimulated: %d accounts x %d regions = %d of %d targets, %d endpoints, %d variants, %d notebooks; %d ticks of 5 min (%.2f days) in %s\n",
		accounts, fleetRegions, simulated, targetsTotal, endpoints, variants, perTargetNotebooks*simulated, len(ticks), days, elapsed.Round(time.Second))
	fmt.Fprintf(&out, "metrics requested: %d, %.2f per variant per day (idle endpoints every %s; bound at hourly: 24; every tick over the window: 288)\n", totalMetrics, perVariantDay, *benchQuiet)
	fmt.Fprintf(&out, "API calls: %d in all; first tick %d, then %.1f a tick (%.2f per target per tick)\n",
		totalCalls, sumCalls(ticks[0].calls), float64(steadyCalls)/float64(max(len(steady), 1)), float64(steadyCalls)/float64(max(len(steady), 1))/float64(simulated))
	var names []string
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	for _, op := range names {
		fmt.Fprintf(&out, "  %-40s %8d  %8.2f a tick per target\n", op, ops[op], float64(ops[op])/float64(len(ticks))/float64(simulated))
	}
	fmt.Fprintf(&out, "target work: mean %s; slowest target a tick: mean %s; peak heap %.0f MB (emulator included)\n",
		meanTarget.Round(time.Millisecond), (wallSum / time.Duration(len(ticks))).Round(time.Millisecond), peak)
	fmt.Fprintf(&out, "store blobs per target: inventory cache %d bytes, evidence memory %d bytes (gzipped JSON); in %d ticks, per target:", invBytes/simulated, evBytes/simulated, len(ticks))
	for _, k := range slices.Sorted(maps.Keys(blobs.n)) {
		fmt.Fprintf(&out, " %s %d", k, blobs.n[k]/simulated)
	}
	out.WriteString("\n")
	fmt.Fprintf(&out, "not in the loop: a target's scan result (its resources) is %d bytes as JSON, %d gzipped (stored every tick, it would be %d write units a tick per target)\n",
		scanBytes/simulated, scanGz/simulated, (scanBytes/simulated+1023)/1024)
	fmt.Fprintf(&out, "extrapolated to the fleet (x%.0f): %d variants; a tick of one Lambda invocation doing %d targets %d at a time: %s at %d MB\n",
		scale, fleet.Variants, targetsTotal, simulated, tickDuration.Round(time.Millisecond), cfg.MemoryMB)
	var bt strings.Builder
	_ = bill.WriteText(&bt)
	out.WriteString(bt.String())
	fmt.Fprint(os.Stdout, out.String()) // b.Log cuts a benchmark's log at 10 lines
	b.ReportMetric(perVariantDay, "metrics/variant/day")
	b.ReportMetric(float64(steadyCalls)/float64(max(len(steady), 1))*scale, "calls/tick")
	var total float64
	_, _ = fmt.Sscan(bill.Total.Round(2).Plain(), &total)
	b.ReportMetric(total, "$/month")
}

func sumCalls(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countedBlobs counts a store's blob reads and writes by kind.
type countedBlobs struct {
	*store.SQLite
	mu sync.Mutex
	n  map[string]int
}

func (c *countedBlobs) count(op, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op+" "+kind]++
}

func (c *countedBlobs) Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error) {
	c.count("read", kind)
	return c.SQLite.Blob(ctx, kind, key)
}

func (c *countedBlobs) PutBlob(ctx context.Context, kind, key string, v []byte) error {
	c.count("write", kind)
	return c.SQLite.PutBlob(ctx, kind, key, v)
}
