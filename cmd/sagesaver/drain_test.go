package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// drainFleet: two endpoints idle for a month, which the run file's
// policy deletes one after the other.
const drainFleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    accessKeys: [AKIADRAIN]
    regions:
      us-east-1:
        endpoints:
          - {name: idle-a, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
          - {name: idle-b, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
`

const drainRunFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
mode: enforce
targets: {regions: [us-east-1]}
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - {name: idle-endpoints, resource: endpoint, conditions: {idleFor: 24h}, actions: [{type: delete}]}
`

// gatedEmulator serves the emulator behind a gate that holds the first
// DeleteEndpoint: arrived is closed when it comes in; once release is
// closed it goes on to the emulator. A request whose client gave up (a
// cut) never reaches the emulator. After each DeleteEndpoint the
// emulator is moved past the deletion, so that the SDK's waiter finds the
// endpoint gone at its first look.
type gatedEmulator struct {
	emu     *emulator.Server
	url     string
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func startGated(t *testing.T) *gatedEmulator {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	sc, err := emulator.ParseScenario("drain.yaml", []byte(drainFleet))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Load(sc); err != nil {
		t.Fatal(err)
	}
	g := &gatedEmulator{emu: emu, arrived: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DeleteEndpoint") && !strings.HasSuffix(r.URL.Path, "/DeleteEndpoint") {
			emu.ServeHTTP(w, r)
			return
		}
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.arrived)
			select {
			case <-g.release:
			case <-r.Context().Done():
				return // cut: the call never reached AWS
			}
		}
		// The deletion is over before the answer leaves, so that the
		// waiter's first look cannot come before it.
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		emu.Advance(5 * time.Minute)
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	})
	g.url = srv.URL
	return g
}

// endpoints returns each endpoint's status, through the SDK.
func (g *gatedEmulator) endpoints(t *testing.T) map[string]string {
	t.Helper()
	sm := awsapi.NewClients(emulatortest.Config(t, g.url, "AKIADRAIN"), "us-east-1", false).SageMaker
	out := map[string]string{}
	p := sagemaker.NewListEndpointsPaginator(sm, &sagemaker.ListEndpointsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Endpoints {
			out[aws.ToString(e.EndpointName)] = string(e.EndpointStatus)
		}
	}
	return out
}

// child is sagesaver (the real main) run by this test binary.
type child struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer
	exited chan error
}

func sagesaver(t *testing.T, g *gatedEmulator, dir string, args ...string) *child {
	t.Helper()
	// TestMain runs main() with the arguments as they are.
	c := &child{cmd: exec.Command(os.Args[0], args...), exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), mainTestEnv+"=real",
		"SAGESAVER_ENDPOINT_URL="+g.url, "SAGESAVER_CONFIG=",
		"AWS_ACCESS_KEY_ID=AKIADRAIN", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1", "AWS_PROFILE=",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"XDG_CACHE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	c.cmd.Stdout = writerFunc(func(p []byte) (int, error) { c.mu.Lock(); defer c.mu.Unlock(); return c.stdout.Write(p) })
	c.cmd.Stderr = writerFunc(func(p []byte) (int, error) { c.mu.Lock(); defer c.mu.Unlock(); return c.stderr.Write(p) })
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() { _ = c.cmd.Process.Kill() })
	return c
}

// wait returns the exit code.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-c.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(2 * time.Minute):
		t.Fatalf("sagesaver %v still running\n%s", c.cmd.Args[1:], c.logs())
	}
	return -1
}

func (c *child) logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

func (c *child) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// arrived waits until the held DeleteEndpoint came in.
func (g *gatedEmulator) waitArrived(t *testing.T, c *child) {
	t.Helper()
	select {
	case <-g.arrived:
	case err := <-c.exited:
		t.Fatalf("sagesaver exited (%v) before deleting an endpoint:\n%s", err, c.logs())
	}
}

