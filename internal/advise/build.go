package advise

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Thresholds of the notebook and Studio rules.
const (
	// AgentQuiet is how long the agent must have seen no activity (no
	// busy kernel, terminal, or CPU or GPU use above its thresholds) for
	// an instance's size to be in question.
	AgentQuiet = 24 * time.Hour
	// LargeNotebookVCPU is the vCPU count from which a notebook is large.
	LargeNotebookVCPU = 8
	// SmallType is what the seed recommends for exploration: enough for
	// data that fits in 4 GB.
	SmallType = "ml.t3.medium"
	// WorkHoursPerWeek and HoursPerWeek give the share of a week an
	// instance that never stops is idle: outside 10 hours a day, 5 days a
	// week. Used when no agent measures idle time.
	WorkHoursPerWeek = 50
	HoursPerWeek     = 168
	// MinUptime is how long a notebook must have been InService without a
	// stop before it is known not to stop at night.
	MinUptime = 24 * time.Hour
)

// agentQuiet returns how long the agent has seen no activity, or false
// when no agent reports on the resource, it saw activity recently, or its
// heartbeat (agenttag.Heartbeat) is missing or older than agenttag.MaxAge:
// then the agent may have died or lost the API, and its quiet time says
// nothing (idle.Notebook's verdict reads it the same way). stale is true
// in that last case, for a skip's reason.
func (a *advisor) agentQuiet(r *resource.Resource) (quiet time.Duration, ok, stale bool) {
	if r.AgentLastActivity == nil {
		return 0, false, false
	}
	if hb, ok := agenttag.TimeOf(r.Tags, agenttag.Heartbeat); !ok || a.o.Now.Sub(hb) > agenttag.MaxAge {
		return 0, false, true
	}
	d := a.o.Now.Sub(*r.AgentLastActivity)
	if r.Started != nil && r.Started.After(*r.AgentLastActivity) {
		d = a.o.Now.Sub(*r.Started)
	}
	return d, d >= AgentQuiet, false
}

// downsizeTo proposes SmallType, or failing a price for it (or when it
// has fewer than minVCPU vCPUs or minGiB of memory), the cheapest priced M
// or T type with at least 4 GiB, minVCPU vCPUs and minGiB, cheaper than cur.
func (a *advisor) downsizeTo(region string, comp pricing.Component, cur pricing.Price, minVCPU int, minGiB float64) (string, pricing.Price, bool) {
	if s, ok := a.c.Spec(SmallType); ok && s.VCPU >= minVCPU && s.MemoryGiB >= minGiB {
		if p, ok := a.offered(region, SmallType, comp); ok && p.Amount.Cmp(cur.Amount) < 0 {
			return SmallType, p, true
		}
	}
	var best string
	var bestRate pricing.Price
	for _, t := range a.c.PricedTypes(region, comp, "") {
		s, ok := a.c.Spec(t)
		if !ok || s.Accelerated() || (s.Family[0] != 'm' && s.Family[0] != 't') || s.MemoryGiB < max(4, minGiB) || s.VCPU < minVCPU {
			continue
		}
		p, ok := a.offered(region, t, comp)
		if !ok || p.Amount.Cmp(cur.Amount) >= 0 {
			continue
		}
		if best == "" || p.Amount.Cmp(bestRate.Amount) < 0 {
			best, bestRate = t, p
		}
	}
	return best, bestRate, best != ""
}

func (a *advisor) notebooks() {
	for i := range a.rs {
		r := &a.rs[i]
		if r.Kind != resource.NotebookInstance || !r.Running || r.InstanceType == "" {
			continue
		}
		line := a.priced(r)
		if !line.Rate.Known {
			continue
		}
		a.downsize(r, NotebookDownsize, line.Component, line.Rate, true)
		if r.LifecycleConfig != "" || r.AgentLastActivity != nil {
			continue // an auto-stop script or the agent may already stop it
		}
		since := r.LastModified
		if since == nil {
			since = r.Created
		}
		if since == nil || a.o.Now.Sub(*since) < MinUptime {
			continue
		}
		up := a.o.Now.Sub(*since)
		cur := monthly(line.Rate, 1)
		a.add(Recommendation{
			Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: r.Name, Rule: NotebookAutoStop,
			Current: instances(r.InstanceType, 1) + " always on", Proposed: "auto-stop when idle (sagesaver agent)",
			Evidence: []string{
				fmt.Sprintf("InService for %s without a stop: nights and weekends are billed", duration(up.Truncate(time.Hour))),
				"no lifecycle configuration and no agent reporting (tag " + agenttag.LastActivity + ")",
				fmt.Sprintf("idle share assumed: outside %d working hours a week, %d of %d hours", WorkHoursPerWeek, HoursPerWeek-WorkHoursPerWeek, HoursPerWeek),
			},
			Confidence: Medium, CurrentMonthly: cur, Saving: cur.MulRat(HoursPerWeek-WorkHoursPerWeek, HoursPerWeek),
			Action: "sagesaver lifecycle install --notebook " + r.Name + " (attaches the agent's on-start script; it stops the instance when idle)",
		})
	}
}

