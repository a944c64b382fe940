// Package sagemakerapi is the on-instance agent's SageMaker client: the six
// calls the agent makes (StopNotebookInstance, DescribeNotebookInstance,
// DeleteApp, DescribeApp, AddTags, ListTags), sent over SageMaker's JSON 1.1
// protocol with aws-sdk-go-v2's credential chain (the aws.Config from
// internal/awsconfig), its SigV4 signer, its retryer and its HTTP client.
//
// Why not the SDK's sagemaker package, which everything else uses: it
// carries the schemas of all of SageMaker's ~400 operations, built at program
// start (3.8 MB of heap in 20,000 allocations) whether or not they are used;
// with their code that is about 6 MB of resident memory, a third of the
// agent's 20 MB budget (BENCHMARKS.md, docs/DEPENDENCIES.md). The wire format
// of these six calls is small and fixed; the tests check it against the
// emulator, which decodes requests into the SDK's own input types.
package sagemakerapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/version"
)

// signingName is SageMaker's SigV4 service name; targetPrefix is its JSON
// 1.1 X-Amz-Target prefix.
const (
	signingName  = "sagemaker"
	targetPrefix = "SageMaker."
)

// maxResponse bounds what is read of a response body: the answers are
// a few hundred bytes; a DescribeNotebookInstance is under 4 KB.
const maxResponse = 1 << 20

// Client calls SageMaker. It is safe for concurrent use.
type Client struct {
	cfg      aws.Config
	endpoint string
	signer   *v4.Signer
	http     aws.HTTPClient
	retryer  aws.Retryer
}

// New returns a client for cfg's region and credentials. The endpoint is
// AWS_ENDPOINT_URL_SAGEMAKER when set, else cfg.BaseEndpoint (the
// --endpoint-url flag, the agent config's endpointURL or AWS_ENDPOINT_URL),
// else SageMaker's regional endpoint, https://api.sagemaker.REGION.SUFFIX,
// which is also the name an interface VPC endpoint's private DNS answers
// for.
func New(cfg aws.Config) (*Client, error) {
	ep, err := endpoint(cfg, os.Getenv)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, endpoint: strings.TrimSuffix(ep, "/"), signer: v4.NewSigner(), http: cfg.HTTPClient, retryer: retry.NewStandard()}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	}
	return c, nil
}

func endpoint(cfg aws.Config, getenv func(string) string) (string, error) {
	if v := getenv("AWS_ENDPOINT_URL_SAGEMAKER"); v != "" && !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return v, nil
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint, nil
	}
	if !validRegion(cfg.Region) {
		return "", fmt.Errorf("sagemaker: invalid region %q", cfg.Region)
	}
	return "https://api.sagemaker." + cfg.Region + "." + dnsSuffix(cfg.Region), nil
}

// dnsSuffix is the DNS suffix of region's AWS partition.
func dnsSuffix(region string) string {
	for _, p := range []struct{ prefix, suffix string }{
		{"cn-", "amazonaws.com.cn"},
		{"us-isob-", "sc2s.sgov.gov"},
		{"us-isof-", "csp.hci.ic.gov"},
		{"us-iso-", "c2s.ic.gov"},
		{"eu-isoe-", "cloud.adc-e.uk"},
		{"eusc-", "amazonaws.eu"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.suffix
		}
	}
	return "amazonaws.com"
}

