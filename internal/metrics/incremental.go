package metrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Memory keeps bytes by key between runs: the store's blobs of kind
// "evidence" (StoreMemory). The incremental evidence keeps one value per
// account and region (the key given to NewEvidence), not one per
// endpoint: a tick reads it every 5 minutes, and on DynamoDB one read of a
// few KB a target costs 1/125th of a read per endpoint of the benchmark's
// fleet ($0.26 a month instead of $11).
type Memory interface {
	// Get returns the value put under key, or an error wrapping
	// ErrNotInMemory when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key, replacing any.
	Put(ctx context.Context, key string, value []byte) error
}

// ErrNotInMemory: Memory.Get found nothing under the key.
var ErrNotInMemory = errors.New("not in memory")

// EvidencePeriod is the bucket the incremental evidence keeps sums in. An
// hour matches the default fetch interval, so that each fetch asks for
// the new hour plus the one before (for late datapoints); CloudWatch keeps
// hourly data for 455 days, and a day of one variant is 24 numbers at
// most (none for an idle variant: only periods with data are kept).
const EvidencePeriod = time.Hour

// Defaults of the incremental evidence.
const (
	// DefaultEvidenceEvery is how often an endpoint's metrics are fetched
	// at most: hourly, 24 metrics a variant a day whatever the tick rate.
	DefaultEvidenceEvery = time.Hour
	// DefaultQuietEvery is how often an endpoint is fetched that had no
	// traffic over a whole window and is older than the window (its
	// verdict is Idle): every 4 hours. Such endpoints are what a fleet
	// nobody cleans up is full of (a quarter of the benchmark's), at 24
	// metrics a variant a day they would be most of the tool's own bill,
	// and nothing is lost by reading them less often: their verdict can
	// only change to Active, and the executor fetches an endpoint's
	// evidence again, in full, just before acting on it. Endpoints that
	// are younger than the window, or had traffic, stay hourly.
	DefaultQuietEvery = 4 * time.Hour
	// DefaultRefetchPeriods: each fetch starts one whole period before the
	// period the last one ended in, so that datapoints CloudWatch
	// publishes late (minutes, sometimes more) for the last hour fetched
	// are read again. It costs no more metrics (GetMetricData is billed
	// per metric, not per datapoint).
	DefaultRefetchPeriods = 1
)

// maxClockSkew is how far in the future a memory may end and still be
// used: hosts that take turns ticking (one lease holder at a time) with
// clocks a few minutes apart would otherwise read every window again each
// time the slower one ticks. A memory further ahead is forgotten (a clock
// that went back).
const maxClockSkew = 15 * time.Minute

// evidenceVersion is the memory's format; any other is forgotten.
const evidenceVersion = 1

// EvidenceOption configures an Evidence.
type EvidenceOption func(*Evidence)

// WithEvery sets how often an endpoint is fetched at most (default
// DefaultEvidenceEvery). A tick that comes sooner uses the remembered
// sums.
func WithEvery(d time.Duration) EvidenceOption {
	return func(e *Evidence) {
		if d > 0 {
			e.every = d
		}
	}
}

// WithQuietEvery sets how often an endpoint without any traffic over a
// whole remembered window, and older than the window, is fetched (default
// DefaultQuietEvery; never more often than WithEvery). An Idle verdict is
// then up to that much older; acting on one is safe whatever the
// interval: the executor fetches the endpoint's evidence again just
// before it acts. WithQuietEvery(time.Hour) fetches every endpoint hourly.
func WithQuietEvery(d time.Duration) EvidenceOption {
	return func(e *Evidence) {
		if d > 0 {
			e.quietEvery = d
		}
	}
}

// WithRefetchPeriods sets how many whole periods before the last fetch's
// end each fetch reads again (default DefaultRefetchPeriods).
func WithRefetchPeriods(n int) EvidenceOption {
	return func(e *Evidence) {
		if n >= 0 {
			e.refetch = n
		}
	}
}

// WithEvidenceLog sets the logger for memory that cannot be read or
// saved (the evidence is then fetched again; nothing fails).
func WithEvidenceLog(l *slog.Logger) EvidenceOption {
	return func(e *Evidence) {
		if l != nil {
			e.log = l
		}
	}
}

// Evidence fetches endpoint evidence incrementally for one account and
// region: it remembers, per endpoint, the sums of each series per
// EvidencePeriod, and asks CloudWatch only for the periods since the last
// fetch, at most every WithEvery. The evidence of a window is assembled
// from the remembered periods. An endpoint is not fetched at all while the
// remembered traffic still falls inside the window: it is Active whatever
// the newer periods say.
//
// The evidence window of an endpoint ends where its last fetch ended, so
// it can be up to the fetch interval older than the window asked for;
// Start is End minus the window's length. Its sums cover the periods that
// overlap [Start, End), a little more than the window: that can only add
// traffic, never hide it, so an Idle verdict stays conservative.
type Evidence struct {
	f          *Fetcher
	mem        Memory
	key        string
	every      time.Duration
	quietEvery time.Duration
	refetch    int
	log        *slog.Logger
}

