package runconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

// FuzzDecode: any bytes decode to a run or to one *config.FileError,
// never a panic.
func FuzzDecode(f *testing.F) {
	if ex, err := os.ReadFile(filepath.Join("..", "..", "examples", "run", "run.yaml")); err == nil {
		f.Add(ex)
	}
	f.Add([]byte(base + inlinePolicy))
	f.Add([]byte(base + "schedules: [{inline: {apiVersion: sagesaver.io/v1alpha1, kind: ScheduleSet, schedules: []}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Decode("run.yaml", data)
		var fe *config.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a *config.FileError", err, err)
		}
	})
}
