// Package gputest builds a stand-in for NVIDIA's management library
// (libnvidia-ml.so.1) for tests: the entry points the agent binds, with
// nvml.h's signatures, answering from a file the test writes (see
// testdata/fakenvml.c for its format). It needs a C compiler; CI installs
// gcc, so there a missing compiler fails the test instead of skipping it.
package gputest

import (
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

//go:embed testdata/fakenvml.c
var source []byte

// StandInNVML builds the stand-in as libDir/libnvidia-ml.so.1 and returns
// libDir and the file it reads its readings from.
func StandInNVML(t testing.TB) (libDir, values string) {
	t.Helper()
	cc := ""
	for _, c := range []string{"gcc", "cc"} {
		if p, err := exec.LookPath(c); err == nil {
			cc = p
			break
		}
	}
	if cc == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no C compiler to build the stand-in NVML (scripts/test.sh installs gcc)")
		}
		t.Skip("no C compiler (apt-get install gcc) to build the stand-in NVML")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "fakenvml.c")
	if err := os.WriteFile(src, source, 0o644); err != nil {
		t.Fatal(err)
	}
	values = filepath.Join(dir, "values")
	libDir = filepath.Join(dir, "lib")
	if err := os.Mkdir(libDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", filepath.Join(libDir, "libnvidia-ml.so.1"), "-DVALUES="+strconv.Quote(values), src).CombinedOutput()
	if err != nil {
		t.Fatalf("build the stand-in NVML: %v\n%s", err, out)
	}
	return libDir, values
}

// SetReadings writes the stand-in's readings: one "UTIL USED TOTAL" line
// per GPU (utilization in percent or "na", memory in MiB), or "init RC" to
// make nvmlInit_v2 fail.
func SetReadings(t testing.TB, values, readings string) {
	t.Helper()
	if err := os.WriteFile(values, []byte(readings), 0o644); err != nil {
		t.Fatal(err)
	}
}
