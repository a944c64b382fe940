// Package emulatortest starts the emulator for tests and hands out real
// aws-sdk-go-v2 clients pointed at it.
package emulatortest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
)

// Env is a running emulator and an aws.Config that reaches it.
type Env struct {
	Emu *emulator.Server
	URL string
	Cfg aws.Config
}

// Start serves a new emulator (optionally loaded with scenario YAML) on a
// loopback port for the duration of the test.
func Start(t testing.TB, scenarioYAML string) *Env {
	t.Helper()
	return StartWith(t, emulator.Options{}, scenarioYAML)
}

// StartWith is Start with emulator options (e.g. NoCBOR).
func StartWith(t testing.TB, opts emulator.Options, scenarioYAML string) *Env {
	t.Helper()
	emu := emulator.New(opts)
	if scenarioYAML != "" {
		sc, err := emulator.ParseScenario(t.Name()+".yaml", []byte(scenarioYAML))
		if err != nil {
			t.Fatalf("scenario: %v", err)
		}
		if err := emu.Load(sc); err != nil {
			t.Fatalf("load scenario: %v", err)
		}
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &Env{Emu: emu, URL: srv.URL, Cfg: Config(t, srv.URL, "AKIDEMULATOR")}
}

// Config returns an aws.Config for the emulator at url with the given
// access key id (access keys map to accounts in scenarios).
func Config(t testing.TB, url, accessKey string) aws.Config {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region:            "us-east-1",
		EndpointURL:       url,
		StaticCredentials: &aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: "emulator"},
	})
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	return cfg
}

// Clients returns the service clients for region.
func (e *Env) Clients(region string) *awsapi.Clients {
	return awsapi.NewClients(e.Cfg, region, false)
}

// Tick advances the emulator's virtual clock by step every real interval,
// so that SDK waiters polling it see time pass, until stop is called; stop
// returns once the ticking has ended.
func (e *Env) Tick(every, step time.Duration) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(every):
				e.Emu.Advance(step)
			}
		}
	}()
	return func() { close(done); <-stopped }
}
