package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder keeps what Golden reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("same", func(t *testing.T) {
		r := &recorder{TB: t}
		Golden(r, path, "a\nb\n")
		if len(r.errs) != 0 {
			t.Errorf("Golden reported %q for equal content", r.errs)
		}
	})
	t.Run("different", func(t *testing.T) {
		r := &recorder{TB: t}
		Golden(r, path, "a\nc\n")
		if len(r.errs) != 1 {
			t.Fatalf("Golden reported %d errors, want 1", len(r.errs))
		}
		for _, want := range []string{path, `a\nc`, "go test ./internal/testutil -run '^TestGolden$' -update"} {
			if !strings.Contains(r.errs[0], want) {
				t.Errorf("report %q lacks %q", r.errs[0], want)
			}
		}
	})
}
