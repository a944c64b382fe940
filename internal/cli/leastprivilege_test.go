package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/iampolicy"
)

const leastPrivilegeScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    accessKeys: [AKIDIAM]
    regions:
      us-east-1:
        topics: [ops]
        notebooks:
          - {name: dev-alice, instanceType: ml.t3.medium, status: Stopped}
          - {name: prod-api, instanceType: ml.m5.xlarge, status: InService}
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

// TestLeastPrivilege runs the end-to-end commands against the emulator and
// checks every (service, operation) it received: each is declared in
// awsapi.Operations, and its IAM actions are in the generated policy of
// the flavour the command runs with (read-only for scan, advise, serve,
// lifecycle audit and plan, act for apply, restore and schedule run; the hub's for
// notices and prices).
func TestLeastPrivilege(t *testing.T) {
	env := emulatortest.Start(t, leastPrivilegeScenario)
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second,
		EndpointInService: 20 * time.Second, MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	pol := writeFile(t, "policy.yaml", restorePolicy)
	sched := writeFile(t, "schedules.yaml", alwaysOn)
	runFile := writeFile(t, "run.yaml", "apiVersion: sagesaver.io/v1alpha1\nkind: Run\ntargets: {regions: [us-east-1]}\n"+
		"policies: [{file: "+pol+"}]\nschedules: [{file: "+sched+"}]\nmode: enforce\n")
	state := filepath.Join(t.TempDir(), "state.db")
	cli := func(args ...string) {
		t.Helper()
		runScanCLI(t, env, "AKIDIAM", t.TempDir(), "version") // sets the environment
		var out, errb bytes.Buffer
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
		a.Clock = env.Emu.Clock()
		stop := env.Tick(2*time.Millisecond, 15*time.Second)
		code := run(context.Background(), a, append(args, "--endpoint-url", env.URL, "--region", "us-east-1", "--state", state))
		stop()
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out.String(), errb.String())
		}
	}
	policyOf := func(name string) []string {
		f, err := awsapi.FlavourNamed(name)
		if err != nil {
			t.Fatal(err)
		}
		return iampolicy.Generate(f, nil).Actions("Allow")
	}
	readOnly, act, hub := policyOf("read-only"), policyOf("act"), policyOf("hub")
	// The run file's act flavour (sagesaver iam policy --flavour act -f):
	// read-only plus the writes its policies and schedules make.
	runAct := func() []string {
		f, err := actForRun(runFile)
		if err != nil {
			t.Fatal(err)
		}
		return iampolicy.Generate(f, nil).Actions("Allow")
	}()
	if slices.Contains(runAct, "sagemaker:CreateEndpoint") || !slices.Contains(runAct, "sagemaker:DeleteEndpoint") {
		t.Fatalf("the run file's act policy: %v", runAct)
	}

	all := map[string]bool{}
	for _, step := range []struct {
		args     []string
		flavours [][]string
	}{
		{[]string{"scan"}, [][]string{readOnly}},
		{[]string{"advise"}, [][]string{readOnly}},
		{[]string{"serve", "--once"}, [][]string{readOnly}},
		{[]string{"lifecycle", "audit"}, [][]string{readOnly}},
		{[]string{"plan", "-f", pol}, [][]string{readOnly}},
		{[]string{"pricing", "refresh"}, [][]string{hub}},
		{[]string{"apply", "-f", pol, "--yes"}, [][]string{act, hub}},
		{[]string{"restore", "endpoint", "idle-ep", "--yes"}, [][]string{act, hub}},
		{[]string{"schedule", "run", "-f", sched, "--yes"}, [][]string{act, hub}},
		// The tick, as the Lambda function and cron run it.
		{[]string{"run", "-f", runFile, "--dry-run"}, [][]string{readOnly, hub}},
		{[]string{"run", "-f", runFile}, [][]string{runAct, hub}},
	} {
		env.Emu.ResetCounters()
		cli(step.args...)
		observed := env.Emu.Counters().Calls
		if len(observed) == 0 {
			t.Fatalf("%v: the emulator received nothing", step.args)
		}
		keys := make([]string, 0, len(observed))
		for k := range observed {
			keys = append(keys, k)
			all[k] = true
		}
		sort.Strings(keys)
		for _, k := range keys {
			svc, name, _ := strings.Cut(k, ":")
			o, ok := awsapi.Declared(svc, name)
			if !ok {
				t.Errorf("%v called %s, which awsapi.Operations does not declare", step.args, k)
				continue
			}
			for _, a := range o.Actions {
				if !slices.ContainsFunc(step.flavours, func(p []string) bool { return slices.Contains(p, a) }) {
					t.Errorf("%v called %s (declared %s): its action %s is not in the policy the command runs with", step.args, k, o.Access, a)
				}
			}
		}
	}
	// The runs did what the test is about: reads, deletes, re-creates
	// with autoscaling, starts and notices.
	for _, k := range []string{"sagemaker:Search", "cloudwatch:GetMetricData", "sagemaker:DeleteEndpoint", "sagemaker:CreateEndpoint",
		"application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy", "sagemaker:StartNotebookInstance", "sns:Publish", "pricing:GetProducts"} {
		if !all[k] {
			t.Errorf("no run called %s: the test no longer covers it", k)
		}
	}
}

