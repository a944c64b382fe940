package lifecycle

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const fleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        lifecycleConfigs:
          - name: team-setup
            onStart: |
              #!/bin/bash
              pip install -q pandas
          - name: aws-autostop
            onStart: |
              #!/bin/bash
              set -e
              IDLE_TIME=3600
              wget https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-samples/master/scripts/auto-stop-idle/autostop.py
              (crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python $PWD/autostop.py --time $IDLE_TIME --ignore-connections") | crontab -
        notebooks:
          - name: running
            instanceType: ml.t3.medium
          - name: stopped
            instanceType: ml.m5.xlarge
            status: Stopped
          - name: custom
            instanceType: ml.t3.medium
            status: Stopped
            lifecycleConfig: team-setup
          - name: sampled
            instanceType: ml.g4dn.xlarge
            lifecycleConfig: aws-autostop
`

func testScript(t *testing.T) string {
	t.Helper()
	s, err := Render(renderOpts("s3://bucket/tools/sagesaver", testSHA))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ticking moves the emulator's virtual clock forward while a waiter polls.
func ticking(t *testing.T, env *emulatortest.Env) {
	t.Cleanup(env.Tick(20*time.Millisecond, 30*time.Second))
}

func TestInstall(t *testing.T) {
	ctx := context.Background()
	env := emulatortest.Start(t, fleet)
	ticking(t, env)
	sm := env.Clients("us-east-1").SageMaker
	opts := func(nb string, yes bool) InstallOptions {
		return InstallOptions{Notebook: nb, Script: testScript(t), Yes: yes, WaitDelay: 50 * time.Millisecond, WaitTimeout: time.Minute}
	}
	describe := func(nb string) *sagemaker.DescribeNotebookInstanceOutput {
		out, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(nb)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// A stopped instance: created and attached, no stop.
	res, err := Install(ctx, sm, opts("stopped", false))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(InstallResult{Config: "created", Attached: true}, res); diff != "" {
		t.Errorf("stopped (-want +got)\n%s", diff)
	}
	if got := aws.ToString(describe("stopped").NotebookInstanceLifecycleConfigName); got != DefaultName {
		t.Errorf("attached %q, want %q", got, DefaultName)
	}
	lc, err := sm.DescribeNotebookInstanceLifecycleConfig(ctx, &sagemaker.DescribeNotebookInstanceLifecycleConfigInput{NotebookInstanceLifecycleConfigName: aws.String(DefaultName)})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := base64.StdEncoding.DecodeString(aws.ToString(lc.OnStart[0].Content)); string(got) != testScript(t) {
		t.Errorf("stored script differs from the rendered one")
	}

	// An InService instance is not stopped without --yes.
	stops := func() int64 { return env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"] }
	if _, err := Install(ctx, sm, opts("running", false)); !errors.Is(err, ErrNeedsStop) {
		t.Fatalf("running without yes: err = %v, want ErrNeedsStop", err)
	}
	if stops() != 0 || describe("running").NotebookInstanceLifecycleConfigName != nil {
		t.Fatalf("without --yes: %d stops, config %v", stops(), describe("running").NotebookInstanceLifecycleConfigName)
	}
	// With it: stopped, attached, started again.
	res, err = Install(ctx, sm, opts("running", true))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(InstallResult{Config: "unchanged", Attached: true, Stopped: true, Started: true}, res); diff != "" {
		t.Errorf("running --yes (-want +got)\n%s", diff)
	}
	d := describe("running")
	if aws.ToString(d.NotebookInstanceLifecycleConfigName) != DefaultName || d.NotebookInstanceStatus != smtypes.NotebookInstanceStatusPending && d.NotebookInstanceStatus != smtypes.NotebookInstanceStatusInService {
		t.Errorf("running after install: %s with %q", d.NotebookInstanceStatus, aws.ToString(d.NotebookInstanceLifecycleConfigName))
	}

	// A new script updates the configuration in place; nothing to attach.
	o := opts("stopped", false)
	o.Script = strings.Replace(o.Script, "idleTime: 1h0m0s", "idleTime: 2h0m0s", 1)
	if res, err = Install(ctx, sm, o); err != nil || res != (InstallResult{Config: "updated"}) {
		t.Errorf("update: %+v, %v", res, err)
	}

	// Someone else's configuration is neither replaced nor overwritten.
	if _, err := Install(ctx, sm, opts("custom", true)); err == nil || !strings.Contains(err.Error(), "team-setup") {
		t.Errorf("custom: err = %v, want a refusal naming team-setup", err)
	}
	o = opts("custom", true)
	o.Name = "team-setup"
	if _, err := Install(ctx, sm, o); err == nil || !strings.Contains(err.Error(), "not written by sagesaver") {
		t.Errorf("overwrite team-setup: err = %v", err)
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	env := emulatortest.Start(t, fleet)
	sm := env.Clients("us-east-1").SageMaker
	if _, err := Install(ctx, sm, InstallOptions{Notebook: "stopped", Script: testScript(t)}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(10 * time.Minute) // Updating -> Stopped
	got, err := Audit(ctx, sm)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Finding{}
	for _, f := range got {
		byName[f.Notebook] = f
	}
	want := map[string]Finding{
		"running": {Notebook: "running", Status: "InService", InstanceType: "ml.t3.medium", AutoStop: AutoStopNone},
		"stopped": {Notebook: "stopped", Status: "Stopped", InstanceType: "ml.m5.xlarge", LifecycleConfig: DefaultName, AutoStop: AutoStopSagesaver, IdleTime: "1h0m0s"},
		"custom":  {Notebook: "custom", Status: "Stopped", InstanceType: "ml.t3.medium", LifecycleConfig: "team-setup", AutoStop: AutoStopNone},
		"sampled": {Notebook: "sampled", Status: "InService", InstanceType: "ml.g4dn.xlarge", LifecycleConfig: "aws-autostop", AutoStop: AutoStopSample, IdleTime: "1h0m0s"},
	}
	if diff := cmp.Diff(want, byName); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}
