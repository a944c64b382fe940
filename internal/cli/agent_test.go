package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

// TestAgentCommands runs `agent --once`, `agent keepalive` and `agent
// status` against a real Jupyter server and the emulator.
func TestAgentCommands(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_AGENT_CONFIG"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	env := emulatortest.Start(t, "")
	srv := jupytertest.Start(t, jupytertest.Notebook, jupytertest.Options{TLS: true, NoToken: true})
	dir := t.TempDir()
	meta := filepath.Join(dir, "resource-metadata.json")
	if err := os.WriteFile(meta, []byte(`{"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb","ResourceName":"nb"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	conf := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(conf, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\ngrace: 0s\npublishTag: false\ncpuThreshold: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--agent-config", conf, "--state-dir", state}
	once := append([]string{"agent", "--once", "--dry-run", "--metadata", meta, "--jupyter-url", srv.URL, "--endpoint-url", env.URL}, common...)

	out, errs, code := runCLI(t, once...)
	if code != 0 || !strings.HasPrefix(out, "idle for 0 min of 60: stops at ") {
		t.Fatalf("agent --once: code %d, out %q, err %q", code, out, errs)
	}
	out, errs, code = runCLI(t, append([]string{"agent", "keepalive", "2h"}, common...)...)
	if code != 0 || !strings.HasPrefix(out, "kept alive until ") {
		t.Fatalf("keepalive: code %d, out %q, err %q", code, out, errs)
	}
	out, _, _ = runCLI(t, once...)
	if !strings.HasPrefix(out, "not idle: keep-alive until ") {
		t.Errorf("after keepalive: %q", out)
	}
	out, errs, code = runCLI(t, append([]string{"agent", "status", "--endpoint-url", env.URL}, common...)...)
	if code != 0 || !strings.Contains(out, "not idle: keep-alive until ") || !strings.Contains(out, "notebook instance nb") ||
		!strings.Contains(out, "  status         ") {
		t.Errorf("status: code %d, out %q, err %q", code, out, errs)
	}
	out, errs, code = runCLI(t, append([]string{"agent", "status", "-o", "json"}, common...)...)
	if code != 0 || !strings.Contains(out, `"name": "nb"`) {
		t.Errorf("status -o json: code %d, out %q, err %q", code, out, errs)
	}
	checkSchema(t, "agent-status", out)
	if _, _, code := runCLI(t, append([]string{"agent", "keepalive", "soon"}, common...)...); code != root.ExitUsage {
		t.Errorf("keepalive soon: code %d, want %d", code, root.ExitUsage)
	}
	out, _, _ = runCLI(t, append([]string{"agent", "keepalive", "off"}, common...)...)
	if out != "keep-alive off\n" {
		t.Errorf("keepalive off: %q", out)
	}
	out, _, _ = runCLI(t, once...)
	if !strings.HasPrefix(out, "idle for") {
		t.Errorf("after keepalive off: %q", out)
	}
}

func TestLifecycleRenderCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	bin := filepath.Join(t.TempDir(), "sagesaver")
	if err := os.WriteFile(bin, []byte("not really a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "lifecycle", "render", "--idle", "90m", "--binary-url", "s3://bucket/sagesaver", "--binary", bin)
	// sha256("not really a binary")
	if code != 0 || !strings.Contains(out, "idleTime: 1h30m0s") || !strings.Contains(out, "SHA256='") {
		t.Fatalf("render: code %d, err %q, out:\n%s", code, errs, out)
	}
	if _, errs, code := runCLI(t, "lifecycle", "render", "--binary-url", "s3://bucket/sagesaver"); code != root.ExitUsage || !strings.Contains(errs, "give --binary") || !strings.Contains(errs, "--sha256") {
		t.Errorf("no checksum: code %d, err %q", code, errs)
	}
	if _, errs, code := runCLI(t, "lifecycle", "render", "--binary-url", "ftp://x/y", "--sha256", strings.Repeat("a", 64)); code != root.ExitUsage {
		t.Errorf("ftp: code %d, err %q", code, errs)
	}
}
