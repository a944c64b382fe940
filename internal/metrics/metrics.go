// Package metrics fetches CloudWatch metric statistics for many resources
// at once with GetMetricData: up to awsapi.MaxMetricDataQueries queries a
// call, batched across every resource of one account and region, pages
// followed with the SDK's paginator. The metric API calls of a scan so grow
// as N/500, not N (one call per endpoint, as a naive script makes).
//
// Errors never look like "no traffic": a call that fails (throttled past
// the retryer's attempts, access denied) marks every query of its batch
// with Err, and a query CloudWatch did not answer completely is not
// Complete. The idle detectors turn both into Unknown.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagesaver/sagesaver/internal/awsapi"
)

// Dimension is a CloudWatch dimension. A query matches only the exact set
// of dimensions it names.
type Dimension struct {
	Name, Value string
}

// Query is one statistic of one metric of one resource.
type Query struct {
	Namespace  string
	Metric     string
	Dimensions []Dimension
	// Stat is a CloudWatch statistic: Sum, Maximum, Minimum, Average,
	// SampleCount or a percentile such as p90.
	Stat string
}

// String names the query for messages: "AWS/SageMaker Invocations
// EndpointName=a,VariantName=b Sum".
func (q Query) String() string {
	s := q.Namespace + " " + q.Metric + " "
	for i, d := range q.Dimensions {
		if i > 0 {
			s += ","
		}
		s += d.Name + "=" + d.Value
	}
	return s + " " + q.Stat
}

// Result is CloudWatch's answer to one Query over a Window.
type Result struct {
	Query Query
	// Timestamps (ascending) and Values are the datapoints, one per
	// period with data.
	Timestamps []time.Time
	Values     []float64
	// Complete is true when CloudWatch answered the query in full
	// (StatusCode Complete on its last page). Only a complete result
	// without datapoints means "no data was published".
	Complete bool
	// Err is why the query has no answer: the call failed (throttled past
	// retries, access denied, canceled) or CloudWatch reported an error
	// status for this query. Err != nil implies !Complete.
	Err error
}

// Sum returns the sum of the values (0 without datapoints).
func (r Result) Sum() float64 {
	s := 0.0
	for _, v := range r.Values {
		s += v
	}
	return s
}

// Max returns the largest value (0 without datapoints).
func (r Result) Max() float64 {
	m := 0.0
	for i, v := range r.Values {
		if i == 0 || v > m {
			m = v
		}
	}
	return m
}

// Mean returns the mean of the values and false without datapoints.
func (r Result) Mean() (float64, bool) {
	if len(r.Values) == 0 {
		return 0, false
	}
	return r.Sum() / float64(len(r.Values)), true
}

// Window is the time range [Start, End) queried, in buckets of Period.
type Window struct {
	Start, End time.Time
	Period     time.Duration
}

// Length is End - Start.
func (w Window) Length() time.Duration { return w.End.Sub(w.Start) }

// NewWindow returns the window of the given length ending at now, cut to
// the whole minute (CloudWatch aligns to minutes), with the coarsest
// period among 1 h, 5 min and 1 min that divides the length. Hourly
// buckets keep 500 queries x 24 h at 12,000 datapoints, far under a page's
// 100,800, and stay queryable for 455 days; the finer periods are only for
// windows that are not whole hours. Windows longer than a full batch fits
// in one page at 1 h (201 hours) get a period of whole hours that does:
// 4 h for 30 days, so that a batch stays one call.
func NewWindow(now time.Time, length time.Duration) Window {
	end := now.UTC().Truncate(time.Minute)
	length = length.Truncate(time.Minute)
	if length < time.Minute {
		length = time.Minute
	}
	period := time.Minute
	for _, p := range []time.Duration{time.Hour, 5 * time.Minute} {
		if length%p == 0 {
			period = p
			break
		}
	}
	if perQuery := int64(awsapi.MaxDatapointsPerPage / awsapi.MaxMetricDataQueries); int64(length/period) > perQuery && length >= time.Hour {
		hours := int64((length + time.Hour - 1) / time.Hour)
		period = time.Duration((hours+perQuery-1)/perQuery) * time.Hour
	}
	return Window{Start: end.Add(-length), End: end, Period: period}
}

// Option configures a Fetcher.
type Option func(*Fetcher)

// WithBatchSize sets the queries per GetMetricData call (at most, and by
// default, awsapi.MaxMetricDataQueries).
func WithBatchSize(n int) Option {
	return func(f *Fetcher) {
		if n > 0 && n <= awsapi.MaxMetricDataQueries {
			f.batch = n
		}
	}
}

