package emulator_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// BenchmarkScenarioFromFile loads the issue-size fleet (LargeScenario with
// IssueScale, 6 MB and 240,000 lines of YAML) from a file, as `sagesaver
// emulator --scenario FILE` does: read, parse, load. It reports the peak
// live heap (MB-peak, sampled every 5 ms, the scenario's bytes and the
// loaded emulator included) beside time and allocations. See BENCHMARKS.md.
//
//	go test -run '^$' -bench ScenarioFromFile -benchtime 3x ./internal/emulator/
func BenchmarkScenarioFromFile(b *testing.B) {
	data, err := yaml.Marshal(emulator.LargeScenario(emulator.IssueScale))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "issue.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	data = nil
	b.ReportAllocs()
	stop := testutil.PeakHeap()
	for b.Loop() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		sc, err := emulator.ParseScenario(path, data)
		if err != nil {
			b.Fatal(err)
		}
		if err := emulator.New(emulator.Options{}).Load(sc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "MB-peak")
}
