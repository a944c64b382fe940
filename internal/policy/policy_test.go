package policy_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

const examplesDir = "../../examples/policies"

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	return files
}

func TestExamplesDecodeAndValidate(t *testing.T) {
	for _, f := range examples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := policy.Read(f)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(p.Rules) == 0 {
				t.Error("no rules")
			}
			data, _ := os.ReadFile(f)
			sum := sha256.Sum256(data)
			if p.File() != f || p.SHA256() != hex.EncodeToString(sum[:]) {
				t.Errorf("File, SHA256 = %q, %q", p.File(), p.SHA256())
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(policy.Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// yamlToJSON turns a YAML document into the JSON value a schema validator
// takes.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestExamplesMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, f := range examples(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
}

// TestSchemaRejects checks that the schema, like the decoder, refuses what
// it should, so that an editor using it flags the same mistakes.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	for name, doc := range map[string]string{
		"unknown field":             "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}], bogus: 1}]\n",
		"wrong kind":                "apiVersion: sagesaver.io/v1alpha1\nkind: Schedule\nrules: [{name: a, resource: endpoint, actions: [{type: tag, tags: {a: b}}]}]\n",
		"unknown resource":          "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: bucket, actions: [{type: tag, tags: {a: b}}]}]\n",
		"notify without target":     "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, actions: [{type: notify}]}]\n",
		"timeout below AWS min":     "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: studio-domain, actions: [{type: set-idle-shutdown, timeoutMinutes: 5}]}]\n",
		"mark without then":         "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, actions: [{type: mark, grace: 72h}]}]\n",
		"bad duration":              "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, conditions: {idleFor: one day}, actions: [{type: tag, tags: {a: b}}]}]\n",
		"tags on a notify action":   "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, actions: [{type: notify, webhook: 'https://x', tags: {a: b}}]}]\n",
		"no rules":                  "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: []\n",
		"uppercase rule name":       "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: Idle, resource: endpoint, actions: [{type: tag, tags: {a: b}}]}]\n",
		"bad cost":                  "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: endpoint, conditions: {costAbove: lots}, actions: [{type: tag, tags: {a: b}}]}]\n",
		"delete a HyperPod cluster": "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: hyperpod-cluster, conditions: {idleFor: 24h}, actions: [{type: delete}]}]\n",
		"stop a HyperPod cluster":   "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: hyperpod-cluster, conditions: {runningFor: 24h}, actions: [{type: stop}]}]\n",
		"idleFor on MLflow":         "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules: [{name: a, resource: mlflow-tracking-server, conditions: {idleFor: 24h}, actions: [{type: tag, tags: {a: b}}]}]\n",
	} {
		if err := sch.Validate(yamlToJSON(t, []byte(doc))); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
		if _, err := policy.Decode("p.yaml", []byte(doc)); err == nil {
			t.Errorf("%s: decoder accepted it", name)
		}
	}
}

