package emulator

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// CloudWatch (metrics only): PutMetricData, GetMetricData,
// GetMetricStatistics and ListMetrics, served over the three protocols its
// model lists: Smithy RPC v2 CBOR (aws-sdk-go-v2 today), awsJson1_0 (recent
// botocore, hence AWS CLI v1 and boto3) and awsQuery (older SDKs and CLIs).
// The metric store is in cloudwatch_series.go, metric math in
// cloudwatch_expr.go, scenario metric histories in cloudwatch_scenario.go.

// CloudWatch's documented API limits.
const (
	maxMetricDataQueries   = 500    // GetMetricData queries per call
	defaultMaxDatapoints   = 100800 // GetMetricData datapoints per page
	maxStatisticsDatapoint = 1440   // GetMetricStatistics datapoints per call
	maxPutMetricData       = 1000   // PutMetricData datums per call
	maxMetricDimensions    = 30     // dimensions per metric
	maxDimensionFilters    = 10     // ListMetrics dimension filters
	listMetricsPageSize    = 500    // ListMetrics results per page
	maxPutAge              = 14 * 86400
	maxPutFuture           = 2 * 3600
)

func cloudWatchService() *service {
	return &service{
		name:            "cloudwatch",
		signingName:     "monitoring",
		cborName:        "GraniteServiceVersion20100801",
		jsonTarget:      "GraniteServiceVersion20100801", // awsJson1_0: botocore and AWS CLI v1 today
		queryVersion:    "2010-08-01",
		queryNamespace:  "http://monitoring.amazonaws.com/doc/2010-08-01/",
		queryCompatible: true,
		ops: map[string]handler{
			"PutMetricData":       op(putMetricData),
			"GetMetricData":       op(getMetricData),
			"GetMetricStatistics": op(getMetricStatistics),
			"ListMetrics":         op(listMetrics),
		},
	}
}

// CloudWatch's error codes (query-compatible: the same codes over CBOR).
func cwInvalid(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}
}

func cwMissing(param string) *wire.Error {
	return &wire.Error{Code: "MissingParameter", Message: "The parameter " + param + " is required."}
}

func cwCombination(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "InvalidParameterCombination", Message: fmt.Sprintf(format, args...)}
}

// cwValidation is the ValidationError GetMetricData answers for bad input.
func cwValidation(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "ValidationError", Message: fmt.Sprintf(format, args...)}
}

// validPeriod: 1, 5, 10, 20, 30 (high resolution) or a multiple of 60.
func validPeriod(p int32) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p > 0 && p%60 == 0
}

