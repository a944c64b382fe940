package idle

import (
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// StudioAppEvidence is what AWS reports about a Studio app besides the
// inventory record.
type StudioAppEvidence struct {
	// LastUserActivity is DescribeApp's LastUserActivityTimestamp. It is
	// carried so that callers can show it, and deliberately ignored by
	// StudioApp: AWS refreshes it on the app's health checks, so it moves
	// while nobody uses the app and cannot tell idle from busy.
	LastUserActivity *time.Time
}

// Studio judges a Studio domain or space by its built-in idle shutdown:
// off is Unprotected (a finding; set-idle-shutdown fixes it), on is
// Managed, not known is Unknown. Apps go to StudioApp; other kinds are
// Unsupported.
func Studio(r resource.Resource, now time.Time) Verdict {
	switch r.Kind {
	case resource.StudioDomain, resource.StudioSpace:
	case resource.StudioApp:
		return StudioApp(r, StudioAppEvidence{}, now)
	default:
		return Unsupported(&r)
	}
	what := "domain"
	if r.Kind == resource.StudioSpace {
		what = "space"
	}
	switch {
	case r.IdleShutdown == nil:
		return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: "idle shutdown setting of the " + what + " not known"}
	case !*r.IdleShutdown:
		return Verdict{State: Unprotected, Reason: ReasonNoIdleShutdown, Actionable: true,
			Evidence: "unprotected: " + what + " has no built-in idle shutdown"}
	}
	return Verdict{State: Managed, Reason: ReasonIdleShutdown, Actionable: true,
		Evidence: what + " has built-in idle shutdown"}
}

// StudioApp judges a Studio app on agent evidence only: Idle since the
// agent's last activity, Active within AgentFresh of it, Unknown without an
// agent or with a stale heartbeat (as Notebook). ev.LastUserActivity is never used (see StudioAppEvidence).
func StudioApp(r resource.Resource, ev StudioAppEvidence, now time.Time) Verdict {
	_ = ev.LastUserActivity // not activity: AWS updates it on health checks
	if !r.Running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + r.Status + ": not billed"}
	}
	if r.AgentLastActivity == nil {
		return Verdict{State: Unknown, Reason: ReasonNoAgent,
			Evidence: "no agent evidence (LastUserActivityTimestamp is not activity: AWS updates it on health checks)"}
	}
	start := r.Started
	if start == nil {
		start = r.Created
	}
	v := agentVerdict(*r.AgentLastActivity, r.Tags, start, now)
	v.Actionable = true
	return v
}