// NewEvidence returns incremental evidence for one account and region,
// fetched with f and remembered in mem under key (EvidenceKey).
// One Evidence serves one caller at a time: a tick holds the target's
// lease while it uses it.
func NewEvidence(f *Fetcher, mem Memory, key string, opts ...EvidenceOption) *Evidence {
	e := &Evidence{f: f, mem: mem, key: key, every: DefaultEvidenceEvery, quietEvery: DefaultQuietEvery,
		refetch: DefaultRefetchPeriods, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(e)
	}
	e.quietEvery = max(e.quietEvery, e.every)
	return e
}

// targetMemo is what is remembered of one account and region: each
// endpoint's memo by its resource.ID string.
type targetMemo struct {
	V         int              `json:"v"`
	Endpoints map[string]*memo `json:"endpoints"`
}

// memo is what is remembered of one endpoint.
type memo struct {
	// Created is the endpoint's creation time: another one is another
	// endpoint of the same name, whose history is not this one's.
	Created time.Time `json:"created"`
	// Through is where the last fetch ended: the end of the window
	// asked for then (its now).
	Through time.Time `json:"through"`
	// Window is the longest window asked for, kept as long as the memory.
	Window time.Duration `json:"window"`
	Series []memoSeries  `json:"series"`
}

// memoSeries is one query's periods with data: T are period starts (Unix
// seconds, ascending), V their Sum or Maximum. From is the first period
// covered: every period from From to the memo's Through was fetched
// complete, and those without data had none.
type memoSeries struct {
	Key  string    `json:"key"`
	From int64     `json:"from"`
	T    []int64   `json:"t,omitempty"`
	V    []float64 `json:"v,omitempty"`
}

func seriesKey(q idle.Query) string {
	return q.Metric + "|" + q.Variant + "|" + q.Component + "|" + q.Stat
}

func (m *memo) series(key string) *memoSeries {
	for i := range m.Series {
		if m.Series[i].Key == key {
			return &m.Series[i]
		}
	}
	return nil
}

// lastTraffic returns the start of the latest period with traffic (any
// value above 0: invocations, requests processed, a backlog) and whether
// there is one.
func (m *memo) lastTraffic() (time.Time, bool) {
	var last int64
	found := false
	for _, s := range m.Series {
		for i := len(s.T) - 1; i >= 0; i-- {
			if s.V[i] > 0 {
				if !found || s.T[i] > last {
					last, found = s.T[i], true
				}
				break
			}
		}
	}
	return time.Unix(last, 0).UTC(), found
}

// created is an endpoint's creation time from its resources (zero when
// unknown).
func created(rs []resource.Resource) time.Time {
	for _, r := range rs {
		if r.Kind == resource.Endpoint && r.Created != nil {
			return r.Created.UTC()
		}
	}
	return time.Time{}
}

// endpointState is one endpoint during a call.
type endpointState struct {
	key  resource.ID
	rs   []resource.Resource
	qs   []idle.Query
	m    *memo // nil: nothing usable remembered
	due  bool
	full bool // some series must be read over the whole window
	err  error
}

// Endpoints returns the evidence of each endpoint of groups (one account
// and region, keyed as Fetcher.Endpoints) for the window w: w.End is now
// and w.Length() the window's length (w.Period is not used; the memory
// keeps EvidencePeriod). The endpoints that are due are fetched in shared
// GetMetricData batches over one time range, and their memory saved.
func (e *Evidence) Endpoints(ctx context.Context, w Window, groups map[resource.ID][]resource.Resource) map[resource.ID]idle.EndpointEvidence {
	end, length := w.End.UTC(), w.Length()
	states := make([]*endpointState, 0, len(groups))
	for key, rs := range groups {
		states = append(states, &endpointState{key: key, rs: rs, qs: idle.EndpointQueries(rs)})
	}
	sort.Slice(states, func(i, j int) bool { return states[i].key.String() < states[j].key.String() })
	tm := e.load(ctx)
	for _, s := range states {
		s.m = tm.Endpoints[s.key.String()]
	}

	// Which endpoints are due, and from when the fetch must start: a
	// whole window reaches maxClockSkew further back, so that a host whose
	// clock is that much behind finds its window covered.
	windowStart := end.Add(-length - maxClockSkew).Truncate(EvidencePeriod)
	start := end
	for _, s := range states {
		e.plan(s, end, length)
		if !s.due {
			continue
		}
		from := windowStart
		if !s.full {
			from = s.m.Through.Truncate(EvidencePeriod).Add(-time.Duration(e.refetch) * EvidencePeriod)
			if from.Before(windowStart) {
				from = windowStart
			}
		}
		if from.Before(start) {
			start = from
		}
	}
	var due []*endpointState
	var qs []Query
	for _, s := range states {
		if s.due {
			due = append(due, s)
			for _, q := range s.qs {
				qs = append(qs, fromIdle(q))
			}
		}
	}
	if len(qs) > 0 {
		fw := Window{Start: start, End: end, Period: EvidencePeriod}
		results := e.f.Fetch(ctx, fw, qs)
		i := 0
		for _, s := range due {
			s.merge(fw, results[i:i+len(s.qs)], length)
			i += len(s.qs)
		}
	}
	if e.remember(tm, states, end) {
		e.save(ctx, tm)
	}

	out := make(map[resource.ID]idle.EndpointEvidence, len(states))
	for _, s := range states {
		out[s.key] = s.evidence(w, length)
	}
	return out
}

