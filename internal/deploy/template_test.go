package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/iampolicy"
	"github.com/sagesaver/sagesaver/internal/iampolicy/iamdata"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

var templates = map[string]func(string) Template{"hub": Hub, "spoke": Spoke, "spoke-run": spokeRun}

// exampleRun is the run file the spoke-run template is made for.
const exampleRun = "../../examples/run/run.yaml"

// spokeRun is `sagesaver deploy template --spoke -f examples/run/run.yaml`.
func spokeRun(version string) Template {
	r, err := runconfig.Read(exampleRun)
	if err != nil {
		panic(err)
	}
	act, err := iampolicy.ForRun(r)
	if err != nil {
		panic(err)
	}
	return SpokeFor(version, act)
}

// TestSpokeForRun: the act branch of the spoke template for a run file is
// the run file's act policy (iampolicy.ForRun), narrower than every
// write; its read-only branch is unchanged.
func TestSpokeForRun(t *testing.T) {
	_, _, all := render(t, Spoke("dev"))
	_, _, narrow := render(t, spokeRun("dev"))
	const actPath, readPath = "/Resources/Role/Properties/Policies[]/PolicyDocument?true", "/Resources/Role/Properties/Policies[]/PolicyDocument?false"
	r, err := runconfig.Read(exampleRun)
	if err != nil {
		t.Fatal(err)
	}
	f, err := iampolicy.ForRun(r)
	if err != nil {
		t.Fatal(err)
	}
	want := normalize(t, iampolicy.Generate(f, nil))
	if diff := cmp.Diff(want, normalize(t, policies(narrow)[actPath])); diff != "" {
		t.Errorf("act branch (-ForRun +template):\n%s", diff)
	}
	if mustJSON(t, policies(narrow)[actPath]) == mustJSON(t, policies(all)[actPath]) {
		t.Error("the run file's act branch is every write")
	}
	if diff := cmp.Diff(normalize(t, policies(all)[readPath]), normalize(t, policies(narrow)[readPath])); diff != "" {
		t.Errorf("read-only branch changed:\n%s", diff)
	}
	if !strings.Contains(mustJSON(t, policies(narrow)[actPath]), `"sagemaker:StopNotebookInstance"`) ||
		strings.Contains(mustJSON(t, policies(narrow)[actPath]), `"sagemaker:DeleteEndpoint"`) {
		t.Errorf("act branch: %s", mustJSON(t, policies(narrow)[actPath]))
	}
}

func render(t *testing.T, tpl Template) (yml, js []byte, parsed map[string]any) {
	t.Helper()
	yml, err := tpl.YAML()
	if err != nil {
		t.Fatal(err)
	}
	js, err = tpl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &parsed); err != nil {
		t.Fatal(err)
	}
	return yml, js, parsed
}

// TestTemplatesGolden: the templates as printed; the version is the only
// thing that varies between builds and is fixed here.
func TestTemplatesGolden(t *testing.T) {
	for name, mk := range templates {
		yml, js, parsed := render(t, mk("v0.0.0-test"))
		testutil.Golden(t, filepath.Join("testdata", name+".yaml"), string(yml))
		// The YAML and JSON renderings are the same template.
		var fromYAML map[string]any
		if err := yaml.Unmarshal(yml, &fromYAML); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(normalize(t, parsed), normalize(t, fromYAML)); diff != "" {
			t.Errorf("%s: YAML and JSON differ:\n%s", name, diff)
		}
		_ = js
	}
}

