//go:build !nonvml

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/gpu/gputest"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

// TestAgentBuildReadsGPUThroughNVML runs the agent build, as released
// (CGO_ENABLED=0), on a "GPU instance": a stand-in libnvidia-ml.so.1
// (gputest, built with the system's C compiler)
// found by the dynamic loader on LD_LIBRARY_PATH, as the real one is found
// in the system's library path, and a real Jupyter server with nothing
// running. A GPU at 87% keeps the machine up; at 0% it is idle.
func TestAgentBuildReadsGPUThroughNVML(t *testing.T) {
	libDir, values := gputest.StandInNVML(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sagesaver")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := jupytertest.Start(t, jupytertest.Notebook, jupytertest.Options{TLS: true, NoToken: true})
	meta := filepath.Join(dir, "resource-metadata.json")
	if err := os.WriteFile(meta, []byte(`{"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb","ResourceName":"nb"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(conf, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\ngrace: 0s\ncpuThreshold: 0\ngpuThreshold: 5\npublishTag: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	once := func() string {
		t.Helper()
		cmd := exec.Command(bin, "agent", "--once", "--dry-run", "--log-level", "debug", "--agent-config", conf, "--metadata", meta,
			"--jupyter-url", srv.URL, "--state-dir", filepath.Join(dir, "state"))
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libDir, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("agent --once: %v\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "gpu: reading NVML") {
			t.Errorf("the agent did not read NVML:\n%s", stderr.String())
		}
		return string(out)
	}
	gputest.SetReadings(t, values, "87 10240 16384\n")
	if out := once(); !strings.HasPrefix(out, "not idle: GPU 0 at 87%") {
		t.Errorf("GPU busy: %q, want not idle: GPU 0 at 87%%", out)
	}
	gputest.SetReadings(t, values, "0 512 16384\n")
	if out := once(); !strings.HasPrefix(out, "idle for") {
		t.Errorf("GPU idle: %q, want idle", out)
	}
}
