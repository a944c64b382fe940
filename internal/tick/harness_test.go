package tick_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// The fleet: three accounts (the first is the caller's, the others are
// entered through sts:AssumeRole) in two regions, each region with an
// endpoint idle for ten days, a busy one and a stopped dev- notebook.
var (
	accounts = []string{"111111111111", "222222222222", "333333333333"}
	regions  = []string{"eu-west-1", "us-east-1"}
)

const (
	roleName = "SageSaver"
	topicARN = "arn:aws:sns:us-east-1:111111111111:sagesaver-notices"
	// dayStart is a Tuesday: the schedule below fires every day anyway.
	dayStart = "2026-12-01T00:00:00Z"
)

// fleetScenario is the emulator scenario of the fleet; denied lists
// "account/region" targets where every call is refused (an SCP deny).
func fleetScenario(denied ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: %s\naccounts:\n", dayStart)
	for i, acct := range accounts {
		fmt.Fprintf(&b, "  - id: %q\n", acct)
		if i == 0 {
			b.WriteString("    accessKeys: [AKIAMGMT]\n")
		}
		fmt.Fprintf(&b, "    roles: [%s]\n", roleName)
		var deny []string
		for _, d := range denied {
			if a, r, _ := strings.Cut(d, "/"); a == acct {
				deny = append(deny, r)
			}
		}
		if len(deny) > 0 {
			fmt.Fprintf(&b, "    deniedRegions: [%s]\n", strings.Join(deny, ", "))
		}
		b.WriteString("    regions:\n")
		for _, r := range regions {
			fmt.Fprintf(&b, "      %s:\n", r)
			if i == 0 && r == "us-east-1" {
				b.WriteString("        topics: [sagesaver-notices]\n")
			}
			b.WriteString(`        notebooks:
          - {name: dev-nb, instanceType: ml.t3.medium, status: Stopped, age: 10d, lastModified: 1d}
        endpoints:
          - name: idle-ep
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 30d
            lastModified: 30d
          - name: busy-ep
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 30d
            lastModified: 30d
        metrics:
          - {metric: Invocations, endpoint: idle-ep, value: 3, from: 15d, to: 10d}
          - {metric: Invocations, endpoint: busy-ep, value: 40}
`)
		}
	}
	return b.String()
}

