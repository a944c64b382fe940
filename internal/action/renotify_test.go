package action_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/policy"
)

const notifyOncePolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: tell-idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    renotifyAfter: 6h
    actions:
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
`

// notifyStep is the plan's notify step for idle-ep.
func notifyStep(t *testing.T, rep *action.Report) policy.Step {
	t.Helper()
	for _, f := range rep.Plan.Findings {
		if f.Name != "idle-ep" {
			continue
		}
		for _, s := range f.Steps {
			if s.Action.Type == policy.Notify {
				return s
			}
		}
	}
	t.Fatalf("no notify step for idle-ep in the plan: %+v", rep.Plan.Findings)
	return policy.Step{}
}

// A notify rule tells about an idle endpoint once per idle streak: the
// next hourly pass queues no notice, action or digest (the plan shows it
// "already notified"), and once renotifyAfter has passed it tells again.
func TestNotifyOncePerStreak(t *testing.T) {
	r := newRig(t, 0)
	if d := cmp.Diff([]string{"notify idle-ep ok"}, outcomes(r.run(notifyOncePolicy, false), "idle-ep")); d != "" {
		t.Fatalf("first pass (-want +got):\n%s", d)
	}
	if n := len(r.env.Emu.Published()); n != 1 {
		t.Fatalf("first pass published %d digests, want 1", n)
	}

	r.env.Emu.Advance(time.Hour)
	plan := r.run(notifyOncePolicy, true)
	if got := outcomes(plan, "idle-ep"); len(got) != 0 {
		t.Errorf("plan an hour later: %v, want nothing to do", got)
	}
	if s := notifyStep(t, plan); s.Status != policy.Skip || !strings.HasPrefix(s.Reason, policy.ReasonNotified+" at ") {
		t.Errorf("plan an hour later: notify step %s %q, want skipped as already notified", s.Status, s.Reason)
	}
	rep := r.run(notifyOncePolicy, false)
	if got := outcomes(rep, "idle-ep"); len(got) != 0 {
		t.Errorf("apply an hour later: %v, want no second notice", got)
	}
	if n := len(r.env.Emu.Published()); n != 1 {
		t.Errorf("after the second pass %d digests published, want still 1", n)
	}
	if unsent, err := r.st.UnsentNotices(t.Context()); err != nil || len(unsent) != 0 {
		t.Errorf("unsent notices %d (%v), want none queued", len(unsent), err)
	}

	r.env.Emu.Advance(6 * time.Hour)
	if d := cmp.Diff([]string{"notify idle-ep dry-run"}, outcomes(r.run(notifyOncePolicy, true), "idle-ep")); d != "" {
		t.Errorf("plan after renotifyAfter (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"notify idle-ep ok"}, outcomes(r.run(notifyOncePolicy, false), "idle-ep")); d != "" {
		t.Errorf("apply after renotifyAfter (-want +got):\n%s", d)
	}
	if n := len(r.env.Emu.Published()); n != 2 {
		t.Errorf("after renotifyAfter %d digests published, want 2", n)
	}
	r.env.Emu.Advance(time.Hour)
	if got := outcomes(r.run(notifyOncePolicy, false), "idle-ep"); len(got) != 0 {
		t.Errorf("an hour after the second notice: %v, want nothing", got)
	}
}