// validRegion reports whether region is one DNS label of letters, digits
// and hyphens, as the SDK's endpoint rules require.
func validRegion(region string) bool {
	if region == "" || len(region) > 63 || region[0] == '-' {
		return false
	}
	for _, r := range region {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// App names a Studio app.
type App struct {
	DomainID        string `json:"DomainId"`
	UserProfileName string `json:"UserProfileName,omitempty"`
	SpaceName       string `json:"SpaceName,omitempty"`
	AppType         string `json:"AppType"`
	AppName         string `json:"AppName"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// StopNotebookInstance asks to stop an InService notebook instance; in
// any other status SageMaker answers a ValidationException.
func (c *Client) StopNotebookInstance(ctx context.Context, name string) error {
	return c.call(ctx, "StopNotebookInstance", struct {
		NotebookInstanceName string
	}{name}, nil)
}

// DescribeNotebookInstance returns a notebook instance's status
// (Pending, InService, Stopping, Stopped, ...).
func (c *Client) DescribeNotebookInstance(ctx context.Context, name string) (string, error) {
	var out struct{ NotebookInstanceStatus string }
	err := c.call(ctx, "DescribeNotebookInstance", struct {
		NotebookInstanceName string
	}{name}, &out)
	return out.NotebookInstanceStatus, err
}

// DeleteApp deletes a Studio app; its space or user profile stays.
func (c *Client) DeleteApp(ctx context.Context, app App) error {
	return c.call(ctx, "DeleteApp", app, nil)
}

// DescribeApp returns a Studio app's status (InService, Deleting,
// Deleted, ...).
func (c *Client) DescribeApp(ctx context.Context, app App) (string, error) {
	var out struct{ Status string }
	err := c.call(ctx, "DescribeApp", app, &out)
	return out.Status, err
}

// AddTags adds or overwrites tags on a SageMaker resource.
func (c *Client) AddTags(ctx context.Context, arn string, tags ...Tag) error {
	return c.call(ctx, "AddTags", struct {
		ResourceArn string
		Tags        []Tag
	}{arn, tags}, nil)
}

// ListTags returns a SageMaker resource's tags.
func (c *Client) ListTags(ctx context.Context, arn string) ([]Tag, error) {
	var tags []Tag
	token := ""
	for {
		var out struct {
			Tags      []Tag
			NextToken string
		}
		err := c.call(ctx, "ListTags", struct {
			ResourceArn string
			NextToken   string `json:",omitempty"`
		}{arn, token}, &out)
		if err != nil {
			return nil, err
		}
		tags = append(tags, out.Tags...)
		if out.NextToken == "" || out.NextToken == token {
			return tags, nil
		}
		token = out.NextToken
	}
}

// call sends one operation, retrying what the retryer says is retryable
// (throttling, 5xx, broken connections) with its backoff, and decodes the
// answer into out (nil: ignore it).
func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("sagemaker %s: %w", op, err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	for attempt := 1; ; attempt++ {
		err = c.send(ctx, op, body, hash, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || attempt >= c.retryer.MaxAttempts() || !c.retryer.IsErrorRetryable(err) {
			return fmt.Errorf("sagemaker %s: %w", op, err)
		}
		delay, derr := c.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return fmt.Errorf("sagemaker %s: %w", op, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sagemaker %s: %w", op, err)
		case <-t.C:
		}
	}
}

func (c *Client) send(ctx context.Context, op string, body []byte, hash string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("User-Agent", "sagesaver/"+version.String()+" (agent)")
	if c.cfg.Credentials == nil {
		return errors.New("no AWS credentials")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hash, signingName, c.cfg.Region, time.Now().UTC()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &connError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &connError{err}
	}
	if resp.StatusCode/100 != 2 {
		return apiError(resp, b)
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// connError is a request that got no complete answer; the SDK's retryer
// retries it (like the SDK's own clients do).
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// RetryableError marks it retryable for the SDK's retryer.
func (e *connError) RetryableError() bool { return true }

// Error is an error SageMaker answered with. It satisfies smithy.APIError
// (so errors.As with *smithy.APIError-aware code and the SDK's retryer,
// which retries throttling codes and 5xx statuses, both understand it).
type Error struct {
	Code       string
	Message    string
	StatusCode int
	RequestID  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, api error %s: %s", e.StatusCode, e.RequestID, e.Code, e.Message)
}

// ErrorCode is the AWS error code, such as ValidationException.
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage is the error's message.
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorFault says whether the server or the client is at fault.
func (e *Error) ErrorFault() smithy.ErrorFault {
	if e.StatusCode >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode is the response's status code.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

var _ smithy.APIError = (*Error)(nil)

// apiError decodes a JSON 1.1 error: the code is in the X-Amzn-ErrorType
// header or the body's __type ("com.amazonaws.sagemaker#ValidationException"
// or "ValidationException:http://..."), the message in message or Message.
func apiError(resp *http.Response, body []byte) error {
	var e struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code := resp.Header.Get("X-Amzn-ErrorType")
	for _, c := range []string{e.Type, e.Code} {
		if code == "" {
			code = c
		}
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	return &Error{Code: code, Message: msg, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-RequestId")}
}
