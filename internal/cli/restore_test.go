package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const restoreScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIDRESTORE]
    regions:
      us-east-1:
        endpoints:
          - name: idle-ep
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.xlarge, count: 2}]
            tags: {team: growth}
            age: 30d
            lastModified: 30d
            autoscaling:
              - variant: AllTraffic
                min: 2
                max: 6
                policies: [{name: invocations-per-instance, targetValue: 700}]
`

const restorePolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: delete-idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: delete
`

// TestApplyRestoreHistory deletes an idle endpoint with apply --yes,
// restores it with restore endpoint, and reads both in history with the
// money saved while it was gone. The commands run on the emulator's clock,
// which a goroutine moves forward while the waiters poll.
func TestApplyRestoreHistory(t *testing.T) {
	env := emulatortest.Start(t, restoreScenario)
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second,
		EndpointInService: 20 * time.Second, MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	pol := writeFile(t, "policy.yaml", restorePolicy)
	state := filepath.Join(t.TempDir(), "state.db")
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		runScanCLI(t, env, "AKIDRESTORE", t.TempDir(), "version") // sets the environment
		var out, errb bytes.Buffer
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
		a.Clock = env.Emu.Clock()
		stop := env.Tick(2*time.Millisecond, 15*time.Second)
		code := run(context.Background(), a, append(args, "--endpoint-url", env.URL, "--state", state))
		stop()
		return out.String(), errb.String(), code
	}

	out, errOut, code := cli("apply", "-f", pol, "--yes")
	if code != 0 || !strings.Contains(out, "apply: 1 finding(s); acted on 1") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	env.Emu.Advance(5 * time.Hour)
	out, errOut, code = cli("restore", "endpoint", "idle-ep")
	if code != 0 || !strings.Contains(out, "dry run (no --yes)") || !strings.Contains(out, "create endpoint idle-ep") {
		t.Fatalf("restore without --yes: exit %d, want a dry run\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = cli("restore", "endpoint", "idle-ep", "--yes")
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "restored endpoint idle-ep") || !strings.Contains(out, "1 tag(s), 1 scalable target(s), 1 scaling polic(ies); InService") {
		t.Errorf("restore output:\n%s", out)
	}
	out, errOut, code = cli("history")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"restore", "delete", "real", "123456789012/us-east-1/endpoint/idle-ep"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	// Two ml.m5.xlarge for about five hours, then restored: the period is
	// closed and saved a couple of dollars, not zero.
	if strings.Contains(out, "still saving") || strings.Contains(out, "Realized savings: $0.00") {
		t.Errorf("history savings:\n%s", out)
	}
}
