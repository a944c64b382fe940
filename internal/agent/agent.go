// Package agent is the on-instance loop that stops an idle notebook
// instance (StopNotebookInstance) or Studio app (DeleteApp) without ever
// stopping real work.
//
// Activity is the OR of every signal: a kernel that is busy or whose last
// message is recent; a terminal with recent input or output; optionally an
// open connection to a kernel; CPU use (system-wide, from /proc/stat) or GPU
// utilization above a threshold; a keep-alive file; and a start-up grace
// period. The idle clock (the time of the latest activity) lives on disk,
// keyed by the resource and its machine's boot time, so that a restarted
// agent neither resets nor fakes idleness: time when no agent was watching
// does not count as idle.
//
// Evaluate is pure and holds the rules; Agent does the I/O around it.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/agent/sagemakerapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/gpu"
	"github.com/sagesaver/sagesaver/internal/jupyter"
)

// SageMaker is every SageMaker call the agent makes (its instance role
// needs exactly these actions); sagemakerapi.Client implements it.
type SageMaker interface {
	// StopNotebookInstance asks to stop an InService notebook instance; it
	// fails with a ValidationException in any other status.
	StopNotebookInstance(ctx context.Context, name string) error
	// DescribeNotebookInstance returns the instance's status.
	DescribeNotebookInstance(ctx context.Context, name string) (status string, err error)
	// DeleteApp deletes a Studio app (the space or user profile stays).
	DeleteApp(ctx context.Context, app sagemakerapi.App) error
	// DescribeApp returns a Studio app's status.
	DescribeApp(ctx context.Context, app sagemakerapi.App) (status string, err error)
	// AddTags adds or overwrites tags on any SageMaker resource.
	AddTags(ctx context.Context, arn string, tags ...sagemakerapi.Tag) error
	// ListTags reads them (the usage summary of earlier boots); the agent
	// works without it.
	ListTags(ctx context.Context, arn string) ([]sagemakerapi.Tag, error)
}

// Deps are the agent's collaborators.
type Deps struct {
	Jupyter   *jupyter.Client
	SageMaker SageMaker // may be nil with Config.DryRun and PublishTag off
	GPU       *gpu.Reader
	Clock     clock.Clock
	Log       *slog.Logger
	// ProcStat is /proc/stat (CPU use and boot time); ProcMeminfo is
	// /proc/meminfo (memory in use, for the usage summary).
	ProcStat    string
	ProcMeminfo string
	// ProcDir is /proc, where the kernels' processes are found (their own
	// CPU use tells a stuck kernel from a silent computation).
	ProcDir string
}

// Agent watches one resource. It is not safe for concurrent use.
type Agent struct {
	cfg     Config
	res     Resource
	d       Deps
	st      State
	prevCPU *cpuTimes
	// kernels finds the kernels' processes; prevKernel is each one's CPU
	// ticks at the previous poll.
	kernels    kernelProcs
	prevKernel map[string]uint64
	// freshCPU is set while prevCPU is the sample New took, not a poll's
	// or an earlier run's: a poll right after New sees no CPU use.
	freshCPU bool
	last     string // last logged summary class, to log changes only
	// resumeUsage is set while the usage summary of earlier boots (in the
	// resource's tag) is still to be read: on the first poll.
	resumeUsage bool
}

