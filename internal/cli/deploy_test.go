package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/deploy"
	"github.com/sagesaver/sagesaver/internal/version"
)

func TestDeployTemplateCommand(t *testing.T) {
	out, errOut, code := runOffline(t, "deploy", "template", "--hub")
	want, _ := deploy.Hub(version.Version).YAML()
	if code != 0 || out != string(want) {
		t.Errorf("--hub: exit %d, %s; output is not the hub template", code, errOut)
	}
	out, errOut, code = runOffline(t, "deploy", "template", "--spoke", "-o", "json")
	var tpl map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &tpl) != nil || !strings.Contains(out, `"aws:PrincipalOrgID"`) {
		t.Errorf("--spoke -o json: exit %d, %s\n%s", code, errOut, out)
	}
	// -f: the spoke template with the run file's act flavour.
	out, errOut, code = runOffline(t, "deploy", "template", "--spoke", "-f", "../../examples/run/run.yaml")
	f, err := actForRun("../../examples/run/run.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, _ = deploy.SpokeFor(version.Version, f).YAML()
	if code != 0 || out != string(want) || strings.Contains(out, "sagemaker:DeleteEndpoint") {
		t.Errorf("--spoke -f: exit %d, %s; output is not the run file's spoke template", code, errOut)
	}
	if _, errOut, code := runOffline(t, "deploy", "template", "--spoke", "-f", "missing.yaml"); code == 0 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("--spoke -f missing.yaml: exit %d, %s", code, errOut)
	}
	for _, args := range [][]string{{}, {"--hub", "--spoke"}, {"--hub", "-o", "csv"}, {"--hub", "-f", "../../examples/run/run.yaml"}} {
		if _, errOut, code := runOffline(t, append([]string{"deploy", "template"}, args...)...); code != root.ExitUsage {
			t.Errorf("%v: exit %d, want usage; %s", args, code, errOut)
		}
	}
}

func TestDeployPackageCommand(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules:\n  - name: delete-idle-endpoints\n    resource: endpoint\n    conditions: {idleFor: 24h}\n    actions: [{type: delete}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(run, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Run\ntargets: {regions: [us-east-1]}\npolicies: [{file: policy.yaml}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable() // a Linux executable, like bootstrap
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "fn.zip")
	out, errOut, code := runOffline(t, "deploy", "package", "-f", run, "--bootstrap", exe, "--out", zipPath)
	if code != 0 || !strings.Contains(out, "wrote "+zipPath) || !strings.Contains(out, "3 files") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if st, err := os.Stat(zipPath); err != nil || st.Size() == 0 {
		t.Errorf("zip: %v", err)
	}
	if _, errOut, code := runOffline(t, "deploy", "package", "-f", run, "--bootstrap", run); code != root.ExitUsage || !strings.Contains(errOut, "not a Linux executable") {
		t.Errorf("a YAML file as the binary: exit %d, %s", code, errOut)
	}
	if _, errOut, code := runOffline(t, "deploy", "package", "-f", run); code != root.ExitUsage || !strings.Contains(errOut, "--bootstrap is required") {
		t.Errorf("no --binary: exit %d, %s", code, errOut)
	}
}
