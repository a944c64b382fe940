package cli

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// badValueCase is one user file with one bad value: the command's last
// stderr line must name FILE:LINE: and the field, and the command must
// make no AWS call at all.
type badValueCase struct {
	name, doc string
	line      int
	field     string
}

func checkBadValue(t *testing.T, env *emulatortest.Env, file string, tt badValueCase, args ...string) {
	t.Helper()
	env.Emu.ResetCounters()
	out, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), args...)
	if code != root.ExitUsage {
		t.Errorf("exit %d, want %d (usage); stderr:\n%s", code, root.ExitUsage, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{file + ":" + strconv.Itoa(tt.line) + ":", `"` + tt.field + `"`} {
		if !strings.Contains(last, want) {
			t.Errorf("error %q lacks %q", last, want)
		}
	}
	if out != "" {
		t.Errorf("stdout: %q", out)
	}
	if c := env.Emu.Counters(); c.Total != 0 {
		t.Errorf("AWS calls with a bad file: %v", c.Calls)
	}
}

// TestBadPolicyValueChangesNothing: `apply --yes` with one bad value in
// the policy names file, line and field and calls AWS not at all.
func TestBadPolicyValueChangesNothing(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	tests := []badValueCase{
		{"idleFor", strings.Replace(planPolicy, "idleFor: 2h", "idleFor: soon", 1), 19, "rules[1].conditions.idleFor"},
		{"grace", strings.Replace(planPolicy, "grace: 72h", "grace: three days", 1), 10, "rules[0].actions[0].grace"},
		{"costAbove", strings.Replace(planPolicy, "      idleFor: 2h\n", "      idleFor: 2h\n      costAbove: a lot\n", 1), 20, "rules[1].conditions.costAbove"},
		{"namePattern", strings.Replace(planPolicy, "namePrefix: dev-", "namePattern: 'dev-('", 1), 17, "rules[1].match.namePattern"},
		{"match tag", strings.Replace(planPolicy, "namePrefix: dev-", "tags: [team=a, =b]", 1), 17, "rules[1].match.tags[1]"},
		{"lookback", strings.Replace(planPolicy, "rules:\n", "lookback: 1w\nrules:\n", 1), 3, "lookback"},
		{"sns", strings.Replace(planPolicy, "sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle", "sns: sagesaver-idle", 1), 13, "rules[0].actions[1].sns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := writeFile(t, "policy.yaml", tt.doc)
			checkBadValue(t, env, pol, tt, "apply", "-f", pol, "--yes", "--state", filepath.Join(t.TempDir(), "s.db"))
		})
	}
}

// TestBadAccountsValueCallsNothing: a bad --accounts file is refused
// before any AWS call (even sts:GetCallerIdentity).
func TestBadAccountsValueCallsNothing(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	const head = "apiVersion: sagesaver.io/v1alpha1\nkind: Accounts\naccounts:\n  - id: \"123456789012\"\n"
	tests := []badValueCase{
		{"id", head + "  - id: \"12345\"\n    name: short\n", 5, "accounts[1].id"},
		{"roleArn", head + "  - id: \"222222222222\"\n    roleArn: role/X\n", 6, "accounts[1].roleArn"},
		{"role in another account", head + "  - id: \"222222222222\"\n    name: b\n    roleArn: arn:aws:iam::333333333333:role/X\n", 7, "accounts[1].roleArn"},
		{"name not a string", head + "    name: [a, b]\n", 5, "accounts[0].name"},
		{"duplicate", head + "  - id: \"123456789012\"\n", 5, "accounts[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "accounts.yaml", tt.doc)
			checkBadValue(t, env, file, tt, "scan", "--accounts", file)
		})
	}
}

