package schedule

import "time"

// date is a calendar day, free of any time zone.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// add returns the day n days after d (n may be negative).
func (d date) add(n int) date {
	return dateOf(time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC))
}

func (d date) before(e date) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (d date) String() string {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// resolve maps the wall-clock time d hh:mm in loc to an instant. When the
// wall time occurs twice (fall-back) it returns the first occurrence; when it
// does not occur at all (spring-forward) it returns the instant the clock
// jumps past it, with exists false. min may be 1440 (24:00), meaning midnight
// at the start of the next day.
func resolve(d date, min int, loc *time.Location) (t time.Time, exists bool) {
	naive := time.Date(d.y, d.m, d.d, 0, min, 0, 0, time.UTC)
	t = time.Date(d.y, d.m, d.d, 0, min, 0, 0, loc)
	if loc == time.UTC {
		return t, true
	}
	if sameWall(t, naive) {
		// An earlier instant reads the same if the zone before t's was
		// ahead of it (fall-back): try that zone's offset.
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			_, off := start.Add(-time.Nanosecond).Zone()
			c := naive.Add(-time.Duration(off) * time.Second)
			if c.Before(start) && sameWall(c.In(loc), naive) {
				return c, true
			}
		}
		return t, true
	}
	// The wall time falls in a gap. Go normalised it to one side of the
	// gap; the gap ends where the zone that reads later begins.
	start, end := t.ZoneBounds()
	if wallAfter(t, naive) {
		return start, false
	}
	return end, false
}

// sameWall reports whether t's wall clock reads like naive (a UTC time
// carrying wall-clock fields).
func sameWall(t, naive time.Time) bool {
	y, m, d := t.Date()
	ny, nm, nd := naive.Date()
	return y == ny && m == nm && d == nd && t.Hour() == naive.Hour() && t.Minute() == naive.Minute() && t.Second() == naive.Second()
}

func wallAfter(t, naive time.Time) bool {
	y, m, d := t.Date()
	w := time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return w.After(naive)
}
