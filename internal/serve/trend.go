package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/ledger"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// monthToDate estimates what the fleet cost since the 1st of now's month
// (UTC) from the run-rate history: each point's rate until the next point
// (the last until now); before the first point of the month, that point's
// rate. An estimate at list prices, not the bill: ok is false without a
// history.
func monthToDate(hist []Point, now time.Time) (usd float64, ok bool) {
	start := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	rate := func(p Point) float64 {
		var r float64
		for _, v := range p.ByKind {
			r += v
		}
		return r
	}
	first := true
	for i, p := range hist {
		end := now
		if i+1 < len(hist) {
			end = hist[i+1].At
		}
		if !end.After(start) {
			continue
		}
		from := p.At
		if first || from.Before(start) {
			from = start
			first = false
		}
		if end.After(from) {
			usd += rate(p) * end.Sub(from).Hours()
			ok = true
		}
	}
	return usd, ok
}

// savingsChartPoints is how many points the realized-vs-estimated chart
// has.
const savingsChartPoints = 60

// savingsChart is realized vs estimated savings, cumulative, since the
// first saving period, from the ledger's entries (the figures of the
// Savings page and `history`): realized is hours a thing was really off x
// its price; estimated is what each action said it would save a month,
// from when it acted to now, as if nothing had been started again. The
// gap is what people undid.
func savingsChart(entries []ledger.Entry, now time.Time) *chartData {
	if len(entries) == 0 {
		return nil
	}
	first := entries[0].Period.From
	for _, e := range entries {
		if e.Period.From.Before(first) {
			first = e.Period.From
		}
	}
	if !now.After(first) {
		return nil
	}
	c := &chartData{Title: "Savings, realized vs estimated", Unit: "$"}
	c.Series = []chartSeries{{Name: "realized"}, {Name: "estimated"}}
	step := now.Sub(first) / (savingsChartPoints - 1)
	for i := range savingsChartPoints {
		t := first.Add(time.Duration(i) * step)
		if i == savingsChartPoints-1 {
			t = now
		}
		real, estd := pricing.Zero, pricing.Zero
		for _, e := range entries {
			r, est := e.At(t)
			real, estd = real.Add(r), estd.Add(est)
		}
		rf, ef := toFloat(real), toFloat(estd)
		c.X = append(c.X, t.Unix())
		c.Series[0].Values = append(c.Series[0].Values, &rf)
		c.Series[1].Values = append(c.Series[1].Values, &ef)
	}
	return c
}

// BlobTrend is the store's blob kind of the history behind the overview's
// run-rate chart and the Schedules page's counts: one blob per UTC day,
// keyed 2006-01-02, holding that day's points (trendDay's JSON). Every
// serve on the same state reads and adds to the same history, and a
// restarted one shows what it showed before.
const BlobTrend = "trend"

// trendDays is how many UTC days of history are kept, today included: the
// last week whole, whatever the hour; older days' blobs are deleted.
const trendDays = 8

// trendStep is the least time between two points of the history, but the
// latest: a snapshot less than trendStep after the point before the latest
// replaces the latest, so that the newest snapshot is always shown and a
// day holds about 24h/trendStep points whatever the cadence (serve
// --interval 1s included): 288 to 360 points of five minutes, some 60 KB
// of JSON with every resource kind priced and ten schedules.
const trendStep = 5 * time.Minute

// maxTrendBytes bounds one day's blob, far under DynamoDB's 400 KB item
// limit: past it (a great many schedules), every second point of the day
// is dropped until it fits.
const maxTrendBytes = 256 << 10

// ScheduleCount is how many resources of a snapshot a schedule manages,
// and of them how many were running and stopped.
type ScheduleCount struct {
	Managed, Running, Stopped int
}

// Trend is the history of a Source: a Point per snapshot (see trendStep),
// kept in the store (BlobTrend) when it has one, else in memory, for
// trendDays days. Each point's schedule counts are computed from its
// snapshot when it is added, with the schedules Trend was given.
type Trend struct {
	st        store.Store // nil: in memory only
	schedules []*schedule.Schedule

	// io serializes Load and Add, whose store reads and writes are not
	// done under mu, so that pages do not wait for them.
	io     sync.Mutex
	mu     sync.Mutex
	points []Point // oldest first
}

// NewTrend returns a Trend kept in st (nil: in memory only) that counts
// the resources each of schedules manages.
func NewTrend(st store.Store, schedules []*schedule.Schedule) *Trend {
	return &Trend{st: st, schedules: schedules}
}

// Points returns the history, oldest first.
func (t *Trend) Points() []Point {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.points)
}

