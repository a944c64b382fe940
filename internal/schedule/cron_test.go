package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func loadLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

// nextN returns the next n firings after after, as RFC 3339 in loc (which
// shows both the wall clock and the offset), "none" once there are none.
func nextN(e Expr, after time.Time, loc *time.Location, n int) []string {
	var out []string
	for range n {
		after = e.Next(after, loc)
		if after.IsZero() {
			return append(out, "none")
		}
		out = append(out, after.In(loc).Format(time.RFC3339))
	}
	return out
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		zone  string
		after string
		want  []string
	}{
		{
			name: "seed office hours start, weekdays only", expr: "cron(0 7 ? * MON-FRI *)", zone: "UTC",
			after: "2026-12-03T08:00Z",
			want:  []string{"2026-12-04T07:00:00Z", "2026-12-07T07:00:00Z", "2026-12-08T07:00:00Z"},
		},
		{
			name: "lower-case names", expr: "cron(0 21 ? * mon-fri *)", zone: "UTC",
			after: "2026-12-04T21:00Z", // exactly a firing: strictly after
			want:  []string{"2026-12-07T21:00:00Z"},
		},
		{
			name: "Berlin 07:00 keeps wall time across spring-forward", expr: "cron(0 7 ? * MON-FRI *)", zone: "Europe/Berlin",
			after: "2026-03-27T12:00Z",
			want:  []string{"2026-03-30T07:00:00+02:00"},
		},
		{
			name: "Berlin 07:00 keeps wall time across fall-back", expr: "cron(0 7 ? * MON-FRI *)", zone: "Europe/Berlin",
			after: "2026-10-23T12:00Z",
			want:  []string{"2026-10-26T07:00:00+01:00"},
		},
		{
			name: "Berlin 02:30 does not exist on the last Sunday of March: skipped", expr: "cron(30 2 * * ? *)", zone: "Europe/Berlin",
			after: "2026-03-28T12:00Z",
			want:  []string{"2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"},
		},
		{
			name: "Berlin 02:30 occurs twice on the last Sunday of October: fires once", expr: "cron(30 2 * * ? *)", zone: "Europe/Berlin",
			after: "2026-10-24T12:00Z",
			want:  []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		},
		{
			name: "Berlin hourly skips the missing hour", expr: "cron(0 * * * ? *)", zone: "Europe/Berlin",
			after: "2026-03-29T00:30Z", // 01:30 CET
			want:  []string{"2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"},
		},
		{
			name: "Berlin hourly does not repeat the doubled hour", expr: "cron(0 * * * ? *)", zone: "Europe/Berlin",
			after: "2026-10-24T23:30Z", // 01:30 CEST
			want:  []string{"2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"},
		},
		{
			name: "New York 02:30 skipped on the second Sunday of March", expr: "cron(30 2 * * ? *)", zone: "America/New_York",
			after: "2026-03-07T12:00Z",
			want:  []string{"2026-03-09T02:30:00-04:00"},
		},
		{
			name: "New York 01:30 fires once on the first Sunday of November", expr: "cron(30 1 * * ? *)", zone: "America/New_York",
			after: "2026-10-31T12:00Z",
			want:  []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
		},
		{
			name: "New York: after the first 01:30, the second is not a firing", expr: "cron(30 1 * * ? *)", zone: "America/New_York",
			after: "2026-11-01T05:30Z", // 01:30 EDT
			want:  []string{"2026-11-02T01:30:00-05:00"},
		},
		{
			name: "L: last day of month, leap February", expr: "cron(0 12 L * ? *)", zone: "UTC",
			after: "2028-02-01T00:00Z",
			want:  []string{"2028-02-29T12:00:00Z", "2028-03-31T12:00:00Z", "2028-04-30T12:00:00Z"},
		},
		{
			name: "L in February of a common year", expr: "cron(0 12 L 2 ? *)", zone: "UTC",
			after: "2027-01-01T00:00Z",
			want:  []string{"2027-02-28T12:00:00Z", "2028-02-29T12:00:00Z", "2029-02-28T12:00:00Z"},
		},
		{
			name: "February 29 only in leap years", expr: "cron(0 0 29 FEB ? *)", zone: "UTC",
			after: "2026-01-01T00:00Z",
			want:  []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
		},
		{
			name: "LW: last weekday (May 2026 ends on a Sunday)", expr: "cron(0 18 LW * ? *)", zone: "UTC",
			after: "2026-05-01T00:00Z",
			want:  []string{"2026-05-29T18:00:00Z", "2026-06-30T18:00:00Z"},
		},
		{
			name: "15W: the 15th is a Saturday -> Friday 14th", expr: "cron(0 9 15W * ? *)", zone: "UTC",
			after: "2026-08-01T00:00Z",
			want:  []string{"2026-08-14T09:00:00Z", "2026-09-15T09:00:00Z"},
		},
		{
			name: "1W: the 1st is a Saturday -> Monday 3rd, not the previous month", expr: "cron(0 9 1W * ? *)", zone: "UTC",
			after: "2026-07-31T12:00Z",
			want:  []string{"2026-08-03T09:00:00Z"},
		},
		{
			name: "16W: the 16th is a Sunday -> Monday 17th", expr: "cron(0 9 16W 8 ? 2026)", zone: "UTC",
			after: "2026-01-01T00:00Z",
			want:  []string{"2026-08-17T09:00:00Z", "none"},
		},
		{
			name: "31W: the 31st is a Sunday -> Friday 29th, not June", expr: "cron(0 9 31W 5 ? 2026)", zone: "UTC",
			after: "2026-01-01T00:00Z",
			want:  []string{"2026-05-29T09:00:00Z", "none"},
		},
		{
			name: "30W never fires in February", expr: "cron(0 0 30W * ? *)", zone: "UTC",
			after: "2027-01-31T01:00Z",
			want:  []string{"2027-03-30T00:00:00Z"},
		},
		{
			name: "MON#1: first Monday", expr: "cron(0 10 ? * MON#1 *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-07T10:00:00Z", "2027-01-04T10:00:00Z"},
		},
		{
			name: "2#3: third Monday (2 = Monday)", expr: "cron(0 10 ? * 2#3 *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-21T10:00:00Z", "2027-01-18T10:00:00Z"},
		},
		{
			name: "6#5: fifth Friday only in months that have one", expr: "cron(0 10 ? * 6#5 *)", zone: "UTC",
			after: "2026-11-01T00:00Z",
			want:  []string{"2027-01-29T10:00:00Z"},
		},
		{
			name: "6L and FRIL: last Friday", expr: "cron(0 17 ? * FRIL *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-25T17:00:00Z", "2027-01-29T17:00:00Z"},
		},
		{
			name: "5L: last Thursday", expr: "cron(0 17 ? * 5L *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-31T17:00:00Z", "2027-01-28T17:00:00Z"},
		},
		{
			name: "L alone in day-of-week is Saturday", expr: "cron(0 8 ? * L *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-05T08:00:00Z", "2026-12-12T08:00:00Z"},
		},
		{
			name: "1 = Sunday, 7 = Saturday", expr: "cron(0 8 ? * 1,7 *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-05T08:00:00Z", "2026-12-06T08:00:00Z", "2026-12-12T08:00:00Z"},
		},
		{
			name: "reversed day range wraps: FRI-MON", expr: "cron(0 9 ? * FRI-MON *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-04T09:00:00Z", "2026-12-05T09:00:00Z", "2026-12-06T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-11T09:00:00Z"},
		},
		{
			name: "minute steps and lists", expr: "cron(0/20 9 ? * TUE *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-01T09:00:00Z", "2026-12-01T09:20:00Z", "2026-12-01T09:40:00Z", "2026-12-08T09:00:00Z"},
		},
		{
			name: "hour steps with a minute list", expr: "cron(15,45 */6 * * ? *)", zone: "UTC",
			after: "2026-12-01T00:20Z",
			want:  []string{"2026-12-01T00:45:00Z", "2026-12-01T06:15:00Z", "2026-12-01T06:45:00Z", "2026-12-01T12:15:00Z"},
		},
		{
			name: "range with step", expr: "cron(0 8-18/5 1 * ? *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2026-12-01T08:00:00Z", "2026-12-01T13:00:00Z", "2026-12-01T18:00:00Z", "2027-01-01T08:00:00Z"},
		},
		{
			name: "months by name and list", expr: "cron(0 0 1 JAN,JUL ? *)", zone: "UTC",
			after: "2026-12-01T00:00Z",
			want:  []string{"2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		},
		{
			name: "year range ends", expr: "cron(0 0 1 1 ? 2027-2029)", zone: "UTC",
			after: "2026-06-01T00:00Z",
			want:  []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z", "none"},
		},
		{
			name: "year step", expr: "cron(0 0 1 JAN ? 2030/5)", zone: "UTC",
			after: "2026-06-01T00:00Z",
			want:  []string{"2030-01-01T00:00:00Z", "2035-01-01T00:00:00Z", "2040-01-01T00:00:00Z"},
		},
		{
			name: "the year field ends in 2199", expr: "cron(0 0 31 12 ? *)", zone: "UTC",
			after: "2199-01-01T00:00Z",
			want:  []string{"2199-12-31T00:00:00Z", "none"},
		},
		{
			name: "a time before 1970 starts at 1970", expr: "cron(0 0 1 1 ? *)", zone: "UTC",
			after: "1900-06-01T00:00Z",
			want:  []string{"1970-01-01T00:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			loc := loadLoc(t, tt.zone)
			got := nextN(c, mustTime(t, tt.after), loc, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s after %s (-want +got):\n%s", tt.expr, tt.after, diff)
			}
			// Every firing matches, and Prev walks back to the one before.
			var prev time.Time
			for _, s := range got {
				if s == "none" {
					break
				}
				ft := mustTime(t, s)
				if !c.Matches(ft, loc) {
					t.Errorf("Matches(%s) = false for a firing", s)
				}
				if !prev.IsZero() {
					if p := c.Prev(ft, loc); !p.Equal(prev) {
						t.Errorf("Prev(%s) = %s, want %s", s, p.In(loc).Format(time.RFC3339), prev.In(loc).Format(time.RFC3339))
					}
				}
				prev = ft
			}
		})
	}
}

