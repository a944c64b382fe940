package hubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/backend"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
	"github.com/sagesaver/sagesaver/internal/tick"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// hubAccount is the hub: the Organization's management account.
const hubAccount = "111111111111"

// members are the spokes, each with the SageSaver role and, in both
// regions, an endpoint idle for ten days.
var members = []string{"222222222222", "333333333333", "444444444444"}

var regions = []string{"eu-west-1", "us-east-1"}

func fleet() string {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-12-01T10:00:00Z\naccounts:\n")
	fmt.Fprintf(&b, "  - id: %q\n    accessKeys: [AKIAHUB]\n    regions:\n      us-east-1:\n        topics: [ops]\n", hubAccount)
	for _, m := range members {
		fmt.Fprintf(&b, "  - id: %q\n    roles: [SageSaver]\n    regions:\n", m)
		for _, r := range regions {
			fmt.Fprintf(&b, `      %s:
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
        metrics:
          - {metric: Invocations, endpoint: idle-ep, value: 3, from: 15d, to: 10d}
`, r)
		}
	}
	return b.String()
}

const runFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  organization: true
  regions: [us-east-1, eu-west-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: delete-idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: delete}]
mode: enforce
`

// hub is the hub function on the emulator: every invocation of
// "sagesaver" runs the real Lambda handler and tick in a fresh
// environment, as Lambda runs concurrent invocations.
type hub struct {
	env    *emulatortest.Env
	getenv func(string) string
	state  store.Location
	opts   backend.Options
	logs   *syncBuffer
	// dup delivers every worker event this many times at once (Lambda's
	// asynchronous invocations are at least once).
	dup int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHub(t testing.TB, scenario, runFile string) *hub {
	t.Helper()
	env := emulatortest.Start(t, scenario)
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	table := srv.NewTable(t)
	// The function reaches its table by URL, as on AWS: a loopback proxy
	// to dynalite's socket stands for the DynamoDB endpoint.
	target, _ := url.Parse(dynamotest.Endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = srv.HTTPClient().Transport
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)

	dir := t.TempDir()
	run := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(run, []byte(runFile), 0o600); err != nil {
		t.Fatal(err)
	}
	// The SDK's credential chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAHUB")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	stateURL := fmt.Sprintf("dynamodb://%s?region=us-east-1&endpoint=%s", table, ps.URL)
	vars := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":      "sagesaver",
		"AWS_REGION":                    "us-east-1",
		"LAMBDA_TASK_ROOT":              dir,
		"SAGESAVER_STATE":               stateURL,
		"SAGESAVER_ENDPOINT_URL":        env.URL,
		"SAGESAVER_SPOKE_ROLE":          "SageSaver",
		cli.EnvInProcessTargets:         "0",
		"SAGESAVER_CONFIG":              "",
		"XDG_CONFIG_HOME":               dir,
		"XDG_CACHE_HOME":                dir,
		"SAGESAVER_LOG_LEVEL":           "info",
		"SAGESAVER_REGION":              "",
		"SAGESAVER_OUTPUT":              "",
		"SAGESAVER_CLOUDWATCH_PROTOCOL": "",
	}
	loc, err := store.ParseLocation(stateURL)
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{env: env, state: loc, logs: &syncBuffer{}, dup: 1,
		getenv: func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
		opts: backend.Options{Clock: clock.NewManual(env.Emu.Now()), AWS: awsconfig.Options{Region: "us-east-1"}},
	}
	env.Emu.CreateFunction(hubAccount, "us-east-1", "sagesaver", h.invoke)
	return h
}

// invoke is one asynchronous delivery of the function (dup of them, at
// once, for a worker).
func (h *hub) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	n := 1
	if strings.Contains(string(payload), `"worker"`) {
		n = h.dup
	}
	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { outs[i], errs[i] = h.handler().Invoke(ctx, payload) })
	}
	wg.Wait()
	return outs[0], errs[0]
}

// handler is a fresh execution environment: the real handler and tick.
func (h *hub) handler() *lambdafn.Handler {
	clk := clock.NewManual(h.env.Emu.Now())
	tickFn := cli.LambdaTick(cli.LambdaEnv{Stderr: h.logs, Getenv: h.getenv, Clock: clk})
	return lambdafn.NewHandler(tickFn, lambdafn.NewLogger(h.logs, h.getenv), clk)
}

func (h *hub) open(t testing.TB) store.Store {
	t.Helper()
	st, err := backend.Open(context.Background(), h.state, h.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const schedulerEvent = `{"version":"0","id":"5f1a","detail-type":"Scheduled Event","source":"aws.scheduler","account":"111111111111","time":"2026-12-01T10:00:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:111111111111:schedule/default/sagesaver"],"detail":"{}"}`

// TestFanOut: a Scheduler event is the orchestrator: it claims 10:00,
// lists the Organization's accounts (ListAccounts) x two regions, and
// hands each of the 8 targets to an asynchronous invocation of the same
// function with the orchestrator's run and time; every worker assumes its
// spoke role and runs its target on the DynamoDB state. Each worker event
// is delivered twice at once, then every one of them again, and the
// Scheduler retries the event: each target still runs once in the tick
// (one result each, one inventory), and each idle endpoint is deleted
// once.
func TestFanOut(t *testing.T) {
	h := newHub(t, fleet(), runFile)
	h.dup = 2
	ctx := context.Background()
	// Virtual time passes, so that deleted endpoints finish deleting
	// (the executor waits for it).
	defer h.env.Tick(20*time.Millisecond, 30*time.Second)()
	out, err := h.handler().Invoke(ctx, []byte(schedulerEvent))
	if err != nil {
		t.Fatalf("orchestrator: %v\n%s", err, h.logs)
	}
	h.env.Emu.WaitFunctions()

	var res struct {
		Kind    string
		Outcome struct {
			RunID   int64 `json:"run_id"`
			Tick    time.Time
			Targets []struct{ Account, Region, Status string }
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Kind != "scheduled" || res.Outcome.RunID == 0 || !res.Outcome.Tick.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) || len(res.Outcome.Targets) != 0 {
		t.Fatalf("orchestrator answered %s", out)
	}
	run := res.Outcome.RunID

	var workers []emulator.Invocation
	for _, inv := range h.env.Emu.Invocations() {
		if inv.Type != "Event" || inv.Caller != "arn:aws:iam::111111111111:user/sagesaver" {
			t.Errorf("invocation %+v: want Event, by the hub", inv)
		}
		if len(inv.Payload) > 256 {
			t.Errorf("worker payload of %d bytes: %s", len(inv.Payload), inv.Payload)
		}
		workers = append(workers, inv)
	}
	if len(workers) != 8 {
		t.Fatalf("%d workers invoked, want 4 accounts x 2 regions:\n%s", len(workers), h.logs)
	}
	seen := map[string]bool{}
	for _, w := range workers {
		ev, err := lambdafn.Decode(w.Payload, time.Now())
		if err != nil || ev.Kind != lambdafn.Worker || ev.Run != run || !ev.Tick.Equal(res.Outcome.Tick) {
			t.Errorf("worker payload %s: %+v %v", w.Payload, ev, err)
		}
		seen[ev.Account+"/"+ev.Region] = true
	}
	if len(seen) != 8 {
		t.Errorf("targets handed out: %v", seen)
	}

	// Every worker event delivered once more, after the others finished.
	for _, w := range workers {
		if _, err := h.handler().Invoke(ctx, w.Payload); err != nil {
			t.Errorf("duplicate worker %s: %v", w.Payload, err)
		}
	}
	// Scheduler's retry of the same scheduled time.
	out, err = h.handler().Invoke(ctx, []byte(strings.Replace(schedulerEvent, `"id":"5f1a"`, `"id":"5f1b"`, 1)))
	if err != nil || !strings.Contains(string(out), `"claimed_by":`+fmt.Sprint(run)) {
		t.Errorf("Scheduler's retry: %s %v, want the tick claimed by run %d", out, err, run)
	}
	h.env.Emu.WaitFunctions()
	if n := len(h.env.Emu.Invocations()); n != 8 {
		t.Errorf("%d invocations after the retry, want still 8", n)
	}

	st := h.open(t)
	results, err := st.TargetResults(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 8 {
		t.Fatalf("%d target results under run %d, want 8: %+v\n%s", len(results), run, results, h.logs)
	}
	for _, r := range results {
		wantDeleted := 1
		if r.Account == hubAccount {
			wantDeleted = 0
		}
		if r.Status != store.TargetOK || r.Counts["actions"] != wantDeleted || r.Counts["resources"] != wantDeleted {
			t.Errorf("%s/%s: %+v", r.Account, r.Region, r)
		}
	}
	c := h.env.Emu.Counters()
	if n := c.Calls["sagemaker:DeleteEndpoint"]; n != 6 {
		t.Errorf("DeleteEndpoint called %d times, want once per member account and region (6)", n)
	}
	if n := c.Calls["organizations:ListAccounts"]; n != 2 {
		t.Errorf("ListAccounts called %d times, want once per orchestrator invocation (2)", n)
	}
	if n := c.Calls["sagemaker:ListNotebookInstances"]; n != 8 {
		t.Errorf("ListNotebookInstances called %d times, want one inventory per target (8): %v", n, c.Calls)
	}
	if c.Calls["sts:AssumeRole"] < 6 {
		t.Errorf("AssumeRole called %d times, want at least one per member target", c.Calls["sts:AssumeRole"])
	}
	// Least privilege: every call the orchestrator and workers made is
	// declared, and its actions are in the act (spoke) or hub policy.
	act, _ := awsapi.FlavourNamed("act")
	hubF, _ := awsapi.FlavourNamed("hub")
	allowed := append(act.Actions(), hubF.Actions()...)
	for k := range c.Calls {
		svc, name, _ := strings.Cut(k, ":")
		o, ok := awsapi.Declared(svc, name)
		if !ok {
			t.Errorf("the fan-out called %s, which awsapi.Operations does not declare", k)
			continue
		}
		for _, a := range o.Actions {
			if !slices.Contains(allowed, a) {
				t.Errorf("the fan-out called %s: its action %s is in neither the act nor the hub policy", k, a)
			}
		}
	}
	if c.Calls["lambda:Invoke"] != 8 {
		t.Errorf("lambda:Invoke called %d times, want 8", c.Calls["lambda:Invoke"])
	}
	acts, err := st.Actions(ctx, store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	deletes := map[string]int{}
	for _, a := range acts {
		if a.Verb == "delete" && !a.DryRun {
			deletes[a.Resource]++
		}
	}
	if len(deletes) != 6 {
		t.Errorf("deleted %v, want 6 endpoints", deletes)
	}
	for r, n := range deletes {
		if n != 1 {
			t.Errorf("%s deleted %d times", r, n)
		}
	}
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ticks, workerRuns int
	for _, r := range runs {
		switch r.Command {
		case tick.Command:
			ticks++
		case tick.WorkerCommand:
			workerRuns++
			if !r.Tick.Equal(res.Outcome.Tick) {
				t.Errorf("worker run %d at %v, want the orchestrator's time", r.ID, r.Tick)
			}
		}
	}
	if ticks != 2 || workerRuns != 8*3 {
		t.Errorf("%d tick runs (want 2: the tick and the retry) and %d worker runs (want 24: 8 targets x 3 deliveries)", ticks, workerRuns)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "already done in this tick") {
		t.Errorf("no duplicate ended as already done:\n%s", logs)
	}
}
