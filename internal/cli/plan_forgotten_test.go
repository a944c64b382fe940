package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const forgottenPlanScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIDFORGOT]
    regions:
      us-east-1:
        domains:
          - {name: analytics, id: d-analytics001, age: 90d}
        userProfiles:
          - {domain: analytics, name: dana, age: 60d}
          - {domain: analytics, name: eli, age: 60d}
        apps:
          - {domain: analytics, user: dana, type: Canvas, age: 30h, lastActive: 22h}
          - {domain: analytics, user: eli, type: Canvas, age: 3h, lastActive: 1h}
        mlflowTrackingServers:
          - {name: research-experiments, size: Small, status: Started, age: 45d, lastModified: 30d}
          - {name: research-archive, size: Small, status: Stopped, age: 90d, lastModified: 60d}
        hyperPodClusters:
          - name: llm-finetune
            age: 6d
            instanceGroups:
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
`

const forgottenPlanPolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: delete-idle-canvas
    resource: canvas-app
    conditions:
      idleFor: 2h
    actions:
      - type: delete-app
  - name: stop-mlflow
    resource: mlflow-tracking-server
    conditions:
      runningFor: 24h
    actions:
      - type: stop
  - name: tag-hyperpod
    resource: hyperpod-cluster
    conditions:
      unprotected: true
    actions:
      - type: tag
        tags: {sagesaver-reported: "yes"}
`

// TestPlanForgottenKinds: plan (read-only) over Canvas sessions, MLflow
// tracking servers and a HyperPod cluster: the idle session and the
// running server would be acted on; the session used an hour ago and the
// stopped server are not; with CloudWatch denied, the idle session is
// unknown, not acted on.
func TestPlanForgottenKinds(t *testing.T) {
	env := emulatortest.Start(t, forgottenPlanScenario)
	pol := writeFile(t, "policy.yaml", forgottenPlanPolicy)
	out, errOut, code := runScanCLI(t, env, "AKIDFORGOT", t.TempDir(), "plan", "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	line := func(out, what string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, what) {
				return l
			}
		}
		return ""
	}
	for what, want := range map[string]string{
		"canvas-app dana/Canvas/default":              "would act",
		"mlflow-tracking-server research-experiments": "would act",
		"hyperpod-cluster llm-finetune":               "would act",
		"canvas-app eli/Canvas/default":               "",
		"mlflow-tracking-server research-archive":     "",
	} {
		l := line(out, what)
		if (want == "") != (l == "") || !strings.Contains(l, want) {
			t.Errorf("%s: %q, want %q:\n%s", what, l, want, out)
		}
	}
	if w := writeCalls(env.Emu.Counters()); len(w) != 0 {
		t.Errorf("plan wrote to AWS: %v", w)
	}

	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "no cloudwatch:GetMetricData", Status: 403}}})
	out, errOut, code = runScanCLI(t, env, "AKIDFORGOT", t.TempDir(), "plan", "-f", pol, "--state", filepath.Join(t.TempDir(), "s.db"))
	if l := line(out, "canvas-app dana/Canvas/default"); !strings.Contains(l, "skip") || !strings.Contains(l, "unknown") {
		t.Errorf("dana with CloudWatch denied: %q, want skipped as unknown:\n%s", l, out)
	}
	if code != root.ExitPartial || !strings.Contains(out, "CloudWatch evidence unknown for 2 Canvas app(s) in 123456789012/us-east-1 (not acted on)") {
		t.Errorf("CloudWatch denied: exit %d, want %d (partial), and the Canvas apps reported unknown:\n%s\n%s", code, root.ExitPartial, out, errOut)
	}
}

// TestBadForgottenPolicyChangesNothing: a policy that would delete a
// HyperPod cluster, or judge an MLflow server by idleFor, is refused when
// read, naming file, line and field, before any AWS call.
func TestBadForgottenPolicyChangesNothing(t *testing.T) {
	env := emulatortest.Start(t, forgottenPlanScenario)
	for _, tt := range []struct {
		name, policy string
		want         []string
	}{
		{"delete a HyperPod cluster", strings.Replace(forgottenPlanPolicy, "      - type: tag\n        tags: {sagesaver-reported: \"yes\"}\n", "      - type: delete\n", 1),
			[]string{"policy.yaml:21:15:", "rules[2].actions[0].type", "not reversible"}},
		{"idleFor on MLflow", strings.Replace(forgottenPlanPolicy, "runningFor: 24h", "idleFor: 24h", 1),
			[]string{"policy.yaml:13:16:", "rules[1].conditions.idleFor", "no idle evidence"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := writeFile(t, "policy.yaml", tt.policy)
			env.Emu.ResetCounters()
			out, errOut, code := runScanCLI(t, env, "AKIDFORGOT", t.TempDir(), "apply", "-f", pol, "--yes", "--state", filepath.Join(t.TempDir(), "s.db"))
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
