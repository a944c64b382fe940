package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/store"
)

// One notebook that both a policy (idle for 5 hours, its agent says) and a
// stop-only schedule (enforced, so at any time of day) want stopped. The
// emulator starts at the wall clock's time (no now:), which is what
// schedule run and apply read.
const raceFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      notebooks:
      - {name: Dev-Alice, instanceType: ml.t3.medium, age: 30d, lastModified: 20h, agentLastActivity: 5h}
`

const racePolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: stop-idle-dev-notebooks
    resource: notebook-instance
    match:
      namePrefix: Dev-
    conditions:
      idleFor: 2h
    actions:
      - type: stop
`

const raceSchedule = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: evenings-off
    timezone: UTC
    stop: cron(0 11 * * ? *)
    enforced: true
    targets: [{kind: notebook, namePrefix: Dev-}]
`

// TestApplyAndScheduleRunActOnceOnOneNotebook runs `apply --yes` and
// `schedule run --yes` at once on one notebook, through the executor and
// the scheduler with one state database. Each claims the notebook before
// it re-checks and acts, under the notebook's one ID, so exactly one
// StopNotebookInstance reaches AWS and the ledger holds one open period.
// (When the scheduler claimed and saved under the ARN and the executor
// under ACCOUNT/REGION/KIND/NAME, both stopped it and both opened a
// period: its savings counted twice.)
//
// The stop call is slowed down so that both runs reach it while the first
// is still in flight: that is what makes them race.
func TestApplyAndScheduleRunActOnceOnOneNotebook(t *testing.T) {
	env := emulatortest.Start(t, raceFleet)
	env.Emu.SetFaults(emulator.FaultConfig{Latency: map[string]time.Duration{"sagemaker:StopNotebookInstance": 2 * time.Second}})
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 30 * time.Minute,
		MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	dir := t.TempDir()
	pol := writeFile(t, "policy.yaml", racePolicy)
	sched := writeFile(t, "schedules.yaml", raceSchedule)
	state := filepath.Join(dir, "state.db")

	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "SAGESAVER_STATE", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDRACE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	// The store must exist before both open it, as after any earlier run.
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	commands := [][]string{
		{"apply", "-f", pol, "--yes"},
		{"schedule", "run", "-f", sched, "--yes"},
	}
	outs := make([]string, len(commands))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, args := range commands {
		wg.Go(func() {
			var out, errb bytes.Buffer
			a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
			<-start
			code := run(context.Background(), a, append(args, "--state", state, "--endpoint-url", env.URL))
			outs[i] = fmt.Sprintf("%s: exit %d\n%s%s", strings.Join(args[:2], " "), code, &out, &errb)
		})
	}
	// The notebook takes 90 virtual seconds to stop: move the emulator's
	// clock while apply's waiter polls. Both commands read the wall
	// clock, as the claims' leases do.
	stop := env.Tick(10*time.Millisecond, time.Second)
	close(start)
	wg.Wait()
	stop()

	if n := env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"]; n != 1 {
		t.Errorf("StopNotebookInstance called %d times, want 1\n%s", n, strings.Join(outs, "\n"))
	}
	st, err = store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	periods, err := st.Savings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, p := range periods {
		if p.Until == nil {
			open++
		}
	}
	if open != 1 || len(periods) != 1 {
		t.Errorf("ledger has %d periods, %d open, want one open period: %+v\n%s", len(periods), open, periods, strings.Join(outs, "\n"))
	}
}
