// Package agenttag is the on-instance agent's report to the central scan:
// the resource tags it writes and their formats. The agent writes them;
// inventory and advise read them. It imports nothing, so that the scan
// does not link the agent.
package agenttag

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	// LastActivity holds the agent's idle clock: the time of the latest
	// activity it saw, RFC 3339.
	LastActivity = "sagesaver:last-activity"
	// Usage holds a UsageSummary (see its Value).
	Usage = "sagesaver:usage"
	// Heartbeat holds when the agent last checked the resource (RFC 3339,
	// UTC), written with LastActivity in the same AddTags call at least
	// once every Interval, whether or not anything changed. Agents before
	// it wrote LastActivity alone: without a Heartbeat the freshness of
	// LastActivity is unknown, and a central verdict is never idle.
	Heartbeat = "sagesaver:heartbeat"
)

// The timing contract between the agent and the central verdict
// (idle.Notebook, idle.StudioApp, and the policy check of idleFor).
const (
	// Interval is the longest time between two tag writes of a running
	// agent: one AddTags per Interval per resource keeps an account of a
	// thousand instances under two calls a second, well inside AddTags'
	// throttling limits.
	Interval = 10 * time.Minute
	// MaxAge is how old a Heartbeat may be for its LastActivity to count:
	// two intervals, so that one failed or throttled write (retried at the
	// next poll) does not make a running agent look dead. Older is
	// unknown: the agent died, was removed, or cannot reach the API.
	MaxAge = 2 * Interval
	// MaxPollInterval is the longest poll interval of an agent that
	// publishes its tag: a machine in use has a LastActivity at most one
	// poll older than its Heartbeat.
	MaxPollInterval = Interval / 2
	// Fresh is the longest time a machine in use can look idle through its
	// tag: the heartbeat may be MaxAge old and the activity one poll older
	// than the heartbeat (20 + 5 = 25 minutes). A LastActivity within Fresh
	// is activity now, and an idle time shorter than Fresh cannot be told
	// from activity: a policy's idleFor for notebook instances and Studio
	// apps must be at least Fresh.
	Fresh = MaxAge + MaxPollInterval
)

// FormatTime is a LastActivity or Heartbeat value: RFC 3339, UTC, whole
// seconds.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// TimeOf is the time in tags[key] (LastActivity or Heartbeat); ok is false
// when the tag is absent or not RFC 3339.
func TimeOf(tags map[string]string, key string) (t time.Time, ok bool) {
	v, found := tags[key]
	if !found {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// UsageSummary is how much of its machine the agent saw used: over Hours
// complete hours watched since Since, the highest hourly average of CPU use
// (system-wide, in cores) and of the busiest GPU's utilization (percent),
// and the most memory in use at any reading (GiB, MemTotal - MemAvailable).
// CPU and GPU are hourly averages, not single readings, so that a pip
// install is not a busy machine; memory is the peak, since running out of
// it is what hurts. GPUs is how many GPUs the agent could read (0: none).
type UsageSummary struct {
	Since   time.Time `json:"since,omitzero"`
	Hours   int       `json:"hours"`
	CPUPeak float64   `json:"cpuPeak"`
	MemPeak float64   `json:"memPeak"`
	GPUPeak int       `json:"gpuPeak"`
	GPUs    int       `json:"gpus"`
}

const sinceLayout = "2006-01-02T15:04Z"

// Value is the summary as the Usage tag's value, "" before a whole hour was
// measured:
//
//	v1 since=2026-11-20T09:00Z hours=34 cpu-peak=0.4 mem-peak=2.1 gpu-peak=3 gpus=1
func (u UsageSummary) Value() string {
	if u.Hours == 0 {
		return ""
	}
	return fmt.Sprintf("v1 since=%s hours=%d cpu-peak=%s mem-peak=%s gpu-peak=%d gpus=%d",
		u.Since.UTC().Format(sinceLayout), u.Hours, strconv.FormatFloat(u.CPUPeak, 'f', -1, 64),
		strconv.FormatFloat(u.MemPeak, 'f', -1, 64), u.GPUPeak, u.GPUs)
}

// ParseUsage reads a Usage tag's value. Fields it does not know (from a
// later version) are ignored; a missing or malformed one is an error.
func ParseUsage(v string) (UsageSummary, error) {
	var u UsageSummary
	fields := strings.Fields(v)
	if len(fields) == 0 || fields[0] != "v1" {
		return u, fmt.Errorf("%s tag %q: not v1", Usage, v)
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return u, fmt.Errorf("%s tag %q: %q is not key=value", Usage, v, f)
		}
		var err error
		switch k {
		case "since":
			u.Since, err = time.Parse(sinceLayout, val)
		case "hours":
			u.Hours, err = strconv.Atoi(val)
		case "cpu-peak":
			u.CPUPeak, err = strconv.ParseFloat(val, 64)
		case "mem-peak":
			u.MemPeak, err = strconv.ParseFloat(val, 64)
		case "gpu-peak":
			u.GPUPeak, err = strconv.Atoi(val)
		case "gpus":
			u.GPUs, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return u, fmt.Errorf("%s tag %q: %s: %w", Usage, v, k, err)
		}
		seen[k] = true
	}
	for _, k := range []string{"since", "hours", "cpu-peak", "mem-peak", "gpu-peak", "gpus"} {
		if !seen[k] {
			return u, fmt.Errorf("%s tag %q: no %s", Usage, v, k)
		}
	}
	if u.Hours < 1 || u.CPUPeak < 0 || u.MemPeak < 0 || u.GPUPeak < 0 || u.GPUPeak > 100 || u.GPUs < 0 {
		return u, fmt.Errorf("%s tag %q: a value is out of range", Usage, v)
	}
	return u, nil
}
