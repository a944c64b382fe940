// Package testutil holds the helpers that tests across the project share:
// golden files, driven by one -update flag. Only _test.go files import it.
package testutil

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is registered once here; any test binary that imports testutil
// accepts it: go test ./internal/cli -run TestScanGolden -update.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Update reports whether the test binary runs with -update: tests that
// regenerate committed data other than golden files (the emulator's
// constraints table) read the one flag here, since a second -update in
// the same binary panics.
func Update() bool { return *update }

// Golden compares got with the file at path (relative to the package under
// test, usually testdata/...) and reports a -want +got diff. With -update it
// first writes got to path, creating its directory.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s)", err, rerun(t))
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got); if the change is intended, run %s:\n%s", path, rerun(t), diff)
	}
}

// rerun is the command that rewrites the golden files of the running test:
// go test ./internal/cli -run '^TestScanGolden$' -update.
func rerun(t testing.TB) string {
	top, _, _ := strings.Cut(t.Name(), "/")
	return fmt.Sprintf("go test ./%s -run '^%s$' -update", packageDir(), top)
}

// packageDir is the working directory (the package under test) relative to
// the module root, or "..." when there is no go.mod above it.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "..."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil {
				return "..."
			}
			return filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return "..."
		}
	}
}
