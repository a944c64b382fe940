package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// TestServeRunFile: `serve -f run.yaml` runs a tick at start and serves
// what it kept in the state (the two reachable targets' endpoints, the
// unreachable one as a failure on the overview), and stops cleanly when
// its context ends (SIGTERM), exit 0.
func TestServeRunFile(t *testing.T) {
	get, stop := startServeRunFile(t, tickFleet, tickRunFile)
	_, body := get("/inventory.json")
	var doc struct {
		Rows []struct{ Account, Name string } `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for _, r := range doc.Rows {
		if r.Name == "idle-ep/AllTraffic" {
			accounts[r.Account] = true
		}
	}
	if !accounts["111111111111"] || !accounts["222222222222"] {
		t.Errorf("inventory from the tick's state: %s", body)
	}
	if _, page := get("/"); !strings.Contains(page, "333333333333") {
		t.Error("the overview does not show the target that failed")
	}
	if code, out := stop(); code != 0 {
		t.Errorf("serve exit %d after its context ended, want 0: %s", code, out)
	}
}

// TestServeRunFileAdvice: the advice a tick keeps in the state (advise's
// JSON, blob kind "advice") shows on Opportunities, with its saving and
// evidence, and on the endpoint's page.
func TestServeRunFileAdvice(t *testing.T) {
	const fleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-12-01T10:00:00Z
accounts:
  - id: "111111111111"
    accessKeys: [AKIAMGMT]
    regions:
      us-east-1:
        endpoints:
          - {name: oversized, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
        metrics:
          - {endpoint: oversized, metric: CPUUtilization, value: 20}
          - {endpoint: oversized, metric: MemoryUtilization, value: 10}
          - {endpoint: oversized, metric: Invocations, value: 100}
`
	const runFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  accounts: [{id: "111111111111"}]
  regions: [us-east-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: delete}]
mode: dry-run
state: sqlite:state/sagesaver.db
`
	get, stop := startServeRunFile(t, fleet, runFile)
	_, page := get("/opportunities")
	for _, want := range []string{`data-key="advise/`, "oversized/AllTraffic", "advise: endpoint-downsize", "ml.m5.2xlarge x1 → ml.m5.large x1", "CPUUtilization peak hour 20%", `data-testid="saving">~$`} {
		if !strings.Contains(page, want) {
			t.Errorf("Opportunities lacks %q:\n%s", want, page)
		}
	}
	if _, page := get("/resource?id=111111111111/us-east-1/endpoint/oversized/AllTraffic"); !strings.Contains(page, `data-testid="advice"`) ||
		!strings.Contains(page, "ml.m5.2xlarge x1 → ml.m5.large x1") {
		t.Errorf("the endpoint's page lacks its advice:\n%s", page)
	}
	if code, out := stop(); code != 0 {
		t.Errorf("serve exit %d after its context ended, want 0: %s", code, out)
	}
}

// TestServeTickClaimedElsewhere: another host (here `run`) ran the
// tick serve's first tick finds claimed; the overview and /metrics show
// that tick's failed target, not serve's run, which did nothing.
func TestServeTickClaimedElsewhere(t *testing.T) {
	get, stop := startServeRunFileAfter(t, tickFleet, tickRunFile, func(env *emulatortest.Env, file string) {
		var errb bytes.Buffer
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: io.Discard, Err: &errb})}
		a.Clock = clock.NewManual(env.Emu.Now())
		if code := run(t.Context(), a, []string{"run", "-f", file, "--endpoint-url", env.URL}); code != root.ExitPartial {
			t.Fatalf("the other host's tick: exit %d, want %d (one target fails): %s", code, root.ExitPartial, errb.String())
		}
	})
	// serve is ready with the other host's inventories before its own
	// tick, found claimed, refreshes the page.
	for deadline := time.Now().Add(time.Minute); ; {
		if _, page := get("/"); strings.Contains(page, "333333333333") {
			break
		}
		if time.Now().After(deadline) {
			_, out := stop()
			t.Fatalf("the overview never showed the target that failed in the tick another host ran: %s", out)
		}
		time.Sleep(50 * time.Millisecond) // polling the page, not timing anything
	}
	if _, body := get("/metrics"); !strings.Contains(body, `sagesaver_last_tick_target_failed{account="333333333333",region="us-east-1"} 1`) {
		t.Errorf("/metrics lacks the failed target of the tick another host ran:\n%s", body)
	}
	if code, out := stop(); code != 0 {
		t.Errorf("serve exit %d after its context ended, want 0: %s", code, out)
	} else if !strings.Contains(out, "tick already run by another host") {
		t.Errorf("serve's tick was not claimed by the other host's: %s", out)
	}
}

// startServeRunFile starts `serve -f` with runFile on an emulator of
// fleet and waits until it is ready; get fetches a path, stop ends it
// (as SIGTERM does) and returns its exit code and stderr.
func startServeRunFile(t *testing.T, fleet, runFile string) (get func(path string) (int, string), stop func() (int, string)) {
	t.Helper()
	return startServeRunFileAfter(t, fleet, runFile, nil)
}

// startServeRunFileAfter is startServeRunFile calling before (when not
// nil) with the emulator and the run file's path before serve starts.
func startServeRunFileAfter(t *testing.T, fleet, runFile string, before func(env *emulatortest.Env, file string)) (get func(path string) (int, string), stop func() (int, string)) {
	t.Helper()
	env := emulatortest.Start(t, fleet)
	dir := t.TempDir()
	file := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(file, []byte(runFile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", dir)
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "SAGESAVER_STATE", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMGMT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	if before != nil {
		before(env, file)
	}

	urls := make(chan string, 1)
	serveStarted = func(url, _, _ string) { urls <- url }
	t.Cleanup(func() { serveStarted = nil })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var errb bytes.Buffer
	code := -1
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: io.Discard, Err: &lockedBuffer{b: &errb}})}
		a.Clock = clock.NewManual(env.Emu.Now())
		code = run(ctx, a, []string{"serve", "-f", file, "--no-auth", "--addr", "127.0.0.1:0", "--interval", "1h", "--endpoint-url", env.URL})
	}()
	stop = func() (int, string) {
		cancel()
		wg.Wait()
		return code, errb.String()
	}
	t.Cleanup(func() { stop() })
	var url string
	select {
	case url = <-urls:
	case <-done:
		c, out := stop()
		t.Fatalf("serve exited (%d): %s", c, out)
	case <-time.After(time.Minute):
		c, out := stop()
		t.Fatalf("serve did not start (exit %d): %s", c, out)
	}
	get = func(path string) (int, string) {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The first tick runs as serve starts; readiness waits for it.
	deadline := time.Now().Add(time.Minute)
	for {
		if c, _ := get("/readyz"); c == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			_, out := stop()
			t.Fatalf("not ready after a minute: %s", out)
		}
		time.Sleep(50 * time.Millisecond) // polling the readiness endpoint, not timing anything
	}
	return get, stop
}
