package awsapi

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
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
)

func (c Class) String() string {
	return [...]string{"error", "not found", "throttled", "access denied", "region not enabled", "invalid state", "canceled"}[c]
}

// Classify sorts err into a Class. SageMaker reports a missing resource as a
// ValidationException whose message says so ("Could not find endpoint",
// "RecordNotFound", "does not exist"), not as a dedicated code, so the
// message is inspected too.
func Classify(err error) Class {
	if err == nil {
		return Other
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

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return Classify(err) == NotFound }

// IsThrottled reports whether err is a throttling error.
func IsThrottled(err error) bool { return Classify(err) == Throttled }

// IsAccessDenied reports whether err is an authorization failure.
func IsAccessDenied(err error) bool { return Classify(err) == AccessDenied }