// Load reads the history from the store (nothing without one).
func (t *Trend) Load(ctx context.Context) error {
	if t.st == nil {
		return nil
	}
	t.io.Lock()
	defer t.io.Unlock()
	keys, err := t.st.BlobKeys(ctx, BlobTrend, "")
	if err != nil {
		return fmt.Errorf("list trend: %w", err)
	}
	return t.load(ctx, keys)
}

// load reads the newest trendDays days of keys (sorted) into t.points.
func (t *Trend) load(ctx context.Context, keys []string) error {
	var pts []Point
	for _, k := range keys[max(0, len(keys)-trendDays):] {
		b, _, err := t.st.Blob(ctx, BlobTrend, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile by another host's retention
		}
		if err != nil {
			return fmt.Errorf("read trend %s: %w", k, err)
		}
		day, err := decodeTrendDay(b)
		if err != nil {
			return fmt.Errorf("read trend %s: %w", k, err)
		}
		pts = append(pts, day...)
	}
	t.mu.Lock()
	t.points = pts
	t.mu.Unlock()
	return nil
}

// Add adds snap's point to the history: in the store, its day's blob is
// read, the point merged in (a point of the same time, as another host
// adds for the same inventory, is replaced), written back when it
// changed, the days past retention deleted, and the whole history read
// again, so that what other hosts added shows too. When the store fails
// the point is still kept in memory, and the error returned.
func (t *Trend) Add(ctx context.Context, snap *Snapshot) error {
	p := pointOf(snap)
	p.Schedules = scheduleCounts(t.schedules, snap)
	t.io.Lock()
	defer t.io.Unlock()
	var err error
	if t.st != nil {
		if err = t.put(ctx, p); err == nil {
			return nil
		}
	}
	t.mu.Lock()
	t.points = retain(addPoint(t.points, p), p.At)
	t.mu.Unlock()
	return err
}

func (t *Trend) put(ctx context.Context, p Point) error {
	day := p.At.UTC().Format(time.DateOnly)
	old, _, err := t.st.Blob(ctx, BlobTrend, day)
	var pts []Point
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("read trend %s: %w", day, err)
	default:
		// A day this version cannot read is left alone, not overwritten.
		if pts, err = decodeTrendDay(old); err != nil {
			return fmt.Errorf("read trend %s: %w", day, err)
		}
	}
	b, err := encodeTrendDay(addPoint(pts, p))
	if err != nil {
		return fmt.Errorf("trend %s: %w", day, err)
	}
	if !bytes.Equal(b, old) {
		if err := t.st.PutBlob(ctx, BlobTrend, day, b); err != nil {
			return fmt.Errorf("store trend %s: %w", day, err)
		}
	}
	keys, err := t.st.BlobKeys(ctx, BlobTrend, "")
	if err != nil {
		return fmt.Errorf("list trend: %w", err)
	}
	first := trendCutoff(p.At).Format(time.DateOnly)
	kept := keys[:0:0]
	for _, k := range keys {
		if k >= first {
			kept = append(kept, k)
			continue
		}
		if err := t.st.DeleteBlob(ctx, BlobTrend, k); err != nil {
			return fmt.Errorf("delete trend %s: %w", k, err)
		}
	}
	return t.load(ctx, kept)
}

// trendCutoff is the start of the oldest UTC day kept when the newest
// point is at.
func trendCutoff(at time.Time) time.Time {
	d := at.UTC()
	return time.Date(d.Year(), d.Month(), d.Day()-(trendDays-1), 0, 0, 0, 0, time.UTC)
}

// retain drops the points older than trendCutoff(newest).
func retain(pts []Point, newest time.Time) []Point {
	cut := trendCutoff(newest)
	i := 0
	for i < len(pts) && pts[i].At.Before(cut) {
		i++
	}
	return pts[i:]
}

// addPoint adds p to pts (oldest first) and returns them: a point of the
// same time is replaced; an older one than the newest goes in its place;
// a newer one less than trendStep after the point before the newest
// replaces the newest (see trendStep).
func addPoint(pts []Point, p Point) []Point {
	i, found := slices.BinarySearchFunc(pts, p.At, func(q Point, at time.Time) int { return q.At.Compare(at) })
	switch {
	case found:
		pts[i] = p
		return pts
	case i < len(pts):
		return slices.Insert(pts, i, p)
	case len(pts) >= 2 && p.At.Sub(pts[len(pts)-2].At) < trendStep:
		pts[len(pts)-1] = p
		return pts
	}
	return append(pts, p)
}

