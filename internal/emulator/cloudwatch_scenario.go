package emulator

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MetricScenario is one metric history in a scenario: a value every
// interval over a time range, evaluated lazily when queried. Several
// entries for the same metric (same namespace, name and dimensions) add up
// to one history, e.g. busy until 3 days ago and then silent. See
// docs/emulator.md for examples.
type MetricScenario struct {
	// Metric is the metric name, e.g. Invocations or CPUUtilization.
	Metric string `yaml:"metric"`
	// Namespace defaults from the shorthand below: AWS/SageMaker,
	// /aws/sagemaker/Endpoints, /aws/sagemaker/InferenceComponents or
	// /aws/sagemaker/TrainingJobs.
	Namespace  string            `yaml:"namespace,omitempty"`
	Dimensions map[string]string `yaml:"dimensions,omitempty"`
	// Shorthands for SageMaker's dimensions (at most one of the three):
	// Endpoint sets EndpointName and VariantName (Variant, default
	// AllTraffic; endpoint-level async metrics such as
	// ApproximateBacklogSize get EndpointName only). Component sets
	// InferenceComponentName. TrainingJob sets Host to
	// "<job>/<host>" (Host default algo-1).
	Endpoint    string `yaml:"endpoint,omitempty"`
	Variant     string `yaml:"variant,omitempty"`
	Component   string `yaml:"component,omitempty"`
	TrainingJob string `yaml:"trainingJob,omitempty"`
	Host        string `yaml:"host,omitempty"`
	// Value per interval: a gauge's reading (CPU percent) or, for count
	// metrics, the number of events (requests per minute).
	Value *float64 `yaml:"value"`
	// From and To are ages before the scenario's now ("15d", "72h",
	// "-72h", "now"). From defaults to 15d (CloudWatch keeps 1-minute
	// data for 15 days); an omitted To means ongoing: the history
	// follows the virtual clock as it advances.
	From Age `yaml:"from,omitempty"`
	To   Age `yaml:"to,omitempty"`
	// Every is the interval between observations (default 1m).
	Every Age `yaml:"every,omitempty"`
	// Swing in [0, 1] is a daily cycle: the value peaks at value x
	// (1 + swing) at PeakHour (UTC, default 14) and bottoms at value x
	// (1 - swing) twelve hours later.
	Swing    float64  `yaml:"swing,omitempty"`
	PeakHour *float64 `yaml:"peakHour,omitempty"`
	// Noise in [0, 1] multiplies each observation by a deterministic
	// pseudo-random factor in [1 - noise, 1 + noise), from Seed (default:
	// derived from the metric's identity).
	Noise float64 `yaml:"noise,omitempty"`
	Seed  uint64  `yaml:"seed,omitempty"`
	// Kind is "count" (each event counts 1; an interval without events has
	// no datapoint) or "gauge" (one reading per interval). It defaults to
	// count for SageMaker's per-request metrics (Invocations,
	// InvocationsPerInstance, InvocationsPerCopy, Invocation4XXErrors,
	// Invocation5XXErrors, InvocationModelErrors) and gauge otherwise.
	Kind string `yaml:"kind,omitempty"`
	// Unit defaults to Percent for *Utilization metrics, Microseconds for
	// *Latency metrics and None otherwise.
	Unit string `yaml:"unit,omitempty"`
	// Gaps are ranges with no data (an agent that was down).
	Gaps []GapScenario `yaml:"gaps,omitempty"`
}

// GapScenario is a range without data, as ages before now.
type GapScenario struct {
	From Age `yaml:"from"`
	To   Age `yaml:"to"`
}

// defaultMetricHistory is how far back a history starts by default.
const defaultMetricHistory = 15 * 24 * time.Hour

// defaultPeakHour is when daily traffic peaks (UTC): mid-afternoon in
// Europe, morning in the Americas.
const defaultPeakHour = 14

