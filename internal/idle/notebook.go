package idle

import (
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// AgentFresh is how recent the agent's last activity must be for the
// resource to count as Active rather than idle-since-then: longer than the
// agent's tag interval, since a machine in use can show a last activity as
// old as its heartbeat's age plus one poll (agenttag.Fresh).
const AgentFresh = agenttag.Fresh

// NotebookEvidence is what is known about a notebook instance besides its
// inventory record.
type NotebookEvidence struct {
	// Schedule names a schedule that stops the notebook ("" when none
	// does). A scheduled notebook without an agent is Managed, not
	// Unprotected.
	Schedule string
}

// Notebook judges a notebook instance. With the agent's last activity
// (Resource.AgentLastActivity) it is Idle since that time, or Active when
// that time is within AgentFresh, while the agent's heartbeat is fresh
// (see agentVerdict); Unknown, never Idle, otherwise. Without an agent, an InService notebook
// is Managed when a schedule stops it and Unprotected otherwise: nothing
// will stop it when idle, and whether it is idle now is not known.
func Notebook(r resource.Resource, ev NotebookEvidence, now time.Time) Verdict {
	if !r.Running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + r.Status + ": not billed for instance hours"}
	}
	if r.AgentLastActivity != nil {
		v := agentVerdict(*r.AgentLastActivity, r.Tags, r.Started, now)
		v.Actionable = true
		return v
	}
	if ev.Schedule != "" {
		return Verdict{State: Managed, Reason: ReasonScheduled, Actionable: true,
			Evidence: fmt.Sprintf("no agent; stopped by schedule %s", ev.Schedule)}
	}
	return Verdict{State: Unprotected, Reason: ReasonNoAgent, Actionable: true,
		Evidence: "unprotected: no auto-stop (no agent and no schedule)" + runningFor(r, now)}
}

// agentVerdict judges the agent's last activity. It counts only while the
// agent's heartbeat (agenttag.Heartbeat in tags) is at most agenttag.MaxAge
// old and not older than the resource's start: without one (an agent from
// before heartbeats), or with an older one (the agent died or was removed,
// and the tag froze), the verdict is Unknown, never Idle. A resource
// started after that activity (a notebook stopped and started again: the
// tag still holds the old time) is idle at most since it started.
func agentVerdict(last time.Time, tags map[string]string, started *time.Time, now time.Time) Verdict {
	hb, ok := agenttag.TimeOf(tags, agenttag.Heartbeat)
	switch {
	case !ok:
		return Verdict{State: Unknown, Reason: ReasonAgentStale,
			Evidence: fmt.Sprintf("agent tag has no heartbeat (%s; an older agent): last activity %s not known to be current",
				agenttag.Heartbeat, last.UTC().Format(time.RFC3339))}
	case now.Sub(hb) > agenttag.MaxAge:
		return Verdict{State: Unknown, Reason: ReasonAgentStale,
			Evidence: fmt.Sprintf("agent last checked %s ago (at %s), more than %s: not running?",
				FormatDuration(now.Sub(hb)), hb.UTC().Format(time.RFC3339), FormatDuration(agenttag.MaxAge))}
	case started != nil && started.After(hb) && !started.After(now):
		return Verdict{State: Unknown, Reason: ReasonAgentStale,
			Evidence: "agent has not checked since the start at " + started.UTC().Format(time.RFC3339)}
	}
	if started != nil && started.After(last) && !started.After(now) {
		if now.Sub(*started) <= AgentFresh {
			return Verdict{State: Active, Reason: ReasonAgentActive, Since: *started,
				Evidence: "started at " + started.UTC().Format(time.RFC3339)}
		}
		return Verdict{State: Idle, Since: *started, Reason: ReasonAgentIdle,
			Evidence: fmt.Sprintf("no activity for %s, since it started (agent, last activity before the start)", FormatDuration(now.Sub(*started)))}
	}
	stamp := last.UTC().Format(time.RFC3339)
	if d := now.Sub(last); d <= AgentFresh {
		return Verdict{State: Active, Reason: ReasonAgentActive, Since: last,
			Evidence: "agent saw activity at " + stamp}
	}
	return Verdict{State: Idle, Since: last, Reason: ReasonAgentIdle,
		Evidence: fmt.Sprintf("no activity for %s (agent, last at %s)", FormatDuration(now.Sub(last)), stamp)}
}

func runningFor(r resource.Resource, now time.Time) string {
	start := r.Started
	if start == nil {
		start = r.Created
	}
	if start == nil || start.After(now) {
		return ""
	}
	return ", running for " + FormatDuration(now.Sub(*start))
}
