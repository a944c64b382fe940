package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Expr is a parsed cron or rate expression: a set of instants.
type Expr interface {
	// Next returns the first instant strictly after after, evaluating wall
	// times in loc (nil means UTC), or the zero time if there is none.
	Next(after time.Time, loc *time.Location) time.Time
	// Prev returns the last instant strictly before before, or the zero
	// time if there is none.
	Prev(before time.Time, loc *time.Location) time.Time
	// Matches reports whether t is one of the expression's instants.
	Matches(t time.Time, loc *time.Location) bool
	// String returns the expression as written: "cron(...)" or "rate(...)".
	String() string
}

// ParseExpr parses "cron(...)" or "rate(...)".
func ParseExpr(s string) (Expr, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "cron("):
		return ParseCron(t)
	case strings.HasPrefix(t, "rate("):
		return ParseRate(t)
	}
	return nil, fmt.Errorf("%q: expected cron(...) or rate(...)", s)
}

// CronError is a syntax error in a cron expression; Field is the cron field
// ("day-of-week") when the error is in one.
type CronError struct {
	Expr  string
	Field string
	Msg   string
}

func (e *CronError) Error() string {
	if e.Field == "" {
		return e.Expr + ": " + e.Msg
	}
	return e.Expr + ": " + e.Field + ": " + e.Msg
}

// Cron is an EventBridge cron expression: minutes, hours, day-of-month,
// month, day-of-week and year, with ? in exactly one of the day fields.
type Cron struct {
	src     string
	minutes bitset
	hours   bitset
	months  bitset
	years   bitset
	dom     *dayOfMonth // nil when ?
	dow     *dayOfWeek  // nil when ?
}

// ParseCron parses "cron(min hour dom month dow year)"; the cron( ) wrapper
// may be left out.
func ParseCron(s string) (*Cron, error) {
	src := strings.TrimSpace(s)
	body := src
	if strings.HasPrefix(src, "cron(") {
		if !strings.HasSuffix(src, ")") {
			return nil, &CronError{Expr: src, Msg: "missing closing )"}
		}
		body = src[len("cron(") : len(src)-1]
	} else {
		src = "cron(" + src + ")"
	}
	fields := strings.Fields(body)
	if len(fields) != 6 {
		return nil, &CronError{Expr: src, Msg: fmt.Sprintf("expected 6 fields, got %d", len(fields))}
	}
	c := &Cron{src: src}
	for i, p := range []struct {
		spec fieldSpec
		dst  *bitset
	}{{minuteField, &c.minutes}, {hourField, &c.hours}, {monthField, &c.months}, {yearField, &c.years}} {
		text := fields[[]int{0, 1, 3, 5}[i]]
		b, err := p.spec.set(text)
		if err != nil {
			return nil, &CronError{Expr: src, Field: p.spec.name, Msg: err.Error()}
		}
		*p.dst = b
	}
	domText, dowText := fields[2], fields[4]
	switch {
	case domText == "?" && dowText == "?":
		return nil, &CronError{Expr: src, Field: "day-of-month and day-of-week", Msg: "only one of them may be ?"}
	case domText != "?" && dowText != "?":
		return nil, &CronError{Expr: src, Field: "day-of-month and day-of-week", Msg: "one of them must be ?"}
	case domText != "?":
		if msg := aloneInDayOfMonth(domText); msg != "" {
			return nil, &CronError{Expr: src, Field: domField.name, Msg: msg}
		}
		m, err := parseDayOfMonth(domField, domText)
		if err != nil {
			return nil, &CronError{Expr: src, Field: domField.name, Msg: err.Error()}
		}
		c.dom = m
	default:
		if strings.Contains(dowText, "#") && strings.Contains(dowText, ",") {
			// EventBridge: "If you use the '#' character, you can define
			// only one expression in the day-of-week field."
			return nil, &CronError{Expr: src, Field: dowField.name, Msg: fmt.Sprintf("%s: with #, the field holds one expression only (EventBridge refuses 3#1,6#3); use one schedule per expression", dowText)}
		}
		w, err := parseDayOfWeek(dowField, dowText, func(v int) time.Weekday { return time.Weekday(v - 1) })
		if err != nil {
			return nil, &CronError{Expr: src, Field: dowField.name, Msg: err.Error()}
		}
		c.dow = w
	}
	// An expression no date satisfies (31 February, 29 February of a
	// year that is not a leap year) is accepted by nothing that runs it:
	// say so now, not by never acting.
	if c.Next(time.Date(yearField.min-1, time.December, 31, 0, 0, 0, 0, time.UTC), time.UTC).IsZero() {
		return nil, &CronError{Expr: src, Msg: "never fires: no date matches every field (e.g. day 31 of a 30-day month, 29 February of a year that is not a leap year)"}
	}
	return c, nil
}

