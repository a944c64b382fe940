package awsapi_test

import (
	"context"
	"errors"
	"testing"

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
