package awsconfig_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/version"
)

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
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region: "eu-west-1", EndpointURL: srv.URL,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sagemaker.NewFromConfig(cfg).ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{}); err != nil {
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
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region: "us-east-1", EndpointURL: srv.URL,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := sagemaker.NewFromConfig(cfg)
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
