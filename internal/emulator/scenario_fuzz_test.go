package emulator_test

import (
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzParseScenario parses any document as a scenario: no input panics,
// and one over the scenario limits (the hostile seeds: deep nesting, alias
// bombs, a file over the 64 MiB cap) is refused by them.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(`apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.t3.medium
`))
	for _, s := range testutil.HostileYAML(int(emulator.ScenarioLimits.MaxBytes)) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := emulator.ParseScenario("s.yaml", data)
		if config.CheckBounds("s.yaml", data, emulator.ScenarioLimits) != nil && !testutil.IsLimitError(err) {
			t.Fatalf("over the limits, parsed with %v", err)
		}
	})
}

// The scenario cap: 64 MiB, refused before parsing.
func TestParseScenarioSizeLimit(t *testing.T) {
	data := make([]byte, emulator.ScenarioLimits.MaxBytes+1)
	for i := range data {
		data[i] = '#'
	}
	_, err := emulator.ParseScenario("big.yaml", data)
	if err == nil || err.Error() != "big.yaml: file is 67108865 bytes, over the limit of 67108864 bytes" {
		t.Fatalf("err = %v", err)
	}
}
