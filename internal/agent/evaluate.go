package agent

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/gpu"
	"github.com/sagesaver/sagesaver/internal/jupyter"
)

// Observation is what one poll saw.
type Observation struct {
	At        time.Time
	Kernels   []jupyter.Kernel
	Terminals []jupyter.Terminal
	// JupyterErr is set when the server could not be read; its kernels
	// and terminals are then unknown.
	JupyterErr error
	// CPU is CPU use since the previous poll in percent of one core;
	// CPUKnown is false on the first poll.
	CPU      float64
	CPUKnown bool
	// KernelCPU is each kernel process's own CPU use since the previous
	// poll, in percent of one core; a kernel whose process was not found
	// (or not on two polls) is absent.
	KernelCPU map[string]float64
	GPUs      []gpu.Device
	GPUErr    error
	// KeepAlive is the keep-alive's end (zero: none).
	KeepAlive time.Time
}

// Verdict is the agent's view after a poll.
type Verdict struct {
	At       time.Time `json:"at"`
	Resource string    `json:"resource"`
	// Active lists the signals active now, e.g. "kernel 3f2a busy for 41 min".
	Active []string `json:"active,omitempty"`
	// Notes are facts that do not count as activity: stuck kernels,
	// unwatched time, unreadable signals.
	Notes []string `json:"notes,omitempty"`
	// LastActivity is the idle clock; Source says which signal set it.
	LastActivity time.Time     `json:"lastActivity"`
	Source       string        `json:"source,omitempty"`
	IdleFor      time.Duration `json:"idleFor"`
	IdleTime     time.Duration `json:"idleTime"`
	StopAt       time.Time     `json:"stopAt"`
	// Idle is true when nothing is active and IdleFor reached IdleTime.
	Idle bool `json:"idle"`
	// Action is what the agent did about it ("stop requested at 14:05 UTC").
	Action string `json:"action,omitempty"`
	// StopDone is set once the stop was made (or logged, or found made by
	// someone else) this boot: the agent will not stop again, and the
	// verdict no longer says when it would.
	StopDone bool `json:"stopDone,omitempty"`
}

// Stuck and never-connected kernels are told from working ones by the
// kernel process's own CPU use, whatever the user's cpuThreshold.
const (
	// StuckKernelCPU is the CPU use, in percent of one core, under which a
	// kernel process is doing nothing: an idle ipykernel uses well under
	// 1%, a silent computation close to 100.
	StuckKernelCPU = 2.0
	// stuckSystemCPU stands in where the kernel's process is not found
	// (a remote kernel): the whole machine under the default
	// cpuThreshold, a fixed value, not the user's.
	stuckSystemCPU = 30.0
	// NeverConnectedAfter is how long a kernel may stay "starting" with no
	// connection and no CPU before it is not counted: Notebook 6.4 leaves a
	// kernel started through the REST API that no client ever connected to
	// "starting" forever. A real start takes seconds.
	NeverConnectedAfter = 10 * time.Minute
)

// working kernel states: the kernel is running (or coming up), whatever
// its last message time.
var working = map[string]bool{"busy": true, "starting": true, "restarting": true, "autorestarting": true}

// maxGap is the longest time between two polls that still counts as
// watched: a later poll means the agent (or the machine) was not running.
func maxGap(c Config) time.Duration { return 2*c.PollInterval + 30*time.Second }

