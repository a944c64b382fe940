// Package idle decides whether a SageMaker resource is idle, from evidence
// gathered elsewhere (CloudWatch sums, the on-instance agent's last
// activity, Studio settings). Detectors are pure functions
// (resource, evidence, now) -> Verdict, so every rule is a table test.
//
// The rule everywhere is that ambiguity fails closed: no data, an error, a
// window the resource did not live through, or a setting that is not known
// give Unknown, never Idle. Only Idle verdicts (and only actionable ones)
// let a policy act.
package idle

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// State is what a detector concluded.
type State string

// The states.
const (
	// Unknown: the evidence does not allow a conclusion (no data, a
	// CloudWatch error, a resource younger than the window). Never acted on.
	Unknown State = "unknown"
	// Idle: the resource did nothing over the evidence window.
	Idle State = "idle"
	// Active: the resource was used.
	Active State = "active"
	// Unprotected: the resource bills while nothing will stop it when idle
	// (an InService notebook with no agent and no schedule, a Studio domain
	// or space without built-in idle shutdown). Whether it is idle now is
	// not known; the finding is the missing guard.
	Unprotected State = "unprotected"
	// Managed: something else stops the resource when idle (a schedule,
	// Studio's built-in idle shutdown).
	Managed State = "managed"
	// Stopped: the resource does not accrue instance charges now.
	Stopped State = "stopped"
)

// Reason is a short, stable code for why a verdict was reached; Evidence
// is the sentence for people.
type Reason string

// The reasons.
const (
	ReasonNoInvocations  Reason = "no-invocations"   // every variant summed to 0 over the window
	ReasonInvocations    Reason = "invocations"      // some variant or component had traffic
	ReasonBacklog        Reason = "backlog"          // an async endpoint has queued requests
	ReasonAsyncProcessed Reason = "async-processed"  // an async endpoint processed requests
	ReasonYoung          Reason = "young"            // not in service for the whole window
	ReasonNoData         Reason = "no-data"          // a series is missing or incomplete
	ReasonMetricsError   Reason = "metrics-error"    // CloudWatch answered with an error
	ReasonNotInService   Reason = "not-in-service"   // status is not InService
	ReasonAgentIdle      Reason = "agent-idle"       // the agent's last activity is old
	ReasonAgentActive    Reason = "agent-active"     // the agent saw recent activity
	ReasonAgentStale     Reason = "agent-stale"      // the agent's heartbeat is missing or too old
	ReasonNoAgent        Reason = "no-agent"         // no agent reports (and no schedule)
	ReasonScheduled      Reason = "scheduled"        // a schedule stops it
	ReasonNoIdleShutdown Reason = "no-idle-shutdown" // Studio idle shutdown is off
	ReasonIdleShutdown   Reason = "idle-shutdown"    // Studio idle shutdown is on
	ReasonNotRunning     Reason = "not-running"      // not billing instance hours
	ReasonUnsupported    Reason = "unsupported"      // no detector for this kind
	ReasonCanvasIdle     Reason = "canvas-idle"      // Canvas TimeSinceLastActive is old
	ReasonCanvasActive   Reason = "canvas-active"    // Canvas TimeSinceLastActive is recent
	ReasonNoSchedule     Reason = "no-schedule"      // no activity metric exists and no schedule stops it
	ReasonNoAutoAction   Reason = "no-auto-action"   // billing, reported, never acted on (HyperPod)
)

// Verdict is a detector's conclusion about one resource.
type Verdict struct {
	State State `json:"state"`
	// Since is when the state began, where known: the last activity for
	// Idle (so idle-for = now - Since), the start of the evidence window
	// when only the window is known. Zero when unknown.
	Since time.Time `json:"since,omitzero"`
	// Reason is the stable code; Evidence is what `sagesaver plan` prints,
	// e.g. "0 invocations on 2 variants over 24h (no datapoints)".
	Reason   Reason `json:"reason"`
	Evidence string `json:"evidence"`
	// Actionable is false where acting would save nothing or is not ours to
	// do even when idle (serverless endpoints cost nothing idle). The zero
	// value is false, so a Verdict built by hand never acts by accident.
	Actionable bool `json:"actionable"`
}

// IdleFor returns how long the resource has been idle at now: now - Since
// for an Idle verdict with a known Since, else 0 and false.
func (v Verdict) IdleFor(now time.Time) (time.Duration, bool) {
	if v.State != Idle || v.Since.IsZero() || v.Since.After(now) {
		return 0, false
	}
	return now.Sub(v.Since), true
}

// SubjectKey is the key verdicts are stored under: the resource's ID, so
// that an endpoint's verdict covers all its variants.
func SubjectKey(r *resource.Resource) resource.ID { return r.ID() }

// FormatDuration writes a duration the way evidence strings do: "24h",
// "2h30m", "45m", "3d" (whole days from 48h on), "30s" below a minute.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	d = d.Truncate(time.Minute)
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	h, m := int(d/time.Hour), int((d%time.Hour)/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// Unsupported is the verdict for kinds no detector judges.
func Unsupported(r *resource.Resource) Verdict {
	return Verdict{State: Unknown, Reason: ReasonUnsupported,
		Evidence: "no idle detector for " + string(r.Kind)}
}
