package runconfig

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sagesaver/sagesaver/internal/config"
)

func TestExample(t *testing.T) {
	r, err := Read(filepath.Join("..", "..", "examples", "run", "run.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Policies) != 2 || len(r.Schedules) == 0 || r.Enforce(false) {
		t.Errorf("policies %d, schedules %d, enforce %v", len(r.Policies), len(r.Schedules), r.Enforce(false))
	}
	if c := r.Cadences(); c.Evidence != time.Hour || c.Inventory != 5*time.Minute {
		t.Errorf("cadences %+v", c)
	}
	if got, want := r.StatePath(), "sqlite:"+filepath.Join("..", "..", "examples", "run", "state", "sagesaver.db"); got != want {
		t.Errorf("state %q, want %q", got, want)
	}
}

const base = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  regions: [us-east-1]
`

const inlinePolicy = `policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: idle
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: notify, sns: "arn:aws:sns:us-east-1:111111111111:ops"}]
`

func TestModeAndDefaults(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		dry     bool
		enforce bool
	}{{"", false, false}, {"mode: dry-run\n", false, false}, {"mode: enforce\n", false, true}, {"mode: enforce\n", true, false}} {
		r, err := Decode("run.yaml", []byte(base+inlinePolicy+tc.mode))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Enforce(tc.dry); got != tc.enforce {
			t.Errorf("mode %q, --dry-run %v: enforce %v", tc.mode, tc.dry, got)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-policy.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules:\n  - name: x\n    resource: endpoint\n    actions: [{type: explode}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, doc, file, field string
		line                   int
	}{
		{"unknown field", base + inlinePolicy + "bogus: 1\n", "run.yaml", "bogus", 14},
		{"kind", strings.Replace(base, "kind: Run", "kind: Policy", 1) + inlinePolicy, "run.yaml", "kind", 2},
		{"mode", base + inlinePolicy + "mode: yes-please\n", "run.yaml", "mode", 14},
		{"region", strings.Replace(base, "us-east-1", "mars-north-1", 1) + inlinePolicy, "run.yaml", "targets.regions[0]", 4},
		{"nothing to do", base, "run.yaml", "policies", 0},
		{"cadence", base + inlinePolicy + "cadence: {evidence: 10s}\n", "run.yaml", "cadence.evidence", 14},
		{"state", base + inlinePolicy + "state: postgres://x\n", "run.yaml", "state", 14},
		{"state table", base + inlinePolicy + "state: dynamodb://ab?region=us-east-1\n", "run.yaml", "state", 14},
		{"state parameter", base + inlinePolicy + "state: dynamodb://sagesaver?regoin=us-east-1\n", "run.yaml", "state", 14},
		{"account", base + "  accounts: [{id: 1234}]\n" + inlinePolicy, "run.yaml", "targets.accounts[0].id", 5},
		{"inline policy", base + strings.Replace(inlinePolicy, "idleFor: 24h", "idleFor: forever", 1), "run.yaml", "policies[0].inline.rules[0].conditions.idleFor", 0},
		{"policy file", base + "policies: [{file: bad-policy.yaml}]\n", bad, "rules[0].actions[0].type", 6},
		{"missing file", base + "policies: [{file: nope.yaml}]\n", filepath.Join(dir, "nope.yaml"), "", 0},
		{"both", base + "policies: [{file: a.yaml, inline: {kind: Policy}}]\n", "run.yaml", "policies[0]", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "run.yaml"
			if tc.file != "run.yaml" {
				path = filepath.Join(dir, "run.yaml")
			}
			_, err := Decode(path, []byte(tc.doc))
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *config.FileError", err, err)
			}
			if fe.File != tc.file || fe.Field != tc.field || (tc.line != 0 && fe.Line != tc.line) {
				t.Errorf("got %s (file %q line %d field %q), want file %q line %d field %q", err, fe.File, fe.Line, fe.Field, tc.file, tc.line, tc.field)
			}
			if tc.name == "inline policy" && fe.Line == 0 {
				t.Errorf("inline error has no line: %v", err)
			}
		})
	}
}

// TestSchemaAcceptsExample keeps docs/run-file.schema.json honest: the
// example validates, a file with an unknown member does not.
func TestSchemaAcceptsExample(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("..", "..", "docs", "run-file.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "run", "run.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		doc  string
		good bool
	}{{string(example), true}, {base + inlinePolicy + "bogus: 1\n", false}, {base + inlinePolicy + "mode: always\n", false}} {
		js, err := yaml.YAMLToJSON([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); (err == nil) != tc.good {
			t.Errorf("valid %v, want %v: %v\n%s", err == nil, tc.good, err, tc.doc)
		}
	}
}
