package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKernelProcs finds kernel processes by their connection file, sums
// their CPU fields (a command name with spaces and parentheses included),
// and notices a pid reused by another process.
func TestKernelProcs(t *testing.T) {
	dir := t.TempDir()
	proc := func(pid, cmdline, stat string) {
		t.Helper()
		d := filepath.Join(dir, pid)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Fields 14-17 (utime stime cutime cstime) are 10 20 3 4.
	const rest = " S 1 2 3 4 5 6 7 8 9 10 10 20 3 4 20 0 1 0 100 200 300\n"
	proc("41", "/usr/bin/python3\x00-m\x00ipykernel_launcher\x00-f\x00/run/jupyter/kernel-aaaa-1.json\x00", "41 (python3 (a) b)"+rest)
	proc("42", "/usr/bin/python3\x00/usr/bin/jupyter-notebook\x00", "42 (jupyter-noteboo)"+rest)
	kp := kernelProcs{dir: dir}
	got := kp.ticks([]string{"aaaa-1", "remote"})
	if diff := cmp.Diff(map[string]uint64{"aaaa-1": 37}, got); diff != "" {
		t.Errorf("ticks (-want +got):\n%s", diff)
	}
	// The pid is reused by something else: not the kernel any more.
	proc("41", "/bin/sh\x00", "41 (sh)"+rest)
	if got := kp.ticks([]string{"aaaa-1"}); len(got) != 0 {
		t.Errorf("after pid reuse: %v, want nothing", got)
	}
}
