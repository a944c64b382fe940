package iampolicy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/iampolicy/iamdata"
)

func mustData(t *testing.T) *iamdata.Data {
	t.Helper()
	d, err := iamdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEveryDeclaredActionExists: each action of each declaration is one
// AWS's IAM reference data has.
func TestEveryDeclaredActionExists(t *testing.T) {
	d := mustData(t)
	for _, o := range awsapi.Operations {
		for _, a := range o.Actions {
			if _, ok := d.AccessLevel(a); !ok {
				t.Errorf("%s needs %s, which is not in AWS's IAM reference data (%s %s)", o.Key(), a, d.Package, d.Version)
			}
		}
	}
}

func TestGeneratedPolicies(t *testing.T) {
	d := mustData(t)
	for _, f := range awsapi.Flavours {
		t.Run(f.Name, func(t *testing.T) {
			doc := Generate(f, nil)
			if err := Check(doc, d, f.Name == "read-only"); err != nil {
				t.Error(err)
			}
			allowed := doc.Actions("Allow")
			for _, o := range awsapi.Operations {
				if !slices.Contains(f.Accesses, o.Access) {
					continue
				}
				for _, a := range o.Actions {
					if !slices.Contains(allowed, a) {
						t.Errorf("%s is declared %s but the policy lacks %s", o.Key(), o.Access, a)
					}
				}
			}
		})
	}
}

func TestActDeniesProtected(t *testing.T) {
	act, _ := awsapi.FlavourNamed("act")
	doc := Generate(act, nil)
	denied := doc.Actions("Deny")
	for _, a := range []string{"sagemaker:DeleteEndpoint", "sagemaker:StopNotebookInstance", "sagemaker:DeleteApp"} {
		if !slices.Contains(denied, a) {
			t.Errorf("protected resources: %s is not denied", a)
		}
	}
	if slices.Contains(denied, "sagemaker:ListEndpoints") {
		t.Error("the protect tag must not deny reads")
	}
	b, _ := json.Marshal(doc)
	if !strings.Contains(string(b), `"aws:ResourceTag/sagesaver:protect":"true"`) {
		t.Errorf("no protect condition: %s", b)
	}
}

func TestCheckRefuses(t *testing.T) {
	d := mustData(t)
	for name, tc := range map[string]struct {
		doc      Document
		readOnly bool
		want     string
	}{
		"wildcard":  {Document{Statement: []Statement{{Effect: "Allow", Action: []string{"sagemaker:*"}}}}, false, "wildcard"},
		"unknown":   {Document{Statement: []Statement{{Effect: "Allow", Action: []string{"sagemaker:StopEverything"}}}}, false, "not in AWS's IAM reference"},
		"write":     {Document{Statement: []Statement{{Effect: "Allow", Action: []string{"sagemaker:DeleteEndpoint"}}}}, true, "read-only"},
		"notaction": {Document{Statement: []Statement{{Effect: "Allow", Action: nil}}}, false, "no action"},
	} {
		err := Check(tc.doc, d, tc.readOnly)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want %q", name, err, tc.want)
		}
	}
}

func TestHubScopedByResources(t *testing.T) {
	hub, _ := awsapi.FlavourNamed("hub")
	doc := Generate(hub, Resources{"dynamodb": "arn:aws:dynamodb:us-east-1:111111111111:table/sagesaver"})
	var found bool
	for _, s := range doc.Statement {
		if slices.Contains(s.Action, "dynamodb:GetItem") {
			found = true
			if s.Resource != "arn:aws:dynamodb:us-east-1:111111111111:table/sagesaver" {
				t.Errorf("dynamodb statement resource %v", s.Resource)
			}
		}
	}
	if !found {
		t.Error("hub lacks dynamodb:GetItem")
	}
}
