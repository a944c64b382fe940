package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzLoadConfig reads any document as the agent's configuration file:
// no input panics, and one over the limits is refused by them.
func FuzzLoadConfig(f *testing.F) {
	data, err := os.ReadFile("../../examples/agent/agent.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, s := range testutil.HostileYAML(config.DefaultMaxBytes) {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "agent.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if config.CheckBounds(path, data, config.DefaultLimits) != nil && !testutil.IsLimitError(err) {
			t.Fatalf("over the limits, loaded with %v", err)
		}
	})
}
