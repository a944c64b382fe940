package policy_test

import (
	"os"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzDecode decodes any document as a policy: no input panics, and one
// over the limits (the hostile seeds: deep nesting, alias bombs, a file
// over the size cap) is refused by them.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"demo.yaml", "endpoints-warn-then-delete.yaml"} {
		data, err := os.ReadFile(examplesDir + "/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range testutil.HostileYAML(config.DefaultMaxBytes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := policy.Decode("p.yaml", data)
		if config.CheckBounds("p.yaml", data, config.DefaultLimits) != nil && !testutil.IsLimitError(err) {
			t.Fatalf("over the limits, decoded with %v", err)
		}
	})
}