// TestBadScheduleValueChangesNothing: `schedule run` with one bad value
// names file, line and field; the stopped notebook it would start stays
// stopped.
func TestBadScheduleValueChangesNothing(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  accessKeys: [AKIDPLAN]
  regions:
    us-east-1:
      topics: [ops]
      notebooks:
      - {name: dev-alice, instanceType: ml.t3.medium, status: Stopped}
`)
	tests := []badValueCase{
		{"cron", strings.Replace(alwaysOn, `periods: [{begin: "00:00", end: "24:00"}]`, "start: cron(0 7 * * MON-FRI)", 1), 6, "schedules[0].start"},
		{"period time", strings.Replace(alwaysOn, `end: "24:00"`, `end: "25:00"`, 1), 6, "schedules[0].periods[0].end"},
		{"time zone", strings.Replace(alwaysOn, "Europe/Berlin", "Europe/Atlantis", 1), 5, "schedules[0].timezone"},
		{"holiday", strings.Replace(alwaysOn, "    targets:", "    holidays: [2026-02-30]\n    targets:", 1), 7, "schedules[0].holidays[0]"},
		{"notify", strings.Replace(alwaysOn, "arn:aws:sns:us-east-1:123456789012:ops", "ops", 1), 9, "notify.snsTopicArn"},
		{"cron that never fires", strings.Replace(alwaysOn, `periods: [{begin: "00:00", end: "24:00"}]`, "start: cron(0 7 31 2 ? *)\n    mode: start-only", 1), 6, "schedules[0].start"},
		{"cron years all past", strings.Replace(alwaysOn, `periods: [{begin: "00:00", end: "24:00"}]`, "start: cron(0 7 ? * MON-FRI 2020-2024)\n    mode: start-only", 1), 6, "schedules[0].start"},
		{"cron list EventBridge refuses", strings.Replace(alwaysOn, `periods: [{begin: "00:00", end: "24:00"}]`, "start: cron(0 7 ? * MON#1,FRI#2 *)\n    mode: start-only", 1), 6, "schedules[0].start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "schedules.yaml", tt.doc)
			checkBadValue(t, env, file, tt, "schedule", "run", "-f", file, "--yes", "--region", "us-east-1", "--state", filepath.Join(t.TempDir(), "s.db"))
			d, err := env.Clients("us-east-1").SageMaker.DescribeNotebookInstance(context.Background(),
				&sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")})
			if err != nil || d.NotebookInstanceStatus != "Stopped" {
				t.Errorf("dev-alice after a bad schedule file: %v (%v); want Stopped", notebookStatus(d), err)
			}
		})
	}
	// The same file, fixed, does start it: the cases above failed on
	// their bad value, not on something else.
	file := writeFile(t, "schedules.yaml", alwaysOn)
	if _, errOut, code := runScanCLI(t, env, "AKIDPLAN", t.TempDir(), "schedule", "run", "-f", file, "--yes", "--region", "us-east-1", "--state", filepath.Join(t.TempDir(), "s.db")); code != 0 {
		t.Fatalf("good file: exit %d: %s", code, errOut)
	}
	d, err := env.Clients("us-east-1").SageMaker.DescribeNotebookInstance(context.Background(),
		&sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")})
	if err != nil || d.NotebookInstanceStatus != "Pending" {
		t.Errorf("dev-alice after the good schedule file: %v (%v); want Pending", notebookStatus(d), err)
	}
}

func notebookStatus(d *sagemaker.DescribeNotebookInstanceOutput) string {
	if d == nil {
		return ""
	}
	return string(d.NotebookInstanceStatus)
}

// TestBadConfigValueCallsNothing: a bad value in the config file is one
// error naming file, line and field, before any AWS call.
func TestBadConfigValueCallsNothing(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	const head = "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: [us-east-1]\n"
	tests := []badValueCase{
		{"output", head + "output: xml\n", 4, "output"},
		{"logLevel", head + "logLevel: loud\n", 4, "logLevel"},
		{"cloudwatchProtocol", head + "cloudwatchProtocol: json\n", 4, "cloudwatchProtocol"},
		{"regions not a list", "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: {us: east}\n", 3, "regions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "config.yaml", tt.doc)
			checkBadValue(t, env, file, tt, "scan", "--config", file)
		})
	}
}
