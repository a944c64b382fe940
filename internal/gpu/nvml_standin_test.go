//go:build !nonvml

package gpu

// The stand-in NVML is built by gputest (with gcc); see gputest/testdata/fakenvml.c.

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/gpu/gputest"
)

// TestNVMLStandIn reads GPUs through the stand-in library: utilization and
// memory per device, fresh on every read, a device that cannot report
// utilization, and nvidia-smi never consulted.
func TestNVMLStandIn(t *testing.T) {
	libDir, values := gputest.StandInNVML(t)
	lib := filepath.Join(libDir, "libnvidia-ml.so.1")
	gputest.SetReadings(t, values, "87 10240 16384\n3 100 16384\n")
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
	gputest.SetReadings(t, values, "0 512 16384\nna 100 16384\n")
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
	libDir, values := gputest.StandInNVML(t)
	lib := filepath.Join(libDir, "libnvidia-ml.so.1")
	gputest.SetReadings(t, values, "init 9\n87 10240 16384\n") // NVML_ERROR_DRIVER_NOT_LOADED
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
