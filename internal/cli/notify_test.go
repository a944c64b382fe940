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

// TestApplyNotificationFailureExitCode: apply --yes whose SNS topic does
// not exist acts, but does not exit 0: it exits with the code schedule run
// uses for a notification that failed (root.ExitPartial), and says so.
func TestApplyNotificationFailureExitCode(t *testing.T) {
	env := emulatortest.Start(t, restoreScenario)
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second,
		EndpointInService: 20 * time.Second, MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	pol := writeFile(t, "policy.yaml", restorePolicy+`      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:no-such-topic
`)
	runScanCLI(t, env, "AKIDRESTORE", t.TempDir(), "version") // sets the environment
	var out, errb bytes.Buffer
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = env.Emu.Clock()
	stop := env.Tick(2*time.Millisecond, 15*time.Second)
	state := filepath.Join(t.TempDir(), "state.db")
	code := run(context.Background(), a, []string{"apply", "-f", pol, "--yes", "--endpoint-url", env.URL, "--state", state})
	stop()
	if code != root.ExitPartial {
		t.Errorf("exit %d, want %d (the notification failed)\n%s\n%s", code, root.ExitPartial, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "notification not delivered") || !strings.Contains(errb.String(), "no-such-topic") {
		t.Errorf("stderr does not say the notification failed:\n%s", errb.String())
	}
	// history says the notices wait for the next run.
	out.Reset()
	a = &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = env.Emu.Clock()
	if code := run(context.Background(), a, []string{"history", "--state", state}); code != 0 {
		t.Fatalf("history: exit %d", code)
	}
	if !strings.Contains(out.String(), "1 notice(s) not delivered yet") {
		t.Errorf("history does not list the undelivered notice:\n%s", out.String())
	}
}
