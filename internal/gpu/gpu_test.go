package gpu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSMI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Device
		wantErr string
	}{
		{"one", "87, 10240, 16384\n", []Device{{0, 87, 10240, 16384}}, ""},
		{"two, no trailing newline", "0, 0, 81559\n100, 80000, 81559", []Device{{0, 0, 0, 81559}, {1, 100, 80000, 81559}}, ""},
		{"not supported", "[N/A], 512, 15360\n", []Device{{0, 0, 512, 15360}}, ""},
		{"empty", "", nil, ""},
		{"short", "87, 10240\n", nil, "want 3 fields"},
		{"garbage", "NVIDIA-SMI has failed, x, y\n", nil, "field 1"},
		{"over 100", "101, 1, 2\n", nil, "above 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSMI([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// fakeSMI puts an nvidia-smi script on a fresh PATH that checks its
// arguments and prints out (or fails with code and out on stderr).
func fakeSMI(t *testing.T, out string, code int) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"[ \"$*\" = '" + strings.Join(SMIArgs, " ") + "' ] || { echo \"bad args: $*\" >&2; exit 2; }\n"
	if code == 0 {
		script += "cat <<'EOF'\n" + out + "EOF\n"
	} else {
		script += "echo '" + out + "' >&2\nexit " + string(rune('0'+code)) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin:/bin")
}

// noNVML names a library that does not exist and one that exists but is
// not NVML (the symbol-loading error path): both must fall through.
var noNVML = []string{"libnvidia-ml-absent.so.1", "libc.so.6"}

func TestOpenFallsBackToNvidiaSMI(t *testing.T) {
	fakeSMI(t, "87, 10240, 16384\n3, 100, 16384\n", 0)
	r := Open(context.Background(), Options{Libraries: noNVML})
	defer r.Close()
	if r.Source() != SourceNvidiaSMI {
		t.Fatalf("source = %q, want nvidia-smi", r.Source())
	}
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Device{{0, 87, 10240, 16384}, {1, 3, 100, 16384}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestOpenNoGPU(t *testing.T) {
	t.Run("no nvidia-smi", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		r := Open(context.Background(), Options{Libraries: noNVML})
		if r.Source() != SourceNone {
			t.Fatalf("source = %q, want none", r.Source())
		}
		got, err := r.Read(context.Background())
		if err != nil || got != nil {
			t.Errorf("Read = %v, %v; want nothing, no error", got, err)
		}
	})
	t.Run("driver not loaded", func(t *testing.T) {
		// What nvidia-smi prints on an instance without a GPU.
		fakeSMI(t, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", 9)
		r := Open(context.Background(), Options{Libraries: noNVML})
		if r.Source() != SourceNone {
			t.Fatalf("source = %q, want none", r.Source())
		}
	})
}

func TestLoadNVMLErrors(t *testing.T) {
	for _, lib := range noNVML {
		if _, err := loadNVML(lib); err == nil {
			t.Errorf("loadNVML(%q) succeeded", lib)
		}
	}
}

// TestRealGPU reads the machine's GPUs through NVML. It runs only with
// SAGESAVER_REAL_GPU=1, on a machine with an NVIDIA GPU and driver:
//
//	SAGESAVER_REAL_GPU=1 go test ./internal/gpu -run Real -v
func TestRealGPU(t *testing.T) {
	if os.Getenv("SAGESAVER_REAL_GPU") != "1" {
		t.Skip("set SAGESAVER_REAL_GPU=1 on a machine with an NVIDIA GPU")
	}
	ctx := context.Background()
	r := Open(ctx, Options{NvidiaSMI: "nvidia-smi-disabled-for-this-test"})
	defer r.Close()
	if r.Source() != SourceNVML {
		t.Fatalf("source = %q, want nvml", r.Source())
	}
	nv, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nv) == 0 {
		t.Fatal("NVML reports no GPU")
	}
	for _, d := range nv {
		t.Logf("NVML GPU %d: %d%%, %d/%d MiB", d.Index, d.Utilization, d.MemoryUsed, d.MemoryTotal)
		if d.MemoryTotal == 0 || d.MemoryUsed > d.MemoryTotal {
			t.Errorf("GPU %d memory %d/%d MiB", d.Index, d.MemoryUsed, d.MemoryTotal)
		}
	}
	// nvidia-smi, where installed, must see the same devices and memory.
	smi := Open(ctx, Options{Libraries: []string{}})
	if smi.Source() != SourceNvidiaSMI {
		t.Logf("nvidia-smi not usable (%s): compared NVML only", smi.Source())
		return
	}
	sd, err := smi.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd) != len(nv) {
		t.Fatalf("nvidia-smi sees %d GPUs, NVML %d", len(sd), len(nv))
	}
	for i := range sd {
		t.Logf("nvidia-smi GPU %d: %d%%, %d/%d MiB", i, sd[i].Utilization, sd[i].MemoryUsed, sd[i].MemoryTotal)
		if sd[i].MemoryTotal != nv[i].MemoryTotal {
			t.Errorf("GPU %d total memory: nvidia-smi %d MiB, NVML %d MiB", i, sd[i].MemoryTotal, nv[i].MemoryTotal)
		}
	}
}
