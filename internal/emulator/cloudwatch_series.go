package emulator

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch's metric store. A metric is identified by namespace, name and
// its exact set of dimensions (AWS treats every distinct dimension set as a
// separate metric: a query with EndpointName alone does not see data that
// was published with EndpointName and VariantName). Each metric holds
//
//   - generators from scenarios: a value every interval between two times,
//     with optional day/night swing, noise and gaps, evaluated only when a
//     query asks, so that 10,000 endpoints x several metrics x days of
//     minutes cost a few hundred bytes each, and
//   - samples stored by PutMetricData, kept explicitly in time order.
//
// Times are Unix seconds throughout.

// Retention of CloudWatch data by resolution, as documented for
// GetMetricStatistics: sub-minute data for 3 hours, 1-minute data for 15
// days, 5-minute data for 63 days, 1-hour data for 455 days. Queries whose
// period is too fine for how old a bucket is get no data for that bucket.
const (
	highResRetention = 3 * 3600
	minuteRetention  = 15 * 86400
	fiveMinRetention = 63 * 86400
	hourRetention    = 455 * 86400
)

// listMetricsWindow: ListMetrics does not return metrics that have had no
// new data for two weeks.
const listMetricsWindow = 14 * 86400

// recentlyActiveWindow is ListMetrics' RecentlyActive=PT3H.
const recentlyActiveWindow = 3 * 3600

type cloudWatchState struct {
	metrics map[string]*metric // by metricKey
	sorted  []*metric          // ListMetrics order; nil when stale
}

func newCloudWatchState() *cloudWatchState {
	return &cloudWatchState{metrics: map[string]*metric{}}
}

type metric struct {
	key       string
	namespace string
	name      string
	dims      []cwtypes.Dimension // sorted by name
	unit      cwtypes.StandardUnit
	gens      []*generator
	samples   []sample // PutMetricData, ascending by t
	lastPut   int64    // newest PutMetricData timestamp
}

// sample is one stored observation: a single value (count 1) or a
// statistic set. vals keeps individual values for percentiles when known.
type sample struct {
	t                    int64
	sum, count, min, max float64
	vals                 []float64
}

