package schedule

import (
	"testing"
)

// A scheduler run evaluates every schedule for every matching resource
// every few minutes; these measure the pieces of one evaluation.

func BenchmarkCronNext(b *testing.B) {
	c, err := ParseCron("cron(0 7 ? * MON-FRI *)")
	if err != nil {
		b.Fatal(err)
	}
	loc := loadLoc(b, "Europe/Berlin")
	at := mustTime(b, "2026-12-04T22:00:00Z") // Friday night: the next firing is Monday
	for b.Loop() {
		c.Next(at, loc)
	}
}

func BenchmarkDecideCron(b *testing.B) {
	s := one(b, seedBody)
	obs := Observed{State: StateRunning}
	mem := &Memory{Applied: StateRunning, For: mustTime(b, "2026-12-01T07:00:00Z")}
	now := mustTime(b, "2026-12-01T21:05:00Z")
	for b.Loop() {
		Decide(s, obs, mem, now)
	}
}

func BenchmarkDecidePeriod(b *testing.B) {
	s := one(b, "    timezone: Europe/Berlin\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: mon-fri}\n")
	obs := Observed{State: StateStopped}
	now := mustTime(b, "2026-12-05T12:00:00Z")
	for b.Loop() {
		Decide(s, obs, nil, now)
	}
}

// BenchmarkEvaluateAlwaysInside is the worst case of the period search: a
// schedule that never changes state scans scanDays both ways.
func BenchmarkEvaluateAlwaysInside(b *testing.B) {
	s := one(b, "    timezone: UTC\n    periods:\n      - weekdays: mon-sun\n")
	now := mustTime(b, "2026-12-05T12:00:00Z")
	for b.Loop() {
		s.Evaluate(now)
	}
}

func BenchmarkSummarizeMonth(b *testing.B) {
	s := one(b, seedBody)
	for b.Loop() {
		if _, err := Summarize(s, "2026-12-01", "2026-12-31"); err != nil {
			b.Fatal(err)
		}
	}
}
