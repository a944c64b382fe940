package agenttag

import (
	"strings"
	"testing"
	"time"
)

func TestUsageRoundTrip(t *testing.T) {
	u := UsageSummary{Since: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Hours: 34, CPUPeak: 0.4, MemPeak: 2.1, GPUPeak: 3, GPUs: 1}
	v := u.Value()
	if v != "v1 since=2026-11-20T09:00Z hours=34 cpu-peak=0.4 mem-peak=2.1 gpu-peak=3 gpus=1" {
		t.Fatalf("Value() = %q", v)
	}
	if len(v) > 256 {
		t.Errorf("%d characters: over AWS's 256 for a tag value", len(v))
	}
	got, err := ParseUsage(v + " later-field=x")
	if err != nil || got != u {
		t.Errorf("ParseUsage = %+v, %v; want %+v", got, err, u)
	}
	if (UsageSummary{}).Value() != "" {
		t.Error("an empty summary has a value")
	}
}

func TestParseUsageErrors(t *testing.T) {
	for v, want := range map[string]string{
		"":                           "not v1",
		"v2 since=2026-11-20T09:00Z": "not v1",
		"v1 since=2026-11-20T09:00Z hours=3 cpu-peak=0.4 mem-peak=1 gpu-peak=3":          "no gpus",
		"v1 since=2026-11-20T09:00Z hours=3 cpu-peak=0.4 gpu-peak=3 gpus=1":              "no mem-peak",
		"v1 since=yesterday hours=3 cpu-peak=0.4 mem-peak=1 gpu-peak=3 gpus=1":           "since",
		"v1 since=2026-11-20T09:00Z hours=3 cpu-peak=0.4 mem-peak=1 gpu-peak=300 gpus=1": "out of range",
		"v1 since=2026-11-20T09:00Z hours=0 cpu-peak=0.4 mem-peak=1 gpu-peak=3 gpus=1":   "out of range",
		"v1 since=2026-11-20T09:00Z hours 3":                                             "not key=value",
	} {
		if _, err := ParseUsage(v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseUsage(%q) = %v, want an error with %q", v, err, want)
		}
	}
}