func putMetricData(c *Call, in *cloudwatch.PutMetricDataInput) (*cloudwatch.PutMetricDataOutput, error) {
	if in.Namespace == nil || *in.Namespace == "" {
		return nil, cwMissing("Namespace")
	}
	ns := *in.Namespace
	if strings.HasPrefix(ns, "AWS/") {
		return nil, cwInvalid("The value %s for parameter Namespace is invalid. Namespaces beginning with \"AWS/\" are reserved for AWS services.", ns)
	}
	data := in.MetricData
	for _, e := range in.EntityMetricData {
		data = append(data, e.MetricData...)
	}
	if len(data) == 0 {
		return nil, cwMissing("MetricData")
	}
	if len(data) > maxPutMetricData {
		return nil, cwInvalid("The collection MetricData must not have a size greater than %d.", maxPutMetricData)
	}
	now := c.Now.Unix()
	type put struct {
		m    *cwtypes.MetricDatum
		s    sample
		unit cwtypes.StandardUnit
	}
	puts := make([]put, 0, len(data))
	for i := range data {
		d := &data[i]
		p := fmt.Sprintf("MetricData.member.%d", i+1)
		s, err := datumSample(d, p, now)
		if err != nil {
			return nil, err
		}
		puts = append(puts, put{m: d, s: s, unit: d.Unit})
	}
	st := c.Region.CloudWatch
	for _, p := range puts {
		m := st.metricFor(ns, *p.m.MetricName, p.m.Dimensions)
		if p.unit != "" {
			m.unit = p.unit
		}
		m.put(p.s)
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// datumSample validates one MetricDatum (member path p) and turns it into
// a sample.
func datumSample(d *cwtypes.MetricDatum, p string, now int64) (sample, error) {
	if d.MetricName == nil || *d.MetricName == "" {
		return sample{}, cwMissing(p + ".MetricName")
	}
	if len(d.Dimensions) > maxMetricDimensions {
		return sample{}, cwInvalid("The collection %s.Dimensions must not have a size greater than %d.", p, maxMetricDimensions)
	}
	for j, dim := range d.Dimensions {
		dp := fmt.Sprintf("%s.Dimensions.member.%d", p, j+1)
		if dim.Name == nil || *dim.Name == "" {
			return sample{}, cwMissing(dp + ".Name")
		}
		if dim.Value == nil || *dim.Value == "" {
			return sample{}, cwMissing(dp + ".Value")
		}
	}
	finite := func(name string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return cwInvalid("The value %s for parameter %s.%s is invalid.", strconv.FormatFloat(v, 'g', -1, 64), p, name)
		}
		return nil
	}
	t := now
	if d.Timestamp != nil {
		t = d.Timestamp.Unix()
		if t < now-maxPutAge {
			return sample{}, cwInvalid("The parameter %s.Timestamp must specify a time no more than two weeks in the past.", p)
		}
		if t > now+maxPutFuture {
			return sample{}, cwInvalid("The parameter %s.Timestamp must specify a time no more than two hours in the future.", p)
		}
	}
	res := int32(60)
	if d.StorageResolution != nil {
		res = *d.StorageResolution
		if res != 1 && res != 60 {
			return sample{}, cwInvalid("The value %d for parameter %s.StorageResolution is invalid. Valid values are 1 and 60.", res, p)
		}
	}
	if res == 60 {
		t = floorDiv(t, 60) * 60 // standard resolution is stored per minute
	}
	set := 0
	for _, has := range []bool{d.Value != nil, d.Values != nil, d.StatisticValues != nil} {
		if has {
			set++
		}
	}
	switch {
	case set == 0:
		return sample{}, cwCombination("One of the parameters %[1]s.Value, %[1]s.Values or %[1]s.StatisticValues must be specified.", p)
	case d.Value != nil && d.StatisticValues != nil:
		return sample{}, cwCombination("The parameters %[1]s.Value and %[1]s.StatisticValues are mutually exclusive and you have specified both.", p)
	case d.Value != nil && d.Values != nil:
		return sample{}, cwCombination("The parameters %[1]s.Value and %[1]s.Values are mutually exclusive and you have specified both.", p)
	case d.Values != nil && d.StatisticValues != nil:
		return sample{}, cwCombination("The parameters %[1]s.Values and %[1]s.StatisticValues are mutually exclusive and you have specified both.", p)
	}
	s := sample{t: t}
	switch {
	case d.Value != nil:
		if err := finite("Value", *d.Value); err != nil {
			return sample{}, err
		}
		v := *d.Value
		s.sum, s.count, s.min, s.max = v, 1, v, v
	case d.Values != nil:
		if d.Counts != nil && len(d.Counts) != len(d.Values) {
			return sample{}, cwInvalid("The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", p)
		}
		if len(d.Values) == 0 {
			return sample{}, cwMissing(p + ".Values")
		}
		for k, v := range d.Values {
			if err := finite(fmt.Sprintf("Values.member.%d", k+1), v); err != nil {
				return sample{}, err
			}
			n := 1.0
			if d.Counts != nil {
				n = d.Counts[k]
			}
			if n <= 0 {
				continue
			}
			if s.count == 0 || v < s.min {
				s.min = v
			}
			if s.count == 0 || v > s.max {
				s.max = v
			}
			s.sum += v * n
			s.count += n
			for r := 0; r < int(n) && r < 1000; r++ {
				s.vals = append(s.vals, v)
			}
		}
		if s.count == 0 {
			return sample{}, cwInvalid("The parameter %s.Counts must contain a positive count.", p)
		}
	default:
		sv := d.StatisticValues
		for _, f := range []struct {
			name string
			v    *float64
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if f.v == nil {
				return sample{}, cwMissing(p + ".StatisticValues." + f.name)
			}
			if err := finite("StatisticValues."+f.name, *f.v); err != nil {
				return sample{}, err
			}
		}
		if *sv.SampleCount <= 0 {
			return sample{}, cwInvalid("The value %s for parameter %s.StatisticValues.SampleCount is invalid. It must be greater than 0.", strconv.FormatFloat(*sv.SampleCount, 'g', -1, 64), p)
		}
		if *sv.Minimum > *sv.Maximum {
			return sample{}, cwInvalid("The parameter %[1]s.StatisticValues.Minimum must be less than or equal to %[1]s.StatisticValues.Maximum.", p)
		}
		s.sum, s.count, s.min, s.max = *sv.Sum, *sv.SampleCount, *sv.Minimum, *sv.Maximum
	}
	return s, nil
}

var metricDataID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// mdqPlan is one validated MetricDataQuery.
type mdqPlan struct {
	q      cwtypes.MetricDataQuery
	id     string
	stat   statistic
	period int64
	expr   *exprNode
	result *series
	busy   bool // evaluation in progress (cycle detection)
}

func getMetricData(c *Call, in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
	if in.MetricDataQueries == nil {
		return nil, cwValidation("The parameter MetricDataQueries is required.")
	}
	if in.StartTime == nil {
		return nil, cwValidation("The parameter StartTime is required.")
	}
	if in.EndTime == nil {
		return nil, cwValidation("The parameter EndTime is required.")
	}
	if len(in.MetricDataQueries) > maxMetricDataQueries {
		return nil, cwValidation("The collection MetricDataQueries must not have a size greater than %d.", maxMetricDataQueries)
	}
	if len(in.MetricDataQueries) == 0 {
		return nil, cwValidation("The collection MetricDataQueries must not be empty.")
	}
	start, end := in.StartTime.Unix(), in.EndTime.Unix()
	if start >= end {
		return nil, cwValidation("The parameter StartTime must be less than the parameter EndTime.")
	}
	switch in.ScanBy {
	case "", cwtypes.ScanByTimestampDescending, cwtypes.ScanByTimestampAscending:
	default:
		return nil, cwValidation("The value %s for parameter ScanBy is not valid. Valid values are TimestampDescending and TimestampAscending.", in.ScanBy)
	}
	maxDP := defaultMaxDatapoints
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return nil, cwValidation("The parameter MaxDatapoints must be greater than 0.")
		}
		maxDP = int(*in.MaxDatapoints)
	}
	stats := 0
	for _, q := range in.MetricDataQueries {
		if q.MetricStat != nil {
			stats++
		}
	}
	c.s.counters.metricsRequested(stats)
	plans := make([]*mdqPlan, len(in.MetricDataQueries))
	byID := make(map[string]*mdqPlan, len(plans))
	for i, q := range in.MetricDataQueries {
		p, err := planQuery(i, q)
		if err != nil {
			return nil, err
		}
		if _, dup := byID[p.id]; dup {
			return nil, cwValidation("The values for parameter id in MetricDataQueries are not unique.")
		}
		byID[p.id] = p
		plans[i] = p
	}
	qi, off, err := parseMetricDataToken(in.NextToken)
	if err != nil {
		return nil, err
	}

	st := c.Region.CloudWatch
	now := c.Now.Unix()
	var scratch []bucket
	var eval func(p *mdqPlan) (*series, error)
	eval = func(p *mdqPlan) (*series, error) {
		if p.result != nil {
			return p.result, nil
		}
		if p.expr == nil {
			ms := p.q.MetricStat
			m := st.metrics[metricKey(deref(ms.Metric.Namespace), deref(ms.Metric.MetricName), ms.Metric.Dimensions)]
			var s series
			s, scratch = evaluate(m, p.stat, ms.Unit, start, end, p.period, now, scratch)
			p.result = &s
			return p.result, nil
		}
		if p.busy {
			return nil, cwValidation("Error in expression '%s': circular reference to '%s'", p.id, p.id)
		}
		p.busy = true
		v, err := p.expr.eval(func(id string) (*series, error) {
			ref, ok := byID[id]
			if !ok {
				return nil, cwValidation("Error in expression '%s': Unrecognized metric or expression id '%s'", p.id, id)
			}
			return eval(ref)
		})
		p.busy = false
		if err != nil {
			if we, ok := err.(*wire.Error); ok {
				return nil, we
			}
			return nil, cwValidation("Error in expression '%s': %s", p.id, err.Error())
		}
		if v.s == nil {
			return nil, cwValidation("Error in expression '%s': the expression must return a time series", p.id)
		}
		p.result = v.s
		return p.result, nil
	}

	var returned []*mdqPlan
	for _, p := range plans {
		if p.q.ReturnData == nil || *p.q.ReturnData {
			returned = append(returned, p)
		}
	}
	if qi > len(returned) {
		return nil, &wire.Error{Code: "InvalidNextToken", Message: "The service couldn't process your next token."}
	}
	desc := in.ScanBy != cwtypes.ScanByTimestampAscending
	out := &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{}, Messages: []cwtypes.MessageData{}}
	budget := maxDP
	for i := qi; i < len(returned); i++ {
		p := returned[i]
		s, err := eval(p) // only the queries this page returns
		if err != nil {
			return nil, err
		}
		n := len(s.ts)
		from := 0
		if i == qi {
			from = off
		}
		if from > n {
			from = n
		}
		take := n - from
		status := cwtypes.StatusCodeComplete
		if take > budget {
			take, status = budget, cwtypes.StatusCodePartialData
		}
		r := cwtypes.MetricDataResult{
			Id: aws.String(p.id), Label: aws.String(resultLabel(p)), StatusCode: status,
			Timestamps: make([]time.Time, 0, take), Values: make([]float64, 0, take), Messages: []cwtypes.MessageData{},
		}
		for k := from; k < from+take; k++ {
			j := k
			if desc {
				j = n - 1 - k
			}
			r.Timestamps = append(r.Timestamps, unixTime(s.ts[j]))
			r.Values = append(r.Values, s.vals[j])
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
		budget -= take
		if status == cwtypes.StatusCodePartialData {
			out.NextToken = aws.String(metricDataToken(i, from+take))
			break
		}
		if budget == 0 && i+1 < len(returned) {
			out.NextToken = aws.String(metricDataToken(i+1, 0))
			break
		}
	}
	return out, nil
}