// runFile is the run configuration of the tests: idle endpoints deleted
// (with a notice), dev- notebooks up from 07:00 to 19:00 UTC, digests
// hourly to one SNS topic.
const runFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  accounts:
    - {id: "111111111111"}
    - {id: "222222222222"}
    - {id: "333333333333"}
  roleName: SageSaver
  regions: [us-east-1, eu-west-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: delete-idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions:
            - type: delete
            - type: notify
              sns: ` + topicARN + `
schedules:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: ScheduleSet
      schedules:
        - name: dev-office-hours
          timezone: UTC
          start: cron(0 7 * * ? *)
          stop: cron(0 19 * * ? *)
          targets: [{kind: notebook, namePrefix: dev-}]
mode: enforce
cadence: {inventory: 1h, evidence: 1h, advice: 24h, digest: 1h}
notify:
  snsTopicArn: ` + topicARN + `
`

// backend is a kind of state a test ticks against: newState makes an
// empty one and returns its dsn (openDSN), which every host, and a child
// process, opens a handle of its own on, as processes on different
// machines would.
type backend struct {
	name     string
	newState func(t *testing.T) string
	// leaseOnly: a run is dead only when its heartbeat is older than the
	// lease (a shared table cannot ask another host whether its process
	// lives; SQLite also looks for the process on its own host).
	leaseOnly bool
}

// backends are SQLite and the DynamoDB backend on its two test
// implementations (dynalite and DynamoDB Local, started on loopback by
// dynamotest; skipped where they are not installed, failed under CI).
var backends = []backend{
	{name: "sqlite", newState: func(t *testing.T) string { return "sqlite|" + filepath.Join(t.TempDir(), "state.db") }},
	dynamoBackend(dynamotest.Dynalite),
	dynamoBackend(dynamotest.DynamoDBLocal),
}

// dynamoBackend's state is a fresh table on server name.
func dynamoBackend(name string) backend {
	return backend{name: name, leaseOnly: true, newState: func(t *testing.T) string {
		srv := dynamotest.Get(t, name)
		return "dynamodb|" + srv.DSN(srv.NewTable(t))
	}}
}

// open makes a new state and returns a function that opens a new handle
// on it, closed when t ends.
func (b backend) open(t *testing.T, clk clock.Clock) func() store.Store {
	return openerOf(t, b.newState(t), clk)
}

func openerOf(t *testing.T, dsn string, clk clock.Clock) func() store.Store {
	return func() store.Store {
		st, err := openDSN(context.Background(), dsn, clk)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// openDSN opens a handle on the state a backend's dsn names:
// "sqlite|PATH" or "dynamodb|" and dynamotest's DSN.
func openDSN(ctx context.Context, dsn string, clk clock.Clock) (store.Store, error) {
	kind, rest, _ := strings.Cut(dsn, "|")
	if kind == "sqlite" {
		return store.Open(ctx, rest, store.WithClock(clk))
	}
	db, table, err := dynamotest.Connect(rest)
	if err != nil {
		return nil, err
	}
	return dynamo.Open(ctx, db, table, dynamo.WithClock(clk))
}

// fleet is a running emulator with the fleet loaded.
type fleet struct {
	t   *testing.T
	emu *emulator.Server
	url string
	run *runconfig.Run
	// deleting is set from a DeleteEndpoint until DescribeEndpoint says
	// the endpoint is gone: meanwhile each DescribeEndpoint (the waiter's
	// poll) moves the virtual clock on 30 s, so that the 2-minute delete
	// completes without a clock that runs on its own during the tick.
	deleting atomic.Int32
	// hang makes DescribeEndpoint, while deleting, never answer (a
	// process killed in the waiter).
	hang   atomic.Bool
	unhang chan struct{}
	// onDelete, when set, is called on each DeleteEndpoint before the
	// emulator answers it (a SIGTERM arriving mid-action).
	onDelete atomic.Pointer[func()]
	// clk is the clock of the hosts: the emulator's, or a child
	// process's own.
	clk clock.Clock
}

// newFleetAt is the fleet of the emulator at url, served by another
// process (a child process's view).
func newFleetAt(t *testing.T, url, runYAML string) *fleet {
	t.Helper()
	f := &fleet{t: t, url: url}
	path := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(path, []byte(runYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.run, err = runconfig.Read(path); err != nil {
		t.Fatal(err)
	}
	return f
}

func newFleet(t *testing.T, scenario, runYAML string) *fleet {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	sc, err := emulator.ParseScenario("fleet.yaml", []byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Load(sc); err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, emu: emu, clk: emu.Clock(), unhang: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { close(f.unhang); srv.Close() })
	f.url = srv.URL
	path := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(path, []byte(runYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if f.run, err = runconfig.Read(path); err != nil {
		t.Fatal(err)
	}
	return f
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (f *fleet) serve(w http.ResponseWriter, r *http.Request) {
	switch r.Header.Get("X-Amz-Target") {
	case "SageMaker.DeleteEndpoint":
		f.deleting.Add(1)
		if fn := f.onDelete.Load(); fn != nil {
			(*fn)()
		}
	case "SageMaker.DescribeEndpoint":
		if f.deleting.Load() > 0 {
			if f.hang.Load() {
				// Read the body so that the server notices the client
				// going away (a killed process) and ends the context.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-f.unhang:
				}
				return
			}
			f.emu.Advance(30 * time.Second)
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			f.emu.ServeHTTP(rec, r)
			if rec.status == http.StatusBadRequest {
				f.deleting.Add(-1)
			}
			return
		}
	}
	f.emu.ServeHTTP(w, r)
}

// host is one machine ticking: its own store handle and AWS clients.
type host struct {
	f       *fleet
	st      store.Store
	targets []tick.Target
	ex      *action.Executor
	base    aws.Config
}

// newHost resolves the fleet's targets as `sagesaver run` does: the
// caller's account directly, the others through AssumeRole.
func (f *fleet) newHost(st store.Store) *host {
	f.t.Helper()
	base := emulatortest.Config(f.t, f.url, "AKIAMGMT")
	h := &host{f: f, st: st, base: base}
	stsClient := sts.NewFromConfig(base)
	var regs []*action.Region
	for _, acct := range accounts {
		cfg := base.Copy()
		if acct != accounts[0] {
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, "arn:aws:iam::"+acct+":role/"+roleName))
		}
		for _, r := range regions {
			c := awsapi.NewClients(cfg, r, false)
			h.targets = append(h.targets, tick.Target{Account: acct, Region: r, Clients: c})
			regs = append(regs, &action.Region{Account: acct, Region: r, SageMaker: c.SageMaker, Scaling: c.ApplicationAutoScaling, Metrics: metrics.New(c.Metrics),
				Evidence: metrics.NewEvidence(metrics.New(c.Metrics), metrics.StoreMemory(st), metrics.EvidenceKey(acct, r), metrics.WithEvery(time.Hour-tick.DueSlack(time.Hour)))})
		}
	}
	sns := awsapi.NewClients(base, "us-east-1", false).SNS
	h.ex = action.New(regs, st, pricing.Embedded(), action.WithClock(f.clk), action.WithRunInfo(store.RunInfo{OSUser: "tick-test"}),
		action.WithWaits(action.Waits{NotebookStopped: time.Hour, EndpointDeleted: time.Hour, EndpointInService: time.Hour,
			MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
		action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewSNS(sns, a.SNS), nil }),
		action.WithDeferredDigest())
	return h
}

// tick runs one tick at at.
func (h *host) tick(at time.Time, dryRun bool) *tick.Result {
	h.f.t.Helper()
	return h.tickStop(at, dryRun, nil)
}

// tickStop runs one tick at at that stop stops.
func (h *host) tickStop(at time.Time, dryRun bool, stop <-chan struct{}) *tick.Result {
	h.f.t.Helper()
	res, err := tick.Run(context.Background(), tick.Options{Run: h.f.run, DryRun: dryRun, At: at, Targets: h.targets, Store: h.st, Stop: stop,
		Catalog: pricing.Embedded(), Executor: h.ex, Clock: h.f.clk, Info: store.RunInfo{OSUser: "tick-test"},
		ScheduleNotifier: notify.NewSNS(awsapi.NewClients(h.base, "us-east-1", false).SNS, topicARN),
		Count: func(ctx context.Context) (context.Context, func() (map[string]int, int)) {
			c := awsconfig.NewCounter()
			return awsconfig.WithCounter(ctx, c), func() (map[string]int, int) { return c.Calls(), c.MetricsRequested() }
		}})
	if err != nil {
		h.f.t.Fatalf("tick %s: %v", at.Format(time.RFC3339), err)
	}
	return res
}

// advanceTo moves the virtual clock to at (never back: a waiter may have
// moved it past).
func (f *fleet) advanceTo(at time.Time) {
	if d := at.Sub(f.emu.Now()); d > 0 {
		f.emu.Advance(d)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