func TestCronPrevAcrossDST(t *testing.T) {
	tests := []struct {
		expr, zone, before, want string
	}{
		// After the second 01:30 in New York, the last firing is the first one.
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T07:00Z", "2026-11-01T01:30:00-04:00"},
		// 02:30 did not happen in Berlin on 2026-03-29.
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-29T12:00Z", "2026-03-28T02:30:00+01:00"},
		{"cron(0 21 ? * MON-FRI *)", "UTC", "2026-12-07T08:00Z", "2026-12-04T21:00:00Z"},
		{"cron(0 0 1 1 ? 1970)", "UTC", "1970-01-01T00:00Z", "none"},
		{"cron(0 0 1 1 ? 2199)", "UTC", "2250-01-01T00:00Z", "2199-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" "+tt.before, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			loc := loadLoc(t, tt.zone)
			got := "none"
			if p := c.Prev(mustTime(t, tt.before), loc); !p.IsZero() {
				got = p.In(loc).Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("Prev = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCronMatchesOnlyFirstOccurrence(t *testing.T) {
	c, err := ParseCron("cron(30 1 * * ? *)")
	if err != nil {
		t.Fatal(err)
	}
	ny := loadLoc(t, "America/New_York")
	if !c.Matches(mustTime(t, "2026-11-01T05:30Z"), ny) {
		t.Error("first 01:30 (EDT) should match")
	}
	if c.Matches(mustTime(t, "2026-11-01T06:30Z"), ny) {
		t.Error("second 01:30 (EST) should not match")
	}
	if c.Matches(mustTime(t, "2026-11-02T06:30:01Z"), ny) {
		t.Error("a time with seconds should not match")
	}
}

func TestParseCronErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"cron(0 7 ? * MON-FRI)", "cron(0 7 ? * MON-FRI): expected 6 fields, got 5"},
		{"cron(0 7 ? * MON-FRI * *)", "cron(0 7 ? * MON-FRI * *): expected 6 fields, got 7"},
		{"cron(0 7 ? * MON-FRI *", "cron(0 7 ? * MON-FRI *: missing closing )"},
		{"cron(0 7 ? * 8 *)", "cron(0 7 ? * 8 *): day-of-week: 8 out of range 1-7"},
		{"cron(0 7 ? * 0 *)", "cron(0 7 ? * 0 *): day-of-week: 0 out of range 1-7"},
		{"cron(60 7 ? * MON *)", "cron(60 7 ? * MON *): minutes: 60 out of range 0-59"},
		{"cron(0 24 ? * MON *)", "cron(0 24 ? * MON *): hours: 24 out of range 0-23"},
		{"cron(0 7 32 * ? *)", "cron(0 7 32 * ? *): day-of-month: 32 out of range 1-31"},
		{"cron(0 7 0 * ? *)", "cron(0 7 0 * ? *): day-of-month: 0 out of range 1-31"},
		{"cron(0 7 1 13 ? *)", "cron(0 7 1 13 ? *): month: 13 out of range 1-12"},
		{"cron(0 7 1 * ? 1969)", "cron(0 7 1 * ? 1969): year: 1969 out of range 1970-2199"},
		{"cron(0 7 1 * ? 2200)", "cron(0 7 1 * ? 2200): year: 2200 out of range 1970-2199"},
		{"cron(0 7 1 * ? 2030-2020)", "cron(0 7 1 * ? 2030-2020): year: range 2030-2020 is reversed"},
		{"cron(0 7 * * MON *)", "cron(0 7 * * MON *): day-of-month and day-of-week: one of them must be ?"},
		{"cron(0 7 1 * MON *)", "cron(0 7 1 * MON *): day-of-month and day-of-week: one of them must be ?"},
		{"cron(0 7 ? * ? *)", "cron(0 7 ? * ? *): day-of-month and day-of-week: only one of them may be ?"},
		{"cron(0 ? 1 * ? *)", "cron(0 ? 1 * ? *): hours: ? is only allowed in day-of-month or day-of-week"},
		{"cron(0 7 ? * MON,? *)", "cron(0 7 ? * MON,? *): day-of-week: ? is only allowed alone"},
		{"cron(0 7 ? * MON#6 *)", "cron(0 7 ? * MON#6 *): day-of-week: MON#6: occurrence \"6\" must be 1-5"},
		{"cron(0 7 ? * MON#0 *)", "cron(0 7 ? * MON#0 *): day-of-week: MON#0: occurrence \"0\" must be 1-5"},
		{"cron(0 7 ? * FOO *)", "cron(0 7 ? * FOO *): day-of-week: \"FOO\" is not a number or a name"},
		{"cron(0 7 ? * 9L *)", "cron(0 7 ? * 9L *): day-of-week: 9L: 9 out of range 1-7"},
		{"cron(0 7 ? JANUARY MON *)", "cron(0 7 ? JANUARY MON *): month: \"JANUARY\" is not a number or a name"},
		{"cron(x 7 ? * MON *)", "cron(x 7 ? * MON *): minutes: \"x\" is not a number"},
		{"cron(*/0 7 ? * MON *)", "cron(*/0 7 ? * MON *): minutes: step \"0\" in \"*/0\" is not a positive integer"},
		{"cron(0 7 0W * ? *)", "cron(0 7 0W * ? *): day-of-month: 0W: 0 out of range 1-31"},
		{"cron(0 7 1- * ? *)", "cron(0 7 1- * ? *): day-of-month: empty value"},
		{"cron(0 7 , * ? *)", "cron(0 7 , * ? *): day-of-month: empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseCron(tt.expr)
			if err == nil {
				t.Fatalf("ParseCron(%q) = nil error, want %q", tt.expr, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

func TestParseExpr(t *testing.T) {
	for _, s := range []string{"cron(0 7 ? * MON-FRI *)", " rate(5 minutes) "} {
		e, err := ParseExpr(s)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", s, err)
		}
		if e.String() == "" {
			t.Errorf("ParseExpr(%q).String() is empty", s)
		}
	}
	_, err := ParseExpr("0 7 ? * MON-FRI *")
	if want := `"0 7 ? * MON-FRI *": expected cron(...) or rate(...)`; err == nil || err.Error() != want {
		t.Errorf("ParseExpr bare fields: %v, want %s", err, want)
	}
	// ParseCron alone accepts the bare fields and names them in cron( ).
	c, err := ParseCron("0 7 ? * MON-FRI *")
	if err != nil || c.String() != "cron(0 7 ? * MON-FRI *)" {
		t.Errorf("ParseCron bare = %v, %v", c, err)
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		expr  string
		after string
		want  []string
	}{
		{"rate(1 minute)", "2026-12-01T10:00:30Z", []string{"2026-12-01T10:01:00Z", "2026-12-01T10:02:00Z"}},
		{"rate(5 minutes)", "2026-12-01T10:03:00Z", []string{"2026-12-01T10:05:00Z", "2026-12-01T10:10:00Z"}},
		{"rate(1 hour)", "2026-12-01T10:00:00Z", []string{"2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z"}},
		// Counted from 1970-01-01T00:00Z: 2026-12-01T13:00Z is a multiple of 5 hours.
		{"rate(5 hours)", "2026-12-01T10:00:00Z", []string{"2026-12-01T13:00:00Z", "2026-12-01T18:00:00Z"}},
		{"rate(2 days)", "2026-12-01T10:00:00Z", []string{"2026-12-03T00:00:00Z", "2026-12-05T00:00:00Z"}},
		{"rate(1 day)", "1969-12-31T12:00:00Z", []string{"1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			r, err := ParseRate(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			after := mustTime(t, tt.after)
			got := nextN(r, after, time.UTC, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			first := mustTime(t, got[0])
			if !r.Matches(first, nil) || r.Matches(first.Add(time.Second), nil) {
				t.Errorf("Matches wrong around %s", got[0])
			}
			if p := r.Prev(mustTime(t, got[1]), nil); !p.Equal(first) {
				t.Errorf("Prev(%s) = %s, want %s", got[1], p, first)
			}
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"rate(1 hours)", `rate(1 hours): unit must be "hour" for a value of 1`},
		{"rate(5 hour)", `rate(5 hour): unit must be "hours" for a value other than 1`},
		{"rate(1 minutes)", `rate(1 minutes): unit must be "minute" for a value of 1`},
		{"rate(2 day)", `rate(2 day): unit must be "days" for a value other than 1`},
		{"rate(0 minutes)", `rate(0 minutes): value "0" is not a positive integer`},
		{"rate(-5 minutes)", `rate(-5 minutes): value "-5" is not a positive integer`},
		{"rate(2 weeks)", `rate(2 weeks): unit "weeks" must be minute(s), hour(s) or day(s)`},
		{"rate(5)", `rate(5): expected rate(value unit)`},
		{"rate(5 minutes", `rate(5 minutes: expected rate(value unit)`},
		{"rate(99999999 days)", `rate(99999999 days): 99999999 days is longer than 100 years`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseRate(tt.expr)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseRate(%q) error\n got %v\nwant %s", tt.expr, err, tt.want)
			}
		})
	}
}

// TestCronEventBridgeRefuses: expressions that never fire, and lists that
// EventBridge's grammar refuses, are errors with a clear message.
func TestCronEventBridgeRefuses(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"cron(0 0 31 2 ? *)", "cron(0 0 31 2 ? *): never fires: no date matches every field"},
		{"cron(0 0 30-31 FEB ? *)", "never fires"},
		{"cron(0 0 31 4,6,9,11 ? *)", "never fires"},
		{"cron(0 0 29 2 ? 2027)", "never fires"},
		{"cron(0 7 LW,15 * ? *)", "cron(0 7 LW,15 * ? *): day-of-month: LW,15: LW must be the whole field, not part of a list (EventBridge refuses it)"},
		{"cron(0 7 L,1 * ? *)", "L must be the whole field"},
		{"cron(0 7 1,15W * ? *)", "15W must be the whole field"},
		{"cron(0 7 ? * MON#1,FRI#2 *)", "cron(0 7 ? * MON#1,FRI#2 *): day-of-week: MON#1,FRI#2: with #, the field holds one expression only (EventBridge refuses 3#1,6#3)"},
		{"cron(0 7 L-3 * ? *)", "cron(0 7 L-3 * ? *): day-of-month: L-3: an offset from the last day (L-n) is not supported by EventBridge; use L"},
	}
	for _, tt := range tests {
		_, err := ParseCron(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCron(%q) = %v, want %q", tt.expr, err, tt.want)
		}
	}
	for _, ok := range []string{"cron(0 0 29 2 ? *)", "cron(0 0 29 2 ? 2028)", "cron(0 7 LW * ? *)", "cron(0 7 ? * MON#1 *)", "cron(0 7 15W * ? *)", "cron(0 0 31 * ? *)"} {
		if _, err := ParseCron(ok); err != nil {
			t.Errorf("ParseCron(%q) = %v", ok, err)
		}
	}
}

// TestScheduleEnded: a schedule whose cron years are all past has ended;
// one with any year to come, with every year, or with a rate has not.
func TestScheduleEnded(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	mk := func(start, stop string) *Schedule {
		s := &Schedule{Location: time.UTC}
		if start != "" {
			s.Start = mustExpr(t, start)
		}
		if stop != "" {
			s.Stop = mustExpr(t, stop)
		}
		return s
	}
	field, last, ended := mk("cron(0 7 ? * MON-FRI 2020-2024)", "cron(0 19 ? * MON-FRI 2020-2025)").Ended(now)
	if !ended || field != "stop" || last.Year() != 2025 {
		t.Errorf("past years: %v %v %v", field, last, ended)
	}
	for _, s := range []*Schedule{
		mk("cron(0 7 ? * MON-FRI 2020-2030)", ""),
		mk("cron(0 7 ? * MON-FRI *)", "cron(0 19 ? * MON-FRI 2020)"),
		mk("rate(1 hour)", ""),
		{Location: time.UTC},
	} {
		if _, _, ended := s.Ended(now); ended {
			t.Errorf("%v %v: ended", s.Start, s.Stop)
		}
	}
}

func mustExpr(t *testing.T, s string) Expr {
	t.Helper()
	e, err := ParseExpr(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
