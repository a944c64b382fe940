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
	env := emulatortest.Start(t, tickFleet)
	dir := t.TempDir()
	file := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(file, []byte(tickRunFile), 0o600); err != nil {
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

	urls := make(chan string, 1)
	serveStarted = func(url, _, _ string) { urls <- url }
	t.Cleanup(func() { serveStarted = nil })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var errb bytes.Buffer
	code := -1
	wg.Add(1)
	go func() {
		defer wg.Done()
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: io.Discard, Err: &lockedBuffer{b: &errb}})}
		a.Clock = clock.NewManual(env.Emu.Now())
		code = run(ctx, a, []string{"serve", "-f", file, "--no-auth", "--addr", "127.0.0.1:0", "--interval", "1h", "--endpoint-url", env.URL})
	}()
	var url string
	select {
	case url = <-urls:
	case <-time.After(time.Minute):
		cancel()
		wg.Wait()
		t.Fatalf("serve did not start (exit %d): %s", code, errb.String())
	}
	get := func(path string) (int, string) {
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
			t.Fatalf("not ready after a minute: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond) // polling the readiness endpoint, not timing anything
	}
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
	cancel()
	wg.Wait()
	if code != 0 {
		t.Errorf("serve exit %d after its context ended, want 0: %s", code, errb.String())
	}
}
