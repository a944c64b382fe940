package emulator_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

// A large scenario read from YAML, streamed entry by entry, is the
// scenario the YAML library decodes in one piece.
func TestLargeScenarioFileStreamedEqualsWhole(t *testing.T) {
	data, err := yaml.Marshal(emulator.LargeScenario(emulator.LargeOptions{Endpoints: 600, Notebooks: 200, StudioApps: 40, Jobs: 80, Regions: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 256<<10 {
		t.Fatalf("%d bytes: too small to be streamed", len(data))
	}
	got, err := emulator.ParseScenario("large.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var want emulator.Scenario
	if err := yaml.UnmarshalWithOptions(data, &want, yaml.Strict(), yaml.UseJSONUnmarshaler()); err != nil {
		t.Fatal(err)
	}
	got.Source = nil
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("streamed differs (-whole +streamed):\n%s", diff)
	}
}
