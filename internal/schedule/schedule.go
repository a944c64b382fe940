package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mode says which transitions a schedule makes.
type Mode string

// Modes.
const (
	// ModeStartStop starts and stops (the default).
	ModeStartStop Mode = "start-stop"
	// ModeStartOnly only starts; stopping is left to people or other rules.
	ModeStartOnly Mode = "start-only"
	// ModeStopOnly only stops (Studio apps, which cannot be started).
	ModeStopOnly Mode = "stop-only"
)

// DefaultSnoozeTag is the resource tag whose value (a time, RFC 3339) keeps
// a resource up until then.
const DefaultSnoozeTag = "sagesaver:snooze-until"

// State is a resource's run state as a schedule sees it.
type State int

// States.
const (
	// StateUnknown: the schedule has no opinion yet, or (observed) the
	// resource is changing, failed or was not seen.
	StateUnknown State = iota
	StateRunning
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateRunning:
		return "running"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// Transition is a moment a schedule starts or stops things.
type Transition struct {
	At time.Time
	// To is StateRunning for a start, StateStopped for a stop.
	To State
	// Cause is the expression or period that makes it.
	Cause string
}

// Action is "start" or "stop".
func (t Transition) Action() string {
	if t.To == StateRunning {
		return "start"
	}
	return "stop"
}

// Schedule is one compiled schedule. Build it with Decode, Load or
// File.Compile; its zero value is not usable.
type Schedule struct {
	Name        string
	Description string
	Location    *time.Location
	// Start and Stop are the cron or rate expressions of a cron schedule;
	// either may be nil.
	Start, Stop Expr
	// Periods are the periods of a period schedule (running while inside
	// any of them).
	Periods   []*Period
	Mode      Mode
	Enforced  bool
	SnoozeTag string
	Targets   []Target

	holidays map[date]bool
	closed   []dateRange
}

type dateRange struct{ from, to date } // inclusive

// scanDays bounds the search for a period schedule's previous or next
// transition: eight years and a day find even a period that begins only on
// February 29.
const scanDays = 8*366 + 1

// Holiday reports whether the schedule does not start things on t's date
// (in the schedule's zone): a holiday or a day in a closed range.
func (s *Schedule) Holiday(t time.Time) bool { return s.isHoliday(dateOf(t.In(s.Location))) }

func (s *Schedule) isHoliday(d date) bool {
	if s.holidays[d] {
		return true
	}
	for _, r := range s.closed {
		if !d.before(r.from) && !r.to.before(d) {
			return true
		}
	}
	return false
}

func (s *Schedule) starts() bool { return s.Mode != ModeStopOnly }
func (s *Schedule) stops() bool  { return s.Mode != ModeStartOnly }

// Next returns the first transition strictly after after.
func (s *Schedule) Next(after time.Time) (Transition, bool) {
	if len(s.Periods) > 0 {
		return s.periodNext(after)
	}
	var best Transition
	if s.Start != nil && s.starts() {
		if t := s.nextStart(after); !t.IsZero() {
			best = Transition{At: t, To: StateRunning, Cause: s.Start.String()}
		}
	}
	if s.Stop != nil && s.stops() {
		// A stop at the same instant as a start wins.
		if t := s.Stop.Next(after, s.Location); !t.IsZero() && (best.At.IsZero() || !t.After(best.At)) {
			best = Transition{At: t, To: StateStopped, Cause: s.Stop.String()}
		}
	}
	return best, !best.At.IsZero()
}

// Last returns the last transition at or before t.
func (s *Schedule) Last(t time.Time) (Transition, bool) {
	if len(s.Periods) > 0 {
		return s.periodLast(t)
	}
	before := t.Add(time.Nanosecond)
	var best Transition
	if s.Start != nil && s.starts() {
		if p := s.prevStart(before); !p.IsZero() {
			best = Transition{At: p, To: StateRunning, Cause: s.Start.String()}
		}
	}
	if s.Stop != nil && s.stops() {
		if p := s.Stop.Prev(before, s.Location); !p.IsZero() && !p.Before(best.At) {
			best = Transition{At: p, To: StateStopped, Cause: s.Stop.String()}
		}
	}
	return best, !best.At.IsZero()
}

// nextStart is Start.Next skipping holidays.
func (s *Schedule) nextStart(after time.Time) time.Time {
	for {
		t := s.Start.Next(after, s.Location)
		if t.IsZero() {
			return t
		}
		d := dateOf(t.In(s.Location))
		if !s.isHoliday(d) {
			return t
		}
		next, _ := resolve(d.add(1), 0, s.Location)
		after = next.Add(-time.Nanosecond)
	}
}

// prevStart is Start.Prev skipping holidays.
func (s *Schedule) prevStart(before time.Time) time.Time {
	for {
		t := s.Start.Prev(before, s.Location)
		if t.IsZero() {
			return t
		}
		d := dateOf(t.In(s.Location))
		if !s.isHoliday(d) {
			return t
		}
		before, _ = resolve(d, 0, s.Location)
		if !before.After(t) {
			// t falls before the day's first instant only if midnight
			// does not exist; step past t to make progress.
			before = t
		}
	}
}

// Running reports whether a period schedule is inside one of its periods at
// t (holidays considered). For a cron schedule it reports the state set by
// the last transition at or before t, false when there is none.
func (s *Schedule) Running(t time.Time) bool {
	if len(s.Periods) == 0 {
		tr, ok := s.Last(t)
		return ok && tr.To == StateRunning
	}
	for _, p := range s.Periods {
		if p.contains(t, s.Location, s.isHoliday) {
			return true
		}
	}
	return false
}

// boundaries returns the period boundaries that fall on day d, sorted.
func (s *Schedule) boundaries(d date) []time.Time {
	var out []time.Time
	for _, p := range s.Periods {
		for _, dd := range [2]date{d.add(-1), d} {
			if !p.selected(dd) || s.isHoliday(dd) {
				continue
			}
			a, b := p.interval(dd, s.Location)
			for _, x := range [2]time.Time{a, b} {
				if dateOf(x.In(s.Location)) == d {
					out = append(out, x)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// edge returns the transition at c, if the running state changes there and
// the mode makes that kind of transition.
func (s *Schedule) edge(c time.Time) (Transition, bool) {
	was, is := s.Running(c.Add(-time.Nanosecond)), s.Running(c)
	if was == is || (is && !s.starts()) || (!is && !s.stops()) {
		return Transition{}, false
	}
	tr := Transition{At: c, To: StateStopped}
	probe := c.Add(-time.Nanosecond)
	if is {
		tr.To, probe = StateRunning, c
	}
	for _, p := range s.Periods {
		if p.contains(probe, s.Location, s.isHoliday) {
			tr.Cause = "period " + p.String()
			break
		}
	}
	return tr, true
}

func (s *Schedule) periodNext(after time.Time) (Transition, bool) {
	d := dateOf(after.In(s.Location))
	for range scanDays {
		for _, c := range s.boundaries(d) {
			if !c.After(after) {
				continue
			}
			if tr, ok := s.edge(c); ok {
				return tr, true
			}
		}
		d = d.add(1)
	}
	return Transition{}, false
}

func (s *Schedule) periodLast(t time.Time) (Transition, bool) {
	d := dateOf(t.In(s.Location))
	for range scanDays {
		bs := s.boundaries(d)
		for i := len(bs) - 1; i >= 0; i-- {
			if bs[i].After(t) {
				continue
			}
			if tr, ok := s.edge(bs[i]); ok {
				return tr, true
			}
		}
		d = d.add(-1)
	}
	return Transition{}, false
}

// Transitions lists the transitions in [from, to), in order.
func (s *Schedule) Transitions(from, to time.Time) []Transition {
	var out []Transition
	after := from.Add(-time.Nanosecond)
	for {
		tr, ok := s.Next(after)
		if !ok || !tr.At.Before(to) {
			return out
		}
		out = append(out, tr)
		after = tr.At
	}
}

// RunningTime returns how long the schedule keeps things running in
// [from, to). known is false for start-only and stop-only schedules, whose
// running time depends on what people do. When the state at from is
// unknown (no transition yet) it counts as running, so that savings are
// never overstated.
func (s *Schedule) RunningTime(from, to time.Time) (d time.Duration, known bool) {
	if s.Mode != ModeStartStop {
		return 0, false
	}
	running := true
	if len(s.Periods) > 0 {
		running = s.Running(from)
	} else if tr, ok := s.Last(from); ok {
		running = tr.To == StateRunning
	}
	at := from
	for _, tr := range s.Transitions(from, to) {
		if running {
			d += tr.At.Sub(at)
		}
		running, at = tr.To == StateRunning, tr.At
	}
	if running && to.After(at) {
		d += to.Sub(at)
	}
	return d, true
}

// Desired is a schedule's verdict at one instant.
type Desired struct {
	// State is what the schedule wants now: running, stopped, or unknown
	// when it has not made a transition yet (a start-only schedule before
	// its first start).
	State State
	// Since is the transition that set State; zero when there is none (a
	// period schedule that is always inside).
	Since time.Time
	// Cause of the transition at Since.
	Cause string
	// Next is the next transition, if any.
	Next    Transition
	HasNext bool
	// Reason says all that in one sentence.
	Reason string
}

// Evaluate returns the schedule's desired state at now.
func (s *Schedule) Evaluate(now time.Time) Desired {
	var d Desired
	last, ok := s.Last(now)
	if ok {
		d.State, d.Since, d.Cause = last.To, last.At, last.Cause
	}
	if len(s.Periods) > 0 && s.Mode == ModeStartStop {
		// Inside or outside a period is known even with no transition.
		d.State = StateStopped
		if s.Running(now) {
			d.State = StateRunning
		}
	}
	d.Next, d.HasNext = s.Next(now)

	var b strings.Builder
	switch {
	case d.State == StateUnknown:
		b.WriteString("no transition yet: nothing to do")
	case d.Since.IsZero():
		fmt.Fprintf(&b, "%s: always inside its periods", d.State)
	default:
		fmt.Fprintf(&b, "%s since %s by %s", d.State, s.FormatTime(d.Since), d.Cause)
	}
	if d.State == StateStopped && s.Holiday(now) {
		fmt.Fprintf(&b, "; %s is a holiday: no starts", dateOf(now.In(s.Location)))
	}
	if d.HasNext {
		fmt.Fprintf(&b, "; next %s at %s", d.Next.Action(), s.FormatTime(d.Next.At))
	}
	d.Reason = b.String()
	return d
}

// FormatTime writes t in the schedule's zone: "Tue 2026-12-01 07:00 CET".
func (s *Schedule) FormatTime(t time.Time) string {
	return t.In(s.Location).Format("Mon 2006-01-02 15:04 MST")
}

// DesiredState is Evaluate in short: whether s wants things running at now,
// why, and when that next changes (zero if never).
func DesiredState(s *Schedule, now time.Time) (running bool, reason string, nextTransition time.Time) {
	d := s.Evaluate(now)
	return d.State == StateRunning, d.Reason, d.Next.At
}