// New returns an agent for res, resuming the idle clock stored in the state
// directory when it belongs to the same resource and boot.
func New(cfg Config, res Resource, d Deps) (*Agent, error) {
	if d.Jupyter == nil || d.Clock == nil {
		return nil, errors.New("agent: Jupyter client and clock are required")
	}
	if d.SageMaker == nil && (!cfg.DryRun || cfg.PublishTag) {
		return nil, errors.New("agent: a SageMaker client is required unless dry-run without tags")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.GPU == nil {
		d.GPU = gpu.Open(context.Background(), gpu.Options{Libraries: []string{}, NvidiaSMI: "/nonexistent"})
	}
	if d.ProcStat == "" {
		d.ProcStat = "/proc/stat"
	}
	if d.ProcMeminfo == "" {
		d.ProcMeminfo = "/proc/meminfo"
	}
	if d.ProcDir == "" {
		d.ProcDir = "/proc"
	}
	ps, err := readProcStat(d.ProcStat)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("agent: state dir: %w", err)
	}
	a := &Agent{cfg: cfg, res: res, d: d, prevCPU: &ps.cpu, freshCPU: true, kernels: kernelProcs{dir: d.ProcDir}}
	key := StateKey(res, ps.boot)
	st, err := ReadState(cfg.StatePath())
	switch {
	case err == nil && st.Key == key:
		d.Log.Info("agent: resuming idle clock", "resource", res.String(), "lastActivity", st.LastActivity, "lastPoll", st.LastPoll)
		if c := st.CPU; c != nil && c.Total <= ps.cpu.total {
			// The previous run's last sample (same boot): CPU use since
			// then is known on this run's first poll, `--once` included.
			a.prevCPU, a.freshCPU = &cpuTimes{busy: c.Busy, total: c.Total, cpus: ps.cpu.cpus}, false
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		d.Log.Warn("agent: unreadable state, starting a fresh idle clock", "err", err)
		fallthrough
	default:
		st = State{Key: key}
		a.resumeUsage = cfg.PublishTag && d.SageMaker != nil && res.ARN != ""
	}
	st.Resource, st.Boot, st.PID = res, ps.boot, os.Getpid()
	if a.freshCPU {
		st.CPU = &CPUSample{Busy: ps.cpu.busy, Total: ps.cpu.total, At: d.Clock.Now()}
	}
	a.st = st
	return a, nil
}

// State returns a copy of the agent's state.
func (a *Agent) State() State { return a.st }

// Poll looks at every signal once, updates the idle clock, stops the
// resource when it has been idle long enough (once), publishes the tag and
// writes the state file. An error is returned only when the state cannot be
// written or the stop failed; unreadable signals are part of the verdict.
func (a *Agent) Poll(ctx context.Context) (Verdict, error) {
	o := a.observe(ctx)
	if err := ctx.Err(); err != nil {
		// Interrupted (SIGTERM, or the end of --once's deadline) while
		// looking: a request cut short is not "Jupyter not answering", and
		// nothing of this poll is evidence. The idle clock and the state
		// file stay as the last complete poll left them.
		return Verdict{}, fmt.Errorf("poll interrupted: %w", err)
	}
	if a.resumeUsage {
		a.resumeUsage = false
		a.readUsageTag(ctx)
	}
	gpus := make([]int, len(o.GPUs))
	for i, g := range o.GPUs {
		gpus[i] = g.Utilization
	}
	mem, memErr := readMemUsed(a.d.ProcMeminfo)
	a.st.Usage.add(o.At, a.cfg.PollInterval, o.CPU, o.CPUKnown, mem, memErr == nil, gpus)
	v := Evaluate(a.cfg, &a.st, o)
	var actErr error
	if v.Idle && a.st.Stopped.IsZero() {
		var by string
		by, actErr = a.stop(ctx)
		if actErr == nil {
			a.st.Stopped, a.st.StopDryRun, a.st.StoppedBy = o.At, a.cfg.DryRun, by
		}
	}
	switch {
	case actErr != nil:
		v.Action = "stop failed: " + actErr.Error()
	case !a.st.Stopped.IsZero():
		// Made once per boot: every later verdict says so, and never
		// "stops at" a time the agent will not act at.
		v.Action, v.StopDone = a.st.StopNote(), true
	}
	if a.cfg.PublishTag {
		a.publish(ctx, o.At)
	}
	a.st.Verdict = v
	a.logChange(v)
	if err := writeState(a.cfg.StatePath(), &a.st); err != nil {
		return v, errors.Join(actErr, err)
	}
	return v, actErr
}

// Run polls every PollInterval until ctx is done. Failed polls are logged
// and retried at the next interval.
func (a *Agent) Run(ctx context.Context) error {
	a.d.Log.Info("agent: watching", "resource", a.res.String(), "idleTime", a.cfg.IdleTime, "poll", a.cfg.PollInterval,
		"gpu", a.d.GPU.Source(), "dryRun", a.cfg.DryRun)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := a.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.d.Log.Error("agent: poll", "err", err)
		}
		t.Reset(a.cfg.PollInterval)
	}
}

// minCPUWindow is the shortest span, in clock ticks of one CPU (USER_HZ,
// 100 a second on Linux), over which CPU use is measured: half a second.
const minCPUWindow = 50

