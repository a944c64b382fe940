package schedule

import (
	"fmt"
	"time"
)

// Summary is what a schedule does in a window of days: its transitions and
// how long it keeps things running, for `schedule preview`.
type Summary struct {
	Schedule *Schedule
	// From and To bound the window [From, To): midnight at the start of
	// the first day and of the day after the last, in the schedule's zone.
	From, To    time.Time
	Transitions []Transition
	// Window is To - From (not always 24h x days: daylight saving).
	Window time.Duration
	// Running is how long things run; RunningKnown is false for start-only
	// and stop-only schedules, which leave the rest to people.
	Running      time.Duration
	RunningKnown bool
}

// Saved is how much less than always-on the schedule runs things.
func (s Summary) Saved() time.Duration { return s.Window - s.Running }

// Summarize describes the schedule over the calendar days first..last
// (inclusive, YYYY-MM-DD, read in the schedule's zone).
func Summarize(s *Schedule, first, last string) (Summary, error) {
	f, err := parseDate(first)
	if err != nil {
		return Summary{}, fmt.Errorf("from: %w", err)
	}
	l, err := parseDate(last)
	if err != nil {
		return Summary{}, fmt.Errorf("to: %w", err)
	}
	if l.before(f) {
		return Summary{}, fmt.Errorf("to %s is before from %s", l, f)
	}
	sum := Summary{Schedule: s}
	sum.From, _ = resolve(f, 0, s.Location)
	sum.To, _ = resolve(l.add(1), 0, s.Location)
	sum.Window = sum.To.Sub(sum.From)
	sum.Transitions = s.Transitions(sum.From, sum.To)
	sum.Running, sum.RunningKnown = s.RunningTime(sum.From, sum.To)
	return sum, nil
}
