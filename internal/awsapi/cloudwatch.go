package awsapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go"
)

// CloudWatchProtocol is CloudWatch's wire protocol for one run. It starts
// with RPC v2 CBOR (the SDK's default, what AWS serves) unless told to use
// awsQuery, and switches to awsQuery for the rest of the run, once, the
// first time an endpoint answers a CBOR request as an endpoint without
// CBOR does (some AWS-compatible endpoints lack it): a 404 or a body that
// is not CBOR. Safe for concurrent use; share one per run.
type CloudWatchProtocol struct {
	log   *slog.Logger
	query atomic.Bool
	once  sync.Once
}

// NewCloudWatchProtocol starts a run's protocol: awsQuery from the start
// when query is true. log receives the one info line of a fallback.
func NewCloudWatchProtocol(query bool, log *slog.Logger) *CloudWatchProtocol {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &CloudWatchProtocol{log: log}
	p.query.Store(query)
	return p
}

// Query reports whether the run speaks awsQuery to CloudWatch (from the
// start, or since a fallback).
func (p *CloudWatchProtocol) Query() bool { return p.query.Load() }

// Client returns a CloudWatch client for cfg (its region) that speaks the
// run's protocol and falls back as the type's comment says.
func (p *CloudWatchProtocol) Client(cfg aws.Config) *CloudWatchClient {
	return &CloudWatchClient{p: p, cbor: NewCloudWatch(cfg, false), query: NewCloudWatch(cfg, true), endpoint: aws.ToString(cfg.BaseEndpoint)}
}

// CloudWatchClient is a CloudWatch client of a CloudWatchProtocol. It
// implements Metrics and MetricWriter.
type CloudWatchClient struct {
	p           *CloudWatchProtocol
	cbor, query *cloudwatch.Client
	endpoint    string
}

var (
	_ Metrics      = (*CloudWatchClient)(nil)
	_ MetricWriter = (*CloudWatchClient)(nil)
)

// GetMetricData implements Metrics.
func (c *CloudWatchClient) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	return callCloudWatch(ctx, c, func(cl *cloudwatch.Client) (*cloudwatch.GetMetricDataOutput, error) {
		return cl.GetMetricData(ctx, in, opts...)
	})
}

// ListMetrics implements Metrics.
func (c *CloudWatchClient) ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	return callCloudWatch(ctx, c, func(cl *cloudwatch.Client) (*cloudwatch.ListMetricsOutput, error) {
		return cl.ListMetrics(ctx, in, opts...)
	})
}

// PutMetricData implements MetricWriter.
func (c *CloudWatchClient) PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	return callCloudWatch(ctx, c, func(cl *cloudwatch.Client) (*cloudwatch.PutMetricDataOutput, error) {
		return cl.PutMetricData(ctx, in, opts...)
	})
}

func callCloudWatch[T any](ctx context.Context, c *CloudWatchClient, call func(*cloudwatch.Client) (T, error)) (T, error) {
	if c.p.query.Load() {
		return call(c.query)
	}
	out, err := call(c.cbor)
	if err == nil || !CBORUnsupported(err) {
		return out, err
	}
	c.p.once.Do(func() {
		c.p.query.Store(true)
		c.p.log.InfoContext(ctx, "the endpoint does not speak CloudWatch's RPC v2 CBOR protocol; using the query protocol for the rest of the run (set --cloudwatch-protocol query to skip this check)",
			"endpoint", c.endpoint, "err", err)
	})
	return call(c.query)
}

// CBORUnsupported reports whether err is how an endpoint without Smithy RPC
// v2 CBOR answers a CBOR request: not found (404, or 415 for the media
// type), or a response body that is not CBOR at all (an XML or JSON error
// page, which the SDK fails to decode: "unexpected minor value 28").
func CBORUnsupported(err error) bool {
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound, http.StatusUnsupportedMediaType:
			return true
		}
	}
	return false
}