func resultLabel(p *mdqPlan) string {
	if p.q.Label != nil {
		return *p.q.Label
	}
	if p.q.MetricStat != nil {
		return deref(p.q.MetricStat.Metric.MetricName)
	}
	return p.id
}

// planQuery validates query i (0-based) of a GetMetricData request.
func planQuery(i int, q cwtypes.MetricDataQuery) (*mdqPlan, error) {
	path := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
	if q.Id == nil || *q.Id == "" {
		return nil, cwValidation("The parameter %s.Id is required.", path)
	}
	id := *q.Id
	if len(id) > 255 || !metricDataID.MatchString(id) {
		return nil, cwValidation("The value %s for parameter %s.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores.", id, path)
	}
	if q.AccountId != nil {
		return nil, cwValidation("The parameter %s.AccountId is not supported by this emulator (no cross-account observability).", path)
	}
	p := &mdqPlan{q: q, id: id}
	switch {
	case q.MetricStat != nil && q.Expression != nil:
		return nil, cwValidation("The parameters %[1]s.MetricStat and %[1]s.Expression are mutually exclusive and you have specified both.", path)
	case q.MetricStat == nil && q.Expression == nil:
		return nil, cwValidation("Exactly one of %[1]s.MetricStat and %[1]s.Expression must be specified.", path)
	case q.Expression != nil:
		e, err := parseExpr(*q.Expression)
		if err != nil {
			return nil, cwValidation("Error in expression '%s': %s", id, err.Error())
		}
		p.expr = e
		return p, nil
	}
	ms := q.MetricStat
	if ms.Metric == nil {
		return nil, cwValidation("The parameter %s.MetricStat.Metric is required.", path)
	}
	if ms.Metric.Namespace == nil || *ms.Metric.Namespace == "" {
		return nil, cwValidation("The parameter %s.MetricStat.Metric.Namespace is required.", path)
	}
	if ms.Metric.MetricName == nil || *ms.Metric.MetricName == "" {
		return nil, cwValidation("The parameter %s.MetricStat.Metric.MetricName is required.", path)
	}
	if len(ms.Metric.Dimensions) > maxMetricDimensions {
		return nil, cwValidation("The collection %s.MetricStat.Metric.Dimensions must not have a size greater than %d.", path, maxMetricDimensions)
	}
	if ms.Period == nil {
		return nil, cwValidation("The parameter %s.MetricStat.Period is required.", path)
	}
	if !validPeriod(*ms.Period) {
		return nil, cwValidation("The parameter %s.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.", path)
	}
	if ms.Stat == nil || *ms.Stat == "" {
		return nil, cwValidation("The parameter %s.MetricStat.Stat is required.", path)
	}
	stat, ok := parseStat(*ms.Stat)
	if !ok {
		return nil, cwValidation("The value %s for parameter %s.MetricStat.Stat is not supported: the emulator serves Sum, Average, Minimum, Maximum, SampleCount and pNN.", *ms.Stat, path)
	}
	p.stat, p.period = stat, int64(*ms.Period)
	return p, nil
}

