package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/policy"
)

// A hostile policy is refused before the YAML library builds it, with the
// file, the line and the limit.
func TestReadRefusesDeepAndLargePolicies(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, data, want string
	}{
		{"100000 levels", "rules: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n", "deep.yaml:1:71: nested deeper than the limit of 64 levels"},
		{"10000 levels", "apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules:\n  - " + strings.Repeat("[", 10000) + "\n", "deep.yaml:4:66: nested deeper than the limit of 64 levels"},
		{"size", "description: " + strings.Repeat("x", 4<<20) + "\n", "deep.yaml: file is 4194318 bytes, over the limit of 4194304 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "deep.yaml")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := policy.Read(path)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Fatalf("Read = %v, want ...%s", err, tt.want)
			}
		})
	}
}

// A large policy decodes whole: every rule is there.
func TestDecodeLargePolicy(t *testing.T) {
	data := largePolicy(256 << 10)
	p, err := policy.Decode("p.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Rules), strings.Count(string(data), "- name: rule-"); got != want || got < 1000 {
		t.Fatalf("%d rules, want %d", got, want)
	}
}
