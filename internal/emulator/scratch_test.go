package emulator_test

import (
	"os"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/emulator"
)

func TestScratchScenario(t *testing.T) {
	sc := emulator.LargeScenario(emulator.IssueScale)
	st := time.Now()
	data, err := yaml.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("marshal %d bytes in %v", len(data), time.Since(st))
	os.WriteFile("/tmp/issue-scenario.yaml", data, 0o644)
}
