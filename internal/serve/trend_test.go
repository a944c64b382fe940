package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

func exampleSchedules(t *testing.T) []*schedule.Schedule {
	t.Helper()
	ss, err := schedule.Load("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// schedFleet is a fleet the example schedules act on: the dev- notebooks
// named running (dev-notebooks-office-hours), the others stopped; a
// notebook and an endpoint no schedule manages; a Studio app
// (studio-apps-evening-stop) running.
func schedFleet(notebooks []string, running ...string) []resource.Resource {
	out := []resource.Resource{
		{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "research", Status: "InService",
			InstanceType: "ml.t3.medium", InstanceCount: 1, Running: true},
		{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: "churn", Variant: "AllTraffic", Status: "InService",
			InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true},
		{Account: "111111111111", Region: "us-east-1", Kind: resource.StudioApp, Name: "d-1/alice/JupyterLab/default", Status: "InService",
			InstanceType: "ml.t3.medium", InstanceCount: 1, Running: true},
	}
	for _, n := range notebooks {
		r := resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: n, Status: "Stopped",
			InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 5}
		if slices.Contains(running, n) {
			r.Status, r.Running = "InService", true
		}
		out = append(out, r)
	}
	return out
}

func snapAt(rs []resource.Resource, at time.Time) *Snapshot {
	return &Snapshot{Scan: report.New(report.Found{Resources: rs, ScannedAt: at}, pricing.Embedded(), nil, nil, 0), At: at}
}

// chartOf reads the chart data of the figure in the section of schedule
// name (nil when it has none).
func chartOf(t *testing.T, doc *html.Node, name string) *chartData {
	t.Helper()
	secs := findAttr(doc, "data-schedule", name)
	if len(secs) != 1 {
		t.Fatalf("%d sections of schedule %s", len(secs), name)
	}
	var c *chartData
	walk(secs[0], func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "script" && attr(n, "class") == "chart-data" {
			c = &chartData{}
			if err := json.Unmarshal([]byte(textOf(n)), c); err != nil {
				t.Fatalf("chart data of %s: %v", name, err)
			}
		}
	})
	return c
}

