package awsconfig

import (
	"context"
	"maps"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the AWS requests made under a context: per
// "service:Operation" (service as the emulator and the IAM policy name it:
// "sagemaker:ListEndpoints", "cloudwatch:GetMetricData"), every attempt
// (retries included, as AWS sees them), and the metrics GetMetricData
// requests asked for (CloudWatch bills $0.01 per 1,000 of them). Every
// client made from a Config that Load returned counts into the Counter of
// the context its calls are made with (WithCounter); calls under a context
// without one are not counted. Safe for concurrent use; the zero value and
// a nil *Counter are ready (a nil one counts nothing).
type Counter struct {
	mu      sync.Mutex
	calls   map[string]int
	metrics int
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{} }

type counterKey struct{}

// WithCounter returns ctx with c attached: the AWS calls made with it (and
// with contexts derived from it) count into c, and into any Counter ctx
// already carried, so that a tick's counter sees every target's calls while
// each target has its own.
func WithCounter(ctx context.Context, c *Counter) context.Context {
	outer, _ := ctx.Value(counterKey{}).([]*Counter)
	all := append(append([]*Counter(nil), outer...), c)
	return context.WithValue(ctx, counterKey{}, all)
}

func counters(ctx context.Context) []*Counter {
	cs, _ := ctx.Value(counterKey{}).([]*Counter)
	return cs
}

// Calls returns a copy of the counts per "service:Operation".
func (c *Counter) Calls() map[string]int {
	if c == nil {
		return map[string]int{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.calls)
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// Total is the sum of Calls.
func (c *Counter) Total() int {
	n := 0
	for _, v := range c.Calls() {
		n += v
	}
	return n
}

// MetricsRequested is the number of metrics the GetMetricData calls that
// succeeded asked for: one per query with a MetricStat, per call (each page
// of a paginated answer is a call).
func (c *Counter) MetricsRequested() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metrics
}

func (c *Counter) addCall(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
}

// AddMetrics adds n metrics requested to the counters of ctx. The
// CloudWatch client (awsapi.NewCloudWatch) calls it for every
// GetMetricData call that succeeded; there is no other caller.
func AddMetrics(ctx context.Context, n int) {
	for _, c := range counters(ctx) {
		c.mu.Lock()
		c.metrics += n
		c.mu.Unlock()
	}
}

// serviceNames maps the SDK's service IDs to the names the emulator
// counts under and IAM actions start with (CloudWatch signs as
// "monitoring", the Tagging API's IAM prefix is "tag"; the emulator's
// names are what the tests compare with).
var serviceNames = map[string]string{
	"SageMaker":                   "sagemaker",
	"CloudWatch":                  "cloudwatch",
	"Application Auto Scaling":    "application-autoscaling",
	"Resource Groups Tagging API": "tagging",
	"Organizations":               "organizations",
	"Pricing":                     "pricing",
	"SNS":                         "sns",
	"STS":                         "sts",
}

// ServiceName is the counter's name for an SDK service ID: the table
// above, else the ID in lower case with dashes for spaces.
func ServiceName(serviceID string) string {
	if n, ok := serviceNames[serviceID]; ok {
		return n
	}
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", "-"))
}

// countCalls is the API option Load adds to every client: after the
// retryer, so that each attempt counts once.
func countCalls(st *middleware.Stack) error {
	return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("sagesaverCountCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if cs := counters(ctx); len(cs) > 0 {
				op := ServiceName(awsmiddleware.GetServiceID(ctx)) + ":" + awsmiddleware.GetOperationName(ctx)
				for _, c := range cs {
					c.addCall(op)
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}
