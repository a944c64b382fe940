package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// one decodes a ScheduleSet holding the schedule given by body (the fields
// of one list item, indented by four spaces) and a default target.
func one(t testing.TB, body string) *Schedule {
	t.Helper()
	doc := "apiVersion: sagesaver.io/v1alpha1\nkind: ScheduleSet\nschedules:\n  - name: test\n" + body +
		"    targets:\n      - kind: notebook\n        namePrefix: dev-\n"
	ss, err := Decode("test.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("decode:\n%s\n%v", doc, err)
	}
	return ss[0]
}

const seedBody = `    timezone: UTC
    start: cron(0 7 ? * MON-FRI *)
    stop: cron(0 21 ? * MON-FRI *)
`

func fmtTransitions(s *Schedule, trs []Transition) []string {
	var out []string
	for _, tr := range trs {
		out = append(out, tr.At.In(s.Location).Format("Mon 2006-01-02 15:04 MST")+" "+tr.Action())
	}
	return out
}

func TestDesiredStateSeed(t *testing.T) {
	s := one(t, seedBody)
	tests := []struct {
		now     string
		running bool
		next    string
	}{
		{"2026-12-01T06:59:00Z", false, "2026-12-01T07:00:00Z"}, // Tuesday before the start
		{"2026-12-01T07:00:00Z", true, "2026-12-01T21:00:00Z"},  // the start itself
		{"2026-12-01T20:59:59Z", true, "2026-12-01T21:00:00Z"},
		{"2026-12-01T21:00:00Z", false, "2026-12-02T07:00:00Z"},
		{"2026-12-05T12:00:00Z", false, "2026-12-07T07:00:00Z"}, // Saturday
	}
	for _, tt := range tests {
		t.Run(tt.now, func(t *testing.T) {
			running, reason, next := DesiredState(s, mustTime(t, tt.now))
			if running != tt.running {
				t.Errorf("running = %v, want %v (%s)", running, tt.running, reason)
			}
			if want := mustTime(t, tt.next); !next.Equal(want) {
				t.Errorf("next = %s, want %s", next, want)
			}
			if reason == "" {
				t.Error("empty reason")
			}
		})
	}
	_, reason, _ := DesiredState(s, mustTime(t, "2026-12-01T08:00:00Z"))
	if want := "running since Tue 2026-12-01 07:00 UTC by cron(0 7 ? * MON-FRI *); next stop at Tue 2026-12-01 21:00 UTC"; reason != want {
		t.Errorf("reason\n got %q\nwant %q", reason, want)
	}
}