// WithParallel sets how many GetMetricData calls run at once (default 2:
// GetMetricData allows 50 transactions per second per region, and one call
// of 500 queries is already most of a scan's metric work).
func WithParallel(n int) Option {
	return func(f *Fetcher) {
		if n > 0 {
			f.parallel = n
		}
	}
}

// Fetcher fetches metric statistics from one account and region.
type Fetcher struct {
	cw       awsapi.Metrics
	batch    int
	parallel int
}

// New returns a Fetcher reading from cw (one account and region).
func New(cw awsapi.Metrics, opts ...Option) *Fetcher {
	f := &Fetcher{cw: cw, batch: awsapi.MaxMetricDataQueries, parallel: 2}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Fetch answers every query over w, in the order given. It makes
// ceil(len(qs)/batch) GetMetricData calls (plus any further pages) and never
// fails as a whole: each Result carries its own Err.
func (f *Fetcher) Fetch(ctx context.Context, w Window, qs []Query) []Result {
	out := make([]Result, len(qs))
	for i, q := range qs {
		out[i].Query = q
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.parallel)
	for lo := 0; lo < len(qs); lo += f.batch {
		hi := min(lo+f.batch, len(qs))
		g.Go(func() error {
			f.fetchBatch(gctx, w, out[lo:hi])
			return nil
		})
	}
	_ = g.Wait() // batches record their errors in their results
	return out
}

// fetchBatch answers up to f.batch queries with one paginated call.
func (f *Fetcher) fetchBatch(ctx context.Context, w Window, rs []Result) {
	period := int32(w.Period / time.Second)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(w.Start),
		EndTime:   aws.Time(w.End),
		ScanBy:    cwtypes.ScanByTimestampAscending,
	}
	for i := range rs {
		q := rs[i].Query
		dims := make([]cwtypes.Dimension, len(q.Dimensions))
		for j, d := range q.Dimensions {
			dims[j] = cwtypes.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)}
		}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(queryID(i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Metric), Dimensions: dims},
				Period: aws.Int32(period),
				Stat:   aws.String(q.Stat),
			},
			ReturnData: aws.Bool(true),
		})
	}
	status := make([]cwtypes.StatusCode, len(rs))
	p := cloudwatch.NewGetMetricDataPaginator(f.cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			err = fmt.Errorf("get metric data (%d queries): %w", len(rs), err)
			for i := range rs {
				rs[i] = Result{Query: rs[i].Query, Err: err}
			}
			return
		}
		for _, r := range page.MetricDataResults {
			i, ok := parseQueryID(aws.ToString(r.Id), len(rs))
			if !ok {
				continue
			}
			rs[i].Timestamps = append(rs[i].Timestamps, r.Timestamps...)
			rs[i].Values = append(rs[i].Values, r.Values...)
			status[i] = r.StatusCode
			if r.StatusCode == cwtypes.StatusCodeForbidden || r.StatusCode == cwtypes.StatusCodeInternalError {
				rs[i].Err = fmt.Errorf("%s: CloudWatch status %s%s", rs[i].Query, r.StatusCode, messages(r.Messages))
			}
		}
	}
	for i := range rs {
		rs[i].Complete = rs[i].Err == nil && status[i] == cwtypes.StatusCodeComplete
		if status[i] == "" && rs[i].Err == nil {
			rs[i].Err = fmt.Errorf("%s: %w", rs[i].Query, ErrNoResult)
		}
		sortByTime(&rs[i])
	}
}

// ErrNoResult: GetMetricData returned no result for a query it was sent.
var ErrNoResult = errors.New("no result returned for the query")

func messages(ms []cwtypes.MessageData) string {
	s := ""
	for _, m := range ms {
		s += ": " + aws.ToString(m.Code) + " " + aws.ToString(m.Value)
	}
	return s
}

// queryID is the GetMetricData Id of the i-th query of a batch (Ids must
// start with a lower-case letter).
func queryID(i int) string { return "q" + strconv.Itoa(i) }

func parseQueryID(id string, n int) (int, bool) {
	if len(id) < 2 || id[0] != 'q' {
		return 0, false
	}
	i, err := strconv.Atoi(id[1:])
	return i, err == nil && i >= 0 && i < n
}

func sortByTime(r *Result) {
	if sort.SliceIsSorted(r.Timestamps, func(i, j int) bool { return r.Timestamps[i].Before(r.Timestamps[j]) }) {
		return
	}
	idx := make([]int, len(r.Timestamps))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return r.Timestamps[idx[a]].Before(r.Timestamps[idx[b]]) })
	ts, vs := make([]time.Time, len(idx)), make([]float64, len(idx))
	for k, i := range idx {
		ts[k], vs[k] = r.Timestamps[i], r.Values[i]
	}
	r.Timestamps, r.Values = ts, vs
}
