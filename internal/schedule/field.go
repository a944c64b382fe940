package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// bitset holds the allowed values of one field, indexed by value - min.
// 256 bits cover the widest field, the year (1970-2199).
type bitset [4]uint64

func (b *bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }
func (b *bitset) or(c bitset) {
	for i := range b {
		b[i] |= c[i]
	}
}

// fieldSpec describes one field of an expression: its name in errors, its
// bounds and the names it accepts besides numbers.
type fieldSpec struct {
	name     string
	min, max int
	names    map[string]int
	wrap     bool // a reversed range (FRI-MON) wraps around
}

var monthNames = map[string]int{
	"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}

// cronDayNames numbers days as EventBridge does: 1 = Sunday ... 7 = Saturday.
var cronDayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

var (
	minuteField = fieldSpec{name: "minutes", min: 0, max: 59, wrap: true}
	hourField   = fieldSpec{name: "hours", min: 0, max: 23, wrap: true}
	domField    = fieldSpec{name: "day-of-month", min: 1, max: 31, wrap: true}
	monthField  = fieldSpec{name: "month", min: 1, max: 12, names: monthNames, wrap: true}
	dowField    = fieldSpec{name: "day-of-week", min: 1, max: 7, names: cronDayNames, wrap: true}
	yearField   = fieldSpec{name: "year", min: 1970, max: 2199}
)

// value parses one number or name of field f.
func (f fieldSpec) value(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty value")
	}
	if n, ok := f.names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			if f.names != nil {
				return 0, fmt.Errorf("%q is not a number or a name", s)
			}
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		return 0, fmt.Errorf("%s out of range %d-%d", s, f.min, f.max)
	}
	return n, nil
}

// rangeStep parses "*", "v", "a-b", "*/n", "v/n" and "a-b/n" into a set.
func (f fieldSpec) rangeStep(item string) (bitset, error) {
	var b bitset
	base, stepStr, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 || strings.HasPrefix(stepStr, "+") {
			return b, fmt.Errorf("step %q in %q is not a positive integer", stepStr, item)
		}
		step = n
	}
	var lo, hi int
	switch a, z, isRange := strings.Cut(base, "-"); {
	case base == "*":
		lo, hi = f.min, f.max
	case isRange:
		var err error
		if lo, err = f.value(a); err != nil {
			return b, err
		}
		if hi, err = f.value(z); err != nil {
			return b, err
		}
	default:
		var err error
		if lo, err = f.value(base); err != nil {
			return b, err
		}
		hi = lo
		if hasStep {
			hi = f.max
		}
	}
	if lo <= hi {
		for v := lo; v <= hi; v += step {
			b.set(v - f.min)
		}
		return b, nil
	}
	if !f.wrap {
		return b, fmt.Errorf("range %s is reversed", base)
	}
	size := f.max - f.min + 1
	span := (hi - lo + size) % size
	for k := 0; k <= span; k += step {
		b.set((lo - f.min + k) % size)
	}
	return b, nil
}

// set parses a comma-separated list of rangeStep items.
func (f fieldSpec) set(s string) (bitset, error) {
	var b bitset
	for _, item := range strings.Split(s, ",") {
		if item == "?" {
			return b, fmt.Errorf("? is only allowed in day-of-month or day-of-week")
		}
		c, err := f.rangeStep(item)
		if err != nil {
			return b, err
		}
		b.or(c)
	}
	return b, nil
}

// dayOfMonth matches days of a month: a set of days, L (the last day), LW
// (the last weekday) and nW (the weekday nearest day n, within the month).
type dayOfMonth struct {
	days        bitset // index day-1
	last        bool
	lastWeekday bool
	nearest     []int
}

