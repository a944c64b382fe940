package schedule

import (
	"testing"
	"time"
)

// fuzzZones are the zones fuzzed instants are evaluated in: UTC, the two
// DST rules the tests care about, and a half-hour-DST zone.
var fuzzZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}

// fuzzTime maps any int64 to an instant between 1960 and 2210, so that the
// edges of the year field are reached.
func fuzzTime(sec int64) time.Time {
	const lo, span = -315619200, 7890000000 // 1960-01-01, ~250 years
	s := sec % span
	if s < 0 {
		s += span
	}
	return time.Unix(lo+s, 0).UTC()
}

func fuzzZone(t *testing.T, i uint8) *time.Location {
	return loadLoc(t, fuzzZones[int(i)%len(fuzzZones)])
}

// checkExpr asserts the contract of Expr around after.
func checkExpr(t *testing.T, e Expr, after time.Time, loc *time.Location) {
	n := e.Next(after, loc)
	if !n.IsZero() {
		if !n.After(after) {
			t.Fatalf("%s: Next(%s) = %s, not after", e, after, n)
		}
		if !e.Matches(n, loc) {
			t.Fatalf("%s: Next(%s) = %s does not match", e, after, n)
		}
		if p := e.Prev(n, loc); !p.IsZero() && !p.Before(n) {
			t.Fatalf("%s: Prev(%s) = %s, not before", e, n, p)
		}
	}
	p := e.Prev(after, loc)
	if !p.IsZero() {
		if !p.Before(after) {
			t.Fatalf("%s: Prev(%s) = %s, not before", e, after, p)
		}
		if !e.Matches(p, loc) {
			t.Fatalf("%s: Prev(%s) = %s does not match", e, after, p)
		}
		// Nothing fires between Prev(after) and after.
		if n2 := e.Next(p, loc); !n2.IsZero() && n2.Before(after) {
			t.Fatalf("%s: Next(Prev(%s)) = %s, between the two", e, after, n2)
		}
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"cron(0 7 ? * MON-FRI *)", "cron(0 21 ? * MON-FRI *)", "cron(30 2 * * ? *)",
		"cron(0 12 L * ? *)", "cron(0 9 15W * ? *)", "cron(0 18 LW * ? *)", "cron(0 10 ? * MON#1 *)",
		"cron(0 10 ? * 2#3 *)", "cron(0 17 ? * FRIL *)", "cron(0 17 ? * 5L *)", "cron(0/20 9 ? * TUE *)",
		"cron(15,45 */6 * * ? *)", "cron(0 0 29 FEB ? *)", "cron(0 0 1 1 ? 2027-2029)", "cron(0 9 ? * FRI-MON *)",
		"cron(0 0 31 12 ? 2199)", "cron(0 7 ? * MON-FRI)", "cron(0 0 30W 2 ? *)",
	} {
		f.Add(s, int64(1764547200), uint8(0))
		f.Add(s, int64(1792800000), uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, sec int64, zone uint8) {
		c, err := ParseCron(s)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseCron(%q) returned a value and an error", s)
			}
			return
		}
		// What a Cron prints parses to the same expression.
		again, err := ParseCron(c.String())
		if err != nil {
			t.Fatalf("ParseCron(%q).String() = %q does not parse: %v", s, c.String(), err)
		}
		loc := fuzzZone(t, zone)
		after := fuzzTime(sec)
		checkExpr(t, c, after, loc)
		if a, b := c.Next(after, loc), again.Next(after, loc); !a.Equal(b) {
			t.Fatalf("re-parsed %q fires at %s, original at %s", c, b, a)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(5 hours)", "rate(2 days)", "rate(1 hours)", "rate(0 days)"} {
		f.Add(s, int64(1764547200))
	}
	f.Fuzz(func(t *testing.T, s string, sec int64) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.Every <= 0 || r.Every%time.Minute != 0 {
			t.Fatalf("ParseRate(%q).Every = %v", s, r.Every)
		}
		after := fuzzTime(sec)
		checkExpr(t, r, after, nil)
		if n := r.Next(after, nil); n.Sub(after) > r.Every {
			t.Fatalf("%s: Next(%s) = %s, more than one period away", s, after, n)
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	f.Add("22:00", "06:00", "mon-fri", "", "", int64(1764547200), uint8(1))
	f.Add("09:00", "17:00", "mon#1,friL", "", "jan-mar", int64(1792800000), uint8(2))
	f.Add("", "", "", "L,15W,LW,1/7", "", int64(1764547200), uint8(3))
	f.Add("02:30", "24:00", "sat-sun", "1-15", "feb", int64(1774746000), uint8(1))
	f.Fuzz(func(t *testing.T, begin, end, weekdays, monthdays, months string, sec int64, zone uint8) {
		p, err := ParsePeriod(PeriodSpec{Begin: begin, End: end, Weekdays: weekdays, Monthdays: monthdays, Months: months})
		if err != nil {
			return
		}
		loc := fuzzZone(t, zone)
		s := &Schedule{Name: "fuzz", Location: loc, Periods: []*Period{p}, Mode: ModeStartStop}
		after := fuzzTime(sec)
		if p.Contains(after, loc) != s.Running(after) {
			t.Fatalf("%s: Contains and Running disagree at %s", p, after)
		}
		tr, ok := s.Next(after)
		if !ok {
			return
		}
		// The transition is after the input and is a real change of state.
		if !tr.At.After(after) {
			t.Fatalf("%s: Next(%s) = %s, not after", p, after, tr.At)
		}
		if got := p.Contains(tr.At, loc); got != (tr.To == StateRunning) {
			t.Fatalf("%s: transition to %s at %s, but Contains = %v", p, tr.To, tr.At, got)
		}
		if p.Contains(tr.At.Add(-time.Nanosecond), loc) == p.Contains(tr.At, loc) {
			t.Fatalf("%s: no change of state at the transition %s", p, tr.At)
		}
		if last, ok := s.Last(tr.At); !ok || !last.At.Equal(tr.At) {
			t.Fatalf("%s: Last(%s) = %s, %v", p, tr.At, last.At, ok)
		}
	})
}
