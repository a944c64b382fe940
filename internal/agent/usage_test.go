package agent

import (
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
	feed := func(from time.Time, minutes int, cpu float64, gpus ...int) {
		for m := range minutes {
			u.add(from.Add(time.Duration(m)*time.Minute), time.Minute, cpu, true, gpus)
		}
	}
	// 09:00-10:00: one core busy, GPU at 80%, with a 5-minute spike of 8
	// cores at the start.
	feed(start, 5, 800, 80, 0)
	feed(start.Add(5*time.Minute), 55, 100, 80, 0)
	// 10:00-11:00: quiet.
	feed(start.Add(time.Hour), 60, 10, 0, 0)
	// 11:00: only 20 minutes watched (the machine stopped), then 12:00.
	feed(start.Add(2*time.Hour), 20, 900, 100, 100)
	feed(start.Add(3*time.Hour), 1, 0, 0, 0)
	want := agenttag.UsageSummary{Since: start, Hours: 2, CPUPeak: 1.6, GPUPeak: 80, GPUs: 2}
	if u.UsageSummary != want {
		t.Errorf("summary %+v, want %+v", u.UsageSummary, want)
	}
	if v := u.Value(); v != "v1 since=2026-11-20T09:00Z hours=2 cpu-peak=1.6 gpu-peak=80 gpus=2" {
		t.Errorf("tag value %q", v)
	}

	// An hour whose CPU readings are all unknown still counts as watched.
	u2 := Usage{}
	for m := range 61 {
		u2.add(start.Add(time.Duration(m)*time.Minute), time.Minute, 0, false, nil)
	}
	if u2.Hours != 1 || u2.CPUPeak != 0 {
		t.Errorf("unknown CPU: %+v", u2.UsageSummary)
	}

	// Two weeks later the summary starts again from the hour measured.
	later := start.Add(UsageWindow + 5*time.Hour)
	feed(later, 60, 20)
	feed(later.Add(time.Hour), 1, 0)
	want = agenttag.UsageSummary{Since: later, Hours: 1, CPUPeak: 0.2}
	if u.UsageSummary != want {
		t.Errorf("after the window: %+v, want %+v", u.UsageSummary, want)
	}
}
