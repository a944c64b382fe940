package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

// TestUsageSummary feeds an hour of readings a minute apart: hourly
// averages make the peaks, a short spike does not, a half-watched hour
// does not count, and the window starts again after UsageWindow.
func TestUsageSummary(t *testing.T) {
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var u Usage
	mem := 1.0
	feed := func(from time.Time, minutes int, cpu float64, gpus ...int) {
		for m := range minutes {
			u.add(from.Add(time.Duration(m)*time.Minute), time.Minute, cpu, true, mem, true, gpus)
		}
	}
	// 09:00-10:00: one core busy, GPU at 80%, with a 5-minute spike of 8
	// cores at the start; memory peaks at 3.24 GiB for a minute.
	feed(start, 5, 800, 80, 0)
	mem = 3.24
	feed(start.Add(5*time.Minute), 1, 100, 80, 0)
	mem = 1.0
	feed(start.Add(6*time.Minute), 54, 100, 80, 0)
	// 10:00-11:00: quiet.
	feed(start.Add(time.Hour), 60, 10, 0, 0)
	// 11:00: only 20 minutes watched (the machine stopped), then 12:00.
	mem = 30
	feed(start.Add(2*time.Hour), 20, 900, 100, 100)
	mem = 1.0
	feed(start.Add(3*time.Hour), 1, 0, 0, 0)
	want := agenttag.UsageSummary{Since: start, Hours: 2, CPUPeak: 1.6, MemPeak: 3.2, GPUPeak: 80, GPUs: 2}
	if u.UsageSummary != want {
		t.Errorf("summary %+v, want %+v", u.UsageSummary, want)
	}
	if v := u.Value(); v != "v1 since=2026-11-20T09:00Z hours=2 cpu-peak=1.6 mem-peak=3.2 gpu-peak=80 gpus=2" {
		t.Errorf("tag value %q", v)
	}

	// An hour whose CPU readings are all unknown still counts as watched.
	u2 := Usage{}
	for m := range 61 {
		u2.add(start.Add(time.Duration(m)*time.Minute), time.Minute, 0, false, 0, false, nil)
	}
	if u2.Hours != 1 || u2.CPUPeak != 0 {
		t.Errorf("unknown CPU: %+v", u2.UsageSummary)
	}

	// Two weeks later the summary starts again from the hour measured.
	later := start.Add(UsageWindow + 5*time.Hour)
	feed(later, 60, 20)
	feed(later.Add(time.Hour), 1, 0)
	want = agenttag.UsageSummary{Since: later, Hours: 1, CPUPeak: 0.2, MemPeak: 1}
	if u.UsageSummary != want {
		t.Errorf("after the window: %+v, want %+v", u.UsageSummary, want)
	}
}

func TestReadMemUsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(path, []byte("MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:   12189696 kB\nBuffers:  1 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readMemUsed(path)
	if err != nil || got < 3.99 || got > 4.01 { // (16384000 - 12189696) kB = 4 GiB
		t.Errorf("readMemUsed = %v, %v; want 4 GiB", got, err)
	}
	if err := os.WriteFile(path, []byte("MemTotal: 100 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readMemUsed(path); err == nil {
		t.Error("no MemAvailable: no error")
	}
	if got, err := readMemUsed("/proc/meminfo"); err != nil || got <= 0 {
		t.Errorf("this machine's memory in use: %v, %v", got, err)
	}
}
