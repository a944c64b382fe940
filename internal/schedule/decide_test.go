package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/clock"
)

func TestDecide(t *testing.T) {
	seed := one(t, seedBody)
	enforced := one(t, seedBody+"    enforced: true\n")
	holiday := one(t, seedBody+"    holidays: [2026-12-25]\n")
	startOnly := one(t, "    timezone: UTC\n    start: cron(0 7 1 1 ? 2030)\n")

	// December 2026: Tuesday the 1st.
	tue07, tue21 := "2026-12-01T07:00:00Z", "2026-12-01T21:00:00Z"
	wed07 := "2026-12-02T07:00:00Z"
	mem := func(applied State, forAt, at string) *Memory {
		return &Memory{Applied: applied, For: mustTime(t, forAt), At: mustTime(t, at)}
	}
	running := Observed{State: StateRunning, Status: "InService"}
	stopped := Observed{State: StateStopped, Status: "Stopped"}
	snoozed := func(v string) Observed {
		return Observed{State: StateRunning, Tags: map[string]string{"sagesaver:snooze-until": v}}
	}

	tests := []struct {
		name       string
		s          *Schedule
		obs        Observed
		mem        *Memory
		now        string
		action     Action
		reason     string // a substring the reason must contain
		wantMem    *Memory
		memKeptNil bool
	}{
		{
			name: "first run during office hours starts", s: seed, obs: stopped, mem: nil, now: "2026-12-01T07:02:00Z",
			action: ActionStart, reason: "running since Tue 2026-12-01 07:00 UTC",
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:02:00Z"),
		},
		{
			name: "first run, already in the desired state: nothing, but remembered", s: seed, obs: running, mem: nil, now: "2026-12-01T07:02:00Z",
			action: ActionNone, reason: "already running",
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:02:00Z"),
		},
		{
			name: "missed run is caught up", s: seed, obs: running,
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T23:40:00Z",
			action: ActionStop, reason: "(catching up the stop at Tue 2026-12-01 21:00 UTC)",
			wantMem: mem(StateStopped, tue21, "2026-12-01T23:40:00Z"),
		},
		{
			name: "missed a whole day: acts on the latest transition only", s: seed, obs: running,
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-02T08:00:00Z",
			action: ActionNone, reason: "already running",
			wantMem: mem(StateRunning, wed07, "2026-12-02T08:00:00Z"),
		},
		{
			name: "manual start during off-hours is left alone", s: seed, obs: running,
			mem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"), now: "2026-12-01T23:00:00Z",
			action: ActionNone, reason: "running by hand after the scheduler's stop at Tue 2026-12-01 21:01 UTC: left alone until the next start at Wed 2026-12-02 07:00 UTC",
			wantMem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"),
		},
		{
			name: "manual stop during office hours is left alone", s: seed, obs: stopped,
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T12:00:00Z",
			action: ActionNone, reason: "stopped by hand",
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"),
		},
		{
			name: "enforced stops a manual start on the next run", s: enforced, obs: running,
			mem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"), now: "2026-12-01T23:00:00Z",
			action: ActionStop, reason: "enforced: stopped since Tue 2026-12-01 21:00 UTC",
			wantMem: mem(StateStopped, tue21, "2026-12-01T23:00:00Z"),
		},
		{
			name: "snooze holds a resource up past the stop", s: seed, obs: snoozed("2026-12-01T23:30Z"),
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T21:01:00Z",
			action: ActionNone, reason: "snoozed until Tue 2026-12-01 23:30 UTC by tag sagesaver:snooze-until",
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"),
		},
		{
			name: "snooze holds even when enforced", s: enforced, obs: snoozed("2026-12-01T23:30:00+00:00"),
			mem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"), now: "2026-12-01T22:00:00Z",
			action: ActionNone, reason: "snoozed until",
			wantMem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"),
		},
		{
			name: "after the snooze the missed stop happens", s: seed, obs: snoozed("2026-12-01T23:30Z"),
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T23:31:00Z",
			action: ActionStop, reason: "stopped since",
			wantMem: mem(StateStopped, tue21, "2026-12-01T23:31:00Z"),
		},
		{
			name: "a snooze set after the stop stops the resource when it ends", s: seed, obs: snoozed("2026-12-01T23:00Z"),
			mem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"), now: "2026-12-01T23:05:00Z",
			action: ActionStop, reason: "(snooze ended)",
			wantMem: mem(StateStopped, tue21, "2026-12-01T23:05:00Z"),
		},
		{
			name: "an old snooze does not undo a later manual start", s: seed, obs: snoozed("2026-11-20T23:00Z"),
			mem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"), now: "2026-12-01T23:05:00Z",
			action: ActionNone, reason: "running by hand",
			wantMem: mem(StateStopped, tue21, "2026-12-01T21:01:00Z"),
		},
		{
			name: "a snooze tag that is not a time fails closed", s: seed, obs: snoozed("tonight"),
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T21:01:00Z",
			action: ActionNone, reason: `tag sagesaver:snooze-until="tonight" is not a time`,
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"),
		},
		{
			name: "holiday: no start", s: holiday, obs: stopped,
			mem: mem(StateStopped, "2026-12-24T21:00:00Z", "2026-12-24T21:01:00Z"), now: "2026-12-25T07:05:00Z",
			action: ActionNone, reason: "2026-12-25 is a holiday: no starts",
			wantMem: mem(StateStopped, "2026-12-24T21:00:00Z", "2026-12-24T21:01:00Z"),
		},
		{
			name: "after the holiday: start", s: holiday, obs: stopped,
			mem: mem(StateStopped, "2026-12-25T21:00:00Z", "2026-12-25T21:01:00Z"), now: "2026-12-28T07:05:00Z",
			action:  ActionStart,
			wantMem: mem(StateRunning, "2026-12-28T07:00:00Z", "2026-12-28T07:05:00Z"),
		},
		{
			name: "a changing resource is decided on the next run", s: seed, obs: Observed{State: StateUnknown, Status: "Pending"},
			mem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"), now: "2026-12-01T21:01:00Z",
			action: ActionNone, reason: "resource is Pending: deciding on the next run",
			wantMem: mem(StateRunning, tue07, "2026-12-01T07:01:00Z"),
		},
		{
			name: "no transition yet: nothing", s: startOnly, obs: stopped, mem: nil, now: "2026-12-01T21:01:00Z",
			action: ActionNone, reason: "no transition yet", memKeptNil: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.s, tt.obs, tt.mem, mustTime(t, tt.now))
			if d.Action != tt.action {
				t.Errorf("action = %s, want %s (reason: %s)", d.Action, tt.action, d.Reason)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reason)
			}
			if tt.memKeptNil {
				if d.Memory != nil {
					t.Errorf("memory = %+v, want nil", d.Memory)
				}
				return
			}
			if diff := cmp.Diff(tt.wantMem, d.Memory); diff != "" {
				t.Errorf("memory (-want +got):\n%s", diff)
			}
		})
	}
}