// Evaluate folds an observation into the idle clock in st and returns the
// verdict. It is pure: the time is o.At.
func Evaluate(c Config, st *State, o Observation) Verdict {
	now := o.At
	v := Verdict{At: now, Resource: st.Resource.String(), IdleTime: c.IdleTime}
	if st.LastActivity.IsZero() {
		// A fresh clock starts now: the agent cannot know about before.
		st.LastActivity, st.LastActivitySource = now, "agent start"
	}
	if !st.LastPoll.IsZero() {
		if gap := now.Sub(st.LastPoll); gap > maxGap(c) {
			unwatched := gap - c.PollInterval
			st.LastActivity = minTime(now, st.LastActivity.Add(unwatched))
			// The clock's time is no longer the source's: say what moved it.
			st.LastActivitySource = fmt.Sprintf("moved forward by %s the agent was not watching", human(unwatched))
			v.Notes = append(v.Notes, fmt.Sprintf("agent was not watching for %s: not counted as idle", human(unwatched)))
		}
	}
	st.LastPoll = now

	latest, source := st.LastActivity, st.LastActivitySource
	seen := func(t time.Time, what string) {
		if t.After(latest) {
			latest, source = minTime(t, now), what
		}
	}
	// A kernel message or terminal input since about the last look is
	// activity now, and the verdict says so ("terminal 1 active 4 s ago")
	// instead of "idle for 0 s"; it moves the clock to its own time.
	recent := func(t time.Time, what string) {
		seen(t, what)
		if d := max(now.Sub(t), 0); !t.IsZero() && d < max(c.PollInterval, time.Minute) {
			v.Active = append(v.Active, fmt.Sprintf("%s active %s ago", what, human(d)))
		}
	}
	active := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		v.Active = append(v.Active, msg)
		seen(now, msg)
	}

	if end := st.Boot.Add(c.Grace); now.Before(end) {
		active("start-up grace until %s", clockTime(end))
	}
	if o.KeepAlive.After(now) {
		if o.KeepAlive.Equal(Forever) {
			active("keep-alive file present")
		} else {
			active("keep-alive until %s", clockTime(o.KeepAlive))
		}
	}

	cpuBusy := o.CPUKnown && c.CPUThreshold > 0 && o.CPU >= c.CPUThreshold
	if cpuBusy {
		active("CPU at %.0f%% of a core", o.CPU)
	}

	if o.JupyterErr != nil {
		// No data is not idle.
		active("Jupyter not answering (%v)", o.JupyterErr)
	}
	busy := map[string]time.Time{}
	for _, k := range o.Kernels {
		id := shortID(k.ID)
		if working[k.ExecutionState] {
			since := k.LastActivity
			if s, ok := st.BusySince[k.ID]; ok && s.Before(since) {
				since = s
			}
			if since.IsZero() || since.After(now) {
				since = now
			}
			busy[k.ID] = since
			silent := now.Sub(k.LastActivity)
			quiet := o.CPUKnown && o.CPU < stuckSystemCPU
			if pct, ok := o.KernelCPU[k.ID]; ok {
				quiet = pct < StuckKernelCPU
			}
			if k.ExecutionState == "starting" && k.Connections == 0 && now.Sub(since) >= NeverConnectedAfter && quiet {
				seen(k.LastActivity, "kernel "+id+" started")
				v.Notes = append(v.Notes, fmt.Sprintf("kernel %s starting for %s, no client ever connected and no CPU: not counted", id, human(now.Sub(since))))
				continue
			}
			if silent >= c.StuckAfter && quiet {
				if c.IgnoreStuckKernels {
					seen(k.LastActivity, "kernel "+id)
					v.Notes = append(v.Notes, fmt.Sprintf("kernel %s stuck %s for %s with no output and no CPU: not counted", id, k.ExecutionState, human(now.Sub(since))))
					continue
				}
				active("kernel %s %s for %s (looks stuck: no output and no CPU)", id, k.ExecutionState, human(now.Sub(since)))
				continue
			}
			active("kernel %s %s for %s", id, k.ExecutionState, human(now.Sub(since)))
			continue
		}
		recent(k.LastActivity, "kernel "+id)
		if c.CountConnections && k.Connections > 0 {
			active("kernel %s has %d open connection(s)", id, k.Connections)
		}
	}
	st.BusySince = busy
	for _, t := range o.Terminals {
		recent(t.LastActivity, "terminal "+t.Name)
	}
	if o.GPUErr != nil {
		v.Notes = append(v.Notes, fmt.Sprintf("GPU unreadable (%v): not counted", o.GPUErr))
	}
	if c.GPUThreshold > 0 {
		for _, g := range o.GPUs {
			if float64(g.Utilization) >= c.GPUThreshold {
				active("GPU %d at %d%%", g.Index, g.Utilization)
			}
		}
	}

	st.LastActivity, st.LastActivitySource = latest, source
	v.LastActivity, v.Source = latest, source
	v.IdleFor = now.Sub(latest)
	v.StopAt = latest.Add(c.IdleTime)
	v.Idle = len(v.Active) == 0 && v.IdleFor >= c.IdleTime
	sort.Strings(v.Notes)
	return v
}

// Summary is the verdict in one line, e.g. "not idle: kernel 3f2a busy for
// 41 min; GPU 0 at 87%" or "idle for 52 min of 60: stops at 14:05 UTC".
func (v Verdict) Summary() string {
	switch {
	case len(v.Active) > 0:
		s := "not idle: " + strings.Join(v.Active, "; ")
		if v.Action != "" {
			s += " (" + v.Action + ")"
		}
		return s
	case v.Idle, v.StopDone, v.Action != "":
		s := fmt.Sprintf("idle for %s of %s", inUnit(v.IdleFor, v.IdleTime), of(v.IdleTime))
		if v.Action != "" {
			s += ": " + v.Action
		}
		return s
	}
	return fmt.Sprintf("idle for %s of %s: stops at %s", inUnit(v.IdleFor, v.IdleTime), of(v.IdleTime), clockTime(v.StopAt))
}

// human formats a duration in the unit a person would say.
func human(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours())/24)
}

// inUnit formats d in the unit of the threshold: "52 min" of 60.
func inUnit(d, threshold time.Duration) string {
	if d < 0 {
		d = 0
	}
	if threshold < 2*time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}

// of formats the threshold as the number after "of": "60" (minutes) or
// "30 s" for thresholds under two minutes.
func of(threshold time.Duration) string {
	if threshold < 2*time.Minute {
		return fmt.Sprintf("%d s", int(threshold.Seconds()))
	}
	return fmt.Sprintf("%d", int(math.Round(threshold.Minutes())))
}

func clockTime(t time.Time) string { return t.UTC().Format("15:04 UTC") }

func shortID(id string) string {
	if len(id) > 4 {
		return id[:4]
	}
	return id
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