// OnceSample is how long Once waits between its two CPU samples when no
// earlier sample of this boot is on disk: long enough for a busy core to
// show (a few hundred clock ticks), short enough for a command.
const OnceSample = time.Second

// Once is one poll for `agent --once`. A poll measures CPU use since the
// previous sample: Once uses the last run's (the state file keeps it, so
// that a --once run from cron sees the CPU since the last run), and takes
// a second sample OnceSample after the first where there is none.
func (a *Agent) Once(ctx context.Context) (Verdict, error) {
	if a.freshCPU {
		select {
		case <-ctx.Done():
			return Verdict{}, fmt.Errorf("poll interrupted: %w", ctx.Err())
		case <-time.After(OnceSample):
		}
	}
	return a.Poll(ctx)
}

func (a *Agent) observe(ctx context.Context) Observation {
	o := Observation{At: a.d.Clock.Now()}
	prev := a.prevCPU
	ps, psErr := readProcStat(a.d.ProcStat)
	// advanced: at least minCPUWindow passed on the CPU counters since the
	// previous sample. Until it has (polls a few milliseconds apart), the
	// previous samples are kept, so that the next poll measures over the
	// whole span: over a few ticks, one tick is 25% of a core.
	advanced := psErr == nil && (prev == nil || ps.cpu.total >= prev.total+minCPUWindow*uint64(ps.cpu.cpus))
	if advanced {
		if prev != nil {
			o.CPU, o.CPUKnown = cpuPercent(*prev, ps.cpu)
		}
		a.prevCPU, a.freshCPU = &ps.cpu, false
		a.st.CPU = &CPUSample{Busy: ps.cpu.busy, Total: ps.cpu.total, At: o.At}
	}
	ks, err := a.d.Jupyter.Kernels(ctx)
	if err == nil {
		var ts []jupyter.Terminal
		ts, err = a.d.Jupyter.Terminals(ctx)
		o.Kernels, o.Terminals = ks, ts
	}
	o.JupyterErr = err
	if advanced && len(ks) > 0 {
		ids := make([]string, len(ks))
		for i, k := range ks {
			ids[i] = k.ID
		}
		ticks := a.kernels.ticks(ids)
		for id, t := range ticks {
			p, ok := a.prevKernel[id]
			if !ok || prev == nil || t < p {
				continue
			}
			// The elapsed time in ticks of one CPU, from the system's own
			// counters: no assumption about the tick rate.
			elapsed := float64(ps.cpu.total-prev.total) / float64(ps.cpu.cpus)
			if o.KernelCPU == nil {
				o.KernelCPU = map[string]float64{}
			}
			o.KernelCPU[id] = float64(t-p) / elapsed * 100
		}
		a.prevKernel = ticks
	}
	o.GPUs, o.GPUErr = a.d.GPU.Read(ctx)
	ka, err := ReadKeepAlive(a.cfg.KeepAlivePath())
	if err != nil {
		a.d.Log.Warn("agent: keep-alive", "err", err)
		ka = Forever // someone wrote something: fail closed
	}
	o.KeepAlive = ka
	return o
}

// stop stops the resource and says by whom it was stopped: StoppedByAgent,
// or, for a resource already stopping or stopped (a Studio app already
// deleting or deleted), which is not an error, StoppedElsewhere.
func (a *Agent) stop(ctx context.Context) (string, error) {
	if a.cfg.DryRun {
		a.d.Log.Info("agent: dry-run: would stop", "resource", a.res.String())
		return StoppedByAgent, nil
	}
	if a.res.IsStudioApp() {
		app := sagemakerapi.App{DomainID: a.res.DomainID, AppType: a.res.AppType, AppName: a.res.Name}
		if a.res.SpaceName != "" {
			app.SpaceName = a.res.SpaceName
		} else {
			app.UserProfileName = a.res.UserProfileName
		}
		err := a.d.SageMaker.DeleteApp(ctx, app)
		if err == nil {
			a.d.Log.Info("agent: deleted idle app", "resource", a.res.String())
			return StoppedByAgent, nil
		}
		status, derr := a.d.SageMaker.DescribeApp(ctx, app)
		if derr == nil && (status == "Deleting" || status == "Deleted") {
			a.d.Log.Info("agent: app already "+strings.ToLower(status), "resource", a.res.String())
			return StoppedElsewhere, nil
		}
		return "", fmt.Errorf("delete app %s: %w", a.res.Name, err)
	}
	err := a.d.SageMaker.StopNotebookInstance(ctx, a.res.Name)
	if err == nil {
		a.d.Log.Info("agent: stopped idle notebook instance", "resource", a.res.String())
		return StoppedByAgent, nil
	}
	status, derr := a.d.SageMaker.DescribeNotebookInstance(ctx, a.res.Name)
	if derr == nil && (status == "Stopping" || status == "Stopped") {
		a.d.Log.Info("agent: notebook instance already "+strings.ToLower(status), "resource", a.res.String())
		return StoppedElsewhere, nil
	}
	return "", fmt.Errorf("stop notebook %s: %w", a.res.Name, err)
}

