package schedule

import (
	"testing"
)

func TestPeriodContains(t *testing.T) {
	type probe struct {
		at   string
		want bool
	}
	tests := []struct {
		name   string
		spec   PeriodSpec
		zone   string
		probes []probe
	}{
		{
			name: "office hours mon-fri", spec: PeriodSpec{Begin: "09:00", End: "17:00", Weekdays: "mon-fri"}, zone: "Europe/Berlin",
			probes: []probe{
				{"2026-12-07T08:59:00+01:00", false}, // Monday
				{"2026-12-07T09:00:00+01:00", true},
				{"2026-12-07T16:59:59+01:00", true},
				{"2026-12-07T17:00:00+01:00", false},
				{"2026-12-05T10:00:00+01:00", false}, // Saturday
			},
		},
		{
			name: "overnight 22:00-06:00 begins mon-fri", spec: PeriodSpec{Begin: "22:00", End: "06:00", Weekdays: "mon-fri"}, zone: "Europe/Berlin",
			probes: []probe{
				{"2026-12-04T23:00:00+01:00", true},  // Friday night
				{"2026-12-05T05:59:00+01:00", true},  // ...into Saturday morning
				{"2026-12-05T06:00:00+01:00", false}, // ends
				{"2026-12-05T23:00:00+01:00", false}, // Saturday night not selected
				{"2026-12-07T02:00:00+01:00", false}, // Monday 02:00 began on Sunday
				{"2026-12-07T21:59:00+01:00", false},
				{"2026-12-07T22:00:00+01:00", true},
				{"2026-12-08T03:00:00+01:00", true},
			},
		},
		{
			name: "first Monday, all day", spec: PeriodSpec{Weekdays: "mon#1"}, zone: "UTC",
			probes: []probe{
				{"2026-12-07T00:00:00Z", true},
				{"2026-12-07T23:59:00Z", true},
				{"2026-12-08T00:00:00Z", false},
				{"2026-12-14T12:00:00Z", false},
			},
		},
		{
			name: "last Friday (friL)", spec: PeriodSpec{Weekdays: "friL", Begin: "12:00"}, zone: "UTC",
			probes: []probe{
				{"2026-12-25T12:00:00Z", true},
				{"2026-12-25T23:59:00Z", true}, // begin only: to the end of the day
				{"2026-12-25T11:59:00Z", false},
				{"2026-12-18T13:00:00Z", false},
			},
		},
		{
			name: "end only: from midnight", spec: PeriodSpec{End: "08:00", Weekdays: "sat,sun"}, zone: "UTC",
			probes: []probe{
				{"2026-12-05T00:00:00Z", true},
				{"2026-12-05T07:59:00Z", true},
				{"2026-12-05T08:00:00Z", false},
				{"2026-12-04T07:00:00Z", false},
			},
		},
		{
			name: "wrapping weekday range fri-mon", spec: PeriodSpec{Weekdays: "fri-mon"}, zone: "UTC",
			probes: []probe{
				{"2026-12-04T10:00:00Z", true},  // Fri
				{"2026-12-06T10:00:00Z", true},  // Sun
				{"2026-12-07T10:00:00Z", true},  // Mon
				{"2026-12-08T10:00:00Z", false}, // Tue
			},
		},
		{
			name: "last day of February in a leap year", spec: PeriodSpec{Monthdays: "L", Months: "feb"}, zone: "UTC",
			probes: []probe{
				{"2028-02-29T12:00:00Z", true},
				{"2028-02-28T12:00:00Z", false},
				{"2027-02-28T12:00:00Z", true},
				{"2027-03-31T12:00:00Z", false},
			},
		},
		{
			name: "15W and month range", spec: PeriodSpec{Monthdays: "15W", Months: "jul-sep", Begin: "08:00", End: "10:00"}, zone: "UTC",
			probes: []probe{
				{"2026-08-14T09:00:00Z", true}, // the 15th is a Saturday
				{"2026-08-15T09:00:00Z", false},
				{"2026-09-15T09:00:00Z", true}, // a Tuesday
				{"2026-10-15T09:00:00Z", false},
			},
		},
		{
			name: "monthdays range and step", spec: PeriodSpec{Monthdays: "1-15,20/5"}, zone: "UTC",
			probes: []probe{
				{"2026-12-15T12:00:00Z", true},
				{"2026-12-16T12:00:00Z", false},
				{"2026-12-25T12:00:00Z", true},
				{"2026-12-30T12:00:00Z", true},
				{"2026-12-31T12:00:00Z", false},
			},
		},
		{
			name: "end 24:00", spec: PeriodSpec{Begin: "20:00", End: "24:00"}, zone: "UTC",
			probes: []probe{
				{"2026-12-01T23:59:59Z", true},
				{"2026-12-02T00:00:00Z", false},
			},
		},
		{
			name: "Berlin spring-forward: a begin at 02:30 begins when the clock jumps", spec: PeriodSpec{Begin: "02:30", End: "04:00"}, zone: "Europe/Berlin",
			probes: []probe{
				{"2026-03-29T00:59:00Z", false}, // 01:59 CET
				{"2026-03-29T01:00:00Z", true},  // 03:00 CEST
				{"2026-03-29T01:59:00Z", true},  // 03:59 CEST
				{"2026-03-29T02:00:00Z", false}, // 04:00 CEST
			},
		},
		{
			name: "New York fall-back: an end at 01:30 is the first 01:30", spec: PeriodSpec{Begin: "00:00", End: "01:30"}, zone: "America/New_York",
			probes: []probe{
				{"2026-11-01T05:29:00Z", true},  // 01:29 EDT
				{"2026-11-01T05:30:00Z", false}, // 01:30 EDT
				{"2026-11-01T06:10:00Z", false}, // 01:10 EST, the clock's second pass
			},
		},
		{
			name: "overnight across Berlin fall-back lasts 9 hours", spec: PeriodSpec{Begin: "22:00", End: "06:00", Weekdays: "sat"}, zone: "Europe/Berlin",
			probes: []probe{
				{"2026-10-24T19:59:00Z", false},
				{"2026-10-24T20:00:00Z", true}, // 22:00 CEST
				{"2026-10-25T04:59:00Z", true}, // 05:59 CET
				{"2026-10-25T05:00:00Z", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			loc := loadLoc(t, tt.zone)
			for _, pr := range tt.probes {
				if got := p.Contains(mustTime(t, pr.at), loc); got != pr.want {
					t.Errorf("Contains(%s) = %v, want %v", pr.at, got, pr.want)
				}
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct {
		spec PeriodSpec
		want string
	}{
		{PeriodSpec{}, "period is empty: set begin, end, weekdays, monthdays or months"},
		{PeriodSpec{Begin: "25:00"}, `begin: "25:00" is not a time of day HH:MM`},
		{PeriodSpec{Begin: "24:00"}, `begin: "24:00" is not a time of day HH:MM`},
		{PeriodSpec{End: "9"}, `end: "9" is not a time of day HH:MM`},
		{PeriodSpec{End: "09:60"}, `end: "09:60" is not a time of day HH:MM`},
		{PeriodSpec{Begin: "09:00", End: "09:00"}, "end: end 09:00 equals begin 09:00"},
		{PeriodSpec{Weekdays: "0-4"}, `weekdays: "0-4": use day names (mon-sun), not numbers`},
		{PeriodSpec{Weekdays: "mon#6"}, `weekdays: MON#6: occurrence "6" must be 1-5`},
		{PeriodSpec{Weekdays: "funday"}, `weekdays: "FUNDAY" is not a number or a name`},
		{PeriodSpec{Monthdays: "32"}, "monthdays: 32 out of range 1-31"},
		{PeriodSpec{Monthdays: "0W"}, "monthdays: 0W: 0 out of range 1-31"},
		{PeriodSpec{Months: "jan-foo"}, `months: "foo" is not a number or a name`},
		{PeriodSpec{Months: "13"}, "months: 13 out of range 1-12"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := ParsePeriod(tt.spec)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParsePeriod(%+v) error\n got %v\nwant %s", tt.spec, err, tt.want)
			}
		})
	}
}