// Thresholds of the usage-based rules (the agent's usage summary).
const (
	// UsageMinHours is how many hours the agent must have watched for its
	// usage summary to carry a recommendation; UsageSureHours makes it
	// High confidence (GPU to CPU).
	UsageMinHours  = 24
	UsageSureHours = 72
	// GPUUnused is the busiest hour's GPU utilization (percent) under
	// which a GPU is unused.
	GPUUnused = 10
	// CPUHeadroom is how many times the busiest hour's CPU use a proposed
	// type must have in vCPUs; MemHeadroom how many times the peak memory
	// in use it must have in GiB.
	CPUHeadroom = 2
	MemHeadroom = 1.25
)

// downsize proposes a smaller type for a GPU or large instance. With the
// agent's usage summary (hours watched, the busiest hour's CPU and GPU use,
// peak memory): a GPU that was never used goes to a CPU type, a large CPU
// type used at under half its size goes to one with CPUHeadroom times the
// busiest hour; either with MemHeadroom times the peak memory, High
// confidence after UsageSureHours, Medium before.
// Without it, an instance whose agent has seen no activity for AgentQuiet
// goes to SmallType (Low: the agent's last activity only).
func (a *advisor) downsize(r *resource.Resource, rule Rule, comp pricing.Component, rate pricing.Price, needLarge bool) {
	spec, ok := a.c.Spec(r.InstanceType)
	if !ok || !(spec.IsGPU() || needLarge && spec.VCPU >= LargeNotebookVCPU) {
		return
	}
	what := fmt.Sprintf("%d vCPUs", spec.VCPU)
	if spec.IsGPU() {
		what = fmt.Sprintf("%d x %s GPU", spec.GPUs(), spec.Accelerator.Model)
	}
	if u := r.AgentUsage; u != nil && u.Hours >= UsageMinHours && (!spec.IsGPU() || u.GPUs > 0) {
		a.downsizeByUsage(r, rule, comp, rate, spec, what)
		return
	}
	quiet, ok, stale := a.agentQuiet(r)
	if stale {
		a.skip(r, rule, fmt.Sprintf("the agent's heartbeat (%s) is missing or older than %s: its last activity is no evidence", agenttag.Heartbeat, duration(agenttag.MaxAge)))
	}
	if !ok {
		return
	}
	to, p, ok := a.downsizeTo(r.Region, comp, rate, 0, 0)
	if !ok {
		a.skip(r, rule, fmt.Sprintf("no smaller CPU type has a %s price in %s in the catalog", comp, r.Region))
		return
	}
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: r.Name, Rule: rule,
		Current: instances(r.InstanceType, 1), Proposed: instances(to, 1),
		Evidence: []string{
			fmt.Sprintf("%s has %s; the agent saw no kernel, terminal, CPU or GPU activity for %s (last %s)",
				r.InstanceType, what, duration(quiet.Truncate(time.Hour)), r.AgentLastActivity.UTC().Format(time.RFC3339)),
			"the agent has published no usage summary (" + agenttag.Usage + ") of at least " + fmt.Sprint(UsageMinHours) + " hours",
		},
		Confidence: Low, CurrentMonthly: monthly(rate, 1), Saving: sub(monthly(rate, 1), monthly(p, 1)),
		Action: fmt.Sprintf("explore on %s (enough for data under 4 GB) and send heavy work to training or processing jobs", to),
	})
}