// aloneInDayOfMonth refuses a day-of-month list with L, LW or nW in it
// ("LW,15"): EventBridge takes these only as the whole field, as the
// Quartz cron it follows does.
func aloneInDayOfMonth(s string) string {
	if !strings.Contains(s, ",") {
		return ""
	}
	for _, item := range strings.Split(strings.ToUpper(s), ",") {
		if item == "L" || strings.HasSuffix(item, "W") {
			return fmt.Sprintf("%s: %s must be the whole field, not part of a list (EventBridge refuses it)", s, item)
		}
	}
	return ""
}

// LastFire is the last time e fires, at or before the end of 2199 (the
// year field's range): the zero time when it has no end (a rate, or a
// cron expression with every year). A schedule whose expressions all end
// before now will never act again.
func LastFire(e Expr, loc *time.Location) time.Time {
	c, ok := e.(*Cron)
	if !ok || c.years == fullYears {
		return time.Time{}
	}
	return c.Prev(time.Date(yearField.max+1, time.January, 1, 0, 0, 0, 0, time.UTC), loc)
}

// fullYears is the year field "*".
var fullYears = func() bitset { b, _ := yearField.set("*"); return b }()

// String returns the expression as written, with the cron( ) wrapper.
func (c *Cron) String() string { return c.src }

func (c *Cron) matchDay(d date) bool {
	if !c.years.has(d.y-yearField.min) || !c.months.has(int(d.m)-1) {
		return false
	}
	if c.dom != nil {
		return c.dom.match(d)
	}
	return c.dow.match(d)
}

// Next returns the first firing strictly after after, or the zero time when
// there is none before the end of 2199.
func (c *Cron) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	d := dateOf(after.In(loc))
	if d.y < yearField.min {
		d = date{yearField.min, time.January, 1}
	}
	for d.y <= yearField.max {
		switch {
		case !c.years.has(d.y - yearField.min):
			d = date{d.y + 1, time.January, 1}
			continue
		case !c.months.has(int(d.m) - 1):
			d = date{d.y, d.m, 1}.add(daysIn(d.y, d.m))
			continue
		}
		if c.matchDay(d) {
			for h := 0; h < 24; h++ {
				if !c.hours.has(h) {
					continue
				}
				for m := 0; m < 60; m++ {
					if !c.minutes.has(m) {
						continue
					}
					if t, ok := resolve(d, h*60+m, loc); ok && t.After(after) {
						return t
					}
				}
			}
		}
		d = d.add(1)
	}
	return time.Time{}
}

// Prev returns the last firing strictly before before, or the zero time
// when there is none since 1970.
func (c *Cron) Prev(before time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	d := dateOf(before.In(loc))
	if d.y > yearField.max {
		d = date{yearField.max, time.December, 31}
	}
	for d.y >= yearField.min {
		switch {
		case !c.years.has(d.y - yearField.min):
			d = date{d.y - 1, time.December, 31}
			continue
		case !c.months.has(int(d.m) - 1):
			d = date{d.y, d.m, 1}.add(-1)
			continue
		}
		if c.matchDay(d) {
			for h := 23; h >= 0; h-- {
				if !c.hours.has(h) {
					continue
				}
				for m := 59; m >= 0; m-- {
					if !c.minutes.has(m) {
						continue
					}
					if t, ok := resolve(d, h*60+m, loc); ok && t.Before(before) {
						return t
					}
				}
			}
		}
		d = d.add(-1)
	}
	return time.Time{}
}

// Matches reports whether the expression fires at t: a whole minute whose
// wall clock in loc matches every field, and on a fall-back day the first
// occurrence of that wall time only.
func (c *Cron) Matches(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if lt.Second() != 0 || lt.Nanosecond() != 0 {
		return false
	}
	d := dateOf(lt)
	if !c.matchDay(d) || !c.hours.has(lt.Hour()) || !c.minutes.has(lt.Minute()) {
		return false
	}
	r, ok := resolve(d, lt.Hour()*60+lt.Minute(), loc)
	return ok && r.Equal(t)
}

// Ended reports whether every expression of s (start and stop) has fired
// for the last time before now: a cron year field that lies wholly in the
// past. It returns the expression's field ("start" or "stop") and its last
// firing, for the error. A schedule of periods or rates never ends.
func (s *Schedule) Ended(now time.Time) (field string, last time.Time, ended bool) {
	if s.Start == nil && s.Stop == nil {
		return "", time.Time{}, false
	}
	for _, e := range []struct {
		field string
		expr  Expr
	}{{"start", s.Start}, {"stop", s.Stop}} {
		if e.expr == nil {
			continue
		}
		l := LastFire(e.expr, s.Location)
		if l.IsZero() || !l.Before(now) {
			return "", time.Time{}, false
		}
		if last.IsZero() || l.After(last) {
			field, last = e.field, l
		}
	}
	return field, last, true
}
