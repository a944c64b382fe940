package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const mlflowRestoreScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIDMLFLOW]
    regions:
      us-east-1:
        mlflowTrackingServers:
          - {name: research-experiments, size: Small, status: Started, age: 45d, lastModified: 30d}
          - {name: busy-server, size: Small, status: Started, age: 45d, lastModified: 30d}
`

const mlflowStopPolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: stop-research-mlflow
    resource: mlflow-tracking-server
    match: {namePrefix: research-}
    conditions:
      runningFor: 12h
    actions:
      - type: stop
`

// TestApplyRestoreMLflow stops a tracking server with apply --yes, then
// starts it with restore mlflow-tracking-server: a dry run first, then
// --yes; a running server is left alone, a missing one is an error.
func TestApplyRestoreMLflow(t *testing.T) {
	env := emulatortest.Start(t, mlflowRestoreScenario)
	pol := writeFile(t, "policy.yaml", mlflowStopPolicy)
	state := filepath.Join(t.TempDir(), "state.db")
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		runScanCLI(t, env, "AKIDMLFLOW", t.TempDir(), "version") // sets the environment
		var out, errb bytes.Buffer
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
		a.Clock = env.Emu.Clock()
		code := run(context.Background(), a, append(args, "--endpoint-url", env.URL, "--state", state))
		return out.String(), errb.String(), code
	}
	status := func(name string) string {
		t.Helper()
		out, errOut, code := cli("scan", "-o", "json")
		if code != 0 {
			t.Fatalf("scan: exit %d\n%s", code, errOut)
		}
		i := strings.Index(out, `"name": "`+name+`"`)
		if i < 0 {
			t.Fatalf("scan lacks %s:\n%s", name, out)
		}
		j := strings.Index(out[i:], `"status": "`)
		rest := out[i+j+len(`"status": "`):]
		return rest[:strings.Index(rest, `"`)]
	}

	out, errOut, code := cli("apply", "-f", pol, "--yes")
	if code != 0 || !strings.Contains(out, "acted on 1") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := status("research-experiments"); s != "Stopping" {
		t.Fatalf("after apply: %s, want Stopping", s)
	}
	env.Emu.Advance(6 * time.Hour)

	out, errOut, code = cli("restore", "mlflow-tracking-server", "research-experiments")
	if code != 0 || !strings.Contains(out, "dry run (no --yes)") {
		t.Fatalf("restore without --yes: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := status("research-experiments"); s != "Stopped" {
		t.Fatalf("after a dry-run restore: %s, want Stopped", s)
	}
	out, errOut, code = cli("restore", "mlflow-tracking-server", "research-experiments", "--yes")
	if code != 0 || !strings.Contains(out, "started MLflow tracking server research-experiments") {
		t.Fatalf("restore --yes: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := status("research-experiments"); s != "Starting" {
		t.Errorf("after restore: %s, want Starting", s)
	}
	out, _, code = cli("restore", "mlflow-tracking-server", "busy-server", "--yes")
	if code != 0 || !strings.Contains(out, "is Started: nothing to start") {
		t.Errorf("restore a running server: exit %d\n%s", code, out)
	}
	if _, errOut, code = cli("restore", "mlflow-tracking-server", "no-such-server", "--yes"); code == 0 {
		t.Errorf("restore a missing server: exit 0\n%s", errOut)
	}
	out, errOut, code = cli("history")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"start", "stop", "123456789012/us-east-1/mlflow-tracking-server/research-experiments"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
}
