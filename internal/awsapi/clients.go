// Package awsapi is sagesaver's door to AWS services: the service clients
// are constructed here (from the aws.Config that internal/awsconfig builds),
// api.go lists every AWS call the tool makes as small interfaces with the
// SDK's own signatures, so that a reviewer can derive the IAM policy from
// one file, and errors.go classifies AWS errors.
package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
)

// Clients are the service clients for one account and region.
type Clients struct {
	Region     string
	SageMaker  *sagemaker.Client
	CloudWatch *cloudwatch.Client
	// Metrics reads CloudWatch: CloudWatch itself, or, for the targets of
	// a run, a CloudWatchProtocol's client (which falls back to awsQuery
	// on an endpoint without CBOR).
	Metrics Metrics
	SNS     *sns.Client
	STS     *sts.Client
	// ApplicationAutoScaling reads endpoint variants' scaling targets.
	ApplicationAutoScaling *applicationautoscaling.Client
	// Tagging is the Resource Groups Tagging API (GetResources).
	Tagging *resourcegroupstaggingapi.Client
}

// NewClients makes every client for region from cfg.
func NewClients(cfg aws.Config, region string, cloudWatchQuery bool) *Clients {
	regional := func(r string) func(*aws.Config) { return func(c *aws.Config) { c.Region = r } }
	rc := cfg.Copy()
	regional(region)(&rc)
	cw := NewCloudWatch(rc, cloudWatchQuery)
	return &Clients{
		Region:     region,
		SageMaker:  sagemaker.NewFromConfig(rc),
		CloudWatch: cw,
		Metrics:    cw,
		SNS:        sns.NewFromConfig(rc),
		STS:        sts.NewFromConfig(rc),

		ApplicationAutoScaling: applicationautoscaling.NewFromConfig(rc),
		Tagging:                resourcegroupstaggingapi.NewFromConfig(rc),
	}
}

// NewCloudWatch returns a CloudWatch client speaking RPC v2 CBOR (the SDK's
// default) or, when query is true, the older awsQuery protocol that some
// AWS-compatible endpoints still require.
func NewCloudWatch(cfg aws.Config, query bool) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if query {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}
		o.APIOptions = append(o.APIOptions, countMetrics)
	})
}

// countMetrics adds the metrics a GetMetricData call that succeeded asked
// for (one per query with a MetricStat, as CloudWatch bills them) to the
// awsconfig.Counter of its context.
func countMetrics(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("sagesaverCountMetrics",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if q, ok := in.Parameters.(*cloudwatch.GetMetricDataInput); ok && err == nil {
				n := 0
				for _, d := range q.MetricDataQueries {
					if d.MetricStat != nil {
						n++
					}
				}
				awsconfig.AddMetrics(ctx, n)
			}
			return out, md, err
		}), middleware.After)
}

// PriceListRegion is where sagesaver calls the Price List API: it is served
// from us-east-1 (and a few other regions) only, whatever the prices'
// region.
const PriceListRegion = "us-east-1"

// NewOrganizations returns an AWS Organizations client (a global service,
// reached through us-east-1).
func NewOrganizations(cfg aws.Config) *organizations.Client {
	c := cfg.Copy()
	c.Region = "us-east-1"
	return organizations.NewFromConfig(c)
}

// NewPriceList returns a Price List API client in PriceListRegion.
func NewPriceList(cfg aws.Config) *pricing.Client {
	c := cfg.Copy()
	c.Region = PriceListRegion
	return pricing.NewFromConfig(c)
}
