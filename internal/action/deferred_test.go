package action_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/store"
)

// TestDeferredDigest: with WithDeferredDigest, Run acts and queues its
// notices without sending them (its notify steps recorded ok); Deliver
// sends them in one digest, once.
func TestDeferredDigest(t *testing.T) {
	r := newRig(t, 0)
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ex := r.executor(action.WithDeferredDigest())
	stop := r.tick()
	rep, err := ex.Run(ctx, "apply", p, r.scan(), false)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Notified || rep.NotifyErr != nil || len(r.env.Emu.Published()) != 0 {
		t.Fatalf("Run sent a digest: notified %v, %v, %d published", rep.Notified, rep.NotifyErr, len(r.env.Emu.Published()))
	}
	unsent, err := r.st.UnsentNotices(ctx)
	if err != nil || len(unsent) == 0 {
		t.Fatalf("nothing queued: %d (%v)", len(unsent), err)
	}
	acts, _ := r.st.Actions(ctx, store.ActionFilter{})
	notifies := 0
	for _, a := range acts {
		if a.Verb == "notify" && a.RunID == rep.RunID {
			notifies++
			if a.Result != store.ResultOK {
				t.Errorf("notify step %s: %s", a.Resource, a.Result)
			}
		}
	}
	if notifies == 0 {
		t.Error("the notify steps are not in the audit log")
	}

	run, err := r.st.StartRun(ctx, store.RunInfo{Command: "run", OSUser: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := ex.Deliver(ctx, run)
	if err != nil || !sent {
		t.Fatalf("Deliver: sent %v, %v", sent, err)
	}
	pub := r.env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "idle-ep") {
		t.Fatalf("digests: %+v", pub)
	}
	if sent, err := ex.Deliver(ctx, run); sent || err != nil || len(r.env.Emu.Published()) != 1 {
		t.Errorf("second Deliver: sent %v, %v, %d digests; want nothing more", sent, err, len(r.env.Emu.Published()))
	}
	if unsent, _ := r.st.UnsentNotices(ctx); len(unsent) != 0 {
		t.Errorf("unsent after Deliver: %d", len(unsent))
	}
}
