// Package awsconfig builds the aws.Config every sagesaver AWS client is made
// from: the SDK's credential chain (or a profile), the retryer, the
// "sagesaver/<version>" User-Agent, an optional endpoint override and the
// request counting of a context's Counter (count.go). It
// imports no service client, so that the on-instance agent build links only
// the SageMaker client it needs; the clients themselves and the list of
// every call are in internal/awsapi.
package awsconfig

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	sdkconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

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
	// StaticCredentials, when set, replaces the credential chain (tests and
	// the emulator-backed demo use this; never set it from user input).
	StaticCredentials *aws.Credentials
	// HTTPClient overrides the SDK's HTTP client.
	HTTPClient *http.Client
	// MaxAttempts overrides the retryer's attempt count (0 = our default).
	MaxAttempts int
	// Timeout bounds one attempt of every call, and each of its phases
	// (connect, TLS handshake, response headers) at most so (0 =
	// DefaultTimeout). Not applied to a caller's HTTPClient.
	Timeout time.Duration
	// Log receives the SDK's own log lines at debug level; nil drops them.
	Log *slog.Logger
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

// NewRetryer returns the retryer described above; calls that cannot reach
// their endpoint at all get netMaxAttempts attempts only.
func NewRetryer(maxAttempts int) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = scanMaxAttempts
	}
	return netRetryer{retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = scanMaxBackoff
		o.RateLimiter = ratelimit.None
	})}
}

// Load builds the aws.Config every client is made from.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	opts := []func(*sdkconfig.LoadOptions) error{
		sdkconfig.WithRetryer(func() aws.Retryer { return NewRetryer(o.MaxAttempts) }),
		sdkconfig.WithLogger(sdkLogger(o.Log)),
	}
	if o.Profile != "" {
		opts = append(opts, sdkconfig.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, sdkconfig.WithRegion(o.Region))
	}
	if o.StaticCredentials != nil {
		c := *o.StaticCredentials
		opts = append(opts, sdkconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if o.HTTPClient != nil {
		opts = append(opts, sdkconfig.WithHTTPClient(o.HTTPClient))
	} else {
		timeout := o.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		opts = append(opts, sdkconfig.WithHTTPClient(newHTTPClient(timeout)))
	}
	if o.EndpointURL != "" {
		opts = append(opts, sdkconfig.WithBaseEndpoint(o.EndpointURL))
	}
	cfg, err := sdkconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Every request says who sent it: "sagesaver/<version>" in the User-Agent.
	cfg.APIOptions = append(cfg.APIOptions, awsmiddleware.AddUserAgentKeyValue("sagesaver", version.String()))
	// Every attempt counts into the Counter of its context (WithCounter).
	cfg.APIOptions = append(cfg.APIOptions, countCalls)
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}