// parseDayOfMonth parses a comma-separated list of day-of-month items, in
// cron or period syntax (the same).
func parseDayOfMonth(f fieldSpec, s string) (*dayOfMonth, error) {
	m := &dayOfMonth{}
	for _, item := range strings.Split(strings.ToUpper(s), ",") {
		switch {
		case item == "L":
			m.last = true
		case item == "LW":
			m.lastWeekday = true
		case strings.HasSuffix(item, "W"):
			n, err := f.value(strings.TrimSuffix(item, "W"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", item, err)
			}
			m.nearest = append(m.nearest, n)
		case item == "?":
			return nil, fmt.Errorf("? is only allowed alone")
		case strings.HasPrefix(item, "L-"):
			return nil, fmt.Errorf("%s: an offset from the last day (L-n) is not supported by EventBridge; use L for the last day, or the days themselves (e.g. 26-28)", item)
		default:
			b, err := f.rangeStep(item)
			if err != nil {
				return nil, err
			}
			m.days.or(b)
		}
	}
	return m, nil
}

func (m *dayOfMonth) match(d date) bool {
	if m.days.has(d.d - 1) {
		return true
	}
	dim := daysIn(d.y, d.m)
	if m.last && d.d == dim {
		return true
	}
	if m.lastWeekday && d.d == lastWeekday(d.y, d.m) {
		return true
	}
	for _, n := range m.nearest {
		if w, ok := nearestWeekday(d.y, d.m, n); ok && w == d.d {
			return true
		}
	}
	return false
}

// lastWeekday is the last Monday-to-Friday day of the month.
func lastWeekday(y int, m time.Month) int {
	dim := daysIn(y, m)
	switch (date{y, m, dim}).weekday() {
	case time.Saturday:
		return dim - 1
	case time.Sunday:
		return dim - 2
	}
	return dim
}

// nearestWeekday is the Monday-to-Friday day nearest day n of the month,
// never crossing into another month (1W on a Saturday is Monday the 3rd). A
// day the month does not have (31W in April) matches nothing.
func nearestWeekday(y int, m time.Month, n int) (int, bool) {
	dim := daysIn(y, m)
	if n > dim {
		return 0, false
	}
	switch (date{y, m, n}).weekday() {
	case time.Saturday:
		if n == 1 {
			return 3, true
		}
		return n - 1, true
	case time.Sunday:
		if n == dim {
			return n - 2, true
		}
		return n + 1, true
	}
	return n, true
}

// dayOfWeek matches days by weekday: a set, the last such weekday of the
// month (5L, FRIL) and the n-th such weekday of the month (MON#1).
type dayOfWeek struct {
	days bitset // index time.Weekday (0 = Sunday)
	last []time.Weekday
	nth  []nthWeekday
}

type nthWeekday struct {
	wd time.Weekday
	n  int
}

func (w *dayOfWeek) match(d date) bool {
	wd := d.weekday()
	if w.days.has(int(wd)) {
		return true
	}
	for _, l := range w.last {
		if l == wd && d.d+7 > daysIn(d.y, d.m) {
			return true
		}
	}
	for _, n := range w.nth {
		if n.wd == wd && (d.d-1)/7+1 == n.n {
			return true
		}
	}
	return false
}

// parseDayOfWeek parses a comma-separated list of day-of-week items. f
// gives the numbering: cron's (1 = Sunday) or the periods' (names only);
// toWeekday maps f's values to time.Weekday.
func parseDayOfWeek(f fieldSpec, s string, toWeekday func(int) time.Weekday) (*dayOfWeek, error) {
	w := &dayOfWeek{}
	for _, item := range strings.Split(strings.ToUpper(s), ",") {
		switch {
		case item == "?":
			return nil, fmt.Errorf("? is only allowed alone")
		case item == "L" && f.min == 1:
			// Alone in cron's day-of-week, L is the last day of the week.
			w.days.set(int(time.Saturday))
		case len(item) > 1 && strings.HasSuffix(item, "L"):
			v, err := f.value(strings.TrimSuffix(item, "L"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", item, err)
			}
			w.last = append(w.last, toWeekday(v))
		case strings.Contains(item, "#"):
			day, nth, _ := strings.Cut(item, "#")
			v, err := f.value(day)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", item, err)
			}
			n, err := strconv.Atoi(nth)
			if err != nil || n < 1 || n > 5 || strings.HasPrefix(nth, "+") {
				return nil, fmt.Errorf("%s: occurrence %q must be 1-5", item, nth)
			}
			w.nth = append(w.nth, nthWeekday{toWeekday(v), n})
		default:
			b, err := f.rangeStep(item)
			if err != nil {
				return nil, err
			}
			for v := f.min; v <= f.max; v++ {
				if b.has(v - f.min) {
					w.days.set(int(toWeekday(v)))
				}
			}
		}
	}
	return w, nil
}