func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCfnLint validates both templates, in both formats, with AWS's
// cfn-lint (the resource specification and its rules).
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not installed (pip install cfn-lint): the CloudFormation templates are validated with it")
	}
	dir := t.TempDir()
	var files []string
	for name, mk := range templates {
		yml, js, _ := render(t, mk("v0.0.0-test"))
		for ext, b := range map[string][]byte{"yaml": yml, "json": js} {
			p := filepath.Join(dir, name+"."+ext)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
	}
	out, err := exec.Command(lint, append([]string{"--format", "parseable"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

var pseudo = []string{"AWS::AccountId", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::URLSuffix", "AWS::NotificationARNs"}

// walk calls f for every object in v, with its path.
func walk(path string, v any, f func(path string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(path, x)
		for k, e := range x {
			walk(path+"/"+k, e, f)
		}
	case []any:
		for _, e := range x {
			walk(path+"[]", e, f)
		}
	}
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// TestTemplatesResolve: every Ref, GetAtt, Sub variable and condition
// names something the template defines.
func TestTemplatesResolve(t *testing.T) {
	for name, mk := range templates {
		_, _, tpl := render(t, mk("dev"))
		params, _ := tpl["Parameters"].(map[string]any)
		resources := tpl["Resources"].(map[string]any)
		conditions, _ := tpl["Conditions"].(map[string]any)
		known := func(n string) bool {
			_, p := params[n]
			_, r := resources[n]
			return p || r || slices.Contains(pseudo, n)
		}
		var refs int
		walk("", tpl, func(path string, m map[string]any) {
			if r, ok := m["Ref"].(string); ok {
				refs++
				if !known(r) {
					t.Errorf("%s %s: Ref %s resolves to nothing", name, path, r)
				}
			}
			if g, ok := m["Fn::GetAtt"].([]any); ok {
				if _, ok := resources[g[0].(string)]; !ok {
					t.Errorf("%s %s: GetAtt %v: no such resource", name, path, g)
				}
			}
			if s, ok := m["Fn::Sub"].(string); ok {
				for _, v := range subVar.FindAllStringSubmatch(s, -1) {
					res, _, _ := strings.Cut(v[1], ".")
					if !known(res) {
						t.Errorf("%s %s: Sub ${%s} resolves to nothing", name, path, v[1])
					}
				}
			}
			if c, ok := m["Fn::If"].([]any); ok {
				if _, ok := conditions[c[0].(string)]; !ok {
					t.Errorf("%s %s: Fn::If on unknown condition %v", name, path, c[0])
				}
			}
			if c, ok := m["Condition"].(string); ok {
				if _, ok := conditions[c]; !ok {
					t.Errorf("%s %s: unknown condition %s", name, path, c)
				}
			}
		})
		if refs < 3 {
			t.Errorf("%s: %d Refs found: the walk is broken", name, refs)
		}
	}
}

// policies returns every IAM policy document in the template (each branch
// of an Fn::If separately), by path.
func policies(tpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	walk("", tpl, func(path string, m map[string]any) {
		doc, ok := m["PolicyDocument"]
		if !ok {
			doc, ok = m["AssumeRolePolicyDocument"]
			path += "/AssumeRolePolicyDocument"
		} else {
			path += "/PolicyDocument"
		}
		if !ok {
			return
		}
		d := doc.(map[string]any)
		if branches, ok := d["Fn::If"].([]any); ok {
			out[path+"?true"] = branches[1].(map[string]any)
			out[path+"?false"] = branches[2].(map[string]any)
			return
		}
		out[path] = d
	})
	return out
}

func actionsOf(stmt map[string]any) []string {
	switch a := stmt["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, e := range a {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// TestTemplatePolicies: no wildcard action, every action in AWS's IAM
// reference data, the spoke's read-only branch List and Read only and its
// act branch with the protect-tag Deny, the trust policies as the issue
// asks.
func TestTemplatePolicies(t *testing.T) {
	data, err := iamdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, mk := range templates {
		_, _, tpl := render(t, mk("dev"))
		docs := policies(tpl)
		if len(docs) == 0 {
			t.Fatalf("%s: no policy found", name)
		}
		for path, d := range docs {
			var doc iampolicy.Document
			for _, s := range d["Statement"].([]any) {
				st := s.(map[string]any)
				doc.Statement = append(doc.Statement, iampolicy.Statement{Effect: st["Effect"].(string), Action: actionsOf(st)})
			}
			readOnly := strings.HasSuffix(path, "?false") // the spoke's read-only branch
			if err := iampolicy.Check(doc, data, readOnly); err != nil {
				t.Errorf("%s %s: %v", name, path, err)
			}
		}
	}
	_, _, spoke := render(t, Spoke("dev"))
	docs := policies(spoke)
	act := docs["/Resources/Role/Properties/Policies[]/PolicyDocument?true"]
	if act == nil || !strings.Contains(mustJSON(t, act), `"Effect":"Deny"`) || !strings.Contains(mustJSON(t, act), `"aws:ResourceTag/sagesaver:protect":"true"`) {
		t.Errorf("spoke act policy lacks the protect Deny: %s", mustJSON(t, act))
	}
	trust := mustJSON(t, docs["/Resources/Role/Properties/AssumeRolePolicyDocument"])
	for _, want := range []string{`"aws:PrincipalArn"`, `"aws:PrincipalOrgID"`, `:root"`} {
		if !strings.Contains(trust, want) {
			t.Errorf("spoke trust policy lacks %s: %s", want, trust)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func resource(t *testing.T, tpl map[string]any, typ string) map[string]any {
	t.Helper()
	for _, r := range tpl["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == typ {
			return r.(map[string]any)["Properties"].(map[string]any)
		}
	}
	t.Fatalf("no %s", typ)
	return nil
}

// TestHubInvariants: the properties the deployment depends on.
func TestHubInvariants(t *testing.T) {
	_, _, hub := render(t, Hub("dev"))
	fn := resource(t, hub, "AWS::Lambda::Function")
	if fn["Runtime"] != "provided.al2023" || fn["Handler"] != "bootstrap" {
		t.Errorf("function runtime %v, handler %v", fn["Runtime"], fn["Handler"])
	}
	if arch := hub["Parameters"].(map[string]any)["Architecture"].(map[string]any); arch["Default"] != "arm64" {
		t.Errorf("default architecture %v", arch["Default"])
	}
	eic := resource(t, hub, "AWS::Lambda::EventInvokeConfig")
	if eic["MaximumRetryAttempts"] != float64(0) {
		t.Errorf("EventInvokeConfig MaximumRetryAttempts %v: Lambda must not retry what Scheduler retries", eic["MaximumRetryAttempts"])
	}
	sch := resource(t, hub, "AWS::Scheduler::Schedule")
	if mustJSON(t, sch["FlexibleTimeWindow"]) != `{"Mode":"OFF"}` {
		t.Errorf("FlexibleTimeWindow %v", sch["FlexibleTimeWindow"])
	}
	target := sch["Target"].(map[string]any)
	rp, _ := target["RetryPolicy"].(map[string]any)
	if n, ok := rp["MaximumRetryAttempts"].(float64); !ok || n < 1 || n > 3 {
		t.Errorf("schedule RetryPolicy %v: want a bounded retry", rp)
	}
	if mustJSON(t, target["Arn"]) != `{"Fn::GetAtt":["Function","Arn"]}` {
		t.Errorf("schedule target %v", target["Arn"])
	}
	in := target["Input"].(string)
	for _, want := range []string{"<aws.scheduler.scheduled-time>", "<aws.scheduler.attempt-number>"} {
		if !strings.Contains(in, want) {
			t.Errorf("schedule Input %s lacks %s", in, want)
		}
	}
	if p := hub["Parameters"].(map[string]any)["ScheduleExpression"].(map[string]any); p["Default"] != "rate(5 minutes)" {
		t.Errorf("default schedule %v", p["Default"])
	}
	tbl := resource(t, hub, "AWS::DynamoDB::Table")
	if tbl["BillingMode"] != "PAY_PER_REQUEST" || mustJSON(t, tbl["PointInTimeRecoverySpecification"]) != `{"PointInTimeRecoveryEnabled":true}` ||
		mustJSON(t, tbl["SSESpecification"]) != `{"SSEEnabled":true}` {
		t.Errorf("table %v", tbl)
	}
	if hub["Resources"].(map[string]any)["Table"].(map[string]any)["DeletionPolicy"] != "Retain" {
		t.Error("the table (the audit log) must survive the stack's deletion")
	}
	if lg := resource(t, hub, "AWS::Logs::LogGroup"); lg["RetentionInDays"] == nil {
		t.Error("log group without retention")
	}
}