func writeRunFile(t *testing.T) (dir, runFile, state string) {
	t.Helper()
	dir = t.TempDir()
	runFile = filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(runFile, []byte(drainRunFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, runFile, "sqlite:" + filepath.Join(dir, "state.db")
}

type historyAction struct {
	Resource string `json:"resource"`
	Verb     string `json:"action"`
	Result   string `json:"result"`
	Error    string `json:"error"`
}

func history(t *testing.T, g *gatedEmulator, dir, state string) []historyAction {
	t.Helper()
	c := sagesaver(t, g, dir, "history", "--state", state, "-o", "json")
	if code := c.wait(t); code != 0 {
		t.Fatalf("history: exit %d\n%s", code, c.logs())
	}
	var doc struct {
		Actions []historyAction `json:"actions"`
	}
	if err := json.Unmarshal(c.stdout.Bytes(), &doc); err != nil {
		t.Fatalf("history -o json: %v\n%s", err, c.stdout.String())
	}
	return doc.Actions
}

// TestSIGTERMDrainsTheTick sends a real SIGTERM to `sagesaver run -f`
// and `serve -f` while the tick's first endpoint deletion is in flight:
// the deletion finishes in AWS, the other endpoint's is not started and
// is recorded as not done, nothing else changes, and the process exits 0.
func TestSIGTERMDrainsTheTick(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"run", []string{"run"}},
		{"serve", []string{"serve", "--addr", "127.0.0.1:0", "--no-auth"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := startGated(t)
			dir, runFile, state := writeRunFile(t)
			c := sagesaver(t, g, dir, append(tt.args, "-f", runFile, "--state", state)...)
			g.waitArrived(t, c)
			c.signal(t, syscall.SIGTERM)
			waitFor(t, &c.mu, &c.stderr, "stopping the tick")
			close(g.release)
			if code := c.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM, want 0\n%s", code, c.logs())
			}
			eps := g.endpoints(t)
			if len(eps) != 1 || (eps["idle-a"] != "InService" && eps["idle-b"] != "InService") {
				t.Fatalf("endpoints after the drained tick: %v, want the one in flight deleted and the other InService", eps)
			}
			deleted, kept := "idle-a", "idle-b"
			if _, ok := eps["idle-a"]; ok {
				deleted, kept = kept, deleted
			}
			calls := g.emu.Counters().Calls
			for op, n := range calls {
				if op == "sagemaker:DeleteEndpoint" && n == 1 {
					continue
				}
				if name := op[strings.Index(op, ":")+1:]; !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") &&
					!strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "Search") && name != "AssumeRole" {
					t.Errorf("%d call(s) to %s: the drained tick changed something else", n, op)
				}
			}
			var gotDeleted, gotNotDone bool
			for _, a := range history(t, g, dir, state) {
				switch {
				case a.Verb == "delete" && strings.HasSuffix(a.Resource, "/"+deleted) && a.Result == "ok":
					gotDeleted = true
				case a.Verb == "delete" && strings.HasSuffix(a.Resource, "/"+kept) && a.Result == "skipped" && a.Error == "not done: shutting down":
					gotNotDone = true
				case a.Verb == "delete":
					t.Errorf("audit log: %+v", a)
				}
			}
			if !gotDeleted || !gotNotDone {
				t.Errorf("audit log: delete %s done %v, delete %s not done %v; want both\n%s", deleted, gotDeleted, kept, gotNotDone, c.logs())
			}
		})
	}
}

// TestSecondSignalCutsTheTick: a second signal while the tick drains
// stops sagesaver at once: the AWS call in flight is cancelled (it never
// reaches AWS), the exit code is 130 and the last line on stderr says
// the tick was cut and what it left.
func TestSecondSignalCutsTheTick(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		second os.Signal
	}{
		{"run", []string{"run"}, syscall.SIGINT},
		{"serve", []string{"serve", "--addr", "127.0.0.1:0", "--no-auth"}, syscall.SIGTERM},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := startGated(t)
			dir, runFile, state := writeRunFile(t)
			c := sagesaver(t, g, dir, append(tt.args, "-f", runFile, "--state", state)...)
			g.waitArrived(t, c)
			c.signal(t, syscall.SIGTERM)
			waitFor(t, &c.mu, &c.stderr, "stopping the tick")
			c.signal(t, tt.second)
			if code := c.wait(t); code != 130 {
				t.Errorf("exit %d after a second signal, want 130\n%s", code, c.logs())
			}
			lines := strings.Split(strings.TrimSpace(c.logs()), "\n")
			last := lines[len(lines)-1]
			for _, want := range []string{"sagesaver: interrupted: tick ", "cut by a second signal (" + tt.second.String() + ")",
				"delete 123456789012/us-east-1/endpoint/idle-", "left started (the next tick resolves it)", "1 of 1 target(s) left for the next tick"} {
				if !strings.Contains(last, want) {
					t.Errorf("last stderr line lacks %q:\n%s", want, last)
				}
			}
			if n := g.emu.Counters().Calls["sagemaker:DeleteEndpoint"]; n != 0 {
				t.Errorf("%d DeleteEndpoint reached AWS after the cut", n)
			}
			if eps := g.endpoints(t); eps["idle-a"] != "InService" || eps["idle-b"] != "InService" {
				t.Fatalf("endpoints after the cut: %v, want both InService", eps)
			}
			// The next tick resolves the action left started (the
			// resource is looked at again) and does what was left.
			// (A minute later: the cut tick claimed its own time.)
			next := sagesaver(t, g, dir, "run", "-f", runFile, "--state", state, "--at", time.Now().UTC().Add(time.Minute).Format(time.RFC3339))
			if code := next.wait(t); code != 0 {
				t.Fatalf("the next tick: exit %d\n%s", code, next.logs())
			}
			if eps := g.endpoints(t); len(eps) != 0 {
				t.Errorf("endpoints after the next tick: %v, want both deleted", eps)
			}
			for _, a := range history(t, g, dir, state) {
				if a.Result == "started" {
					t.Errorf("after the next tick the audit log still has %+v", a)
				}
			}
		})
	}
}