func TestTransitionsAndRunningTime(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		from, to string
		want     []string // nil: not compared, only counted
		count    int
		running  time.Duration
		known    bool
	}{
		{
			name: "seed, one week", body: seedBody, from: "2026-12-07T00:00:00Z", to: "2026-12-14T00:00:00Z",
			want: []string{
				"Mon 2026-12-07 07:00 UTC start", "Mon 2026-12-07 21:00 UTC stop",
				"Tue 2026-12-08 07:00 UTC start", "Tue 2026-12-08 21:00 UTC stop",
				"Wed 2026-12-09 07:00 UTC start", "Wed 2026-12-09 21:00 UTC stop",
				"Thu 2026-12-10 07:00 UTC start", "Thu 2026-12-10 21:00 UTC stop",
				"Fri 2026-12-11 07:00 UTC start", "Fri 2026-12-11 21:00 UTC stop",
			},
			count: 10, running: 5 * 14 * time.Hour, known: true,
		},
		{
			// December 2026 has 23 weekdays.
			name: "seed, December", body: seedBody, from: "2026-12-01T00:00:00Z", to: "2027-01-01T00:00:00Z",
			count: 46, running: 23 * 14 * time.Hour, known: true,
		},
		{
			name: "seed with a holiday: no start on Christmas, the stop still happens",
			body: seedBody + "    holidays: [2026-12-25]\n", from: "2026-12-01T00:00:00Z", to: "2027-01-01T00:00:00Z",
			count: 45, running: 22 * 14 * time.Hour, known: true,
		},
		{
			name: "seed with a closed range", body: seedBody + "    closed:\n      - from: 2026-12-24\n        to: 2026-12-31\n",
			from: "2026-12-01T00:00:00Z", to: "2027-01-01T00:00:00Z",
			count: 23 + 17, running: 17 * 14 * time.Hour, known: true,
		},
		{
			name: "Berlin office hours across spring-forward: 14 hours each day",
			body: "    timezone: Europe/Berlin\n    start: cron(0 7 ? * MON-FRI *)\n    stop: cron(0 21 ? * MON-FRI *)\n",
			from: "2026-03-27T00:00:00+01:00", to: "2026-03-31T00:00:00+02:00",
			want: []string{
				"Fri 2026-03-27 07:00 CET start", "Fri 2026-03-27 21:00 CET stop",
				"Mon 2026-03-30 07:00 CEST start", "Mon 2026-03-30 21:00 CEST stop",
			},
			count: 4, running: 28 * time.Hour, known: true,
		},
		{
			name: "overnight period over Berlin fall-back runs 9 hours",
			body: "    timezone: Europe/Berlin\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: sat}\n",
			from: "2026-10-24T00:00:00+02:00", to: "2026-10-26T00:00:00+01:00",
			want:  []string{"Sat 2026-10-24 22:00 CEST start", "Sun 2026-10-25 06:00 CET stop"},
			count: 2, running: 9 * time.Hour, known: true,
		},
		{
			name: "overnight period over Berlin spring-forward runs 7 hours",
			body: "    timezone: Europe/Berlin\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: sat}\n",
			from: "2026-03-28T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00",
			count: 2, running: 7 * time.Hour, known: true,
		},
		{
			name: "overnight period over US fall-back (first Sunday of November)",
			body: "    timezone: America/New_York\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: sat}\n",
			from: "2026-10-31T00:00:00-04:00", to: "2026-11-02T00:00:00-05:00",
			want:  []string{"Sat 2026-10-31 22:00 EDT start", "Sun 2026-11-01 06:00 EST stop"},
			count: 2, running: 9 * time.Hour, known: true,
		},
		{
			name: "overlapping periods are one running stretch",
			body: "    timezone: UTC\n    periods:\n      - {begin: \"09:00\", end: \"12:00\"}\n      - {begin: \"11:00\", end: \"14:00\"}\n",
			from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z",
			want:  []string{"Tue 2026-12-01 09:00 UTC start", "Tue 2026-12-01 14:00 UTC stop"},
			count: 2, running: 5 * time.Hour, known: true,
		},
		{
			name: "all-day weekdays join across midnight",
			body: "    timezone: UTC\n    periods:\n      - weekdays: mon-fri\n",
			from: "2026-12-06T00:00:00Z", to: "2026-12-13T00:00:00Z",
			want:  []string{"Mon 2026-12-07 00:00 UTC start", "Sat 2026-12-12 00:00 UTC stop"},
			count: 2, running: 5 * 24 * time.Hour, known: true,
		},
		{
			name: "a holiday drops the period that begins on it",
			body: "    timezone: UTC\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: mon-fri}\n    holidays: [2026-12-24]\n",
			from: "2026-12-23T00:00:00Z", to: "2026-12-26T00:00:00Z",
			// Tuesday's night ends on Wednesday morning; Thursday's is a
			// holiday; Friday's runs past the window.
			want: []string{
				"Wed 2026-12-23 06:00 UTC stop",
				"Wed 2026-12-23 22:00 UTC start", "Thu 2026-12-24 06:00 UTC stop",
				"Fri 2026-12-25 22:00 UTC start",
			},
			count: 4, running: 6*time.Hour + 8*time.Hour + 2*time.Hour, known: true,
		},
		{
			name: "stop-only: transitions, running time unknown",
			body: "    timezone: UTC\n    stop: cron(0 21 * * ? *)\n",
			from: "2026-12-01T00:00:00Z", to: "2026-12-03T00:00:00Z",
			want:  []string{"Tue 2026-12-01 21:00 UTC stop", "Wed 2026-12-02 21:00 UTC stop"},
			count: 2, known: false,
		},
		{
			name: "start-only period schedule keeps only the starts",
			body: "    timezone: UTC\n    mode: start-only\n    periods:\n      - {begin: \"08:00\", end: \"18:00\"}\n",
			from: "2026-12-01T00:00:00Z", to: "2026-12-03T00:00:00Z",
			want:  []string{"Tue 2026-12-01 08:00 UTC start", "Wed 2026-12-02 08:00 UTC start"},
			count: 2, known: false,
		},
		{
			name: "rate start, cron stop",
			body: "    timezone: UTC\n    start: rate(6 hours)\n    stop: cron(0 1,7,13,19 * * ? *)\n",
			from: "2026-12-01T00:00:00Z", to: "2026-12-01T12:00:00Z",
			want: []string{
				"Tue 2026-12-01 00:00 UTC start", "Tue 2026-12-01 01:00 UTC stop",
				"Tue 2026-12-01 06:00 UTC start", "Tue 2026-12-01 07:00 UTC stop",
			},
			count: 4, running: 2 * time.Hour, known: true,
		},
		{
			name: "a stop at the same time as a start wins",
			body: "    timezone: UTC\n    start: cron(0 7 * * ? *)\n    stop: cron(0 7,9 * * ? *)\n",
			from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z",
			want:  []string{"Tue 2026-12-01 07:00 UTC stop", "Tue 2026-12-01 09:00 UTC stop"},
			count: 2, running: 0, known: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := one(t, tt.body)
			from, to := mustTime(t, tt.from), mustTime(t, tt.to)
			got := fmtTransitions(s, s.Transitions(from, to))
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("transitions (-want +got):\n%s", diff)
				}
			}
			if len(got) != tt.count {
				t.Errorf("%d transitions, want %d:\n%s", len(got), tt.count, strings.Join(got, "\n"))
			}
			d, known := s.RunningTime(from, to)
			if known != tt.known || (known && d != tt.running) {
				t.Errorf("RunningTime = %v, %v; want %v, %v", d, known, tt.running, tt.known)
			}
			// Last agrees with Next: the last transition at or before
			// each one is itself.
			for _, tr := range s.Transitions(from, to) {
				last, ok := s.Last(tr.At)
				if !ok || !last.At.Equal(tr.At) || last.To != tr.To {
					t.Errorf("Last(%s) = %+v, %v; want the transition itself", tr.At, last, ok)
				}
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		now    string
		state  State
		reason string
	}{
		{
			// The weekday stop still fires on the holiday (it stops what
			// people started by hand).
			name: "holiday says why nothing starts", body: seedBody + "    holidays: [2026-12-25]\n", now: "2026-12-25T10:00:00Z",
			state:  StateStopped,
			reason: "stopped since Thu 2026-12-24 21:00 UTC by cron(0 21 ? * MON-FRI *); 2026-12-25 is a holiday: no starts; next stop at Fri 2026-12-25 21:00 UTC",
		},
		{
			name: "start-only before any start: unknown", body: "    timezone: UTC\n    start: cron(0 7 1 1 ? 2030)\n", now: "2026-12-25T10:00:00Z",
			state:  StateUnknown,
			reason: "no transition yet: nothing to do; next start at Tue 2030-01-01 07:00 UTC",
		},
		{
			name: "always inside a period", body: "    timezone: UTC\n    periods:\n      - weekdays: mon-sun\n", now: "2026-12-25T10:00:00Z",
			state:  StateRunning,
			reason: "running: always inside its periods",
		},
		{
			name: "inside an overnight period", body: "    timezone: Europe/Berlin\n    periods:\n      - {begin: \"22:00\", end: \"06:00\", weekdays: mon-fri}\n", now: "2026-12-05T03:00:00+01:00",
			state:  StateRunning,
			reason: "running since Fri 2026-12-04 22:00 CET by period 22:00-06:00 weekdays=mon-fri; next stop at Sat 2026-12-05 06:00 CET",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := one(t, tt.body).Evaluate(mustTime(t, tt.now))
			if d.State != tt.state || d.Reason != tt.reason {
				t.Errorf("Evaluate = %v %q\nwant       %v %q", d.State, d.Reason, tt.state, tt.reason)
			}
		})
	}
}

