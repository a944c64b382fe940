package action_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
)

// childEnv names the environment of the apply that
// TestKilledBeforePublishIsRetried runs in a process of its own (this test
// binary, running TestApplyChild) and kills.
const childEnv = "SAGESAVER_TEST_APPLY_CHILD"

// TestApplyChild is the child process of TestKilledBeforePublishIsRetried:
// an apply --yes against the parent's emulator and state file, whose
// webhook never answers (the parent kills it while it waits). Run by
// itself (without the environment), it does nothing.
func TestApplyChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	parts := strings.Split(spec, "|") // emulator URL | state | policy | now
	now, err := time.Parse(time.RFC3339Nano, parts[3])
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clk := clock.NewManual(now)
	st, err := store.Open(ctx, parts[1], store.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	c := awsapi.NewClients(emulatortest.Config(t, parts[0], "AKIDEMULATOR"), "us-east-1", false)
	p, err := policy.Read(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	res := (&inventory.Scanner{Collectors: inventory.DefaultCollectors()}).Scan(ctx, []inventory.Target{{Account: acct, Region: "us-east-1",
		API: inventory.API{SageMaker: c.SageMaker, Tagging: c.Tagging}}}, &inventory.Env{Now: now})
	reg := &action.Region{Account: acct, Region: "us-east-1", SageMaker: c.SageMaker, Scaling: c.ApplicationAutoScaling, Metrics: metrics.New(c.CloudWatch)}
	ex := action.New([]*action.Region{reg}, st, pricing.Embedded(), action.WithClock(clk),
		action.WithWaits(action.Waits{NotebookStopped: time.Minute, EndpointDeleted: time.Minute, EndpointInService: time.Minute,
			MinDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond}),
		action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewWebhook(a.Webhook, nil), nil }))
	_, _ = ex.Run(ctx, "apply", p, res.Resources, false)
}

// TestKilledBeforePublishIsRetried: an apply killed with SIGKILL after it
// acted and before its webhook accepted the digest leaves its notices in
// the outbox; the next apply delivers them.
func TestKilledBeforePublishIsRetried(t *testing.T) {
	r := newRig(t, 0)
	posts := make(chan string, 4)
	var accept atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		posts <- string(body)
		if !accept.Load() {
			<-req.Context().Done() // the child dies waiting
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	pol := strings.ReplaceAll(deletePolicy, "sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle", "webhook: "+hook.URL)
	dir := t.TempDir()
	polPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(polPath, []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(dir, "child.db")
	child := exec.Command(os.Args[0], "-test.run=^TestApplyChild$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{r.env.URL, statePath, polPath, r.env.Emu.Now().Format(time.RFC3339Nano)}, "|"))
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	stop := r.tick()
	if err := child.Start(); err != nil {
		stop()
		t.Fatal(err)
	}
	first := <-posts // the child acted and is publishing
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	stop()
	if !strings.Contains(first, "idle-ep") {
		t.Fatalf("the child's digest lacks idle-ep:\n%s", first)
	}

	// The next apply, on the same state file, with a webhook that answers.
	accept.Store(true)
	st, err := store.Open(context.Background(), statePath, store.WithClock(r.env.Emu.Clock()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := policy.Decode("policy.yaml", []byte(pol))
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	ex := r.executor(action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewWebhook(a.Webhook, nil), nil }))
	stop = r.tick()
	rep, err := ex.Run(context.Background(), "apply", p, r.scan(), false)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if rep.NotifyErr != nil {
		t.Fatalf("second apply: %v", rep.NotifyErr)
	}
	var got string
	select {
	case got = <-posts:
	default:
		t.Fatal("the second apply posted nothing: the killed run's notices were lost")
	}
	for _, s := range []string{"idle-ep", "dev-bob", "undelivered notice of run"} {
		if !strings.Contains(got, s) {
			t.Errorf("retried digest lacks %q:\n%s", s, got)
		}
	}
	if unsent, _ := st.UnsentNotices(context.Background()); len(unsent) != 0 {
		t.Errorf("unsent after the second apply: %d", len(unsent))
	}
}

// TestWebhookErrorKeepsNotices: a webhook answering 500 leaves the run's
// notices undelivered (the run says so); the next run, when the webhook
// answers, delivers them.
func TestWebhookErrorKeepsNotices(t *testing.T) {
	r := newRig(t, 0)
	var ok atomic.Bool
	posts := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !ok.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		posts <- string(body)
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	pol := strings.ReplaceAll(deletePolicy, "sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle", "webhook: "+hook.URL)
	p, err := policy.Decode("policy.yaml", []byte(pol))
	if err != nil {
		t.Fatal(err)
	}
	run := func() *action.Report {
		t.Helper()
		ex := r.executor(action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewWebhook(a.Webhook, nil), nil }))
		stop := r.tick()
		defer stop()
		rep, err := ex.Run(context.Background(), "apply", p, r.scan(), false)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := run(); rep.NotifyErr == nil || rep.Notified {
		t.Fatalf("webhook 500: notify error %v, notified %v; want the failure", rep.NotifyErr, rep.Notified)
	}
	if unsent, _ := r.st.UnsentNotices(context.Background()); len(unsent) != 2 {
		t.Fatalf("unsent notices %d, want 2", len(unsent))
	}
	ok.Store(true)
	if rep := run(); rep.NotifyErr != nil || !rep.Notified {
		t.Fatalf("second run: %v", rep.NotifyErr)
	}
	got := <-posts
	for _, s := range []string{"idle-ep", "dev-bob", "undelivered notice of run"} {
		if !strings.Contains(got, s) {
			t.Errorf("retried digest lacks %q:\n%s", s, got)
		}
	}
}