// scheduleCounts is how many resources of snap each of scs manages, and
// of them how many run; nil without schedules. A resource is counted once
// (an endpoint's variants are lines of one resource).
func scheduleCounts(scs []*schedule.Schedule, snap *Snapshot) map[string]ScheduleCount {
	if len(scs) == 0 {
		return nil
	}
	out := make(map[string]ScheduleCount, len(scs))
	for _, sc := range scs {
		out[sc.Name] = ScheduleCount{}
	}
	seen := map[resource.ID]bool{}
	for i := range snap.Scan.Lines {
		r := &snap.Scan.Lines[i].Resource
		k := scheduleKind(r.Kind)
		if k == "" {
			continue
		}
		if id := r.ID(); seen[id] {
			continue
		} else {
			seen[id] = true
		}
		for _, sc := range scs {
			if !sc.Matches(k, r.Name, r.Tags) {
				continue
			}
			c := out[sc.Name]
			c.Managed++
			if r.Running {
				c.Running++
			} else {
				c.Stopped++
			}
			out[sc.Name] = c
		}
	}
	return out
}

// trendDay is a day's blob: its points, columns named once.
type trendDay struct {
	// Version is 1; a blob of another is not read (nor overwritten).
	Version int `json:"version"`
	// Kinds name the columns of each point's USDPerHour.
	Kinds []resource.Kind `json:"kinds"`
	// Schedules name the columns of each point's Schedules.
	Schedules []string   `json:"schedules,omitempty"`
	Points    []trendRow `json:"points"`
}

type trendRow struct {
	// At is the snapshot's time, Unix nanoseconds.
	At int64 `json:"at"`
	// USDPerHour is the run-rate of each of Kinds; null where the
	// snapshot had no priced resource of it.
	USDPerHour []*float64 `json:"usd_per_hour"`
	// Schedules is managed, running, stopped of each of Schedules; null
	// where the schedule was not loaded.
	Schedules []*[3]int `json:"schedules,omitempty"`
}

const trendVersion = 1

// encodeTrendDay is pts' blob, thinned to maxTrendBytes.
func encodeTrendDay(pts []Point) ([]byte, error) {
	for {
		b, err := json.Marshal(trendDayOf(pts))
		if err != nil || len(b) <= maxTrendBytes || len(pts) <= 2 {
			return b, err
		}
		thin := make([]Point, 0, len(pts)/2+1)
		for i := len(pts) - 1; i >= 0; i -= 2 { // keep the newest
			thin = append(thin, pts[i])
		}
		slices.Reverse(thin)
		pts = thin
	}
}

func trendDayOf(pts []Point) trendDay {
	d := trendDay{Version: trendVersion, Points: make([]trendRow, 0, len(pts))}
	kinds, scheds := map[resource.Kind]bool{}, map[string]bool{}
	for _, p := range pts {
		for k := range p.ByKind {
			kinds[k] = true
		}
		for n := range p.Schedules {
			scheds[n] = true
		}
	}
	d.Kinds = slices.Sorted(maps.Keys(kinds))
	d.Schedules = slices.Sorted(maps.Keys(scheds))
	for _, p := range pts {
		row := trendRow{At: p.At.UnixNano(), USDPerHour: make([]*float64, len(d.Kinds))}
		for i, k := range d.Kinds {
			if v, ok := p.ByKind[k]; ok {
				row.USDPerHour[i] = &v
			}
		}
		if len(d.Schedules) > 0 {
			row.Schedules = make([]*[3]int, len(d.Schedules))
			for i, n := range d.Schedules {
				if c, ok := p.Schedules[n]; ok {
					row.Schedules[i] = &[3]int{c.Managed, c.Running, c.Stopped}
				}
			}
		}
		d.Points = append(d.Points, row)
	}
	return d
}

func decodeTrendDay(b []byte) ([]Point, error) {
	var d trendDay
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	if d.Version != trendVersion {
		return nil, fmt.Errorf("version %d, want %d", d.Version, trendVersion)
	}
	pts := make([]Point, 0, len(d.Points))
	for _, row := range d.Points {
		if len(row.USDPerHour) != len(d.Kinds) || row.Schedules != nil && len(row.Schedules) != len(d.Schedules) {
			return nil, fmt.Errorf("point at %d: %d costs and %d schedule counts for %d kinds and %d schedules",
				row.At, len(row.USDPerHour), len(row.Schedules), len(d.Kinds), len(d.Schedules))
		}
		p := Point{At: time.Unix(0, row.At).UTC(), ByKind: make(map[resource.Kind]float64, len(d.Kinds))}
		for i, v := range row.USDPerHour {
			if v != nil {
				p.ByKind[d.Kinds[i]] = *v
			}
		}
		for i, c := range row.Schedules {
			if c == nil {
				continue
			}
			if p.Schedules == nil {
				p.Schedules = make(map[string]ScheduleCount, len(d.Schedules))
			}
			p.Schedules[d.Schedules[i]] = ScheduleCount{Managed: c[0], Running: c[1], Stopped: c[2]}
		}
		pts = append(pts, p)
	}
	return pts, nil
}