// notebook is the test's stand-in for a resource: it applies the actions
// Decide returns and can be started or stopped "by hand".
type notebook struct {
	state State
	tags  map[string]string
	mem   *Memory
	log   []string
}

// run is one scheduler run at now.
func (n *notebook) run(s *Schedule, now time.Time) {
	d := Decide(s, Observed{State: n.state, Tags: n.tags}, n.mem, now)
	switch d.Action {
	case ActionStart:
		n.state = StateRunning
	case ActionStop:
		n.state = StateStopped
	}
	if d.Action != ActionNone {
		n.log = append(n.log, now.In(s.Location).Format("Mon 15:04")+" "+string(d.Action))
	}
	n.mem = d.Memory
}

// TestSimulatedWeek runs the seed schedule every 5 minutes over a week on a
// manual clock, with a missed run, a manual start in the evening and a
// snooze, and checks exactly when the scheduler acts.
func TestSimulatedWeek(t *testing.T) {
	s := one(t, seedBody)
	start := mustTime(t, "2026-12-06T12:00:00Z") // Sunday noon
	clk := clock.NewManual(start)
	nb := &notebook{state: StateRunning} // left running over the weekend

	tuesdayOutage := func(now time.Time) bool { // the scheduler is down 20:00-23:00
		return now.After(mustTime(t, "2026-12-08T20:00:00Z")) && now.Before(mustTime(t, "2026-12-08T23:00:00Z"))
	}
	for now := clk.Now(); now.Before(start.Add(7 * 24 * time.Hour)); now = clk.Advance(5 * time.Minute) {
		switch {
		case now.Equal(mustTime(t, "2026-12-09T22:00:00Z")): // Wednesday night: the owner starts it by hand
			nb.state = StateRunning
		case now.Equal(mustTime(t, "2026-12-10T20:00:00Z")): // Thursday: the owner snoozes until 23:00
			nb.tags = map[string]string{DefaultSnoozeTag: "2026-12-10T23:00Z"}
		}
		if tuesdayOutage(now) {
			continue
		}
		nb.run(s, now)
	}
	want := []string{
		"Sun 12:00 stop",  // first run: the last transition was Friday's stop
		"Mon 07:00 start", //
		"Mon 21:00 stop",
		"Tue 07:00 start",
		"Tue 23:00 stop", // the missed 21:00 stop, caught up
		"Wed 07:00 start",
		"Wed 21:00 stop", // the 22:00 manual start is left alone...
		// ...and Thursday's 07:00 start finds it running already.
		"Thu 23:00 stop", // snoozed past 21:00 until 23:00
		"Fri 07:00 start",
		"Fri 21:00 stop",
	}
	if diff := cmp.Diff(want, nb.log); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestParseSnooze(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2026-12-01T18:00Z", "2026-12-01T18:00:00Z"},
		{"2026-12-01T18:00:00Z", "2026-12-01T18:00:00Z"},
		{" 2026-12-01T19:00+01:00 ", "2026-12-01T18:00:00Z"},
		{"2026-12-01T18:00:00.5Z", "2026-12-01T18:00:00Z"},
		{"2026-12-01", "error"},
		{"2026-12-01T18:00", "error"}, // no zone: ambiguous
		{"tomorrow", "error"},
	}
	for _, tt := range tests {
		got := "error"
		if v, err := ParseSnooze(tt.in); err == nil {
			got = v.UTC().Truncate(time.Second).Format(time.RFC3339)
		}
		if got != tt.want {
			t.Errorf("ParseSnooze(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
