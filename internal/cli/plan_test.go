package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

const planScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIDPLAN]
    regions:
      us-east-1:
        topics: [sagesaver-idle]
        notebooks:
          - {name: dev-bob, instanceType: ml.t3.medium, age: 10d, lastModified: 8h, tags: {"sagesaver:last-activity": "2026-11-25T06:00:00Z", "sagesaver:heartbeat": "2026-11-25T11:59:30Z"}}
        endpoints:
          - name: idle-ep
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.xlarge, count: 2}]
            tags: {team: growth}
            age: 30d
            lastModified: 30d
          - name: ab
            variants:
              - {name: A, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 0}
              - {name: B, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 1}
            age: 30d
            lastModified: 30d
          - name: young
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 2h
          - name: keep-me
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            tags: {"sagesaver:protect": "true"}
            age: 30d
            lastModified: 30d
        metrics:
          - {metric: Invocations, endpoint: ab, variant: B, value: 10}
`

const planPolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: warn-idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: mark
        grace: 72h
        then: delete
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
  - name: stop-idle-dev-notebooks
    resource: notebook-instance
    match:
      namePrefix: dev-
    conditions:
      idleFor: 2h
    actions:
      - type: stop
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeCalls lists the emulator's calls that change something.
func writeCalls(c emulator.Counters) []string {
	var out []string
	for k := range c.Calls {
		op := k[strings.Index(k, ":")+1:]
		read := false
		for _, p := range []string{"Describe", "List", "Get", "Search"} {
			read = read || strings.HasPrefix(op, p)
		}
		if !read {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestPlanGolden(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	pol := writeFile(t, "policy.yaml", planPolicy)
	for _, format := range []string{"table", "json", "csv", "markdown"} {
		t.Run(format, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.db")
			env.Emu.ResetCounters()
			out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "plan", "-f", pol, "--state", state, "-o", format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.Golden(t, filepath.Join("testdata", "plan", "plan."+format), out)
			if format == "json" {
				checkSchema(t, "plan", out)
			}
			if w := writeCalls(env.Emu.Counters()); len(w) != 0 {
				t.Errorf("plan wrote to AWS: %v", w)
			}
		})
	}
}

func TestApplyWithoutYesIsDryRun(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	pol := writeFile(t, "policy.yaml", planPolicy)
	state := filepath.Join(t.TempDir(), "state.db")
	out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "apply", "-f", pol, "--state", state)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "dry run (no --yes)") || !strings.Contains(out, "plan (dry run, nothing changed)") {
		t.Errorf("apply without --yes does not say it is a dry run:\n%s\n%s", errOut, out)
	}
	if w := writeCalls(env.Emu.Counters()); len(w) != 0 {
		t.Errorf("apply without --yes wrote to AWS: %v", w)
	}
	// history shows the dry-run rows.
	out, errOut, code = runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "history", "--state", state)
	if code != 0 {
		t.Fatalf("history exit %d: %s", code, errOut)
	}
	for _, want := range []string{"mark", "123456789012/us-east-1/endpoint/idle-ep", "dry-run", "Realized savings: $0.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "history", "--state", state, "-o", "json")
	if code != 0 {
		t.Fatalf("history -o json: exit %d: %s", code, errOut)
	}
	checkSchema(t, "history", out)
	if !strings.Contains(out, `"dry_run": true`) {
		t.Errorf("history -o json lacks the dry-run rows:\n%s", out)
	}
}

func TestApplyMarksAndHistory(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	// Marks need no waiting; the notebook rule is left out here (its
	// waiter is exercised in internal/action with a ticking clock).
	pol := writeFile(t, "policy.yaml", strings.Split(planPolicy, "  - name: stop-idle-dev-notebooks")[0])
	state := filepath.Join(t.TempDir(), "state.db")
	out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "apply", "-f", pol, "--state", state, "--yes")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "apply: 3 finding(s); acted on 2") {
		t.Errorf("apply summary:\n%s", out)
	}
	if got := env.Emu.Counters().Calls["sagemaker:AddTags"]; got != 1 {
		t.Errorf("AddTags calls = %d, want 1 (the idle endpoint's mark)", got)
	}
	pub := env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "idle-ep") {
		t.Fatalf("SNS published %+v, want one digest naming idle-ep", pub)
	}
	out, _, _ = runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "history", "--state", state)
	for _, want := range []string{"notify", "mark", "real", "ok", "arn:aws:sns:us-east-1:123456789012:sagesaver-idle"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
}

func TestBadPolicyChangesNothing(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	tests := []struct {
		name, policy string
		want         []string
	}{
		{"unknown field", strings.Replace(planPolicy, "      idleFor: 24h\n", "      idleFor: 24h\n      idelFor: 3d\n", 1),
			[]string{"policy.yaml:8:", `"idelFor"`, "unknown field"}},
		{"malformed", strings.Replace(planPolicy, "idleFor: 24h", "idleFor: [24h", 1), []string{"policy.yaml:8:"}},
		{"unknown action", strings.Replace(planPolicy, "type: stop", "type: stopp", 1), []string{"policy.yaml:", "rules[1].actions[0].type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := writeFile(t, "policy.yaml", tt.policy)
			env.Emu.ResetCounters()
			out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "apply", "-f", pol, "--yes", "--state", filepath.Join(t.TempDir(), "s.db"))
			if code != root.ExitUsage {
				t.Errorf("exit %d, want %d", code, root.ExitUsage)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1]
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("error %q lacks %q", last, w)
				}
			}
			if out != "" {
				t.Errorf("stdout: %q", out)
			}
			if c := env.Emu.Counters(); c.Total != 0 {
				t.Errorf("AWS calls with a bad policy: %v", c.Calls)
			}
		})
	}
}

func TestPlanReportsCloudWatchFailure(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "no cloudwatch:GetMetricData", Status: 403}}})
	pol := writeFile(t, "policy.yaml", planPolicy)
	out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "plan", "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"))
	if code != root.ExitPartial {
		t.Errorf("exit %d, want %d (partial)", code, root.ExitPartial)
	}
	if !strings.Contains(out, "CloudWatch evidence unknown for 4 endpoint(s) in 123456789012/us-east-1 (not acted on)") ||
		!strings.Contains(out, "no cloudwatch:GetMetricData") || strings.Contains(out, "endpoint idle-ep (us-east-1)           idle") {
		t.Errorf("plan output:\n%s", out)
	}
	if !strings.Contains(errOut, "CloudWatch failed in 1 account/region(s)") {
		t.Errorf("stderr: %s", errOut)
	}
}

// A part of the scan that fails is listed in plan's and apply's output,
// table and JSON, as the exit message says.
func TestPlanListsScanFailures(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "sagemaker:ListNotebookInstances", Code: "AccessDeniedException", Message: "no sagemaker:ListNotebookInstances", Status: 400}}})
	pol := writeFile(t, "policy.yaml", planPolicy)
	for _, cmd := range []string{"plan", "apply"} {
		t.Run(cmd, func(t *testing.T) {
			out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), cmd, "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"))
			if code != root.ExitPartial || !strings.Contains(errOut, "listed in the output") {
				t.Errorf("exit %d, stderr %s; want %d (partial)", code, errOut, root.ExitPartial)
			}
			if want := "scan failed: 123456789012 us-east-1 notebook-instance (not in this plan): "; !strings.Contains(out, want) || !strings.Contains(out, "no sagemaker:ListNotebookInstances") {
				t.Errorf("table output lacks %q and the error:\n%s", want, out)
			}
			js, _, _ := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), cmd, "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"), "-o", "json")
			var doc struct {
				ScanFailures []struct{ Account, Region, Kind, Error string } `json:"scan_failures"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatalf("json: %v\n%s", err, js)
			}
			if len(doc.ScanFailures) != 1 || doc.ScanFailures[0].Account != "123456789012" || doc.ScanFailures[0].Region != "us-east-1" ||
				doc.ScanFailures[0].Kind != "notebook-instance" || !strings.Contains(doc.ScanFailures[0].Error, "no sagemaker:ListNotebookInstances") {
				t.Errorf("scanFailures: %+v\n%s", doc.ScanFailures, js)
			}
		})
	}
}