// publish writes the agent's tags in one AddTags call: the idle clock
// (agenttag.LastActivity), when it checked (agenttag.Heartbeat) and the
// usage summary (agenttag.Usage) when it has one. It writes on the first
// poll and then whenever the next poll would come later than
// agenttag.Interval after the last write, changed or not: the heartbeat is
// what tells a central verdict that the idle clock is current. So a running
// agent makes one AddTags call per interval, never more; a failed one is
// tried again at the next poll.
func (a *Agent) publish(ctx context.Context, now time.Time) {
	if a.res.ARN == "" {
		return
	}
	if !a.st.TagAt.IsZero() && now.Add(a.cfg.PollInterval).Sub(a.st.TagAt) <= agenttag.Interval {
		return
	}
	val, usage := agenttag.FormatTime(a.st.LastActivity), a.st.Usage.Value()
	tags := []sagemakerapi.Tag{{Key: agenttag.LastActivity, Value: val}, {Key: agenttag.Heartbeat, Value: agenttag.FormatTime(now)}}
	if usage != "" {
		tags = append(tags, sagemakerapi.Tag{Key: agenttag.Usage, Value: usage})
	}
	if err := a.d.SageMaker.AddTags(ctx, a.res.ARN, tags...); err != nil {
		a.d.Log.Warn("agent: publish tags", "err", err)
		return
	}
	a.st.TagValue, a.st.UsageTagValue, a.st.TagAt = val, usage, now
}

// readUsageTag resumes the usage summary that the agent of an earlier boot
// published, if it is recent: a notebook stopped every evening still
// accumulates its days. Without it (no tag, or no sagemaker:ListTags
// permission) the summary starts afresh.
func (a *Agent) readUsageTag(ctx context.Context) {
	tags, err := a.d.SageMaker.ListTags(ctx, a.res.ARN)
	if err != nil {
		a.d.Log.Debug("agent: earlier usage not read", "err", err)
		return
	}
	for _, t := range tags {
		if t.Key != agenttag.Usage {
			continue
		}
		u, err := agenttag.ParseUsage(t.Value)
		if err != nil {
			a.d.Log.Warn("agent: earlier usage not understood", "err", err)
			return
		}
		if a.d.Clock.Now().Sub(u.Since) < UsageWindow {
			a.st.Usage.UsageSummary = u
			a.st.UsageTagValue = t.Value
			a.d.Log.Info("agent: resuming usage summary", "since", u.Since, "hours", u.Hours)
		}
		return
	}
}

// logChange logs the verdict when its gist changed since the last poll:
// loops log changes, not ticks.
func (a *Agent) logChange(v Verdict) {
	gist := "idle"
	switch {
	case len(v.Active) > 0:
		gist = "active: " + strings.Join(stripDurations(v.Active), "; ")
	case v.Idle:
		gist = "idle past threshold: " + v.Action
	}
	if gist == a.last {
		return
	}
	a.last = gist
	a.d.Log.Info("agent: "+v.Summary(), "lastActivity", v.LastActivity, "source", v.Source)
}

// stripDurations drops the " for ..." part of each reason so that a kernel
// staying busy is one state, not a new one each minute.
func stripDurations(reasons []string) []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		if j := strings.Index(r, " for "); j >= 0 {
			r = r[:j]
		}
		out[i] = r
	}
	return out
}
