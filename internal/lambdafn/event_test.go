package lambdafn

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var received = time.Date(2026, 12, 3, 10, 7, 31, 500_000_000, time.UTC)

func TestDecode(t *testing.T) {
	tick := time.Date(2026, 12, 3, 10, 5, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, payload string
		want          Event
	}{
		{"scheduler default payload, detail a string", `{"version":"0","id":"5f1a","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-12-03T10:05:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:123456789012:schedule/default/s"],"detail":"{}"}`,
			Event{Kind: Scheduled, Tick: tick, Schedule: "arn:aws:scheduler:us-east-1:123456789012:schedule/default/s"}},
		{"scheduler, a member AWS added later", `{"detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-12-03T10:05:00Z","detail":"{}","new-member":1}`,
			Event{Kind: Scheduled, Tick: tick}},
		{"eventbridge rule", `{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-12-03T10:05:00Z","detail":{}}`,
			Event{Kind: Scheduled, Tick: tick}},
		{"schedule input, attempt a string", `{"sagesaver":"scheduled","scheduledTime":"2026-12-03T10:05:00Z","attempt":"3","schedule":"arn:s"}`,
			Event{Kind: Scheduled, Tick: tick, Attempt: 3, Schedule: "arn:s"}},
		{"schedule input, attempt a number, offset time", `{"sagesaver":"scheduled","scheduledTime":"2026-12-03T11:05:00+01:00","attempt":1}`,
			Event{Kind: Scheduled, Tick: tick, Attempt: 1}},
		{"worker", `{"sagesaver":"worker","account":"111122223333","region":"eu-west-1","tick":"2026-12-03T10:05:00.900Z","run":42}`,
			Event{Kind: Worker, Tick: tick, Account: "111122223333", Region: "eu-west-1", Run: 42}},
		{"manual, empty", ``, Event{Kind: Manual, Tick: received.Truncate(time.Second)}},
		{"manual, {}", ` {} `, Event{Kind: Manual, Tick: received.Truncate(time.Second)}},
		{"manual, null", `null`, Event{Kind: Manual, Tick: received.Truncate(time.Second)}},
		{"manual with tick", `{"sagesaver":"manual","tick":"2026-12-03T10:05:00Z"}`, Event{Kind: Manual, Tick: tick}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.payload), received)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tt := range []struct{ name, payload, want string }{
		{"not json", `tick`, "not a JSON object"},
		{"array", `[1]`, "not a JSON object"},
		{"anything else", `{"hello":"world"}`, `no "sagesaver" or "detail-type"`},
		{"unknown kind", `{"sagesaver":"nuke"}`, `unknown kind "nuke"`},
		{"kind not a string", `{"sagesaver":1}`, "want a string"},
		{"scheduler detail an object", `{"detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-12-03T10:05:00Z","detail":{}}`, `want the string "{}"`},
		{"scheduler without time", `{"detail-type":"Scheduled Event","source":"aws.scheduler","detail":"{}"}`, "time: missing"},
		{"not a schedule", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","time":"2026-12-03T10:05:00Z","detail":{}}`, "not a schedule"},
		{"input bad time", `{"sagesaver":"scheduled","scheduledTime":"yesterday"}`, "not an RFC 3339 time"},
		{"input attempt zero", `{"sagesaver":"scheduled","scheduledTime":"2026-12-03T10:05:00Z","attempt":"0"}`, "not an attempt number"},
		{"input unsubstituted attempt", `{"sagesaver":"scheduled","scheduledTime":"2026-12-03T10:05:00Z","attempt":"<aws.scheduler.attempt-number>"}`, "not an attempt number"},
		{"worker unknown member", `{"sagesaver":"worker","account":"111122223333","region":"eu-west-1","tick":"2026-12-03T10:05:00Z","run":1,"dryRun":false}`, `unknown field "dryRun"`},
		{"worker without run", `{"sagesaver":"worker","account":"111122223333","region":"eu-west-1","tick":"2026-12-03T10:05:00Z"}`, "orchestrator's run id"},
		{"worker bad account", `{"sagesaver":"worker","account":"1111","region":"eu-west-1","tick":"2026-12-03T10:05:00Z"}`, "12-digit"},
		{"worker bad region", `{"sagesaver":"worker","account":"111122223333","region":"EU-WEST-1","tick":"2026-12-03T10:05:00Z"}`, "did you mean eu-west-1"},
		{"worker no tick", `{"sagesaver":"worker","account":"111122223333","region":"eu-west-1"}`, "tick: missing"},
		{"trailing data", `{"sagesaver":"manual"} {}`, "not a JSON object"},
		{"too big", `{"sagesaver":"manual","x":"` + strings.Repeat("a", MaxPayload) + `"}`, "more than any sagesaver event"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.payload), received)
			if err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want a refusal with %q", err, tt.want)
			}
		})
	}
}

// FuzzDecode: whatever the payload, Decode either refuses it or returns
// a well-formed event; it never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `{"sagesaver":"manual"}`,
		`{"version":"0","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-12-03T10:05:00Z","resources":["arn"],"detail":"{}"}`,
		`{"sagesaver":"scheduled","scheduledTime":"2026-12-03T10:05:00Z","attempt":"2"}`,
		`{"sagesaver":"worker","account":"111122223333","region":"eu-west-1","tick":"2026-12-03T10:05:00Z","run":7}`,
		`{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-12-03T10:05:00Z","detail":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := Decode(payload, received)
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("error %v is not a refusal", err)
			}
			if ev != (Event{}) {
				t.Fatalf("refused but returned %+v", ev)
			}
			return
		}
		if ev.Tick.IsZero() || ev.Tick.Location() != time.UTC || ev.Tick.Nanosecond() != 0 {
			t.Fatalf("tick %v: want UTC, to the second", ev.Tick)
		}
		switch ev.Kind {
		case Scheduled, Manual:
			if ev.Account != "" || ev.Region != "" {
				t.Fatalf("%s event with a target: %+v", ev.Kind, ev)
			}
		case Worker:
			if !accountID.MatchString(ev.Account) || ev.Region == "" {
				t.Fatalf("worker without a valid target: %+v", ev)
			}
		default:
			t.Fatalf("kind %q", ev.Kind)
		}
	})
}
