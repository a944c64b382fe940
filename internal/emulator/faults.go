package emulator

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// FaultConfig is the injectable misbehaviour of the emulator. Keys of
// Throttle and Latency are "service:Operation", "service:*" or "*"; the most
// specific key wins. Throttling is measured in wall-clock time, per
// operation, account and region, as AWS's per-API rate limits are.
type FaultConfig struct {
	Throttle map[string]Rate          `json:"throttle,omitempty" yaml:"throttle,omitempty"`
	Latency  map[string]time.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	Errors   []ErrorFault             `json:"errors,omitempty" yaml:"errors,omitempty"`
}

// Rate is a token bucket: PerSecond sustained, Burst at once.
type Rate struct {
	PerSecond float64 `json:"perSecond" yaml:"perSecond"`
	Burst     int     `json:"burst" yaml:"burst"`
}

// ErrorFault makes matching requests fail with Code and Status. Count > 0
// fails only the next Count matching requests; Probability in (0,1] fails
// that share of them; neither set fails all.
type ErrorFault struct {
	Operation   string  `json:"operation" yaml:"operation"` // "service:Operation" or "service:*"
	Region      string  `json:"region,omitempty" yaml:"region,omitempty"`
	Code        string  `json:"code" yaml:"code"`
	Message     string  `json:"message,omitempty" yaml:"message,omitempty"`
	Status      int     `json:"status,omitempty" yaml:"status,omitempty"`
	Count       int     `json:"count,omitempty" yaml:"count,omitempty"`
	Probability float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
}

type faults struct {
	mu      sync.Mutex
	cfg     FaultConfig
	buckets map[string]*rate.Limiter // key|region -> bucket
	left    []int                    // remaining counts per error fault
}

func newFaults() *faults { return &faults{buckets: map[string]*rate.Limiter{}} }

func (f *faults) reset() { f.set(FaultConfig{}) }

func (f *faults) set(cfg FaultConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = cfg
	f.buckets = map[string]*rate.Limiter{}
	f.left = make([]int, len(cfg.Errors))
	for i, e := range cfg.Errors {
		f.left[i] = e.Count
	}
}

func lookup[V any](m map[string]V, svc, op string) (V, string, bool) {
	for _, k := range []string{svc + ":" + op, svc + ":*", "*"} {
		if v, ok := m[k]; ok {
			return v, k, true
		}
	}
	var zero V
	return zero, "", false
}

// check applies latency, error faults and throttling to one request; a
// non-nil result is the error to answer with; throttle is the code the
// service answers when it throttles (see throttleCode).
func (f *faults) check(svc, op, region, throttle string) *wire.Error {
	f.mu.Lock()
	lat, _, hasLat := lookup(f.cfg.Latency, svc, op)
	var fail *wire.Error
	for i, e := range f.cfg.Errors {
		if !matchOp(e.Operation, svc, op) || (e.Region != "" && e.Region != region) {
			continue
		}
		if e.Count > 0 {
			if f.left[i] == 0 {
				continue
			}
			f.left[i]--
		} else if e.Probability > 0 && rand.Float64() >= e.Probability {
			continue
		}
		msg := e.Message
		if msg == "" {
			msg = "injected fault"
		}
		fail = &wire.Error{Code: e.Code, Message: msg, Status: e.Status}
		break
	}
	var lim *rate.Limiter
	if fail == nil {
		if r, key, ok := lookup(f.cfg.Throttle, svc, op); ok && r.PerSecond > 0 {
			// one bucket per operation even under a wildcard key
			bk := svc + ":" + op + "|" + region + "|" + key
			lim = f.buckets[bk]
			if lim == nil {
				burst := r.Burst
				if burst < 1 {
					burst = 1
				}
				lim = rate.NewLimiter(rate.Limit(r.PerSecond), burst)
				f.buckets[bk] = lim
			}
		}
	}
	f.mu.Unlock()
	if hasLat && lat > 0 {
		time.Sleep(lat)
	}
	if fail != nil {
		return fail
	}
	if lim != nil && !lim.Allow() {
		return &wire.Error{Code: throttle, Message: "Rate exceeded", Status: 400}
	}
	return nil
}

func matchOp(pattern, svc, op string) bool {
	ps, po, _ := strings.Cut(pattern, ":")
	return ps == svc && (po == "*" || po == op)
}

// counters count requests per "service:Operation" and per region.
type counters struct {
	mu        sync.Mutex
	calls     map[string]int64
	byRegion  map[string]int64
	throttles map[string]int64
	metrics   int64
}

func newCounters() *counters {
	c := &counters{}
	c.reset()
	return c
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int64{}
	c.byRegion = map[string]int64{}
	c.throttles = map[string]int64{}
	c.metrics = 0
}

