package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// runFleet: the caller's account (AKIAMGMT) and one account entered
// through the SageSaver role, each with an endpoint idle for ten days; a
// third account lets no role be assumed.
const tickFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-12-01T10:00:00Z
accounts:
  - id: "111111111111"
    accessKeys: [AKIAMGMT]
    regions:
      us-east-1:
        topics: [ops]
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
        metrics:
          - {metric: Invocations, endpoint: idle-ep, value: 3, from: 15d, to: 10d}
  - id: "222222222222"
    roles: [SageSaver]
    regions:
      us-east-1:
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
        metrics:
          - {metric: Invocations, endpoint: idle-ep, value: 3, from: 15d, to: 10d}
  - id: "333333333333"
    roles: [SomethingElse]
`

const tickRunFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  accounts: [{id: "111111111111"}, {id: "222222222222"}, {id: "333333333333"}]
  roleName: SageSaver
  regions: [us-east-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: notify, sns: "arn:aws:sns:us-east-1:111111111111:ops"}]
mode: enforce
state: sqlite:state/sagesaver.db
`

// TestRunTick: sagesaver run against the emulator: a role that cannot be
// assumed fails its target (exit 3) and the others are done; the digest
// goes out; a second run at the same --at does nothing and says so (exit
// 0); history --runs lists both, in JSON that matches its schema.
func TestRunTick(t *testing.T) {
	env := emulatortest.Start(t, tickFleet)
	dir := t.TempDir()
	file := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(file, []byte(tickRunFile), 0o600); err != nil {
		t.Fatal(err)
	}
	at := "2026-12-01T10:00:00Z"
	out, errOut, code := runScanCLI(t, env, "AKIAMGMT", dir, "run", "-f", file, "--at", at, "-o", "json")
	if code != root.ExitPartial {
		t.Fatalf("exit %d, want 3\n%s%s", code, out, errOut)
	}
	checkSchema(t, "run", out)
	var doc tickDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Targets) != 3 || doc.DryRun || doc.ClaimedBy != nil || !doc.Digest.Sent {
		t.Fatalf("tick: %+v", doc)
	}
	for _, tg := range doc.Targets {
		want := "ok"
		if tg.Account == "333333333333" {
			want = "failed"
		}
		if tg.Status != want || (want == "ok" && (tg.Counts["notices"] != 1 || tg.Calls["cloudwatch:GetMetricData"] == 0 || tg.MetricsRequested == 0)) ||
			(want == "failed" && !strings.Contains(tg.Error, "assume role")) {
			t.Errorf("%s: %+v, want %s", tg.Account, tg, want)
		}
	}
	if pub := env.Emu.Published(); len(pub) != 1 || strings.Count(pub[0].Message, "idle-ep") != 2 {
		t.Errorf("digests: %+v", pub)
	}
	if !strings.Contains(errOut, "1 of 3 target(s) failed") {
		t.Errorf("stderr: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "sagesaver.db")); err != nil {
		t.Errorf("the state is not where the run file says (relative to it): %v", err)
	}

	out, errOut, code = runScanCLI(t, env, "AKIAMGMT", dir, "run", "-f", file, "--at", at)
	if code != 0 || !strings.Contains(out, "already claimed by run") {
		t.Fatalf("the same tick again: exit %d\n%s%s", code, out, errOut)
	}
	if pub := env.Emu.Published(); len(pub) != 1 {
		t.Errorf("the claimed tick sent a digest: %d", len(pub))
	}

	out, errOut, code = runScanCLI(t, env, "AKIAMGMT", dir, "history", "--runs", "--state", filepath.Join(dir, "state", "sagesaver.db"), "-o", "json")
	if code != 0 {
		t.Fatalf("history --runs: exit %d\n%s%s", code, out, errOut)
	}
	checkSchema(t, "history-runs", out)
	var hist historyRunsDoc
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Runs) != 2 || len(hist.Runs[0].Targets) != 0 || len(hist.Runs[1].Targets) != 3 || hist.Runs[1].Status != "failed" {
		t.Errorf("history --runs: %+v", hist)
	}
	out, _, code = runScanCLI(t, env, "AKIAMGMT", dir, "history", "--runs", "--state", filepath.Join(dir, "state", "sagesaver.db"))
	if code != 0 || !strings.Contains(out, "tick 2026-12-01T10:00:00Z") || !strings.Contains(out, "333333333333") {
		t.Errorf("history --runs table:\n%s", out)
	}

	// The tool's own bill for this run file, from the fleet the tick kept
	// in the state and its measured duration; nothing is asked of AWS.
	env.Emu.ResetCounters()
	out, errOut, code = runScanCLI(t, env, "AKIAMGMT", dir, "run", "-f", file, "--estimate-cost")
	if code != 0 {
		t.Fatalf("run --estimate-cost: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"2 endpoint(s), 2 variant(s), 0 notebook(s) in 2 target(s), from the ticks' inventories", "tick: 30s (default)",
		"GetMetricData", "Total"} {
		if !strings.Contains(out, want) {
			t.Errorf("estimate lacks %q:\n%s", want, out)
		}
	}
	if n := env.Emu.Counters().Total; n != 0 {
		t.Errorf("--estimate-cost made %d AWS calls with the fleet in the state", n)
	}
}

// TestRunBadFile: a bad run file is one error naming file, line and
// field, exit 2, and nothing is asked of AWS.
func TestRunBadFile(t *testing.T) {
	env := emulatortest.Start(t, tickFleet)
	dir := t.TempDir()
	file := filepath.Join(dir, "run.yaml")
	bad := strings.Replace(tickRunFile, "mode: enforce", "mode: always", 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runScanCLI(t, env, "AKIAMGMT", dir, "run", "-f", file)
	if code != root.ExitUsage || !strings.Contains(errOut, file+":16:") || !strings.Contains(errOut, `field "mode"`) {
		t.Errorf("exit %d, stderr %q; want 2 and %s:16 field mode", code, errOut, file)
	}
	if n := env.Emu.Counters().Total; n != 0 {
		t.Errorf("%d AWS calls for a bad file", n)
	}
	var help bytes.Buffer
	_ = Run(context.Background(), []string{"run", "--help"}, Stdio{In: strings.NewReader(""), Out: &help, Err: &help})
	if !strings.Contains(help.String(), "Examples:") && !strings.Contains(help.String(), "Example") {
		t.Errorf("run --help has no example:\n%s", help.String())
	}
}