// plan decides whether s is due: never fetched (or forgotten: another
// creation time, a memory from further in the future than maxClockSkew, a
// window longer than the one remembered), a series never fetched (a new
// variant or component), or its interval passed, unless its remembered
// traffic is still inside the window.
func (e *Evidence) plan(s *endpointState, end time.Time, length time.Duration) {
	if len(s.qs) == 0 {
		return
	}
	m := s.m
	if m != nil && (!m.Created.Equal(created(s.rs)) || m.Through.After(end.Add(maxClockSkew))) {
		m = nil
	}
	if m == nil {
		s.m = &memo{Created: created(s.rs)}
		s.due, s.full = true, true
		return
	}
	windowStart := end.Add(-length).Truncate(EvidencePeriod).Unix()
	for _, q := range s.qs {
		ms := m.series(seriesKey(q))
		if ms == nil || (ms.From > windowStart && m.Through.After(end.Add(-length))) {
			// Never read, or a window longer than the one remembered
			// reaches before what was read: read the whole window. (A
			// memory that ends before the window starts is a gap: the
			// incremental fetch starts at the window's start anyway.)
			s.due, s.full = true, true
			return
		}
	}
	last, traffic := m.lastTraffic()
	if traffic && !last.Before(end.Add(-length)) {
		return // traffic inside the window: Active, whatever came since
	}
	every := e.every
	if !traffic && !m.Created.After(m.Through.Add(-length)) {
		every = e.quietEvery // quiet over a whole window: Idle
	}
	s.due = end.Sub(m.Through) >= every
}

// merge folds a fetch over fw into s's memory. A failed or incomplete
// query leaves the memory as it was (and is not saved); the evidence then
// says so.
func (s *endpointState) merge(fw Window, rs []Result, length time.Duration) {
	m := *s.m
	m.Series = nil
	from, to := fw.Start.Unix(), fw.End.Unix()
	for i, q := range s.qs {
		r := rs[i]
		if r.Err != nil {
			s.err = r.Err
			return
		}
		if !r.Complete {
			s.err = fmt.Errorf("%s: %w", r.Query, errIncomplete)
			return
		}
		key := seriesKey(q)
		var ns memoSeries
		if old := s.m.series(key); old != nil && !s.full && from <= s.m.Through.Unix() {
			// Contiguous with what was read before: keep the older periods.
			ns = memoSeries{Key: key, From: old.From}
			for j, t := range old.T {
				if t < from || t >= to {
					ns.T, ns.V = append(ns.T, t), append(ns.V, old.V[j])
				}
			}
		} else {
			ns = memoSeries{Key: key, From: from}
		}
		for j, ts := range r.Timestamps {
			ns.T, ns.V = append(ns.T, ts.Unix()), append(ns.V, r.Values[j])
		}
		ns.sort()
		m.Series = append(m.Series, ns)
	}
	m.Through = fw.End
	m.Window = max(m.Window, length)
	// Keep the longest window asked for, and the period it starts in.
	keep := fw.End.Add(-m.Window - maxClockSkew).Truncate(EvidencePeriod).Unix()
	for i := range m.Series {
		ms := &m.Series[i]
		j := sort.Search(len(ms.T), func(k int) bool { return ms.T[k] >= keep })
		ms.T, ms.V = ms.T[j:], ms.V[j:]
		ms.From = max(ms.From, keep)
		if len(ms.T) == 0 {
			ms.T, ms.V = nil, nil
		}
	}
	*s.m = m
}