// metricKey is the identity of a metric: namespace, name and the exact
// dimension set, order-insensitive.
func metricKey(ns, name string, dims []cwtypes.Dimension) string {
	var b strings.Builder
	b.WriteString(ns)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range sortedDims(dims) {
		b.WriteByte(0)
		b.WriteString(deref(d.Name))
		b.WriteByte('=')
		b.WriteString(deref(d.Value))
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortedDims(dims []cwtypes.Dimension) []cwtypes.Dimension {
	out := append([]cwtypes.Dimension(nil), dims...)
	sort.Slice(out, func(i, j int) bool { return deref(out[i].Name) < deref(out[j].Name) })
	return out
}

// metricFor returns the metric, creating it.
func (st *cloudWatchState) metricFor(ns, name string, dims []cwtypes.Dimension) *metric {
	k := metricKey(ns, name, dims)
	if m, ok := st.metrics[k]; ok {
		return m
	}
	m := &metric{key: k, namespace: ns, name: name, dims: sortedDims(dims), unit: cwtypes.StandardUnitNone}
	st.metrics[k] = m
	st.sorted = nil
	return m
}

// listOrder returns every metric sorted by namespace, name and dimensions.
func (st *cloudWatchState) listOrder() []*metric {
	if st.sorted == nil {
		st.sorted = make([]*metric, 0, len(st.metrics))
		for _, m := range st.metrics {
			st.sorted = append(st.sorted, m)
		}
		sort.Slice(st.sorted, func(i, j int) bool { return st.sorted[i].key < st.sorted[j].key })
	}
	return st.sorted
}

// put stores a sample, keeping samples in time order.
func (m *metric) put(s sample) {
	i := sort.Search(len(m.samples), func(i int) bool { return m.samples[i].t > s.t })
	if i == len(m.samples) {
		m.samples = append(m.samples, s)
	} else {
		m.samples = append(m.samples, sample{})
		copy(m.samples[i+1:], m.samples[i:])
		m.samples[i] = s
	}
	if s.t > m.lastPut {
		m.lastPut = s.t
	}
}

// lastData is the time of the newest datapoint at or before now, or
// false when the metric has none.
func (m *metric) lastData(now int64) (int64, bool) {
	var last int64
	found := false
	if len(m.samples) > 0 {
		i := sort.Search(len(m.samples), func(i int) bool { return m.samples[i].t > now })
		if i > 0 {
			last, found = m.samples[i-1].t, true
		}
	}
	for _, g := range m.gens {
		if t, ok := g.last(now); ok && (!found || t > last) {
			last, found = t, true
		}
	}
	return last, found
}

// generator produces one observation every `every` seconds on the epoch
// grid in [from, to) and not after now; to == openEnd follows the virtual
// clock. The value is value x (1 + swing x cos(hour - peak)) x (1 + noise x
// u), u uniform in [-1, 1) from a hash of (seed, t), floored at 0. A count
// generator models per-request metrics such as Invocations: the value is a
// number of events, each contributing 1, and an interval with none has no
// datapoint at all.
type generator struct {
	from, to     int64
	every        int64
	value        float64
	swing, noise float64
	peakHour     float64
	seed         uint64
	count        bool
	gaps         [][2]int64
	// elapsed: the value is the seconds from since to the observation
	// (Canvas's TimeSinceLastActive), not value.
	elapsed bool
	since   int64
}

const openEnd = math.MaxInt64

// observedAfter is how long after an interval's start its datapoint
// appears: the interval must be over (CloudWatch also adds a minute or two
// of ingestion delay, which the emulator leaves out).
func (g *generator) visible(t, now int64) bool { return t+g.every <= now }

func (g *generator) first(from int64) int64 {
	if from < g.from {
		from = g.from
	}
	return ceilDiv(from, g.every) * g.every
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (g *generator) inGap(t int64) bool {
	for _, gp := range g.gaps {
		if t >= gp[0] && t < gp[1] {
			return true
		}
	}
	return false
}

// at returns the observation at grid time t: (sum, count) with min = max =
// sum/count for gauges and 1 for counts; ok is false when there is none.
func (g *generator) at(t int64) (v float64, ok bool) {
	if g.elapsed {
		return float64(max(t-g.since, 0)), true
	}
	v = g.value
	if g.swing != 0 {
		hour := float64(((t%86400)+86400)%86400) / 3600
		v *= 1 + g.swing*math.Cos(2*math.Pi*(hour-g.peakHour)/24)
	}
	if g.noise != 0 {
		v *= 1 + g.noise*(2*unitHash(g.seed, t)-1)
	}
	if v < 0 {
		v = 0
	}
	if g.count {
		v = math.Round(v)
		if v == 0 {
			return 0, false
		}
	}
	return v, true
}

// last is the newest grid time with an observation at or before now.
func (g *generator) last(now int64) (int64, bool) {
	end := g.to
	if end == openEnd || end > now-g.every+1 {
		end = now - g.every + 1 // visible points have t+every <= now
	}
	// scan back a bounded number of steps past gaps and empty counts
	t := floorDiv(end-1, g.every) * g.every
	for i := 0; i < 10000 && t >= g.from; i++ {
		if !g.inGap(t) {
			if _, ok := g.at(t); ok {
				return t, true
			}
		}
		t -= g.every
	}
	return 0, false
}

// unitHash maps (seed, t) to [0, 1) with SplitMix64.
func unitHash(seed uint64, t int64) float64 {
	z := seed ^ uint64(t)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// bucket accumulates the observations of one period.
type bucket struct {
	sum, count, min, max float64
	vals                 []float64 // only when percentiles are asked for
}

func (b *bucket) add(sum, count, lo, hi float64) {
	if b.count == 0 || lo < b.min {
		b.min = lo
	}
	if b.count == 0 || hi > b.max {
		b.max = hi
	}
	b.sum += sum
	b.count += count
}

// aggregate fills buckets[i] with the observations in [start+i*period,
// start+(i+1)*period), for times up to now. keepVals collects individual
// values for percentiles.
func (m *metric) aggregate(buckets []bucket, start, period, now int64, keepVals bool) {
	end := start + int64(len(buckets))*period
	if end > now+1 {
		end = now + 1
	}
	if end <= start {
		return
	}
	i := sort.Search(len(m.samples), func(i int) bool { return m.samples[i].t >= start })
	for ; i < len(m.samples) && m.samples[i].t < end; i++ {
		s := &m.samples[i]
		b := &buckets[(s.t-start)/period]
		b.add(s.sum, s.count, s.min, s.max)
		if keepVals {
			if s.vals != nil {
				b.vals = append(b.vals, s.vals...)
			} else if s.count == 1 {
				b.vals = append(b.vals, s.sum)
			}
		}
	}
	for _, g := range m.gens {
		stop := end
		if g.to < stop {
			stop = g.to
		}
		for t := g.first(start); t < stop; t += g.every {
			if !g.visible(t, now) {
				break
			}
			if len(g.gaps) > 0 && g.inGap(t) {
				continue
			}
			v, ok := g.at(t)
			if !ok {
				continue
			}
			b := &buckets[(t-start)/period]
			if g.count {
				b.add(v, v, 1, 1)
				if keepVals {
					for k := 0; k < int(v) && k < 10000; k++ {
						b.vals = append(b.vals, 1)
					}
				}
			} else {
				b.add(v, 1, v, v)
				if keepVals {
					b.vals = append(b.vals, v)
				}
			}
		}
	}
}

// statistic is a parsed Stat: Sum, Average, Minimum, Maximum, SampleCount
// or a percentile pNN[.NN].
type statistic struct {
	name string
	pct  float64 // for percentiles, in (0, 100]
}

func parseStat(s string) (statistic, bool) {
	switch s {
	case "Sum", "Average", "Minimum", "Maximum", "SampleCount":
		return statistic{name: s}, true
	}
	if len(s) > 1 && (s[0] == 'p' || s[0] == 'P') {
		if p, err := strconv.ParseFloat(s[1:], 64); err == nil && p > 0 && p <= 100 {
			return statistic{name: "p", pct: p}, true
		}
	}
	return statistic{}, false
}

// value of the statistic over a non-empty bucket.
func (st statistic) value(b *bucket) (float64, bool) {
	switch st.name {
	case "Sum":
		return b.sum, true
	case "Average":
		return b.sum / b.count, true
	case "Minimum":
		return b.min, true
	case "Maximum":
		return b.max, true
	case "SampleCount":
		return b.count, true
	}
	if len(b.vals) == 0 {
		return 0, false // statistic sets carry no distribution
	}
	sort.Float64s(b.vals)
	// nearest-rank percentile
	rank := int(math.Ceil(st.pct/100*float64(len(b.vals)))) - 1
	if rank < 0 {
		rank = 0
	}
	return b.vals[rank], true
}

// retained reports whether data at bucket start t with the given period is
// still available at now, following CloudWatch's retention by resolution.
func retained(t, period, now int64) bool {
	age := now - t
	switch {
	case age > hourRetention:
		return false
	case age > fiveMinRetention:
		return period%3600 == 0
	case age > minuteRetention:
		return period%300 == 0
	case age > highResRetention:
		return period%60 == 0
	}
	return true
}

// alignStart rounds a query's start time down as CloudWatch does: to the
// period for sub-minute periods, else to the minute (less than 15 days
// ago), 5 minutes (15 to 63 days) or the hour (older).
func alignStart(start, period, now int64) int64 {
	unit := int64(60)
	switch age := now - start; {
	case period < 60:
		unit = period
	case age > fiveMinRetention:
		unit = 3600
	case age > minuteRetention:
		unit = 300
	}
	return floorDiv(start, unit) * unit
}

// series is one result time series, ascending by time.
type series struct {
	ts   []int64
	vals []float64
	// grid is where the series' datapoints may fall: start, step and
	// count, cut at now (for metric math's FILL).
	gridStart, gridStep int64
	gridN               int
}

// evaluate computes stat over [start, end) in buckets of period for m
// (nil m yields an empty series).
func evaluate(m *metric, stat statistic, unit cwtypes.StandardUnit, start, end, period, now int64, scratch []bucket) (series, []bucket) {
	start = alignStart(start, period, now)
	n := int(ceilDiv(end-start, period))
	grid := series{gridStart: start, gridStep: period, gridN: n}
	if last := int(floorDiv(now-start, period)) + 1; last < grid.gridN {
		grid.gridN = max(last, 0)
	}
	if n <= 0 || m == nil || (unit != "" && unit != m.unit) {
		return grid, scratch
	}
	if cap(scratch) < n {
		scratch = make([]bucket, n)
	}
	buckets := scratch[:n]
	for i := range buckets {
		buckets[i] = bucket{vals: buckets[i].vals[:0]}
	}
	m.aggregate(buckets, start, period, now, stat.name == "p")
	out := grid
	out.ts, out.vals = make([]int64, 0, n), make([]float64, 0, n)
	for i := range buckets {
		b := &buckets[i]
		t := start + int64(i)*period
		if b.count == 0 || !retained(t, period, now) {
			continue
		}
		if v, ok := stat.value(b); ok {
			out.ts = append(out.ts, t)
			out.vals = append(out.vals, v)
		}
	}
	return out, scratch
}

func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }
