//go:build !nonvml

package gpu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// standInNVML builds testdata/fakenvml.c, a stand-in libnvidia-ml.so.1
// that answers from the file it returns, with the system's C compiler.
// The agent's own loader then binds and calls it exactly as it would the
// real library. CI installs gcc, so there the test never skips.
func standInNVML(t *testing.T) (lib, values string) {
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
	values = filepath.Join(dir, "values")
	lib = filepath.Join(dir, "libnvidia-ml.so.1")
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", lib, "-DVALUES="+strconv.Quote(values), filepath.Join("testdata", "fakenvml.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("build the stand-in NVML: %v\n%s", err, out)
	}
	return lib, values
}

func writeValues(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNVMLStandIn reads GPUs through the stand-in library: utilization and
// memory per device, fresh on every read, a device that cannot report
// utilization, and nvidia-smi never consulted.
func TestNVMLStandIn(t *testing.T) {
	lib, values := standInNVML(t)
	writeValues(t, values, "87 10240 16384\n3 100 16384\n")
	ctx := context.Background()
	r := Open(ctx, Options{Libraries: []string{"libnvidia-ml-absent.so.1", lib}, NvidiaSMI: "nvidia-smi-must-not-run"})
	defer r.Close()
	if r.Source() != SourceNVML {
		t.Fatalf("source = %q, want nvml", r.Source())
	}
	got, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Device{{0, 87, 10240, 16384}, {1, 3, 100, 16384}}, got); diff != "" {
		t.Errorf("first read (-want +got)\n%s", diff)
	}

	// The job ends on GPU 0; GPU 1 (a MIG slice, say) stops reporting
	// utilization.
	writeValues(t, values, "0 512 16384\nna 100 16384\n")
	got, err = r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Device{{0, 0, 512, 16384}, {1, 0, 100, 16384}}, got); diff != "" {
		t.Errorf("second read (-want +got)\n%s", diff)
	}
}

// TestNVMLStandInInitFails: a library that loads but whose nvmlInit_v2
// fails (no driver) is not used; the reader falls back to nvidia-smi.
func TestNVMLStandInInitFails(t *testing.T) {
	lib, values := standInNVML(t)
	writeValues(t, values, "init 9\n87 10240 16384\n") // NVML_ERROR_DRIVER_NOT_LOADED
	if _, err := loadNVML(lib); err == nil {
		t.Fatal("loadNVML succeeded although nvmlInit_v2 failed")
	}
	fakeSMI(t, "42, 1, 2\n", 0)
	r := Open(context.Background(), Options{Libraries: []string{lib}})
	defer r.Close()
	if r.Source() != SourceNvidiaSMI {
		t.Fatalf("source = %q, want nvidia-smi", r.Source())
	}
}
