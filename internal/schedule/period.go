package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeriodSpec is a period as written in a schedules file, in the manner of
// AWS Instance Scheduler. Every field is optional, but a period must set at
// least one.
type PeriodSpec struct {
	// Begin is when the period begins, HH:MM; unset means 00:00.
	Begin string `yaml:"begin,omitempty" json:"begin,omitempty"`
	// End is when the period ends, HH:MM (24:00 allowed); unset means the
	// end of the day. An End before Begin is an overnight period: it ends
	// on the next day.
	End string `yaml:"end,omitempty" json:"end,omitempty"`
	// Weekdays on which the period begins: names mon-sun, ranges (mon-fri,
	// fri-mon wraps), the n-th weekday of the month (mon#1) and the last
	// (friL). Numbers are refused: Instance Scheduler counts from 0 =
	// Monday and cron from 1 = Sunday, and a file should not need a guess.
	Weekdays string `yaml:"weekdays,omitempty" json:"weekdays,omitempty"`
	// Monthdays on which the period begins: 1-31, ranges, steps (1/7), L
	// (last day), LW (last weekday), 15W (weekday nearest the 15th).
	Monthdays string `yaml:"monthdays,omitempty" json:"monthdays,omitempty"`
	// Months in which the period begins: jan-dec or 1-12, ranges, steps.
	Months string `yaml:"months,omitempty" json:"months,omitempty"`
}

// PeriodError is an invalid period; Field is the PeriodSpec field's YAML
// name ("weekdays").
type PeriodError struct {
	Field string
	Msg   string
}

func (e *PeriodError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// periodDayNames number weekdays for the period parser only; numbers are
// refused before they reach it.
var periodDayNames = map[string]int{"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}

var (
	weekdaysField  = fieldSpec{name: "weekdays", min: 0, max: 6, names: periodDayNames, wrap: true}
	monthdaysField = fieldSpec{name: "monthdays", min: 1, max: 31, wrap: true}
	monthsField    = fieldSpec{name: "months", min: 1, max: 12, names: monthNames, wrap: true}
)

const dayMinutes = 24 * 60

// Period is a parsed period: on each selected day it is inside from Begin
// to End (to End on the next day for an overnight period).
type Period struct {
	spec      PeriodSpec
	begin     int // minute of the day
	end       int // minute of the day, 1..1440; < begin for overnight
	weekdays  *dayOfWeek
	monthdays *dayOfMonth
	months    *bitset
}

// ParsePeriod checks and compiles a period.
func ParsePeriod(spec PeriodSpec) (*Period, error) {
	p := &Period{spec: spec, begin: 0, end: dayMinutes}
	if spec == (PeriodSpec{}) {
		return nil, &PeriodError{Msg: "period is empty: set begin, end, weekdays, monthdays or months"}
	}
	if spec.Begin != "" {
		m, err := parseClock(spec.Begin, false)
		if err != nil {
			return nil, &PeriodError{Field: "begin", Msg: err.Error()}
		}
		p.begin = m
	}
	if spec.End != "" {
		m, err := parseClock(spec.End, true)
		if err != nil {
			return nil, &PeriodError{Field: "end", Msg: err.Error()}
		}
		if m == 0 {
			m = dayMinutes // 00:00 as an end is midnight at the end of the day
		}
		p.end = m
	}
	if p.begin == p.end {
		return nil, &PeriodError{Field: "end", Msg: fmt.Sprintf("end %s equals begin %s", spec.End, spec.Begin)}
	}
	if spec.Weekdays != "" {
		if i := strings.IndexAny(stripOccurrence(spec.Weekdays), "0123456789"); i >= 0 {
			return nil, &PeriodError{Field: "weekdays", Msg: fmt.Sprintf("%q: use day names (mon-sun), not numbers", spec.Weekdays)}
		}
		w, err := parseDayOfWeek(weekdaysField, strings.ReplaceAll(spec.Weekdays, " ", ""), func(v int) time.Weekday { return time.Weekday((v + 1) % 7) })
		if err != nil {
			return nil, &PeriodError{Field: "weekdays", Msg: err.Error()}
		}
		p.weekdays = w
	}
	if spec.Monthdays != "" {
		m, err := parseDayOfMonth(monthdaysField, strings.ReplaceAll(spec.Monthdays, " ", ""))
		if err != nil {
			return nil, &PeriodError{Field: "monthdays", Msg: err.Error()}
		}
		p.monthdays = m
	}
	if spec.Months != "" {
		b, err := monthsField.set(strings.ReplaceAll(spec.Months, " ", ""))
		if err != nil {
			return nil, &PeriodError{Field: "months", Msg: err.Error()}
		}
		p.months = &b
	}
	return p, nil
}

// stripOccurrence removes the "#n" of mon#1 so that only day numbers remain
// to be refused.
func stripOccurrence(s string) string {
	var b strings.Builder
	skip := false
	for _, r := range s {
		switch {
		case r == '#':
			skip = true
		case skip && r >= '0' && r <= '9':
		default:
			skip = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseClock parses HH:MM (H:MM too) into minutes of the day; allow24
// accepts 24:00.
func parseClock(s string, allow24 bool) (int, error) {
	bad := fmt.Errorf("%q is not a time of day HH:MM", s)
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 || !digits(hs) || !digits(ms) {
		return 0, bad
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	if allow24 && h == 24 && m == 0 {
		return dayMinutes, nil
	}
	if h > 23 || m > 59 {
		return 0, bad
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// String describes the period in its own syntax: "22:00-06:00 weekdays=mon-fri".
func (p *Period) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%s-%s", hhmm(p.begin), hhmm(p.end)))
	for _, f := range []struct{ k, v string }{{"weekdays", p.spec.Weekdays}, {"monthdays", p.spec.Monthdays}, {"months", p.spec.Months}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	return strings.Join(parts, " ")
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// Overnight reports whether the period ends on the day after it begins.
func (p *Period) Overnight() bool { return p.end < p.begin }

// selected reports whether the period begins on day d.
func (p *Period) selected(d date) bool {
	if p.months != nil && !p.months.has(int(d.m)-1) {
		return false
	}
	if p.monthdays != nil && !p.monthdays.match(d) {
		return false
	}
	if p.weekdays != nil && !p.weekdays.match(d) {
		return false
	}
	return true
}

// interval is the time the period is inside when it begins on day d:
// [start, end). Wall times that do not exist begin or end when the clock
// jumps past them; wall times that occur twice mean their first occurrence.
func (p *Period) interval(d date, loc *time.Location) (start, end time.Time) {
	start, _ = resolve(d, p.begin, loc)
	if p.Overnight() {
		end, _ = resolve(d.add(1), p.end, loc)
	} else {
		end, _ = resolve(d, p.end, loc)
	}
	return start, end
}

// Contains reports whether t is inside the period, with wall times in loc.
// An overnight period that begins on a selected day is inside until its end
// on the next day, whether or not that day is selected.
func (p *Period) Contains(t time.Time, loc *time.Location) bool {
	return p.contains(t, loc, nil)
}

// contains is Contains leaving out the days skip reports (holidays).
func (p *Period) contains(t time.Time, loc *time.Location, skip func(date) bool) bool {
	if loc == nil {
		loc = time.UTC
	}
	d := dateOf(t.In(loc))
	for _, dd := range [2]date{d, d.add(-1)} {
		if !p.selected(dd) || (skip != nil && skip(dd)) {
			continue
		}
		s, e := p.interval(dd, loc)
		if !t.Before(s) && t.Before(e) {
			return true
		}
	}
	return false
}