// GetMetricData page tokens: the index of the next returned query and the
// offset of its next datapoint.
func metricDataToken(qi, off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("gmd:%d:%d", qi, off)))
}

func parseMetricDataToken(tok *string) (int, int, error) {
	if tok == nil || *tok == "" {
		return 0, 0, nil
	}
	bad := &wire.Error{Code: "InvalidNextToken", Message: "The service couldn't process your next token."}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return 0, 0, bad
	}
	var qi, off int
	if _, err := fmt.Sscanf(string(b), "gmd:%d:%d", &qi, &off); err != nil || qi < 0 || off < 0 {
		return 0, 0, bad
	}
	return qi, off, nil
}

func getMetricStatistics(c *Call, in *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
	for _, r := range []struct {
		name string
		ok   bool
	}{
		{"Namespace", in.Namespace != nil && *in.Namespace != ""},
		{"MetricName", in.MetricName != nil && *in.MetricName != ""},
		{"StartTime", in.StartTime != nil},
		{"EndTime", in.EndTime != nil},
		{"Period", in.Period != nil},
	} {
		if !r.ok {
			return nil, cwMissing(r.name)
		}
	}
	if (len(in.Statistics) == 0) == (len(in.ExtendedStatistics) == 0) {
		return nil, cwCombination("Must specify either Statistics or ExtendedStatistics, but not both.")
	}
	if len(in.Statistics) > 5 || len(in.ExtendedStatistics) > 10 {
		return nil, cwInvalid("The collection Statistics must not have a size greater than 5 and ExtendedStatistics not greater than 10.")
	}
	stats := make([]statistic, 0, len(in.Statistics))
	for _, s := range in.Statistics {
		st, ok := parseStat(string(s))
		if !ok || st.name == "p" {
			return nil, cwInvalid("The parameter Statistics contains an invalid value %s; valid values are SampleCount, Average, Sum, Minimum, Maximum.", s)
		}
		stats = append(stats, st)
	}
	ext := make([]statistic, 0, len(in.ExtendedStatistics))
	for _, s := range in.ExtendedStatistics {
		st, ok := parseStat(s)
		if !ok || st.name != "p" {
			return nil, cwInvalid("The value %s for parameter ExtendedStatistics is not supported: the emulator serves percentiles pNN.NN.", s)
		}
		ext = append(ext, st)
	}
	period := *in.Period
	if !validPeriod(period) {
		return nil, cwInvalid("The parameter Period must be a multiple of 60.")
	}
	start, end := in.StartTime.Unix(), in.EndTime.Unix()
	if start >= end {
		return nil, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	now := c.Now.Unix()
	p := int64(period)
	start = alignStart(start, p, now)
	n := ceilDiv(end-start, p)
	if n > maxStatisticsDatapoint {
		return nil, cwCombination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxStatisticsDatapoint)
	}
	out := &cloudwatch.GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []cwtypes.Datapoint{}}
	m := c.Region.CloudWatch.metrics[metricKey(*in.Namespace, *in.MetricName, in.Dimensions)]
	if m == nil || (in.Unit != "" && in.Unit != m.unit) {
		return out, nil
	}
	buckets := make([]bucket, n)
	m.aggregate(buckets, start, p, now, len(ext) > 0)
	for i := range buckets {
		b := &buckets[i]
		t := start + int64(i)*p
		if b.count == 0 || !retained(t, p, now) {
			continue
		}
		dp := cwtypes.Datapoint{Timestamp: aws.Time(unixTime(t)), Unit: m.unit}
		for _, s := range stats {
			v, _ := s.value(b)
			switch s.name {
			case "Sum":
				dp.Sum = aws.Float64(v)
			case "Average":
				dp.Average = aws.Float64(v)
			case "Minimum":
				dp.Minimum = aws.Float64(v)
			case "Maximum":
				dp.Maximum = aws.Float64(v)
			case "SampleCount":
				dp.SampleCount = aws.Float64(v)
			}
		}
		for k, s := range ext {
			if v, ok := s.value(b); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = map[string]float64{}
				}
				dp.ExtendedStatistics[in.ExtendedStatistics[k]] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	// "Data points are not returned in chronological order": a stable
	// shuffle keeps callers honest without making tests flaky.
	sort.SliceStable(out.Datapoints, func(i, j int) bool {
		return unitHash(7, out.Datapoints[i].Timestamp.Unix()) < unitHash(7, out.Datapoints[j].Timestamp.Unix())
	})
	return out, nil
}

