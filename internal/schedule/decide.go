package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Action is what a run does to one resource.
type Action string

// Actions.
const (
	ActionNone  Action = "none"
	ActionStart Action = "start"
	ActionStop  Action = "stop"
)

// Observed is a resource as the scheduler sees it on this run.
type Observed struct {
	// State is running, stopped, or unknown while the resource is changing
	// (Pending, Stopping, Updating), failed, or not seen: no action then.
	State State
	// Status is the resource's own status word for reasons ("Pending").
	Status string
	// Tags are the resource's tags; the schedule's SnoozeTag is read here.
	Tags map[string]string
}

// Memory is what the scheduler remembers about one resource between runs:
// the state it last applied and the schedule transition it applied it for.
// It is what makes the decision level-based without undoing manual changes.
type Memory struct {
	// Applied is the desired state the scheduler last acted on.
	Applied State `json:"applied"`
	// For is the time of the schedule transition that desired state came
	// from (Desired.Since); zero when there was none.
	For time.Time `json:"for"`
	// At is when the scheduler decided it.
	At time.Time `json:"at"`
}

// Decision is the outcome of Decide.
type Decision struct {
	Action Action
	Reason string
	// Memory is what to remember for this resource after this run: store
	// it once the action (if any) succeeded; if the action failed, keep the
	// old memory so the next run tries again. Nil: nothing to remember yet.
	Memory *Memory
	// Desired is the schedule's verdict the decision was made on.
	Desired Desired
}

// catchUpAfter is how late a run may act on a transition before its reason
// says it is catching up a missed run (runs are every few minutes).
const catchUpAfter = 15 * time.Minute

// Decide is one scheduler run for one resource, pure: given the schedule,
// the resource as observed, what the scheduler remembers about it (nil if
// nothing) and now, it returns the action and the memory to keep.
//
//   - A transition the scheduler has not yet acted on (Memory.For differs
//     from the schedule's last transition) is acted on now, however late:
//     a missed run is caught up on the next one.
//   - Once acted on, a transition is not acted on again: a resource started
//     or stopped by hand stays so until the next transition, unless the
//     schedule is enforced, which acts on every run.
//   - A resource whose snooze tag holds a future time is not stopped (even
//     when enforced: the tag is its owner's explicit word); the memory is
//     left as it was, so the stop happens on the first run after the
//     snooze ends, or, if the stop was already applied before the snooze
//     was set, on the first run after the snooze ends. A snooze tag that is
//     not a time also prevents the stop: ambiguity fails closed.
//   - A resource that is changing or failed (State unknown) is left alone
//     and decided on the next run; so is everything while the schedule has
//     no desired state yet.
//
// Decide does not know resource kinds: the caller does not start a kind
// that cannot be started (Studio apps) and should give such kinds a
// stop-only schedule.
func Decide(s *Schedule, obs Observed, mem *Memory, now time.Time) Decision {
	return DecideWith(s, s.Evaluate(now), obs, mem, now)
}

// DecideWith is Decide with the schedule's verdict d = s.Evaluate(now)
// computed once by the caller, so that a run evaluates each schedule once
// for all the resources it targets.
func DecideWith(s *Schedule, d Desired, obs Observed, mem *Memory, now time.Time) Decision {
	dec := Decision{Action: ActionNone, Memory: mem, Desired: d}
	if d.State == StateUnknown {
		dec.Reason = d.Reason
		return dec
	}
	snoozeEnded := false
	if d.State == StateStopped && obs.State == StateRunning {
		if v, ok := obs.Tags[s.SnoozeTag]; ok {
			until, err := ParseSnooze(v)
			switch {
			case err != nil:
				dec.Reason = fmt.Sprintf("tag %s=%q is not a time (%v): not stopping", s.SnoozeTag, v, err)
				return dec
			case until.After(now):
				dec.Reason = fmt.Sprintf("snoozed until %s by tag %s; then: %s", s.FormatTime(until), s.SnoozeTag, d.Reason)
				return dec
			case mem != nil && until.After(mem.At):
				// The snooze was set after the scheduler last acted and
				// has ended: its end is the transition to act on.
				snoozeEnded = true
			}
		}
	}
	if obs.State == StateUnknown {
		status := obs.Status
		if status == "" {
			status = "in an unknown state"
		}
		dec.Reason = fmt.Sprintf("resource is %s: deciding on the next run", status)
		return dec
	}

	acted := mem != nil && mem.Applied == d.State && mem.For.Equal(d.Since) && !snoozeEnded
	if acted && !s.Enforced {
		if obs.State == d.State {
			dec.Reason = fmt.Sprintf("already %s; %s", obs.State, d.Reason)
			return dec
		}
		next := "no further transition"
		if d.HasNext {
			next = "the next " + d.Next.Action() + " at " + s.FormatTime(d.Next.At)
		}
		dec.Reason = fmt.Sprintf("%s by hand after the scheduler's %s at %s: left alone until %s",
			obs.State, verb(d.State), s.FormatTime(mem.At), next)
		return dec
	}

	dec.Memory = &Memory{Applied: d.State, For: d.Since, At: now}
	if obs.State == d.State {
		dec.Reason = fmt.Sprintf("already %s; %s", obs.State, d.Reason)
		return dec
	}
	dec.Action = ActionStart
	if d.State == StateStopped {
		dec.Action = ActionStop
	}
	var b strings.Builder
	if acted {
		b.WriteString("enforced: ")
	}
	b.WriteString(d.Reason)
	if snoozeEnded {
		b.WriteString(" (snooze ended)")
	} else if !acted && !d.Since.IsZero() && now.Sub(d.Since) > catchUpAfter {
		fmt.Fprintf(&b, " (catching up the %s at %s)", verb(d.State), s.FormatTime(d.Since))
	}
	dec.Reason = b.String()
	return dec
}

func verb(s State) string {
	if s == StateRunning {
		return "start"
	}
	return "stop"
}

// ParseSnooze parses a snooze tag's value: RFC 3339 with or without
// seconds ("2026-12-01T18:00Z", "2026-12-01T18:00:00+01:00").
func ParseSnooze(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want RFC 3339 such as 2026-12-01T18:00Z")
}