// TestSchemaUpToDate checks that the hand-written schema names exactly the
// fields and enum values of the Go types, and that docs/ has the same copy.
func TestSchemaUpToDate(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(policy.Schema(), &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	objects := map[string]map[string]any{"Policy": s}
	for name, def := range map[string]string{"Rule": "rule", "Match": "match", "Exclude": "exclude", "Conditions": "conditions", "Action": "action"} {
		objects[name] = defs[def].(map[string]any)
	}
	types := []any{policy.Policy{}, policy.Rule{}, policy.Match{}, policy.Exclude{}, policy.Conditions{}, policy.Action{}}
	for _, v := range types {
		typ := reflect.TypeOf(v)
		var fields []string
		for f := range typ.Fields() {
			if tag, ok := f.Tag.Lookup("yaml"); ok {
				fields = append(fields, strings.Split(tag, ",")[0])
			}
		}
		var props []string
		for k := range objects[typ.Name()]["properties"].(map[string]any) {
			props = append(props, k)
		}
		sort.Strings(fields)
		sort.Strings(props)
		if diff := cmp.Diff(fields, props); diff != "" {
			t.Errorf("schema properties of %s differ from the Go fields (-go +schema):\n%s", typ.Name(), diff)
		}
	}
	enum := func(v any) []string {
		var out []string
		for _, e := range v.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	var kinds, types2, then []string
	for _, k := range policy.Kinds {
		kinds = append(kinds, string(k))
	}
	for _, a := range policy.ActionTypes {
		types2 = append(types2, string(a))
		if a.Destructive() {
			then = append(then, string(a))
		}
	}
	actionProps := objects["Action"]["properties"].(map[string]any)
	for _, c := range []struct {
		name      string
		go_, json []string
	}{
		{"kind enum", kinds, enum(defs["kind"])},
		{"action type enum", types2, enum(actionProps["type"])},
		{"then enum", then, enum(actionProps["then"])},
	} {
		if diff := cmp.Diff(c.go_, c.json); diff != "" {
			t.Errorf("%s differs (-go +schema):\n%s", c.name, diff)
		}
	}
	docs, err := os.ReadFile("../../docs/policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, policy.Schema()) {
		t.Error("docs/policy.schema.json differs from internal/policy/policy.schema.json: cp internal/policy/policy.schema.json docs/")
	}
}

func TestStrictErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want config.FileError
	}{
		{
			name: "unknown field names file, line and field",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:111111111111:t
  - name: b
    resource: endpoint
    match:
      nameprefix: dev-
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:111111111111:t
`,
			want: config.FileError{File: "p.yaml", Line: 14, Column: 7, Field: "nameprefix", Msg: "unknown field"},
		},
		{
			name: "bad regex names the field path and its line",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: endpoint
    actions:
      - type: tag
        tags: {a: b}
  - name: b
    resource: endpoint
    match:
      namePattern: "dev-(["
    actions:
      - type: tag
        tags: {a: b}
`,
			want: config.FileError{File: "p.yaml", Line: 12, Column: 20, Field: "rules[1].match.namePattern",
				Msg: "bad regular expression: error parsing regexp: missing closing ]: `[`"},
		},
		{
			name: "delete without idle evidence is refused",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: endpoint
    conditions:
      costAbove: $50/month
    actions:
      - type: delete
`,
			want: config.FileError{File: "p.yaml", Line: 9, Column: 15, Field: "rules[0].actions[0].type",
				Msg: "delete needs conditions.idleFor: sagesaver stops or deletes only on idle evidence"},
		},
		{
			name: "stop on an endpoint is refused",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: endpoint
    conditions: {idleFor: 24h}
    actions:
      - type: stop
`,
			want: config.FileError{File: "p.yaml", Line: 8, Column: 15, Field: "rules[0].actions[0].type",
				Msg: "stop applies to notebook-instance and mlflow-tracking-server, not endpoint"},
		},
		{
			name: "deleting a HyperPod cluster is refused at load",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: hyperpod-cluster
    conditions: {costAbove: $100/month}
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:111111111111:t
      - type: delete
`,
			want: config.FileError{File: "p.yaml", Line: 10, Column: 15, Field: "rules[0].actions[1].type",
				Msg: "delete does not apply to hyperpod-cluster: sagesaver never stops or deletes a HyperPod cluster (deleting one is not reversible); use notify or tag, and see sagesaver advise"},
		},
		{
			name: "a HyperPod cluster has no idle evidence",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: hyperpod-cluster
    conditions:
      idleFor: 24h
    actions:
      - type: tag
        tags: {a: b}
`,
			want: config.FileError{File: "p.yaml", Line: 7, Column: 16, Field: "rules[0].conditions.idleFor",
				Msg: "hyperpod-cluster has no idle evidence (AWS publishes no activity metric for it): use runningFor, costAbove or unprotected"},
		},
		{
			name: "stopping an MLflow server needs runningFor",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: mlflow-tracking-server
    conditions: {unprotected: true}
    actions:
      - type: stop
`,
			want: config.FileError{File: "p.yaml", Line: 8, Column: 15, Field: "rules[0].actions[0].type",
				Msg: "stop of mlflow-tracking-server needs conditions.runningFor: it publishes no activity metric, so sagesaver stops it only after it ran that long"},
		},
		{
			name: "delete-app on an MLflow server is refused",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: mlflow-tracking-server
    conditions: {runningFor: 12h}
    actions:
      - type: delete-app
`,
			want: config.FileError{File: "p.yaml", Line: 8, Column: 15, Field: "rules[0].actions[0].type",
				Msg: "delete-app applies to studio-app and canvas-app, not mlflow-tracking-server"},
		},
		{
			name: "wrong apiVersion",
			doc:  "apiVersion: v1\nkind: Policy\nrules: []\n",
			want: config.FileError{File: "p.yaml", Line: 1, Column: 13, Field: "apiVersion", Msg: `must be sagesaver.io/v1alpha1, got "v1"`},
		},
		{
			name: "duplicate rule names",
			doc: `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - {name: a, resource: notebook-instance, actions: [{type: tag, tags: {x: y}}]}
  - {name: a, resource: endpoint, actions: [{type: tag, tags: {x: y}}]}
`,
			want: config.FileError{File: "p.yaml", Line: 5, Column: 12, Field: "rules[1].name", Msg: `duplicate rule name "a"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Decode("p.yaml", []byte(tt.doc))
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *config.FileError", err)
			}
			got := *fe
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDurationAndRate(t *testing.T) {
	for s, want := range map[string]time.Duration{"24h": 24 * time.Hour, "3d": 72 * time.Hour, "2d12h": 60 * time.Hour, "90m": 90 * time.Minute} {
		d, err := policy.ParseDuration(s)
		if err != nil || d.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, d.D(), err, want)
		}
	}
	for _, bad := range []string{"", "x", "3days", "d"} {
		if d, err := policy.ParseDuration(bad); err == nil && d.D() > 0 {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d.D())
		}
	}
	for s, want := range map[string]string{"$50/month": "50", "50": "50", "$0.5/hour": "365", "$1,000/mo": "1000", "$0.05/h": "36.5"} {
		r, err := policy.ParseRate(s)
		if err != nil || !r.Monthly.Equal(pricing.MustParseMoney(want)) {
			t.Errorf("ParseRate(%q) = %v, %v; want %s/month", s, r.Monthly.Plain(), err, want)
		}
	}
	for _, bad := range []string{"lots", "$5/week", "-$5/month"} {
		if _, err := policy.ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q): want an error", bad)
		}
	}
}

func TestFamilyMatches(t *testing.T) {
	tests := []struct {
		sel, typ string
		want     bool
	}{
		{"gpu", "ml.g5.xlarge", true},
		{"gpu", "ml.p4d.24xlarge", true},
		{"gpu", "ml.g4dn.xlarge", true},
		{"gpu", "ml.gr6.4xlarge", true},
		{"gpu", "ml.m5.large", false},
		{"gpu", "ml.inf2.xlarge", false},
		{"gpu", "", false},
		{"p", "ml.p5.48xlarge", true},
		{"p", "ml.g5.xlarge", false},
		{"g5", "ml.g5.2xlarge", true},
		{"g5", "ml.g6.2xlarge", false},
		{"ml.g5", "ml.g5.2xlarge", true},
		{"ml.m5.*", "ml.m5.large", true},
		{"ml.m5.*", "ml.m5d.large", false},
		{"inf", "ml.inf2.xlarge", true},
		{"m", "ml.m5d.large", true},
	}
	for _, tt := range tests {
		if got := policy.FamilyMatches(tt.sel, tt.typ); got != tt.want {
			t.Errorf("FamilyMatches(%q, %q) = %v, want %v", tt.sel, tt.typ, got, tt.want)
		}
	}
}

// Protects is the protect tag's one test: the key decides, whatever its
// value, and a policy's own protectTag replaces the default.
func TestProtects(t *testing.T) {
	def, own := &policy.Policy{}, &policy.Policy{ProtectTag: "keep-me"}
	for _, c := range []struct {
		tags         map[string]string
		byDef, byOwn bool
	}{
		{nil, false, false},
		{map[string]string{"sagesaver:protect": "true"}, true, false},
		{map[string]string{"sagesaver:protect": ""}, true, false},
		{map[string]string{"sagesaver:protect": "false"}, true, false},
		{map[string]string{"keep-me": "no"}, false, true},
		{map[string]string{"Sagesaver:Protect": "true"}, false, false},
	} {
		if got := def.Protects(c.tags); got != c.byDef {
			t.Errorf("default policy, tags %v: protected %v, want %v", c.tags, got, c.byDef)
		}
		if got := own.Protects(c.tags); got != c.byOwn {
			t.Errorf("protectTag keep-me, tags %v: protected %v, want %v", c.tags, got, c.byOwn)
		}
	}
}
