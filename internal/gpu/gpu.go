// Package gpu reads NVIDIA GPU utilization without cgo: from NVIDIA's
// management library (libnvidia-ml.so.1, loaded at run time with
// github.com/ebitengine/purego), or, where the library cannot be loaded,
// from `nvidia-smi --query-gpu=... --format=csv`. A machine with no GPU or
// no driver has no devices: that is not an error, and it is not logged
// above debug level.
package gpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Device is one GPU's reading.
type Device struct {
	Index int `json:"index"`
	// Utilization is the percent of time over the driver's last sample
	// period (1/6 s to 1 s) during which a kernel was running on the GPU.
	Utilization int `json:"utilization"`
	// MemoryUsed and MemoryTotal are in MiB.
	MemoryUsed  uint64 `json:"memoryUsedMiB"`
	MemoryTotal uint64 `json:"memoryTotalMiB"`
}

// Sources a Reader can read from.
const (
	SourceNVML      = "nvml"
	SourceNvidiaSMI = "nvidia-smi"
	SourceNone      = "none"
)

// DefaultLibraries are the names of NVIDIA's management library, tried in
// order (the unversioned name exists only where the development package
// is installed).
var DefaultLibraries = []string{"libnvidia-ml.so.1", "libnvidia-ml.so"}

// Options configure Open.
type Options struct {
	// Libraries are the library names or paths to try; nil means
	// DefaultLibraries, and an empty non-nil slice skips NVML.
	Libraries []string
	// NvidiaSMI is the nvidia-smi command; "" means "nvidia-smi" on PATH.
	NvidiaSMI string
	// Timeout bounds one nvidia-smi run; 0 means 10 seconds.
	Timeout time.Duration
	// Log receives the choice of source at debug level; nil discards.
	Log *slog.Logger
}

// Reader reads every GPU of the machine. It is safe for concurrent use.
type Reader struct {
	mu      sync.Mutex
	source  string
	nvml    *nvml
	smi     string
	timeout time.Duration
}

// Open picks the first source that works: NVML, then nvidia-smi, then none.
// It never fails; Source tells what it picked and why the others were not.
func Open(ctx context.Context, o Options) *Reader {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reader{source: SourceNone, timeout: o.Timeout}
	if r.timeout == 0 {
		r.timeout = 10 * time.Second
	}
	libs := o.Libraries
	if libs == nil {
		libs = DefaultLibraries
	}
	var nvmlErr error = errors.New("no library to try")
	for _, lib := range libs {
		var n *nvml
		n, nvmlErr = loadNVML(lib)
		if nvmlErr == nil {
			r.nvml, r.source = n, SourceNVML
			log.Debug("gpu: reading NVML", "library", lib)
			return r
		}
	}
	smi := o.NvidiaSMI
	if smi == "" {
		smi = "nvidia-smi"
	}
	path, err := exec.LookPath(smi)
	if err != nil {
		log.Debug("gpu: no GPU readings", "nvml", nvmlErr, "nvidia-smi", err)
		return r
	}
	r.smi = path
	if _, err := r.readSMI(ctx); err != nil {
		// nvidia-smi is installed but the driver does not answer (no GPU
		// on this instance type, or a driver without a device).
		log.Debug("gpu: no GPU readings", "nvml", nvmlErr, "nvidia-smi", err)
		r.smi = ""
		return r
	}
	r.source = SourceNvidiaSMI
	log.Debug("gpu: reading nvidia-smi", "path", path, "nvml", nvmlErr)
	return r
}

// Source is SourceNVML, SourceNvidiaSMI or SourceNone.
func (r *Reader) Source() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.source
}

// Read returns one reading per GPU, none when there is no source.
func (r *Reader) Read(ctx context.Context) ([]Device, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.source {
	case SourceNVML:
		return r.nvml.read()
	case SourceNvidiaSMI:
		return r.readSMI(ctx)
	}
	return nil, nil
}

// Close releases NVML.
func (r *Reader) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nvml != nil {
		r.nvml.close()
		r.nvml = nil
	}
	r.source = SourceNone
}

// SMIArgs are nvidia-smi's arguments: one CSV line per GPU, no header, no
// units, e.g. "87, 10240, 16384".
var SMIArgs = []string{"--query-gpu=utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"}

func (r *Reader) readSMI(ctx context.Context) ([]Device, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.smi, SMIArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return nil, fmt.Errorf("nvidia-smi: %w: %s", err, firstLine(msg))
	}
	return ParseSMI(out)
}

// ParseSMI parses the output of nvidia-smi with SMIArgs. A field that the
// GPU does not support reads "[N/A]" (or "[Not Supported]") and is zero.
func ParseSMI(out []byte) ([]Device, error) {
	var devs []Device
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 3 {
			return nil, fmt.Errorf("nvidia-smi line %d %q: want 3 fields, got %d", i+1, line, len(f))
		}
		var nums [3]uint64
		for j, s := range f {
			s = strings.TrimSpace(s)
			if strings.HasPrefix(s, "[") { // [N/A], [Not Supported]
				continue
			}
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("nvidia-smi line %d %q: field %d: %w", i+1, line, j+1, err)
			}
			nums[j] = n
		}
		if nums[0] > 100 {
			return nil, fmt.Errorf("nvidia-smi line %d %q: utilization %d%% above 100", i+1, line, nums[0])
		}
		devs = append(devs, Device{Index: len(devs), Utilization: int(nums[0]), MemoryUsed: nums[1], MemoryTotal: nums[2]})
	}
	return devs, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