var (
	// countMetrics are emitted per request by SageMaker: a minute with no
	// requests has no datapoint, which is how "no invocations" looks in
	// CloudWatch.
	countMetrics = map[string]bool{
		"Invocations": true, "InvocationsPerInstance": true, "InvocationsPerCopy": true,
		"Invocation4XXErrors": true, "Invocation5XXErrors": true, "InvocationModelErrors": true,
	}
	// instanceMetrics live in /aws/sagemaker/Endpoints (endpoints) or
	// /aws/sagemaker/TrainingJobs (training hosts).
	instanceMetrics = map[string]bool{
		"CPUUtilization": true, "MemoryUtilization": true, "GPUUtilization": true,
		"GPUMemoryUtilization": true, "DiskUtilization": true,
	}
	// componentMetrics live in /aws/sagemaker/InferenceComponents.
	componentMetrics = map[string]bool{
		"CPUUtilizationNormalized": true, "GPUUtilizationNormalized": true,
		"GPUMemoryUtilizationNormalized": true, "CPUMemoryUtilizationNormalized": true,
	}
	// endpointLevelMetrics have the EndpointName dimension only
	// (asynchronous inference).
	endpointLevelMetrics = map[string]bool{
		"ApproximateBacklogSize": true, "ApproximateBacklogSizePerInstance": true,
		"ApproximateAgeOfOldestRequest": true, "HasBacklogWithoutCapacity": true,
	}
)

// offset parses an age that may also be written "-72h" or "now".
func offset(a Age) (time.Duration, error) {
	s := strings.TrimSpace(string(a))
	if s == "now" {
		return 0, nil
	}
	d, err := Age(strings.TrimPrefix(s, "-")).Duration()
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("bad age %q", s)
	}
	return d, nil
}

func loadMetrics(r *Region, rs RegionScenario, now time.Time, path string) error {
	st := r.CloudWatch
	for i, ms := range rs.Metrics {
		field := fmt.Sprintf("%s.metrics[%d]", path, i)
		m, g, err := ms.build(now)
		if err != nil {
			return fmt.Errorf("%s.%w", field, err)
		}
		cm := st.metricFor(m.namespace, m.name, m.dims)
		cm.unit = m.unit
		if g.seed == 0 {
			h := fnv.New64a()
			h.Write([]byte(cm.key))
			fmt.Fprint(h, len(cm.gens))
			g.seed = h.Sum64()
		}
		cm.gens = append(cm.gens, g)
	}
	return nil
}

// fieldError is a scenario error that names the field within a metric.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}

