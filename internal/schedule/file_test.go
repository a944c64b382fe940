package schedule

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../../examples/schedules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d example files, want the office-hours and the overnight ones", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ss, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) == 0 {
				t.Fatal("no schedules")
			}
			for _, s := range ss {
				if len(s.Targets) == 0 {
					t.Errorf("%s: no targets", s.Name)
				}
			}
		})
	}
}

// TestExampleSeed checks that the office-hours example is the seed's
// schedule: dev- notebooks, 07:00 and 21:00 UTC on weekdays.
func TestExampleSeed(t *testing.T) {
	ss, err := Load("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if s.Start.String() != "cron(0 7 ? * MON-FRI *)" || s.Stop.String() != "cron(0 21 ? * MON-FRI *)" || s.Location.String() != "UTC" {
		t.Errorf("seed schedule = %s / %s in %s", s.Start, s.Stop, s.Location)
	}
	if !s.Matches(KindNotebook, "dev-alice", nil) || s.Matches(KindNotebook, "prod-alice", nil) {
		t.Error("seed schedule should target exactly the dev- notebooks")
	}
}

func TestFileErrors(t *testing.T) {
	const head = "apiVersion: sagesaver.io/v1alpha1\nkind: ScheduleSet\nschedules:\n"
	const ok = "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    stop: cron(0 21 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n"
	tests := []struct {
		name  string
		doc   string
		field string
		line  int
		msg   string
	}{
		{"wrong apiVersion", "apiVersion: v1\nkind: ScheduleSet\nschedules: []\n", "apiVersion", 1, `must be "sagesaver.io/v1alpha1", got "v1"`},
		{"wrong kind", "apiVersion: sagesaver.io/v1alpha1\nkind: Schedule\nschedules: []\n", "kind", 2, `must be "ScheduleSet", got "Schedule"`},
		{"no schedules", head, "schedules", 3, "no schedules"},
		{"unknown field", head + ok + "  - name: b\n    timezone: UTC\n    strat: cron(0 7 ? * MON-FRI *)\n", "strat", 11, "unknown field"},
		{"bad cron in the second schedule", head + ok + "  - name: b\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[1].start", 11, "cron(0 7 ? * MON-FRI): expected 6 fields, got 5"},
		{"bad stop", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    stop: cron(0 21 ? * 8 *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].stop", 7, "cron(0 21 ? * 8 *): day-of-week: 8 out of range 1-7"},
		{"bad rate", head + "  - name: a\n    timezone: UTC\n    start: rate(1 hours)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].start", 6, `rate(1 hours): unit must be "hour" for a value of 1`},
		{"duplicate name", head + ok + ok, "schedules[1].name", 9, `"a" is also the name of schedules[0]`},
		{"no timezone", head + "  - name: a\n    start: cron(0 7 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].timezone", 4, "required: an IANA zone such as UTC or Europe/Berlin"},
		{"unknown timezone", head + "  - name: a\n    timezone: Europe/Atlantis\n    start: cron(0 7 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].timezone", 5, `unknown time zone "Europe/Atlantis"`},
		{"neither expressions nor periods", head + "  - name: a\n    timezone: UTC\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].start", 4, "set start and/or stop (cron or rate expressions), or periods"},
		{"both expressions and periods", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    periods: [{begin: \"09:00\"}]\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].periods", 7, "use start/stop expressions or periods, not both"},
		{"bad period weekday", head + "  - name: a\n    timezone: UTC\n    periods:\n      - begin: \"09:00\"\n      - weekdays: 1-5\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].periods[1].weekdays", 8, `"1-5": use day names (mon-sun), not numbers`},
		{"start-only with a stop", head + "  - name: a\n    timezone: UTC\n    mode: start-only\n    start: cron(0 7 ? * MON-FRI *)\n    stop: cron(0 21 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].stop", 8, "a start-only schedule has no stop"},
		{"start-stop without a stop", head + "  - name: a\n    timezone: UTC\n    mode: start-stop\n    start: cron(0 7 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].stop", 4, "required by mode start-stop"},
		{"bad mode", head + "  - name: a\n    timezone: UTC\n    mode: sometimes\n    start: cron(0 7 ? * MON-FRI *)\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].mode", 6, `must be start-stop, start-only or stop-only; got "sometimes"`},
		{"bad holiday", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    holidays: [2026-12-25, 2026-13-01]\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].holidays[1]", 7, `"2026-13-01" is not a date YYYY-MM-DD`},
		{"reversed closed range", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    closed:\n      - from: 2026-12-31\n        to: 2026-12-24\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].closed[0].to", 9, "2026-12-24 is before from 2026-12-31"},
		{"no targets", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n",
			"schedules[0].targets", 4, "required: which resources the schedule acts on"},
		{"bad target kind", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    targets:\n      - kind: notebooks\n        namePrefix: dev-\n",
			"schedules[0].targets[0].kind", 8, `must be one of notebook, studio-app, endpoint, mlflow-tracking-server; got "notebooks"`},
		{"target without a matcher", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    targets:\n      - kind: notebook\n",
			"schedules[0].targets[0]", 8, `a target must set namePrefix, nameGlob, nameRegex or tags (nameGlob: "*" selects all)`},
		{"bad regex", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    targets:\n      - kind: notebook\n        nameRegex: \"dev-(\"\n",
			"schedules[0].targets[0].nameRegex", 9, "error parsing regexp: missing closing ): `dev-(`"},
		{"bad glob", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    targets:\n      - kind: notebook\n        nameGlob: \"dev-[\"\n",
			"schedules[0].targets[0].nameGlob", 9, "bad pattern dev-[: syntax error in pattern"},
		// A field left out is reported at the line of the schedule or
		// target that lacks it; a bad value at its own line.
		{"bad closed from", head + "  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    closed:\n      - from: 2026-02-30\n        to: 2026-03-02\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].closed[0].from", 8, `"2026-02-30" is not a date YYYY-MM-DD`},
		{"bad period begin", head + "  - name: a\n    timezone: UTC\n    periods:\n      - begin: \"25:00\"\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[0].periods[0].begin", 7, `"25:00" is not a time of day HH:MM`},
		{"snooze tag with spaces", head + ok + "  - name: b\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI *)\n    snoozeTag: \" snooze \"\n    targets: [{kind: notebook, namePrefix: dev-}]\n",
			"schedules[1].snoozeTag", 12, "must not start or end with spaces"},
		{"enforced not a boolean", head + "  - name: a\n    timezone: UTC\n    enforced: sometimes\n",
			"schedules[0].enforced", 6, "want true or false, got a string"},
		{"bad notify topic", head + ok + "notify:\n  snsTopicArn: my-topic\n",
			"notify.snsTopicArn", 10, "not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): my-topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("s.yaml", []byte(tt.doc))
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *config.FileError", err)
			}
			if fe.Field != tt.field || fe.Msg != tt.msg || fe.File != "s.yaml" {
				t.Errorf("error = %s %q %q\nwant      %q %q", fe.File, fe.Field, fe.Msg, tt.field, tt.msg)
			}
			if fe.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", fe.Line, tt.line, err)
			}
			if !strings.HasPrefix(err.Error(), "s.yaml:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