func listMetrics(c *Call, in *cloudwatch.ListMetricsInput) (*cloudwatch.ListMetricsOutput, error) {
	now := c.Now.Unix()
	window := int64(listMetricsWindow)
	switch in.RecentlyActive {
	case "":
	case cwtypes.RecentlyActivePt3h:
		window = recentlyActiveWindow
	default:
		return nil, cwInvalid("The value %s for parameter RecentlyActive is invalid. Valid values: PT3H.", in.RecentlyActive)
	}
	if len(in.Dimensions) > maxDimensionFilters {
		return nil, cwInvalid("The collection Dimensions must not have a size greater than %d.", maxDimensionFilters)
	}
	for i, f := range in.Dimensions {
		if f.Name == nil || *f.Name == "" {
			return nil, cwMissing(fmt.Sprintf("Dimensions.member.%d.Name", i+1))
		}
	}
	if aws.ToBool(in.IncludeLinkedAccounts) || in.OwningAccount != nil {
		return nil, cwInvalid("Cross-account observability (IncludeLinkedAccounts, OwningAccount) is not served by this emulator.")
	}
	off, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, cwInvalid("The value for parameter NextToken is invalid.")
	}
	var match []*metric
	for _, m := range c.Region.CloudWatch.listOrder() {
		if in.Namespace != nil && *in.Namespace != m.namespace {
			continue
		}
		if in.MetricName != nil && *in.MetricName != m.name {
			continue
		}
		if !hasDims(m, in.Dimensions) {
			continue
		}
		if last, ok := m.lastData(now); !ok || last < now-window {
			continue
		}
		match = append(match, m)
	}
	if off > len(match) {
		off = len(match)
	}
	endIdx := off + listMetricsPageSize
	out := &cloudwatch.ListMetricsOutput{Metrics: []cwtypes.Metric{}}
	if endIdx < len(match) {
		out.NextToken = aws.String(pageToken(endIdx))
	} else {
		endIdx = len(match)
	}
	for _, m := range match[off:endIdx] {
		out.Metrics = append(out.Metrics, cwtypes.Metric{
			Namespace: aws.String(m.namespace), MetricName: aws.String(m.name),
			Dimensions: append([]cwtypes.Dimension{}, m.dims...),
		})
	}
	return out, nil
}

// hasDims: the metric has every filter dimension (with the value, when the
// filter gives one). Unlike GetMetricData, ListMetrics filters match
// metrics with more dimensions too.
func hasDims(m *metric, filters []cwtypes.DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range m.dims {
			if deref(d.Name) == *f.Name && (f.Value == nil || *f.Value == deref(d.Value)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
