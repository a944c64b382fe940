package advise

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// CloudWatch namespaces and metrics the rules read.
const (
	// NamespaceEndpoints has the instance metrics of endpoint variants
	// (EndpointName, VariantName), as percentages: CPUUtilization is per
	// core (up to 100% x vCPUs), GPUUtilization per GPU (up to 100% x
	// GPUs); MemoryUtilization and GPUMemoryUtilization are of the whole
	// instance.
	NamespaceEndpoints = "/aws/sagemaker/Endpoints"
	// NamespaceTraining has training hosts' metrics (Host = JOB/algo-N).
	NamespaceTraining = "/aws/sagemaker/TrainingJobs"
	// NamespaceInvocations has Invocations (EndpointName, VariantName),
	// published per request: an hour without requests has no datapoint.
	NamespaceInvocations = "AWS/SageMaker"

	MetricCPU         = "CPUUtilization"
	MetricMemory      = "MemoryUtilization"
	MetricGPU         = "GPUUtilization"
	MetricGPUMemory   = "GPUMemoryUtilization"
	MetricInvocations = "Invocations"
)

// Period lengths of the evidence: hourly for endpoints (a day's cycle is
// visible, and 14 days are 336 datapoints), five minutes for training
// hosts (jobs are often shorter than an hour; 5-minute data is kept 63
// days).
const (
	EndpointPeriod = time.Hour
	TrainingPeriod = 5 * time.Minute
)

// DefaultLookback is the metrics window for endpoints: two weeks covers
// two weekly cycles and stays within CloudWatch's 15 days of 1-minute
// data.
const DefaultLookback = 14 * 24 * time.Hour

// Series is one metric of one resource over the evidence window: the
// per-period statistic (Average for utilization, Sum for Invocations), one
// value per period that has a datapoint, oldest first.
type Series struct {
	Values []float64 `json:"values"`
	// Periods is how many periods the window has.
	Periods int `json:"periods"`
	// Complete is true when CloudWatch answered the whole window
	// (StatusCode Complete).
	Complete bool `json:"complete"`
}

// Max returns the largest value (0 with none).
func (s Series) Max() float64 {
	m := 0.0
	for _, v := range s.Values {
		m = math.Max(m, v)
	}
	return m
}

// Mean returns the mean of the values present (a gauge's average).
func (s Series) Mean() float64 {
	if len(s.Values) == 0 {
		return 0
	}
	return s.Sum() / float64(len(s.Values))
}

// Sum returns the sum of the values.
func (s Series) Sum() float64 {
	t := 0.0
	for _, v := range s.Values {
		t += v
	}
	return t
}

// MinCount returns the smallest value of a count metric, where a period
// without a datapoint counts as 0.
func (s Series) MinCount() float64 {
	if len(s.Values) < s.Periods || len(s.Values) == 0 {
		return 0
	}
	m := s.Values[0]
	for _, v := range s.Values {
		m = math.Min(m, v)
	}
	return m
}

// Coverage returns the share of periods with a datapoint.
func (s Series) Coverage() float64 {
	if s.Periods == 0 {
		return 0
	}
	return float64(len(s.Values)) / float64(s.Periods)
}

// Evidence is what CloudWatch and Application Auto Scaling said about the
// resources of a scan.
type Evidence struct {
	// Start and End are the endpoint metrics window [Start, End).
	Start, End time.Time
	// Metrics holds, per resource (resource.Resource.Key), the series of
	// each metric (Metric* constants) that was fetched. A metric that is
	// absent was not fetched or not answered.
	Metrics map[string]map[string]Series
	// Scaled holds the endpoint variants (Resource.Key) that have an
	// Application Auto Scaling scalable target.
	Scaled map[string]bool
	// ScalingRead holds the account/region pairs whose scalable targets
	// were read; elsewhere "no target" is not known.
	ScalingRead map[string]bool
	// Failures says what could not be read ("ACCOUNT REGION: error").
	Failures []string
}

// Series returns a resource's series of a metric.
func (e *Evidence) Series(r *resource.Resource, metric string) (Series, bool) {
	m, ok := e.Metrics[r.LineID().String()]
	if !ok {
		return Series{}, false
	}
	s, ok := m[metric]
	return s, ok
}

// Put records a series (for fetchers and tests).
func (e *Evidence) Put(r *resource.Resource, metric string, s Series) {
	if e.Metrics == nil {
		e.Metrics = map[string]map[string]Series{}
	}
	k := r.LineID().String()
	if e.Metrics[k] == nil {
		e.Metrics[k] = map[string]Series{}
	}
	e.Metrics[k][metric] = s
}

// days returns the window in days (at least a fraction of one).
func (e *Evidence) days() float64 {
	return e.End.Sub(e.Start).Hours() / 24
}

// window renders the evidence window, "14 days".
func (e *Evidence) window() string {
	return duration(e.End.Sub(e.Start))
}

// duration renders a duration in whole days, or hours and minutes.
func duration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// num formats a metric value with at most one decimal, without trailing
// zeros.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// count formats a number of events with thousands separators.
func count(f float64) string {
	n := int64(math.Round(f))
	s := strconv.FormatInt(n, 10)
	if n < 1000 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