var errIncomplete = errors.New("CloudWatch answered with partial data")

func (ms *memoSeries) sort() {
	idx := make([]int, len(ms.T))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ms.T[idx[a]] < ms.T[idx[b]] })
	ts, vs := make([]int64, 0, len(idx)), make([]float64, 0, len(idx))
	for _, i := range idx {
		if n := len(ts); n > 0 && ts[n-1] == ms.T[i] {
			vs[n-1] = ms.V[i] // the newer answer for a period wins
			continue
		}
		ts, vs = append(ts, ms.T[i]), append(vs, ms.V[i])
	}
	ms.T, ms.V = ts, vs
}

// evidence assembles s's evidence from its memory: the window of the
// asked length ending where the memory ends.
func (s *endpointState) evidence(w Window, length time.Duration) idle.EndpointEvidence {
	m := s.m
	if s.err != nil || m == nil || m.Through.IsZero() {
		ev := idle.EndpointEvidence{Start: w.Start, End: w.End, Err: s.err}
		if ev.Err == nil && len(s.qs) > 0 {
			ev.Err = errors.New("no endpoint evidence remembered or fetched")
		}
		return ev
	}
	// A memory a little ahead of this host's clock (maxClockSkew) ends
	// now: its sums then cover a few minutes more, which can only add
	// traffic.
	through := m.Through
	if through.After(w.End) {
		through = w.End
	}
	ev := idle.EndpointEvidence{Start: through.Add(-length), End: through}
	first := ev.Start.Truncate(EvidencePeriod).Unix()
	for _, q := range s.qs {
		se := idle.Series{Metric: q.Metric, Variant: q.Variant, Component: q.Component}
		if ms := m.series(seriesKey(q)); ms != nil {
			se.Complete = ms.From <= first
			for i, t := range ms.T {
				if t < first {
					continue
				}
				v := ms.V[i]
				if se.Datapoints == 0 || v > se.Max {
					se.Max = v
				}
				se.Sum += v
				se.Datapoints++
			}
		}
		ev.Series = append(ev.Series, se)
	}
	return ev
}

// remember puts the fetched endpoints' memos into tm and forgets those of
// endpoints not asked about for two windows (deleted, or no longer
// running); it reports whether tm changed.
func (e *Evidence) remember(tm *targetMemo, states []*endpointState, end time.Time) bool {
	changed := false
	asked := map[string]bool{}
	for _, s := range states {
		k := s.key.String()
		asked[k] = true
		if s.due && s.err == nil && s.m != nil && !s.m.Through.IsZero() {
			tm.Endpoints[k] = s.m
			changed = true
		}
	}
	for k, m := range tm.Endpoints {
		if !asked[k] && m.Through.Before(end.Add(-2*m.Window)) {
			delete(tm.Endpoints, k)
			changed = true
		}
	}
	return changed
}

// load reads the target's memory; an unreadable one is logged and
// forgotten (everything is fetched again).
func (e *Evidence) load(ctx context.Context) *targetMemo {
	tm := &targetMemo{V: evidenceVersion, Endpoints: map[string]*memo{}}
	b, err := e.mem.Get(ctx, e.key)
	if errors.Is(err, ErrNotInMemory) {
		return tm
	}
	var got targetMemo
	if err == nil {
		err = decodeMemo(b, &got)
	}
	if err == nil && got.V != evidenceVersion {
		err = fmt.Errorf("format %d, want %d", got.V, evidenceVersion)
	}
	if err != nil {
		e.log.WarnContext(ctx, "endpoint evidence memory unreadable; fetching again", "key", e.key, "err", err)
		return tm
	}
	if got.Endpoints != nil {
		tm.Endpoints = got.Endpoints
	}
	return tm
}

func (e *Evidence) save(ctx context.Context, tm *targetMemo) {
	b, err := encodeMemo(tm)
	if err == nil {
		err = e.mem.Put(ctx, e.key, b)
	}
	if err != nil {
		e.log.WarnContext(ctx, "endpoint evidence memory not saved; the next tick fetches again", "key", e.key, "err", err)
	}
}

// encodeMemo writes tm as gzipped JSON: a target's memory is a few KB
// (one DynamoDB read unit) instead of 70 KB for 125 endpoints.
func encodeMemo(tm *targetMemo) ([]byte, error) {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if err := json.NewEncoder(z).Encode(tm); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxMemoBytes bounds a decoded memory (a target of 100,000 endpoints
// is about 60 MB), so that a corrupt value cannot exhaust memory.
const maxMemoBytes = 256 << 20

func decodeMemo(b []byte, tm *targetMemo) error {
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return json.NewDecoder(io.LimitReader(z, maxMemoBytes)).Decode(tm)
}
