package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sagesaver/sagesaver/internal/cli/agentcmd"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/report"
	dash "github.com/sagesaver/sagesaver/internal/serve"
)

// outputSchemas are the JSON documents the commands print: the schema
// member of each and the file in docs/ that is its JSON Schema.
var outputSchemas = map[string]string{
	report.SchemaVersion:         "scan",
	report.SchemaPlan:            "plan",
	report.SchemaAdvise:          "advise",
	report.SchemaHistory:         "history",
	report.SchemaSchedulePreview: "schedule-preview",
	report.SchemaScheduleRun:     "schedule-run",
	report.SchemaPricingInfo:     "pricing-info",
	report.SchemaPricingShow:     "pricing-show",
	report.SchemaLifecycleAudit:  "lifecycle-audit",
	report.SchemaRun:             "run",
	report.SchemaHistoryRuns:     "history-runs",
	agentcmd.SchemaStatus:        "agent-status",
	dash.SchemaInventory:         "serve-inventory",
}

// checkSchema validates out, a command's JSON output, against the JSON
// Schema published for it in docs/ (doc is its name there, "scan").
func checkSchema(t *testing.T, doc, out string) {
	t.Helper()
	path := filepath.Join("..", "..", "docs", doc+".schema.json")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("output does not match docs/%s.schema.json: %v\n%s", doc, err, out)
	}
}

// TestOutputSchemasPublished: every JSON document has its schema in docs/,
// and docs/ has no schema of a document no command prints.
func TestOutputSchemasPublished(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".schema.json"); name != "policy" && name != "run-file" {
			got = append(got, name)
		}
	}
	for id, name := range outputSchemas {
		want = append(want, name)
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", name+".schema.json"))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(b), `"const": "`+id+`"`) {
			t.Errorf("docs/%s.schema.json: its schema member is not %q", name, id)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("schemas in docs/: %v, want %v", got, want)
	}
}

// TestLifecycleAuditJSON: `lifecycle audit -o json` is a versioned
// document that matches its schema.
func TestLifecycleAuditJSON(t *testing.T) {
	env := emulatortest.Start(t, smallFleet)
	out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "lifecycle", "audit", "--region", "us-east-1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkSchema(t, "lifecycle-audit", out)
	if !strings.Contains(out, `"notebook": "data-prep"`) {
		t.Errorf("audit lacks data-prep:\n%s", out)
	}
}
