package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The emulator runs on the wall clock here (no now:), so the schedule must
// want the same thing at any time: always running.
const runFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      topics: [ops]
      notebooks:
      - {name: dev-alice, instanceType: ml.t3.medium, status: Stopped}
      - {name: prod-api, instanceType: ml.m5.xlarge, status: Stopped}
`

const alwaysOn = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: always-on
    timezone: Europe/Berlin
    periods: [{begin: "00:00", end: "24:00"}]
    targets: [{kind: notebook, namePrefix: dev-}]
notify:
  snsTopicArn: arn:aws:sns:us-east-1:123456789012:ops
`

// startScheduleRun starts the emulator with runFleet, writes alwaysOn to
// dir/schedules.yaml and leaves the SDK only the emulator's credentials.
func startScheduleRun(t *testing.T) (env *emulatortest.Env, dir, file string) {
	t.Helper()
	env = emulatortest.Start(t, runFleet)
	dir = t.TempDir()
	file = filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(file, []byte(alwaysOn), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	return env, dir, file
}

func TestScheduleRunAndExplainAgainstEmulator(t *testing.T) {
	env, dir, file := startScheduleRun(t)
	t.Setenv("AWS_PROFILE", "")
	state := filepath.Join(dir, "state", "sagesaver.db")
	base := []string{"--endpoint-url", env.URL, "--region", "us-east-1", "--state", state}
	status := func(name string) string {
		d, err := env.Clients("us-east-1").SageMaker.DescribeNotebookInstance(context.Background(),
			&sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return string(d.NotebookInstanceStatus)
	}

	out, errOut, code := runSchedule(t, append(base, "schedule", "run", "-f", file)...)
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "dry run: nothing changed") || !strings.Contains(out, "dev-alice") || !strings.Contains(out, "dry-run") ||
		strings.Contains(out, "prod-api") {
		t.Errorf("dry-run output:\n%s", out)
	}
	if s := status("dev-alice"); s != "Stopped" {
		t.Errorf("after a dry run dev-alice is %s", s)
	}

	out, errOut, code = runSchedule(t, append(base, "-o", "json", "schedule", "run", "-f", file, "--yes")...)
	if code != 0 {
		t.Fatalf("run --yes: exit %d\n%s%s", code, out, errOut)
	}
	checkSchema(t, "schedule-run", out)
	var rep scheduleRunJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.DryRun || len(rep.Outcomes) != 1 || rep.Outcomes[0].Name != "dev-alice" || rep.Outcomes[0].Result != "ok" ||
		rep.Outcomes[0].Action != "start" || !rep.Notified {
		t.Errorf("run --yes: %+v", rep)
	}
	if s := status("dev-alice"); s != "Pending" {
		t.Errorf("after run --yes dev-alice is %s, want Pending", s)
	}
	if s := status("prod-api"); s != "Stopped" {
		t.Errorf("prod-api is %s: not a target, must be untouched", s)
	}
	pub := env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "dev-alice (us-east-1, notebook-instance, account 123456789012): started") {
		t.Errorf("digests: %+v", pub)
	}

	// The audit log in --state has the dry run and the real start.
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	actions, err := st.Actions(context.Background(), store.ActionFilter{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 2 || actions[0].DryRun || !actions[1].DryRun || actions[0].Verb != "start" || actions[0].Result != store.ResultOK {
		t.Errorf("audit log: %+v", actions)
	}

	out, errOut, code = runSchedule(t, append(base, "schedule", "explain", "dev-alice", "-f", file)...)
	if code != 0 {
		t.Fatalf("explain: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"dev-alice (us-east-1, notebook-instance ml.t3.medium): Pending",
		"schedule:    always-on (time zone Europe/Berlin, start-stop)", "desired:     running: always inside its periods",
		"remembered:  running applied at", "a run now:   nothing: resource is Pending: deciding on the next run"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	t.Setenv("SAGESAVER_TEST_HOOK", "")
	if _, errOut, code := runSchedule(t, append(base, "schedule", "run", "-f", file, "--webhook-url-env", "SAGESAVER_TEST_HOOK")...); code != 2 ||
		!strings.Contains(errOut, "environment variable SAGESAVER_TEST_HOOK is empty or not set") {
		t.Errorf("unset webhook variable: exit %d, %q", code, errOut)
	}
	if _, _, code := runSchedule(t, append(base, "schedule", "explain", "nobody", "-f", file)...); code != 1 {
		t.Errorf("explain of an unknown notebook: exit %d, want 1", code)
	}
}

func TestScheduleRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(file, []byte(alwaysOn), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"schedule", "run"}, "-f FILE is required"},
		{"short interval", []string{"schedule", "run", "-f", file, "--daemon", "--interval", "10s"}, `"--interval" flag: "10s" is too short: at least 1m`},
		{"csv", []string{"-o", "csv", "schedule", "run", "-f", file}, "-o csv is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runSchedule(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

func TestScheduleRunDaemonStopsOnInterrupt(t *testing.T) {
	env, dir, file := startScheduleRun(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb strings.Builder
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"--endpoint-url", env.URL, "--region", "us-east-1", "--state", filepath.Join(dir, "s.db"),
			"schedule", "run", "-f", file, "--yes", "--daemon", "--interval", "1h"}, Stdio{In: strings.NewReader(""), Out: &syncWriter{b: &out}, Err: &syncWriter{b: &errb}})
	}()
	// The first run happens at once: wait for its digest, then interrupt.
	deadline := time.Now().Add(30 * time.Second)
	for len(env.Emu.Published()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the daemon's first run published nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after interrupt, want 0; stderr: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop on interrupt")
	}
}

// syncWriter serializes writes from the command's goroutine.
type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestScheduleRunAcrossAccounts: with --accounts, schedule run acts in
// every account it can enter (through STS AssumeRole) and reports the one
// it cannot as a failure of the run (exit 3), in its output and its
// digest; explain finds a notebook in a member account.
func TestScheduleRunAcrossAccounts(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "111111111111"
  accessKeys: [AKIAMGMT]
  regions:
    us-east-1:
      topics: [ops]
      notebooks: [{name: dev-mgmt, instanceType: ml.t3.medium, status: Stopped}]
- id: "222222222222"
  accessKeys: [AKIAMEMBER]
  roles: [OrganizationAccountAccessRole]
  regions:
    us-east-1:
      notebooks:
      - {name: dev-member, instanceType: ml.t3.medium, status: Stopped}
      - {name: prod-member, instanceType: ml.m5.xlarge, status: Stopped}
- id: "444444444444"
  roles: [SomethingElse]
`)
	dir := t.TempDir()
	file := filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(alwaysOn, "123456789012", "111111111111")), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(accounts, []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Accounts
accounts:
  - id: "111111111111"
  - id: "222222222222"
  - id: "444444444444"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMGMT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_PROFILE", "")
	base := []string{"--endpoint-url", env.URL, "--region", "us-east-1", "--state", filepath.Join(dir, "state.db")}

	out, errOut, code := runSchedule(t, append(base, "-o", "json", "schedule", "run", "-f", file, "--accounts", accounts, "--yes")...)
	if code != root.ExitPartial {
		t.Fatalf("exit %d, want %d (444444444444 cannot be entered)\n%s%s", code, root.ExitPartial, out, errOut)
	}
	var rep scheduleRunJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var started []string
	for _, o := range rep.Outcomes {
		if o.Result == "ok" && o.Action == "start" {
			started = append(started, o.Account+"/"+o.Name)
		}
	}
	if strings.Join(started, " ") != "111111111111/dev-mgmt 222222222222/dev-member" {
		t.Errorf("started %v, want dev-mgmt and dev-member; outcomes %+v", started, rep.Outcomes)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "444444444444") || !strings.Contains(rep.Errors[0], "assume role") {
		t.Errorf("errors %q, want the one account that could not be entered", rep.Errors)
	}
	member := sagemaker.NewFromConfig(emulatortest.Config(t, env.URL, "AKIAMEMBER"))
	for name, want := range map[string]string{"dev-member": "Pending", "prod-member": "Stopped"} {
		d, err := member.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil || string(d.NotebookInstanceStatus) != want {
			t.Errorf("%s in 222222222222: %v (%v), want %s", name, d, err, want)
		}
	}
	pub := env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "444444444444") {
		t.Errorf("digest does not report the account it could not enter: %+v", pub)
	}

	out, errOut, code = runSchedule(t, append(base, "schedule", "explain", "dev-member", "-f", file, "--accounts", accounts)...)
	if code != 0 || !strings.Contains(out, "dev-member (us-east-1, notebook-instance ml.t3.medium): Pending") {
		t.Errorf("explain in a member account: exit %d\n%s%s", code, out, errOut)
	}
}

// schedule run decides on the app's clock (here the emulator's, fixed at
// 2026-11-21 12:00 UTC), not the wall clock: the schedule started at 07:00
// that day and stops at 17:00, so at the app's noon it wants dev-alice
// running; on the wall clock (any later day) it would want her stopped
// and do nothing.
func TestScheduleRunOnTheAppClock(t *testing.T) {
	const fleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-21T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      notebooks:
      - {name: dev-alice, instanceType: ml.t3.medium, status: Stopped, age: 10d, lastModified: 20h}
`
	const oneDay = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: one-saturday
    timezone: UTC
    start: cron(0 7 21 11 ? 2026)
    stop: cron(0 17 21 11 ? 2026)
    targets: [{kind: notebook, namePrefix: dev-}]
`
	env := emulatortest.Start(t, fleet)
	dir := t.TempDir()
	file := filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(file, []byte(oneDay), 0o600); err != nil {
		t.Fatal(err)
	}
	runScanCLI(t, env, "AKIDSCHEDCLOCK", dir, "version") // sets the environment
	var out, errb strings.Builder
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = env.Emu.Clock()
	code := run(t.Context(), a, []string{"-o", "json", "schedule", "run", "-f", file, "--yes", "--endpoint-url", env.URL,
		"--region", "us-east-1", "--state", filepath.Join(dir, "state.db")})
	if code != 0 {
		t.Fatalf("schedule run: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var rep scheduleRunJSON
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Outcomes) != 1 || rep.Outcomes[0].Name != "dev-alice" || rep.Outcomes[0].Action != "start" || rep.Outcomes[0].Result != "ok" {
		t.Errorf("at the app's 12:00 the schedule wants dev-alice running; the run did %+v", rep.Outcomes)
	}
}
