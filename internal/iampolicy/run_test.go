package iampolicy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/schedule"
)

// TestForRun: the act flavour of a run file holds the read-only actions
// plus exactly the writes its policies and schedules make, and nothing for
// the actions and kinds it does not use.
func TestForRun(t *testing.T) {
	d := mustData(t)
	read, _ := awsapi.FlavourNamed("read-only")
	for _, tc := range []struct {
		file string
		want []string // allowed beyond read-only; also what is denied on protected resources
	}{
		// stop notebook-instance (policy); notebook and studio-app
		// (schedules); notify on endpoints writes nothing in the spoke.
		{"../../examples/run/run.yaml", []string{"sagemaker:DeleteApp", "sagemaker:StartNotebookInstance", "sagemaker:StopNotebookInstance"}},
		// delete endpoint, mark-then-stop MLflow, set-idle-shutdown on
		// spaces (policy); notebook (schedule).
		{"testdata/run.yaml", []string{"sagemaker:AddTags", "sagemaker:DeleteEndpoint", "sagemaker:DeleteTags",
			"sagemaker:StartNotebookInstance", "sagemaker:StopMlflowTrackingServer", "sagemaker:StopNotebookInstance", "sagemaker:UpdateSpace"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := runconfig.Read(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ForRun(r)
			if err != nil {
				t.Fatal(err)
			}
			doc := Generate(f, nil)
			if err := Check(doc, d, false); err != nil {
				t.Fatal(err)
			}
			var extra []string
			for _, a := range doc.Actions("Allow") {
				if !slices.Contains(read.Actions(), a) {
					extra = append(extra, a)
				}
			}
			if diff := cmp.Diff(tc.want, extra); diff != "" {
				t.Errorf("writes allowed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, doc.Actions("Deny")); diff != "" {
				t.Errorf("writes denied on protected resources (-want +got):\n%s", diff)
			}
			for _, a := range read.Actions() {
				if !slices.Contains(doc.Actions("Allow"), a) {
					t.Errorf("%s: read-only action missing", a)
				}
			}
		})
	}
}

// TestForRunReadOnly: a run file whose policies only notify and that has no
// schedules gets the read-only actions and no Deny statement (IAM refuses
// an empty Action list).
func TestForRunReadOnly(t *testing.T) {
	r, err := runconfig.Decode("run.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Run
targets: {regions: [us-east-1]}
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - {name: n, resource: endpoint, actions: [{type: notify, sns: "arn:aws:sns:us-east-1:111111111111:t"}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ForRun(r)
	if err != nil {
		t.Fatal(err)
	}
	read, _ := awsapi.FlavourNamed("read-only")
	doc := Generate(f, nil)
	if diff := cmp.Diff(read.Actions(), doc.Actions("Allow")); diff != "" {
		t.Errorf("(-read-only +got):\n%s", diff)
	}
	if len(doc.Statement) != 1 {
		t.Errorf("want one statement, got %+v", doc.Statement)
	}
}

// TestRunUses keeps awsapi.RunUses in step with what a run file can say:
// every action each policy kind allows and every schedule kind has an
// entry, every entry names a policy action, kind or schedule kind that
// exists, and every operation it names is a declared Act operation.
func TestRunUses(t *testing.T) {
	for _, k := range policy.Kinds {
		for _, at := range policy.ActionTypes {
			if at == policy.MarkAction || !policy.Applies(at, k) {
				continue
			}
			if _, ok := awsapi.UsedOps(awsapi.UseByPolicy, string(at), string(k)); !ok {
				t.Errorf("policy action %s on %s: no entry in awsapi.RunUses", at, k)
			}
		}
		if _, ok := awsapi.UsedOps(awsapi.UseByPolicy, string(policy.MarkAction), string(k)); !ok {
			t.Errorf("policy action mark on %s: no entry in awsapi.RunUses", k)
		}
	}
	for _, k := range schedule.Kinds {
		if _, ok := awsapi.UsedOps(awsapi.UseBySchedule, "", string(k)); !ok {
			t.Errorf("schedule kind %s: no entry in awsapi.RunUses", k)
		}
	}
	for _, u := range awsapi.RunUses {
		switch u.By {
		case awsapi.UseByPolicy:
			if !slices.Contains(policy.ActionTypes, policy.ActionType(u.Action)) {
				t.Errorf("%+v: no such policy action", u)
			}
			if u.Kind != "" && !policy.Applies(policy.ActionType(u.Action), policy.Kind(u.Kind)) {
				t.Errorf("%+v: the action does not apply to the kind", u)
			}
		case awsapi.UseBySchedule:
			if u.Action != "" || !slices.Contains(schedule.Kinds, schedule.Kind(u.Kind)) {
				t.Errorf("%+v: no such schedule kind", u)
			}
		default:
			t.Errorf("%+v: By is %q", u, u.By)
		}
		for _, key := range u.Ops {
			svc, name, _ := strings.Cut(key, ":")
			o, ok := awsapi.Declared(svc, name)
			if !ok || o.Access != awsapi.Act {
				t.Errorf("%+v: %s is not a declared Act operation", u, key)
			}
		}
	}
}