// The run's actor is the caller's own identity even when every target is
// reached through an assumed role (whose identity, as on AWS, is the role
// session in the target account).
func TestPlanActorIsTheCallerNotTheAssumedRole(t *testing.T) {
	env := emulatortest.Start(t, multiAccount)
	accounts := writeFile(t, "accounts.yaml", `apiVersion: sagesaver.io/v1alpha1
kind: Accounts
accounts:
  - id: "222222222222"
`)
	pol := writeFile(t, "policy.yaml", planPolicy)
	state := filepath.Join(t.TempDir(), "s.db")
	if _, errOut, code := runScanCLI(t, env, "AKIAMGMT", t.TempDir(), "plan", "-f", pol, "--accounts", accounts, "--region", "us-east-1", "--state", state); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	if got, want := runs[0].CallerARN, "arn:aws:iam::111111111111:user/sagesaver"; got != want {
		t.Errorf("run's caller %q, want %q", got, want)
	}
}

// TestApplyFailedActionIsPartial: an action that fails leaves the run
// completed with part of it failed: exit 3, as schedule run (the exit
// code table, root.ExitCodes).
func TestApplyFailedActionIsPartial(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "sagemaker:AddTags", Code: "AccessDeniedException", Message: "no sagemaker:AddTags", Status: 400}}})
	pol := writeFile(t, "policy.yaml", strings.Split(planPolicy, "  - name: stop-idle-dev-notebooks")[0])
	out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "apply", "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"), "--yes", "-o", "json")
	if code != root.ExitPartial || !strings.Contains(errOut, "action(s) failed") {
		t.Errorf("exit %d, want %d (partial); stderr:\n%s\n%s", code, root.ExitPartial, errOut, out)
	}
	checkSchema(t, "plan", out)
	if !strings.Contains(out, `"dry_run": false`) || !strings.Contains(out, `"status": "failed"`) {
		t.Errorf("apply -o json lacks the failed step:\n%s", out)
	}
}