func TestTargetMatches(t *testing.T) {
	ss, err := Decode("t.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: t
    timezone: UTC
    stop: cron(0 21 * * ? *)
    targets:
      - kind: notebook
        namePrefix: dev-
      - kind: notebook
        nameGlob: "exp-*-gpu"
      - kind: studio-app
        nameRegex: "^(jupyter|code)-"
        tags: {team: ml, env: "*"}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	tests := []struct {
		kind Kind
		name string
		tags map[string]string
		want bool
	}{
		{KindNotebook, "dev-alice", nil, true},
		{KindNotebook, "prod-alice", nil, false},
		{KindEndpoint, "dev-alice", nil, false},
		{KindNotebook, "exp-42-gpu", nil, true},
		{KindNotebook, "exp-42-cpu", nil, false},
		{KindStudioApp, "jupyter-default", map[string]string{"team": "ml", "env": "dev"}, true},
		{KindStudioApp, "jupyter-default", map[string]string{"team": "ml"}, false},
		{KindStudioApp, "jupyter-default", map[string]string{"team": "web", "env": "dev"}, false},
		{KindStudioApp, "canvas-default", map[string]string{"team": "ml", "env": "dev"}, false},
	}
	for _, tt := range tests {
		if got := s.Matches(tt.kind, tt.name, tt.tags); got != tt.want {
			t.Errorf("Matches(%s, %s, %v) = %v, want %v", tt.kind, tt.name, tt.tags, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		first, last string
		window      time.Duration
		running     time.Duration
		known       bool
		transitions int
	}{
		{"seed, December", seedBody, "2026-12-01", "2026-12-31", 31 * 24 * time.Hour, 23 * 14 * time.Hour, true, 46},
		{
			// The window is a day shorter by an hour: 2026-03-29 has 23 hours in Berlin.
			"Berlin, the week of spring-forward", "    timezone: Europe/Berlin\n    start: cron(0 7 ? * MON-FRI *)\n    stop: cron(0 21 ? * MON-FRI *)\n",
			"2026-03-23", "2026-03-29", 7*24*time.Hour - time.Hour, 5 * 14 * time.Hour, true, 10,
		},
		{"stop-only", "    timezone: UTC\n    stop: cron(0 21 * * ? *)\n", "2026-12-01", "2026-12-01", 24 * time.Hour, 0, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := Summarize(one(t, tt.body), tt.first, tt.last)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Window != tt.window || sum.Running != tt.running || sum.RunningKnown != tt.known || len(sum.Transitions) != tt.transitions {
				t.Errorf("window %v running %v known %v transitions %d; want %v %v %v %d",
					sum.Window, sum.Running, sum.RunningKnown, len(sum.Transitions), tt.window, tt.running, tt.known, tt.transitions)
			}
			if tt.known && sum.Saved() != tt.window-tt.running {
				t.Errorf("Saved = %v", sum.Saved())
			}
		})
	}
	s := one(t, seedBody)
	for _, bad := range [][2]string{{"2026-12-31", "2026-12-01"}, {"2026-12", "2026-12-31"}, {"2026-12-01", "tomorrow"}} {
		if _, err := Summarize(s, bad[0], bad[1]); err == nil {
			t.Errorf("Summarize(%s, %s) = nil error", bad[0], bad[1])
		}
	}
}