func counts(vals ...float64) []*float64 {
	out := make([]*float64, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out
}

// TestSchedulesChartOverTime: the Schedules page charts, per schedule,
// the resources it managed, running and stopped at each snapshot as it
// was when taken (notebooks started, stopped and created between
// snapshots), leaving out a point equal to both its neighbours.
func TestSchedulesChartOverTime(t *testing.T) {
	ss := exampleSchedules(t)
	t0 := testNow.Add(-4 * time.Hour)
	snaps := []*Snapshot{
		snapAt(schedFleet([]string{"dev-alice", "dev-bob"}, "dev-alice"), t0),                                      // 2 managed, 1 running
		snapAt(schedFleet([]string{"dev-alice", "dev-bob"}, "dev-alice", "dev-bob"), t0.Add(time.Hour)),            // bob started
		snapAt(schedFleet([]string{"dev-alice", "dev-bob"}, "dev-alice", "dev-bob"), t0.Add(2*time.Hour)),          // unchanged
		snapAt(schedFleet([]string{"dev-alice", "dev-bob"}, "dev-alice", "dev-bob"), t0.Add(3*time.Hour)),          // unchanged
		snapAt(schedFleet([]string{"dev-alice", "dev-bob", "dev-carol"}), t0.Add(4*time.Hour).Add(-2*time.Minute)), // all stopped, carol new
	}
	i := 0
	p := NewPoller(func(context.Context) (*Snapshot, error) { i++; return snaps[i-1], nil }, time.Minute, clock.Real{}, nil, NewTrend(nil, ss))
	e := newEnv(t, Options{Source: p, Schedules: ss})
	for range snaps {
		if err := p.Once(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	resp, page := e.get(t, "/schedules")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkDOM(t, doc)
	x := func(ss ...*Snapshot) []int64 {
		var out []int64
		for _, s := range ss {
			out = append(out, s.At.Unix())
		}
		return out
	}
	want := &chartData{Title: "Resources of dev-notebooks-office-hours", Unit: "resources", Stepped: true, X: x(snaps[0], snaps[1], snaps[3], snaps[4]),
		Series: []chartSeries{
			{Name: "managed", Values: counts(2, 2, 2, 3)},
			{Name: "running", Values: counts(1, 2, 2, 0)},
			{Name: "stopped", Values: counts(1, 0, 0, 3)},
		}}
	if diff := cmp.Diff(want, chartOf(t, doc, "dev-notebooks-office-hours")); diff != "" {
		t.Errorf("dev-notebooks-office-hours chart (-want +got):\n%s", diff)
	}
	want = &chartData{Title: "Resources of studio-apps-evening-stop", Unit: "resources", Stepped: true, X: x(snaps[0], snaps[4]),
		Series: []chartSeries{{Name: "managed", Values: counts(1, 1)}, {Name: "running", Values: counts(1, 1)}, {Name: "stopped", Values: counts(0, 0)}}}
	if diff := cmp.Diff(want, chartOf(t, doc, "studio-apps-evening-stop")); diff != "" {
		t.Errorf("studio-apps-evening-stop chart (-want +got):\n%s", diff)
	}
	// The counts now are the latest snapshot's.
	if got := textOf(findAttr(doc, "data-testid", "managed")[0]); got != "3" {
		t.Errorf("managed now %q, want 3", got)
	}
}

// TestScheduleChartGaps: a schedule loaded after the history began is
// charted from its first count on, with a gap where it was not loaded.
func TestScheduleChartGaps(t *testing.T) {
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	c1 := map[string]ScheduleCount{"s": {Managed: 1, Running: 1}}
	hist := []Point{{At: at(0)}, {At: at(1), Schedules: c1}, {At: at(2)}, {At: at(3), Schedules: c1}}
	got := scheduleChart("s", hist)
	if got == nil || !slices.Equal(got.X, []int64{at(1).Unix(), at(2).Unix(), at(3).Unix()}) || got.Series[0].Values[1] != nil ||
		*got.Series[0].Values[0] != 1 || *got.Series[0].Values[2] != 1 {
		t.Errorf("chart %+v: want x from hour 1, a gap at hour 2", got)
	}
	if c := scheduleChart("s", hist[:2]); c != nil {
		t.Errorf("one count charted: %+v", c)
	}
	if c := scheduleChart("other", hist); c != nil {
		t.Errorf("a schedule never counted charted: %+v", c)
	}
}

// putScan stores a target's inventory as a tick does (tick.BlobScan), the
// store's clock at at.
func putScan(t *testing.T, st store.Store, clk *clock.Manual, rs []resource.Resource, at time.Time) {
	t.Helper()
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(at)
	if err := st.PutBlob(t.Context(), tick.BlobScan, "111111111111/us-east-1", b); err != nil {
		t.Fatal(err)
	}
}

// TestStoreSourceHistoryShared: the history one StoreSource adds is kept
// in the store: a second StoreSource on the same SQLite file (a second
// serve host, or serve restarted) shows the same points, schedule counts
// included, and each sees what the other adds.
func TestStoreSourceHistoryShared(t *testing.T) {
	ctx := t.Context()
	ss := exampleSchedules(t)
	path := filepath.Join(t.TempDir(), "state.db")
	open := func(clk *clock.Manual) store.Store {
		st, err := store.Open(ctx, path, store.WithClock(clk))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	clk1, clk2 := clock.NewManual(testNow), clock.NewManual(testNow)
	st1 := open(clk1)
	a := NewStoreSource(st1, pricing.Embedded(), 0, ss)
	nbs := []string{"dev-alice", "dev-bob"}
	for h, running := range [][]string{{"dev-alice"}, {"dev-alice", "dev-bob"}, nil} {
		putScan(t, st1, clk1, schedFleet(nbs, running...), testNow.Add(time.Duration(h)*time.Hour))
		if err := a.Refresh(ctx, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	hist := a.History()
	if len(hist) != 3 {
		t.Fatalf("first source: %d points, want 3", len(hist))
	}
	if got, want := hist[1].Schedules["dev-notebooks-office-hours"], (ScheduleCount{Managed: 2, Running: 2}); got != want {
		t.Errorf("second point counts %+v, want %+v", got, want)
	}

	st2 := open(clk2)
	b := NewStoreSource(st2, pricing.Embedded(), 0, ss)
	if err := b.Refresh(ctx, 0, 0); err != nil { // the same inventory: no new point
		t.Fatal(err)
	}
	if diff := cmp.Diff(hist, b.History()); diff != "" {
		t.Errorf("second source's history (-first +second):\n%s", diff)
	}
	// The second adds a point; the first shows it after its next refresh.
	putScan(t, st2, clk2, schedFleet(nbs, "dev-bob"), testNow.Add(3*time.Hour))
	if err := b.Refresh(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got := a.History(); len(got) != 4 || !got[3].At.Equal(testNow.Add(3*time.Hour)) {
		t.Errorf("first source after the second added a point: %d points, want 4", len(got))
	}
	if diff := cmp.Diff(a.History(), b.History()); diff != "" {
		t.Errorf("histories differ (-first +second):\n%s", diff)
	}
	keys, err := st1.BlobKeys(ctx, BlobTrend, "")
	if err != nil || !slices.Equal(keys, []string{"2026-11-20"}) {
		t.Errorf("trend blobs %v (%v), want one of 2026-11-20", keys, err)
	}
}

// TestTrendRetention: the history keeps trendDays UTC days, in the store
// (older days' blobs deleted) and in memory alike.
func TestTrendRetention(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kept, mem := NewTrend(st, nil), NewTrend(nil, nil)
	rs := schedFleet([]string{"dev-alice"})
	day0 := time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)
	for d := range 12 {
		for _, tr := range []*Trend{kept, mem} {
			if err := tr.Add(ctx, snapAt(rs, day0.AddDate(0, 0, d))); err != nil {
				t.Fatal(err)
			}
		}
	}
	keys, err := st.BlobKeys(ctx, BlobTrend, "")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for d := 4; d < 12; d++ {
		want = append(want, day0.AddDate(0, 0, d).Format(time.DateOnly))
	}
	if !slices.Equal(keys, want) {
		t.Errorf("trend blobs %v, want %v", keys, want)
	}
	for name, tr := range map[string]*Trend{"store": kept, "memory": mem} {
		pts := tr.Points()
		if len(pts) != trendDays || !pts[0].At.Equal(day0.AddDate(0, 0, 4)) {
			t.Errorf("%s: %d points from %v, want %d from %v", name, len(pts), pts[0].At, trendDays, day0.AddDate(0, 0, 4))
		}
	}
	// A new Trend on the store reads the same.
	again := NewTrend(st, nil)
	if err := again.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kept.Points(), again.Points()); diff != "" {
		t.Errorf("loaded history (-kept +loaded):\n%s", diff)
	}
}

// TestTrendStep: snapshots closer than trendStep replace the newest point
// (the newest snapshot always shows), so a day of one-second snapshots is
// about 24h/trendStep points; the same snapshot added twice (two hosts) is
// one point.
func TestTrendStep(t *testing.T) {
	ctx := t.Context()
	tr := NewTrend(nil, nil)
	rs := schedFleet(nil)
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for s := 0; s < 3600; s += 10 {
		if err := tr.Add(ctx, snapAt(rs, start.Add(time.Duration(s)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	pts := tr.Points()
	last := start.Add(3590 * time.Second)
	if !pts[len(pts)-1].At.Equal(last) {
		t.Errorf("newest point %v, want the newest snapshot %v", pts[len(pts)-1].At, last)
	}
	if n := len(pts); n < 12 || n > 16 {
		t.Errorf("an hour of 10-second snapshots is %d points, want about %d", n, int(time.Hour/trendStep))
	}
	for i := 1; i+1 < len(pts); i++ {
		if d := pts[i].At.Sub(pts[i-1].At); d < trendStep-10*time.Second {
			t.Errorf("points %d and %d %v apart", i-1, i, d)
		}
	}
	n := len(pts)
	if err := tr.Add(ctx, snapAt(rs, last)); err != nil {
		t.Fatal(err)
	}
	if len(tr.Points()) != n {
		t.Errorf("the same snapshot again: %d points, want %d", len(tr.Points()), n)
	}
}

// TestTrendDayBounded: a day's blob stays under maxTrendBytes however many
// schedules there are (every second point dropped), the newest point kept.
func TestTrendDayBounded(t *testing.T) {
	var pts []Point
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range 24 * 60 / 5 {
		p := Point{At: start.Add(time.Duration(i) * trendStep), ByKind: map[resource.Kind]float64{}, Schedules: map[string]ScheduleCount{}}
		for _, k := range resource.Kinds {
			p.ByKind[k] = 1234.567891 + float64(i)/7
		}
		for s := range 200 {
			p.Schedules[fmt.Sprintf("schedule-with-a-long-name-%03d", s)] = ScheduleCount{Managed: 100 + i, Running: 50, Stopped: 50 + i}
		}
		pts = append(pts, p)
	}
	b, err := encodeTrendDay(pts)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > maxTrendBytes {
		t.Errorf("day blob %d bytes, want at most %d", len(b), maxTrendBytes)
	}
	got, err := decodeTrendDay(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) >= len(pts) || !got[len(got)-1].At.Equal(pts[len(pts)-1].At) {
		t.Errorf("%d of %d points, newest %v: want fewer, the newest kept", len(got), len(pts), got[len(got)-1].At)
	}
	if diff := cmp.Diff(pts[len(pts)-1], got[len(got)-1]); diff != "" {
		t.Errorf("newest point after the round trip (-put +read):\n%s", diff)
	}
}

// TestTrendKeepsForeignDay: a day's blob this version cannot read (a
// newer sagesaver's) is not overwritten; the point is still shown.
func TestTrendKeepsForeignDay(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	foreign := []byte(`{"version":2}`)
	if err := st.PutBlob(ctx, BlobTrend, "2026-11-20", foreign); err != nil {
		t.Fatal(err)
	}
	tr := NewTrend(st, nil)
	if err := tr.Add(ctx, snapAt(schedFleet(nil), testNow)); err == nil {
		t.Error("no error adding to an unreadable day")
	}
	if b, _, err := st.Blob(ctx, BlobTrend, "2026-11-20"); err != nil || string(b) != string(foreign) {
		t.Errorf("day blob now %q (%v), want it untouched", b, err)
	}
	if len(tr.Points()) != 1 {
		t.Errorf("%d points in memory, want the snapshot's", len(tr.Points()))
	}
}
