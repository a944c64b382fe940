//go:build rie

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/deploy"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// rieVersion is the Runtime Interface Emulator scripts/test.sh installs.
const rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"

func findRIE(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("aws-lambda-rie is not installed: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@%s (scripts/test.sh installs it)", rieVersion)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg) // CI must run the smoke test
	}
	t.Skip(msg)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRuntimeInterfaceEmulator builds the Lambda bootstrap as the
// deployment does, packages it with `deploy package`'s code, unpacks the
// zip as Lambda does and runs its bootstrap under AWS's Runtime Interface
// Emulator (bound to loopback, explicit ports: its default is 0.0.0.0),
// invoking it with an EventBridge Scheduler event and with garbage.
// Run by scripts/test.sh: go test -tags rie -run TestRuntimeInterfaceEmulator ./cmd/sagesaver
func TestRuntimeInterfaceEmulator(t *testing.T) {
	rie := findRIE(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap.build")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	run := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(run, []byte(rieRunFile), 0o644); err != nil {
		t.Fatal(err)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if _, err := deploy.WritePackage(&zipped, run, binary); err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(dir, "task")
	unzip(t, zipped.Bytes(), task)

	// The tick is real: its AWS calls go to the emulator (the caller's
	// own account, one idle endpoint), its state to a SQLite file.
	emu := emulatortest.Start(t, rieFleet)
	api, rieAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", api, filepath.Join(task, "bootstrap"))
	cmd.Dir = task
	cmd.Env = append(os.Environ(), "LAMBDA_TASK_ROOT="+task, "AWS_LAMBDA_FUNCTION_NAME=sagesaver",
		"SAGESAVER_ENDPOINT_URL="+emu.URL, "SAGESAVER_STATE=sqlite:"+filepath.Join(dir, "state.db"), "SAGESAVER_CONFIG=",
		"AWS_ACCESS_KEY_ID=AKIARIE", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1", "AWS_PROFILE=",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"XDG_CACHE_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs bytes.Buffer
	var mu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})

	invoke := func(payload string) string {
		t.Helper()
		url := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"
		for range 200 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(payload))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				cancel()
				time.Sleep(50 * time.Millisecond) // not listening yet
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			return string(b)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the emulator never answered:\n%s", logs.String())
		return ""
	}
	got := invoke(`{"version":"0","id":"5f1a","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-12-03T10:05:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:123456789012:schedule/default/sagesaver"],"detail":"{}"}`)
	var res struct {
		Kind    string
		Outcome struct {
			RunID   int64 `json:"run_id"`
			Tick    string
			Targets []struct{ Account, Region, Status string }
		}
	}
	if err := json.Unmarshal([]byte(got), &res); err != nil || res.Kind != "scheduled" || res.Outcome.RunID == 0 || res.Outcome.Tick != "2026-12-03T10:05:00Z" ||
		len(res.Outcome.Targets) != 1 || res.Outcome.Targets[0].Status != "ok" || res.Outcome.Targets[0].Account != "123456789012" {
		t.Errorf("scheduler event: %s (%v), want the tick run on the emulator's account", got, err)
	}
	if n := emu.Emu.Counters().Calls["sagemaker:ListNotebookInstances"]; n != 1 {
		t.Errorf("the tick scanned %d times, want once", n)
	}
	if got := invoke(`{"detail-type":"Scheduled Event","detail":{}}`); !strings.Contains(got, "refused event") {
		t.Errorf("garbage: %s, want a refusal", got)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{`"msg":"tick start"`, `"kind":"scheduled","tick":"2026-12-03T10:05:00Z"`, "INIT REPORT", `"msg":"tick done"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if m := initDuration.FindStringSubmatch(out); m != nil {
		// The cold start, for BENCHMARKS.md (read with -v).
		t.Logf("cold start: Init Duration %s ms", m[1])
	}
}

// initDuration is the RIE's INIT REPORT line's init duration.
var initDuration = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// rieRunFile: the caller's account, one region, a dry run of a policy.
const rieRunFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets: {regions: [us-east-1]}
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - {name: idle-endpoints, resource: endpoint, conditions: {idleFor: 24h}, actions: [{type: delete}]}
`

// rieFleet is the caller's account with one idle endpoint.
const rieFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    accessKeys: [AKIARIE]
    regions:
      us-east-1:
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
`

func unzip(t *testing.T, data []byte, dir string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}
