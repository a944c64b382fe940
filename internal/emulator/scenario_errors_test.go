package emulator_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// scenarioHead is lines 1-8; each case adds lines from 9 on, in a second
// region (or a later list entry), so that a line found by key name alone
// would be wrong.
const scenarioHead = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  regions:
    eu-west-1:
      notebooks:
      - {name: ok, instanceType: ml.t3.medium, age: 3d}
`

// TestScenarioErrorsNameFileLineAndField: a bad value anywhere in a
// scenario (found by the kind loaders after decoding) is one error that
// starts "FILE:LINE:COL:" and names the field.
func TestScenarioErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name, doc string
		line      int
		field     string
		msg       string
	}{
		{
			name:  "notebook age",
			doc:   "    us-east-1:\n      notebooks:\n      - name: a\n        instanceType: ml.t3.medium\n      - name: b\n        instanceType: ml.t3.medium\n        age: 3x\n",
			line:  15,
			field: "accounts[0].regions.us-east-1.notebooks[1].age",
			msg:   `bad age "3x"`,
		},
		{
			name:  "notebook status",
			doc:   "    us-east-1:\n      notebooks:\n      - name: a\n        instanceType: ml.t3.medium\n        status: Sleeping\n",
			line:  13,
			field: "accounts[0].regions.us-east-1.notebooks[0].status",
			msg:   `"Sleeping" is not one of`,
		},
		{
			name:  "notebook without instance type, at the notebook",
			doc:   "    us-east-1:\n      notebooks:\n      - name: a\n",
			line:  11,
			field: "accounts[0].regions.us-east-1.notebooks[0]",
			msg:   "name and instanceType are required",
		},
		{
			name:  "endpoint variant instance type",
			doc:   "    us-east-1:\n      endpoints:\n      - name: e\n        variants:\n        - name: A\n          image: i\n          instanceType: m5.large\n",
			line:  15,
			field: "accounts[0].regions.us-east-1.endpoints[0].variants[0].instanceType",
			msg:   "is not a SageMaker instance type",
		},
		{
			name:  "metric age",
			doc:   "    us-east-1:\n      metrics:\n      - metric: Invocations\n        endpoint: e\n        value: 1\n        from: yesterday\n",
			line:  14,
			field: "accounts[0].regions.us-east-1.metrics[0].from",
			msg:   "yesterday",
		},
		{
			name:  "training job instance type",
			doc:   "    us-east-1:\n      trainingJobs:\n      - name: t\n        instanceType: p3.2xlarge\n",
			line:  12,
			field: "accounts[0].regions.us-east-1.trainingJobs[0].instanceType",
			msg:   "is not an ml.* instance type",
		},
		{
			name:  "domain age",
			doc:   "    us-east-1:\n      domains:\n      - name: d\n        age: old\n",
			line:  12,
			field: "accounts[0].regions.us-east-1.domains[0].age",
			msg:   `"old"`,
		},
		{
			name:  "price",
			doc:   "prices:\n- region: us-east-1\n  instanceType: ml.m5.large\n  component: hosting\n  usdPerHour: cheap\n",
			line:  13,
			field: "prices[0].usdPerHour",
		},
		{
			name:  "fault latency",
			doc:   "faults:\n  latency:\n    sagemaker:ListEndpoints: 10ms\n    sagemaker:DescribeEndpoint: slow\n",
			line:  12,
			field: "faults.latency.sagemaker:DescribeEndpoint",
			msg:   `"slow" is not a duration`,
		},
		{
			name:  "now not a time",
			doc:   "now: next tuesday\n",
			line:  9,
			field: "now",
			msg:   "is not a time",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadScenario(scenarioHead + tt.doc)
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *config.FileError", err)
			}
			if fe.Line != tt.line || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("got %v\nwant line %d, field %q, message containing %q", err, tt.line, tt.field, tt.msg)
			}
			if want := "s.yaml:" + strconv.Itoa(tt.line) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func loadScenario(doc string) error {
	sc, err := emulator.ParseScenario("s.yaml", []byte(doc))
	if err != nil {
		return err
	}
	return emulator.New(emulator.Options{}).Load(sc)
}

// TestBadScenarioChangesNothing: a scenario that fails to load leaves the
// emulator as it was: its resources, clock, faults and counters.
func TestBadScenarioChangesNothing(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  accessKeys: [AKIDEMULATOR]
  regions:
    us-east-1:
      notebooks:
      - {name: kept, instanceType: ml.t3.medium}
`)
	ctx := context.Background()
	sm := env.Clients("us-east-1").SageMaker
	if _, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	before := env.Emu.Counters().Total
	bad, err := emulator.ParseScenario("bad.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2030-01-01T00:00:00Z
faults:
  errors: [{operation: "sagemaker:DescribeNotebookInstance", code: Boom, status: 500}]
accounts:
- id: "123456789012"
  accessKeys: [AKIDEMULATOR]
  regions:
    us-east-1:
      notebooks:
      - {name: other, instanceType: ml.t3.medium}
      - {name: broken, instanceType: ml.t3.medium, age: 3x}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Emu.Load(bad); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:13:") {
		t.Fatalf("Load(bad) = %v, want an error at bad.yaml:13", err)
	}
	if got := env.Emu.Now(); !got.Equal(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("clock after a bad scenario: %v", got)
	}
	if got := env.Emu.Counters().Total; got != before {
		t.Errorf("counters after a bad scenario: %d, want %d", got, before)
	}
	if _, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("kept")}); err != nil {
		t.Errorf("kept after a bad scenario: %v (the old state and no fault)", err)
	}
	if _, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("other")}); err == nil {
		t.Error("the bad scenario's notebook other exists")
	}
}
