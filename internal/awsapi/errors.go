package awsapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
)

// Class is what sagesaver does about an AWS error.
type Class int

// The classes.
const (
	// Other is any error not classified below.
	Other Class = iota
	// NotFound: the resource does not exist (any more).
	NotFound
	// Throttled: rate exceeded, even after the retryer's attempts.
	Throttled
	// AccessDenied: the caller may not do this here (IAM, SCP).
	AccessDenied
	// RegionDisabled: an opt-in region that is not enabled for the account.
	RegionDisabled
	// InvalidState: the resource is in a status that forbids the call
	// (e.g. StopNotebookInstance on a Stopped instance).
	InvalidState
	// Canceled: the context was canceled or timed out.
	Canceled
	// Unreachable: the call got no answer (host not found, connection
	// refused, TLS failure, timeout, unusable endpoint URL); see
	// awsconfig.Unreachable for which.
	Unreachable
)

func (c Class) String() string {
	return [...]string{"error", "not found", "throttled", "access denied", "region not enabled", "invalid state", "canceled", "unreachable"}[c]
}

// Classify sorts err into a Class. SageMaker reports a missing resource as a
// ValidationException whose message says so ("Could not find endpoint",
// "RecordNotFound", "does not exist"), not as a dedicated code, so the
// message is inspected too.
func Classify(err error) Class {
	if err == nil {
		return Other
	}
	// Before Canceled: an attempt that timed out wraps DeadlineExceeded.
	if awsconfig.Unreachable(err) != awsconfig.Reached {
		return Unreachable
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	var qe *retry.MaxAttemptsError
	_ = errors.As(err, &qe) // the wrapped API error is still reachable below
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return Other
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	switch code {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
		"RequestThrottled", "RequestThrottledException", "ThrottledException", "SlowDown":
		return Throttled
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AuthorizationError":
		return AccessDenied
	case "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired":
		return RegionDisabled
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound", "NotFoundException", "NoSuchEntity":
		return NotFound
	case "ValidationException", "ValidationError":
		switch {
		case strings.Contains(msg, "Could not find"), strings.Contains(msg, "RecordNotFound"),
			strings.Contains(msg, "does not exist"), strings.Contains(msg, "not found"):
			return NotFound
		case strings.Contains(msg, "Unable to transition"), strings.Contains(msg, "Cannot update in-progress"),
			strings.Contains(msg, "is not in a valid state"), strings.Contains(msg, "The request was rejected because"):
			return InvalidState
		}
	}
	return Other
}

// credentialCodes are the error codes AWS answers a request with when its
// credentials are wrong, expired or missing.
var credentialCodes = map[string]bool{
	"InvalidClientTokenId": true, "UnrecognizedClientException": true, "SignatureDoesNotMatch": true,
	"IncompleteSignature": true, "InvalidAccessKeyId": true, "AuthFailure": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true,
	"MissingAuthenticationToken": true, "InvalidSignatureException": true,
}

// IsCredentialError reports whether err says the caller's credentials
// could not be found, loaded or used.
func IsCredentialError(err error) bool {
	var se *v4.SigningError
	if errors.As(err, &se) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && credentialCodes[ae.ErrorCode()] {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "get identity: get credentials")
}

// Hint is what to do about err, one AWS call's failure, in the words of its
// cause: where the endpoint could not be reached, why (with timeout, the
// --aws-timeout in force); "check your AWS credentials" only for a
// credential problem; "" when there is nothing more useful to say.
func Hint(err error, timeout time.Duration) string {
	switch {
	case err == nil:
		return ""
	case Classify(err) == Unreachable:
		return awsconfig.Explain(err, timeout)
	case IsCredentialError(err):
		return "check your AWS credentials (AWS_PROFILE, --profile, aws sso login, or the instance's role)"
	case Classify(err) == AccessDenied:
		return "the credentials work but lack a permission (internal/awsapi/api.go lists every call sagesaver makes; docs/scan.md the IAM actions)"
	}
	return ""
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return Classify(err) == NotFound }

// IsThrottled reports whether err is a throttling error.
func IsThrottled(err error) bool { return Classify(err) == Throttled }

// IsAccessDenied reports whether err is an authorization failure.
func IsAccessDenied(err error) bool { return Classify(err) == AccessDenied }