func TestIAMPolicyCommand(t *testing.T) {
	for _, f := range awsapi.Flavours {
		out, errOut, code := runOffline(t, "iam", "policy", "--flavour", f.Name)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", f.Name, code, errOut)
		}
		var doc iampolicy.Document
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", f.Name, err, out)
		}
		if diff := cmp.Diff(iampolicy.Generate(f, nil).Actions("Allow"), doc.Actions("Allow")); diff != "" {
			t.Errorf("%s: printed policy differs from the generated one (-want +got):\n%s", f.Name, diff)
		}
	}
	// -f narrows act to the run file's writes (iampolicy.ForRun).
	out, errOut, code := runOffline(t, "iam", "policy", "--flavour", "act", "-f", "../../examples/run/run.yaml")
	var doc iampolicy.Document
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("act -f: exit %d\n%s%s", code, out, errOut)
	}
	if f, err := actForRun("../../examples/run/run.yaml"); err != nil {
		t.Fatal(err)
	} else if diff := cmp.Diff(iampolicy.Generate(f, nil), doc); diff != "" {
		t.Errorf("act -f: (-want +got):\n%s", diff)
	}
	if slices.Contains(doc.Actions("Allow"), "sagemaker:DeleteEndpoint") {
		t.Errorf("act -f examples/run/run.yaml allows DeleteEndpoint; its endpoint rule only notifies")
	}
	if _, errOut, code := runOffline(t, "iam", "policy", "--flavour", "hub", "-f", "../../examples/run/run.yaml"); code != root.ExitUsage || !strings.Contains(errOut, "-f applies to --flavour act") {
		t.Errorf("hub -f: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runOffline(t, "iam", "policy", "--flavour", "admin"); code != root.ExitUsage || !strings.Contains(errOut, `unknown flavour "admin"`) {
		t.Errorf("--flavour admin: exit %d, %q", code, errOut)
	}
}

// TestLeastPrivilegeRunFile: `sagesaver run -f FILE` in enforce mode, on a
// fresh account where its policy deletes an idle endpoint and its schedule
// starts a notebook, calls only operations whose actions are in the run
// file's act policy (sagesaver iam policy --flavour act -f FILE) or the
// hub's; and that policy holds no write the file does not use.
func TestLeastPrivilegeRunFile(t *testing.T) {
	env := emulatortest.Start(t, leastPrivilegeScenario)
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second,
		EndpointInService: 20 * time.Second, MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	pol := writeFile(t, "policy.yaml", restorePolicy)
	sched := writeFile(t, "schedules.yaml", alwaysOn)
	runFile := writeFile(t, "run.yaml", "apiVersion: sagesaver.io/v1alpha1\nkind: Run\ntargets: {regions: [us-east-1]}\n"+
		"policies: [{file: "+pol+"}]\nschedules: [{file: "+sched+"}]\nmode: enforce\n")
	f, err := actForRun(runFile)
	if err != nil {
		t.Fatal(err)
	}
	runAct := iampolicy.Generate(f, nil).Actions("Allow")
	read, _ := awsapi.FlavourNamed("read-only")
	var writes []string
	for _, a := range runAct {
		if !slices.Contains(read.Actions(), a) {
			writes = append(writes, a)
		}
	}
	// delete on endpoint; the notebook schedule starts and stops.
	if diff := cmp.Diff([]string{"sagemaker:DeleteEndpoint", "sagemaker:StartNotebookInstance", "sagemaker:StopNotebookInstance"}, writes); diff != "" {
		t.Errorf("the run file's writes (-want +got):\n%s", diff)
	}
	hubF, _ := awsapi.FlavourNamed("hub")
	hub := iampolicy.Generate(hubF, nil).Actions("Allow")

	runScanCLI(t, env, "AKIDIAM", t.TempDir(), "version") // sets the environment
	var out, errb bytes.Buffer
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = env.Emu.Clock()
	env.Emu.ResetCounters()
	stop := env.Tick(2*time.Millisecond, 15*time.Second)
	code := run(context.Background(), a, []string{"run", "-f", runFile, "--endpoint-url", env.URL, "--region", "us-east-1",
		"--state", filepath.Join(t.TempDir(), "state.db")})
	stop()
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	observed := env.Emu.Counters().Calls
	for _, k := range []string{"sagemaker:DeleteEndpoint", "sagemaker:StartNotebookInstance"} {
		if observed[k] == 0 {
			t.Errorf("the run did not call %s: the test no longer covers its writes\n%s", k, errb.String())
		}
	}
	for k := range observed {
		svc, name, _ := strings.Cut(k, ":")
		o, ok := awsapi.Declared(svc, name)
		if !ok {
			t.Errorf("run called %s, which awsapi.Operations does not declare", k)
			continue
		}
		for _, act := range o.Actions {
			if !slices.Contains(runAct, act) && !slices.Contains(hub, act) {
				t.Errorf("run called %s (declared %s): %s is in neither the run file's act policy nor the hub's", k, o.Access, act)
			}
		}
	}
}
