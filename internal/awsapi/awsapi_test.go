package awsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/version"
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

// TestUserAgentAndEndpoint checks that every request names sagesaver and
// its version and goes to the configured endpoint.
func TestUserAgentAndEndpoint(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg, err := awsapi.LoadConfig(context.Background(), awsapi.Options{
		Region: "eu-west-1", EndpointURL: srv.URL,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := awsapi.NewClients(cfg, "eu-west-1", false)
	if _, err := c.SageMaker.ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) != 1 || !strings.Contains(agents[0], "sagesaver/"+version.String()) {
		t.Errorf("User-Agent %q does not name sagesaver/%s", agents, version.String())
	}
}

// TestRetryerRidesOutThrottling: with the emulator throttling a burst, the
// scan retryer still gets every call through.
func TestRetryerRidesOutThrottling(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.SetFaults(emulator.FaultConfig{Throttle: map[string]emulator.Rate{"sagemaker:ListNotebookInstances": {PerSecond: 20, Burst: 2}}})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	cfg, err := awsapi.LoadConfig(context.Background(), awsapi.Options{
		Region: "us-east-1", EndpointURL: srv.URL,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := awsapi.NewClients(cfg, "us-east-1", false).SageMaker
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := sm.ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("call failed despite retries: %v", err)
		}
	}
	c := emu.Counters()
	if c.Throttled["sagemaker:ListNotebookInstances"] == 0 {
		t.Errorf("no request was throttled; the test did not exercise the retryer (counters %+v)", c)
	}
	if c.Calls["sagemaker:ListNotebookInstances"] <= 20 {
		t.Errorf("calls = %d, want more than 20 (retries)", c.Calls["sagemaker:ListNotebookInstances"])
	}
}
