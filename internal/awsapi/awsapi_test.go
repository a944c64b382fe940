package awsapi_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/awsapi"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code, msg string
		want      awsapi.Class
	}{
		{"ValidationException", `Could not find endpoint "arn:aws:sagemaker:us-east-1:1:endpoint/x".`, awsapi.NotFound},
		{"ValidationException", "RecordNotFound", awsapi.NotFound},
		{"ValidationException", "Status (Stopped) not in ([InService]). Unable to transition to (Stopping) for Notebook Instance (arn)", awsapi.InvalidState},
		{"ValidationException", "The request was rejected because the training job is in status Completed.", awsapi.InvalidState},
		{"ValidationException", "1 validation error detected", awsapi.Other},
		{"ThrottlingException", "Rate exceeded", awsapi.Throttled},
		{"Throttling", "Rate exceeded", awsapi.Throttled},
		{"AccessDeniedException", "no", awsapi.AccessDenied},
		{"AccessDenied", "no", awsapi.AccessDenied},
		{"UnrecognizedClientException", "The security token included in the request is invalid.", awsapi.RegionDisabled},
		{"InternalFailure", "boom", awsapi.Other},
	}
	for _, tt := range tests {
		err := &smithy.GenericAPIError{Code: tt.code, Message: tt.msg}
		if got := awsapi.Classify(err); got != tt.want {
			t.Errorf("Classify(%s: %s) = %v, want %v", tt.code, tt.msg, got, tt.want)
		}
	}
	if got := awsapi.Classify(context.Canceled); got != awsapi.Canceled {
		t.Errorf("Classify(context.Canceled) = %v", got)
	}
	if got := awsapi.Classify(errors.New("plain")); got != awsapi.Other {
		t.Errorf("Classify(plain) = %v", got)
	}
}

// TestHintMatchesCause: "check your AWS credentials" only for credential
// errors; an endpoint that cannot be reached says so, with the endpoint.
func TestHintMatchesCause(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	refused := &url.Error{Op: "Post", URL: "http://" + closed + "/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	timedOut := &url.Error{Op: "Post", URL: "http://" + closed + "/", Err: context.DeadlineExceeded}
	tests := []struct {
		name    string
		err     error
		class   awsapi.Class
		want    string
		wantNot string
	}{
		{"refused", refused, awsapi.Unreachable, "refused", "credentials"},
		{"timeout", timedOut, awsapi.Unreachable, "within 5s", "credentials"},
		{"canceled", context.Canceled, awsapi.Canceled, "", "credentials"},
		{"bad token", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}, awsapi.RegionDisabled, "check your AWS credentials", ""},
		{"expired", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}, awsapi.Other, "check your AWS credentials", ""},
		{"no credentials", &v4.SigningError{Err: errors.New("failed to retrieve credentials: no EC2 IMDS role found")}, awsapi.Other, "check your AWS credentials", ""},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}, awsapi.AccessDenied, "lack a permission", "check your AWS credentials"},
		{"internal", &smithy.GenericAPIError{Code: "InternalFailure", Message: "boom"}, awsapi.Other, "", "credentials"},
	}
	for _, tt := range tests {
		if got := awsapi.Classify(tt.err); got != tt.class {
			t.Errorf("%s: Classify = %v, want %v", tt.name, got, tt.class)
		}
		h := awsapi.Hint(tt.err, 5*time.Second)
		if (tt.want == "" && h != "") || !strings.Contains(h, tt.want) || (tt.wantNot != "" && strings.Contains(h, tt.wantNot)) {
			t.Errorf("%s: Hint = %q, want %q and not %q", tt.name, h, tt.want, tt.wantNot)
		}
	}
}