func (a *advisor) downsizeByUsage(r *resource.Resource, rule Rule, comp pricing.Component, rate pricing.Price, spec pricing.Spec, what string) {
	u := r.AgentUsage
	need := max(2, int(math.Ceil(u.CPUPeak*CPUHeadroom)))
	needMem := u.MemPeak * MemHeadroom
	watched := fmt.Sprintf("the agent watched %s %d h since %s: the busiest hour averaged %s cores of CPU",
		r.InstanceType, u.Hours, u.Since.UTC().Format("2006-01-02"), strconv.FormatFloat(u.CPUPeak, 'f', -1, 64))
	switch {
	case spec.IsGPU():
		if u.GPUPeak >= GPUUnused {
			return // the GPU is used
		}
		watched += fmt.Sprintf(" and %d%% of the busiest GPU", u.GPUPeak)
	case float64(spec.VCPU) < 2*u.CPUPeak*CPUHeadroom || need >= spec.VCPU:
		return // more than half of it is needed
	}
	confidence := Medium
	if u.Hours >= UsageSureHours {
		confidence = High
	}
	to, p, ok := a.downsizeTo(r.Region, comp, rate, need, needMem)
	if !ok {
		a.skip(r, rule, fmt.Sprintf("no cheaper CPU type with %d vCPUs and %s GiB has a %s price in %s in the catalog",
			need, strconv.FormatFloat(math.Ceil(needMem), 'f', -1, 64), comp, r.Region))
		return
	}
	toSpec, _ := a.c.Spec(to)
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: r.Name, Rule: rule,
		Current: instances(r.InstanceType, 1), Proposed: instances(to, 1),
		Evidence: []string{
			fmt.Sprintf("%s has %s; %s (hourly averages, from its %s tag)", r.InstanceType, what, watched, agenttag.Usage),
			fmt.Sprintf("%s has %d vCPUs, %d times the busiest hour's CPU or more", to, toSpec.VCPU, CPUHeadroom),
			fmt.Sprintf("memory in use peaked at %s GiB; %s has %s GiB", strconv.FormatFloat(u.MemPeak, 'f', -1, 64), to,
				strconv.FormatFloat(toSpec.MemoryGiB, 'f', -1, 64)),
		},
		Confidence: confidence, CurrentMonthly: monthly(rate, 1), Saving: sub(monthly(rate, 1), monthly(p, 1)),
		Action: fmt.Sprintf("move to %s (stop the instance, change its type, start it)", to),
	})
}

func (a *advisor) studio() {
	apps := map[string][]*resource.Resource{} // by domain id
	for i := range a.rs {
		r := &a.rs[i]
		if r.Kind != resource.StudioApp || !r.Running || r.InstanceType == "" || r.InstanceType == "system" {
			continue
		}
		apps[r.Parent] = append(apps[r.Parent], r)
		line := a.priced(r)
		if line.Rate.Known {
			a.downsize(r, StudioDownsize, line.Component, line.Rate, false)
		}
	}
	for i := range a.rs {
		d := &a.rs[i]
		if d.Kind != resource.StudioDomain || d.IdleShutdown == nil || *d.IdleShutdown {
			continue
		}
		saving := pricing.Price{Amount: pricing.Zero, Known: true}
		cur := saving
		var names []string
		for _, r := range apps[d.Name] {
			if r.AppType != "JupyterLab" && r.AppType != "CodeEditor" {
				continue // built-in idle shutdown covers these two only
			}
			m := monthly(a.priced(r).Rate, 1)
			cur = add(cur, m)
			names = append(names, r.Name)
		}
		saving = cur.MulRat(HoursPerWeek-WorkHoursPerWeek, HoursPerWeek)
		ev := []string{"built-in idle shutdown is off for JupyterLab and Code Editor"}
		if len(names) == 0 {
			ev = append(ev, "no JupyterLab or Code Editor app runs now")
		} else {
			ev = append(ev, fmt.Sprintf("%s running now; idle share assumed: outside %d working hours a week", plural(len(names), "app"), WorkHoursPerWeek))
		}
		name := d.Name
		if d.Parent != "" {
			name = d.Parent + " (" + d.Name + ")"
		}
		a.add(Recommendation{
			Account: d.Account, Region: d.Region, Kind: d.Kind, Resource: name, Rule: StudioIdleShutdown,
			Current: "no idle shutdown", Proposed: "idle shutdown after 60 min", Evidence: ev, Confidence: Medium,
			CurrentMonthly: cur, Saving: saving,
			Action: "aws sagemaker update-domain --domain-id " + d.Name + " --default-user-settings " +
				`'{"JupyterLabAppSettings":{"AppLifecycleManagement":{"IdleSettings":{"LifecycleManagement":"ENABLED","IdleTimeoutInMinutes":60}}},` +
				`"CodeEditorAppSettings":{"AppLifecycleManagement":{"IdleSettings":{"LifecycleManagement":"ENABLED","IdleTimeoutInMinutes":60}}}}'`,
		})
	}
}
