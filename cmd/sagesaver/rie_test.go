//go:build rie

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/deploy"
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
	t.Fatalf("aws-lambda-rie is not installed: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@%s (scripts/test.sh does)", rieVersion)
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
	if err := os.WriteFile(run, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Run\n"), 0o644); err != nil {
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

	api, rieAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", api, filepath.Join(task, "bootstrap"))
	cmd.Dir = task
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
	if strings.Contains(got, "refused event") {
		t.Errorf("scheduler event refused: %s", got)
	}
	if got := invoke(`{"detail-type":"Scheduled Event","detail":{}}`); !strings.Contains(got, "refused event") {
		t.Errorf("garbage: %s, want a refusal", got)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{`"msg":"tick start"`, `"kind":"scheduled","tick":"2026-12-03T10:05:00Z"`, "INIT REPORT"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}

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
