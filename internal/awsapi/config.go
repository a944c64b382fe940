// Package awsapi is sagesaver's one door to AWS: the aws.Config is built
// here (credential chain, retryer, User-Agent, endpoint override), the
// service clients are constructed here, and api.go lists every AWS call the
// tool makes as small interfaces with the SDK's own signatures, so that a
// reviewer can derive the IAM policy from one file. AWS errors are
// classified in errors.go.
package awsapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/sagesaver/sagesaver/internal/version"
)

// Options select how sagesaver reaches AWS.
type Options struct {
	// Profile is a shared-config profile; "" uses the default chain
	// (env, SSO, shared files, container and instance roles).
	Profile string
	// Region is the home region for global calls and the default for
	// regional clients.
	Region string
	// EndpointURL, when set, sends every call there (the emulator, or an
	// AWS-compatible service). AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
	// are honoured by the SDK itself when this is empty.
	EndpointURL string
	// CloudWatchQuery makes CloudWatch clients speak the query protocol
	// instead of the SDK's default Smithy RPC v2 CBOR.
	CloudWatchQuery bool
	// StaticCredentials, when set, replaces the credential chain (tests and
	// the emulator-backed demo use this; never set it from user input).
	StaticCredentials *aws.Credentials
	// HTTPClient overrides the SDK's HTTP client.
	HTTPClient *http.Client
	// MaxAttempts overrides the retryer's attempt count (0 = our default).
	MaxAttempts int
}

// Retry settings for scans. SageMaker's control-plane APIs throttle bursts
// at roughly 20 requests per second per API per region, and a scan fans out
// over many regions and kinds at once, so throttling is expected rather than
// exceptional: we allow more attempts than the SDK's default of 3 with
// jittered exponential backoff capped at 20 s, and we turn off the SDK's
// client-side retry quota (a 500-token bucket that each throttled retry
// drains by 5), which under a large throttled fan-out would otherwise fail
// requests with "retry quota exceeded" long before AWS stops throttling.
const (
	scanMaxAttempts = 10
	scanMaxBackoff  = 20 * time.Second
)

// NewRetryer returns the retryer described above.
func NewRetryer(maxAttempts int) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = scanMaxAttempts
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = scanMaxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// LoadConfig builds the aws.Config every client is made from.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return NewRetryer(o.MaxAttempts) }),
	}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.StaticCredentials != nil {
		c := *o.StaticCredentials
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if o.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(o.HTTPClient))
	}
	if o.EndpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(o.EndpointURL))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Every request says who sent it: "sagesaver/<version>" in the User-Agent.
	cfg.APIOptions = append(cfg.APIOptions, awsmiddleware.AddUserAgentKeyValue("sagesaver", version.String()))
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// Clients are the service clients for one account and region.
type Clients struct {
	Region     string
	SageMaker  *sagemaker.Client
	CloudWatch *cloudwatch.Client
	SNS        *sns.Client
	STS        *sts.Client
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
	return &Clients{
		Region:     region,
		SageMaker:  sagemaker.NewFromConfig(rc),
		CloudWatch: NewCloudWatch(rc, cloudWatchQuery),
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
	})
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