// build validates the entry and returns the metric identity and its
// generator.
func (ms *MetricScenario) build(now time.Time) (*metric, *generator, error) {
	if ms.Metric == "" {
		return nil, nil, fieldError("metric", "required")
	}
	if ms.Value == nil {
		return nil, nil, fieldError("value", "required")
	}
	if math.IsNaN(*ms.Value) || math.IsInf(*ms.Value, 0) || *ms.Value < 0 {
		return nil, nil, fieldError("value", "must be a finite number >= 0")
	}
	shorthands := 0
	for _, s := range []string{ms.Endpoint, ms.Component, ms.TrainingJob} {
		if s != "" {
			shorthands++
		}
	}
	if shorthands > 1 {
		return nil, nil, fieldError("endpoint", "endpoint, component and trainingJob are mutually exclusive")
	}
	if ms.Variant != "" && ms.Endpoint == "" {
		return nil, nil, fieldError("variant", "only with endpoint")
	}
	if ms.Host != "" && ms.TrainingJob == "" {
		return nil, nil, fieldError("host", "only with trainingJob")
	}
	dims := map[string]string{}
	ns := ""
	switch {
	case ms.Endpoint != "":
		dims["EndpointName"] = ms.Endpoint
		if !endpointLevelMetrics[ms.Metric] {
			dims["VariantName"] = ms.Variant
			if ms.Variant == "" {
				dims["VariantName"] = "AllTraffic"
			}
		}
		ns = "AWS/SageMaker"
		if instanceMetrics[ms.Metric] {
			ns = "/aws/sagemaker/Endpoints"
		}
	case ms.Component != "":
		dims["InferenceComponentName"] = ms.Component
		ns = "AWS/SageMaker"
		if componentMetrics[ms.Metric] {
			ns = "/aws/sagemaker/InferenceComponents"
		}
	case ms.TrainingJob != "":
		host := ms.Host
		if host == "" {
			host = "algo-1"
		}
		dims["Host"] = ms.TrainingJob + "/" + host
		ns = "/aws/sagemaker/TrainingJobs"
	}
	for k, v := range ms.Dimensions {
		if k == "" || v == "" {
			return nil, nil, fieldError("dimensions", "names and values must not be empty")
		}
		dims[k] = v
	}
	if len(dims) > maxMetricDimensions {
		return nil, nil, fieldError("dimensions", "at most %d", maxMetricDimensions)
	}
	if ms.Namespace != "" {
		ns = ms.Namespace
	}
	if ns == "" {
		return nil, nil, fieldError("namespace", "required unless endpoint, component or trainingJob is given")
	}
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	sort.Strings(names)
	var cwDims []cwtypes.Dimension
	for _, k := range names {
		cwDims = append(cwDims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(dims[k])})
	}

	kind := ms.Kind
	if kind == "" {
		kind = "gauge"
		if countMetrics[ms.Metric] {
			kind = "count"
		}
	}
	if kind != "count" && kind != "gauge" {
		return nil, nil, fieldError("kind", "%q is not count or gauge", kind)
	}
	unit := cwtypes.StandardUnit(ms.Unit)
	if unit == "" {
		switch {
		case strings.Contains(ms.Metric, "Utilization"):
			unit = cwtypes.StandardUnitPercent
		case strings.HasSuffix(ms.Metric, "Latency"):
			unit = cwtypes.StandardUnitMicroseconds
		default:
			unit = cwtypes.StandardUnitNone
		}
	}
	valid := false
	for _, u := range unit.Values() {
		valid = valid || u == unit
	}
	if !valid {
		return nil, nil, fieldError("unit", "%q is not a CloudWatch unit", ms.Unit)
	}

	from := defaultMetricHistory
	if ms.From != "" {
		d, err := offset(ms.From)
		if err != nil {
			return nil, nil, fieldError("from", "%v", err)
		}
		from = d
	}
	to := int64(openEnd)
	if ms.To != "" {
		d, err := offset(ms.To)
		if err != nil {
			return nil, nil, fieldError("to", "%v", err)
		}
		if d >= from {
			return nil, nil, fieldError("to", "must be later than from (%s ago)", from)
		}
		to = now.Add(-d).Unix()
	}
	every := time.Minute
	if ms.Every != "" {
		d, err := offset(ms.Every)
		if err != nil {
			return nil, nil, fieldError("every", "%v", err)
		}
		every = d
	}
	if sec := int32(every / time.Second); every%time.Second != 0 || !validPeriod(sec) {
		return nil, nil, fieldError("every", "must be 1s, 5s, 10s, 20s, 30s or a multiple of 1m")
	}
	if ms.Swing < 0 || ms.Swing > 1 {
		return nil, nil, fieldError("swing", "must be between 0 and 1")
	}
	if ms.Noise < 0 || ms.Noise > 1 {
		return nil, nil, fieldError("noise", "must be between 0 and 1")
	}
	peak := float64(defaultPeakHour)
	if ms.PeakHour != nil {
		peak = *ms.PeakHour
		if peak < 0 || peak >= 24 {
			return nil, nil, fieldError("peakHour", "must be in [0, 24)")
		}
	}
	g := &generator{
		from: now.Add(-from).Unix(), to: to, every: int64(every / time.Second),
		value: *ms.Value, swing: ms.Swing, noise: ms.Noise, peakHour: peak,
		seed: ms.Seed, count: kind == "count",
	}
	for j, gp := range ms.Gaps {
		gf, err := offset(gp.From)
		if err != nil || gp.From == "" {
			return nil, nil, fieldError(fmt.Sprintf("gaps[%d].from", j), "an age such as 2d is required")
		}
		gt, err := offset(gp.To)
		if err != nil {
			return nil, nil, fieldError(fmt.Sprintf("gaps[%d].to", j), "%v", err)
		}
		if gt >= gf {
			return nil, nil, fieldError(fmt.Sprintf("gaps[%d].to", j), "must be later than from")
		}
		g.gaps = append(g.gaps, [2]int64{now.Add(-gf).Unix(), now.Add(-gt).Unix()})
	}
	return &metric{namespace: ns, name: ms.Metric, dims: cwDims, unit: unit}, g, nil
}