// metricsRequested counts the metrics of a GetMetricData request, as
// CloudWatch bills them: one per MetricDataQuery with a MetricStat.
func (c *counters) metricsRequested(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics += int64(n)
}

func (c *counters) add(svc, op, region string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[svc+":"+op]++
	c.byRegion[svc+":"+op+"|"+region]++
}

func (c *counters) throttled(svc, op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.throttles[svc+":"+op]++
}

// Counters is a snapshot of request counts.
type Counters struct {
	// Calls counts every request received per "service:Operation",
	// including those answered with an injected fault.
	Calls map[string]int64 `json:"calls"`
	// Throttled counts requests answered with a throttling error.
	Throttled map[string]int64 `json:"throttled"`
	// Total is the sum of Calls.
	Total int64 `json:"total"`
	// MetricsRequested counts the metrics GetMetricData requests asked
	// for, as CloudWatch bills them ($0.01 per 1,000): one per
	// MetricDataQuery with a MetricStat, whatever its time range.
	MetricsRequested int64 `json:"metricsRequested"`
}

// Counters returns a snapshot of the request counters.
func (s *Server) Counters() Counters {
	c := s.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Counters{Calls: map[string]int64{}, Throttled: map[string]int64{}, MetricsRequested: c.metrics}
	for k, v := range c.calls {
		out.Calls[k] = v
		out.Total += v
	}
	for k, v := range c.throttles {
		out.Throttled[k] = v
	}
	return out
}

// ResetCounters zeroes the request counters.
func (s *Server) ResetCounters() { s.counters.reset() }

// SetFaults replaces the fault configuration.
func (s *Server) SetFaults(cfg FaultConfig) { s.faults.set(cfg) }

// maxLatency bounds an injected latency: longer than any SDK's timeout, so
// still every test's worth, and short enough that a typo (a number of
// nanoseconds written as seconds is too small, not too big) cannot park a
// request for hours.
const maxLatency = 10 * time.Minute

// FaultError is a bad value in a FaultConfig: Field is its path
// ("throttle.sagemaker:Search.perSecond", "errors[0].probability").
type FaultError struct {
	Field string
	Msg   string
}

func (e *FaultError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks every value of the configuration, so that a fault that
// could never behave as written (a negative latency, a probability of 7)
// is refused instead of silently ignored. It returns a *FaultError.
func (c FaultConfig) Validate() error {
	for _, k := range sortedKeys(c.Throttle) {
		r := c.Throttle[k]
		f := "throttle." + k
		if err := validKey(f, k); err != nil {
			return err
		}
		if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) {
			return &FaultError{f + ".perSecond", fmt.Sprintf("%v: want a positive number of requests per second", r.PerSecond)}
		}
		if r.Burst < 0 {
			return &FaultError{f + ".burst", fmt.Sprintf("%d: want 0 or more (0 means 1)", r.Burst)}
		}
	}
	for _, k := range sortedKeys(c.Latency) {
		d := c.Latency[k]
		f := "latency." + k
		if err := validKey(f, k); err != nil {
			return err
		}
		if d < 0 || d > maxLatency {
			return &FaultError{f, fmt.Sprintf("%d: want a duration in nanoseconds from 0 to %d (%s)", int64(d), int64(maxLatency), maxLatency)}
		}
	}
	for i, e := range c.Errors {
		f := fmt.Sprintf("errors[%d]", i)
		ps, po, ok := strings.Cut(e.Operation, ":")
		switch {
		case !ok || ps == "" || po == "":
			return &FaultError{f + ".operation", fmt.Sprintf("%q: want \"service:Operation\" or \"service:*\"", e.Operation)}
		case e.Code == "":
			return &FaultError{f + ".code", "required: the AWS error code to answer with, such as InternalFailure"}
		case e.Status != 0 && (e.Status < 400 || e.Status > 599):
			return &FaultError{f + ".status", fmt.Sprintf("%d: want an HTTP error status from 400 to 599", e.Status)}
		case e.Count < 0:
			return &FaultError{f + ".count", fmt.Sprintf("%d: want 0 (every request) or more", e.Count)}
		case !(e.Probability >= 0 && e.Probability <= 1):
			return &FaultError{f + ".probability", fmt.Sprintf("%v: want a share from 0 to 1", e.Probability)}
		case e.Count > 0 && e.Probability > 0:
			return &FaultError{f, "set count or probability, not both"}
		}
	}
	return nil
}

// validKey checks a throttle or latency key: "service:Operation",
// "service:*" or "*".
func validKey(field, k string) error {
	if k == "*" {
		return nil
	}
	if s, o, ok := strings.Cut(k, ":"); !ok || s == "" || o == "" {
		return &FaultError{field, fmt.Sprintf("key %q: want \"service:Operation\", \"service:*\" or \"*\"", k)}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
