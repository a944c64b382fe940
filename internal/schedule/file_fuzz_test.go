package schedule_test

import (
	"os"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzDecode decodes any document as a schedules file: no input panics,
// and one over the limits is refused by them.
func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, s := range testutil.HostileYAML(config.DefaultMaxBytes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := schedule.Decode("s.yaml", data)
		if config.CheckBounds("s.yaml", data, config.DefaultLimits) != nil && !testutil.IsLimitError(err) {
			t.Fatalf("over the limits, decoded with %v", err)
		}
	})
}
