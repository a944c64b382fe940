package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
)

// mainTestEnv makes the test binary run main() as the Lambda function,
// with a tick that reports what it was given.
const mainTestEnv = "SAGESAVER_MAIN_TEST"

// blockAccount is a worker target whose tick runs until it is cancelled.
const blockAccount = "999999999999"

func TestMain(m *testing.M) {
	if os.Getenv(mainTestEnv) == "real" {
		main() // the real tick
		return
	}
	if os.Getenv(mainTestEnv) == "1" {
		tick = func(ctx context.Context, ev lambdafn.Event) (any, error) {
			if ev.Account == blockAccount {
				<-ctx.Done()
				slog.InfoContext(ctx, "test tick: cancelled, store flushed")
				return nil, ctx.Err()
			}
			return map[string]any{"seen_kind": ev.Kind, "seen_tick": ev.Tick}, nil
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// fakeRuntime is the Lambda Runtime API (and the Extensions API register
// call that aws-lambda-go makes to get SIGTERM) as Lambda serves it to a
// function: /next hands out queued events one at a time and the function
// posts each one's response or error.
type fakeRuntime struct {
	srv    *httptest.Server
	events chan string
	mu     sync.Mutex
	seq    int
	done   map[string]chan result
	polled chan string // request ids handed out
}

type result struct {
	ok   bool
	body []byte
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	f := &fakeRuntime{events: make(chan string), done: map[string]chan result{}, polled: make(chan string, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case payload := <-f.events:
			f.mu.Lock()
			f.seq++
			id := fmt.Sprintf("req-%d", f.seq)
			f.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:sagesaver")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
			_, _ = io.WriteString(w, payload)
			f.polled <- id
		case <-r.Context().Done():
		}
	})
	post := func(ok bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			f.result(r.PathValue("id")) <- result{ok: ok, body: body}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post(true))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post(false))
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // an extension with no events waits for ever
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRuntime) result(id string) chan result {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.done[id]
	if !ok {
		c = make(chan result, 1)
		f.done[id] = c
	}
	return c
}

// invoke queues payload and returns the function's response or error.
func (f *fakeRuntime) invoke(t *testing.T, payload string) result {
	t.Helper()
	select {
	case f.events <- payload:
	case <-time.After(30 * time.Second):
		t.Fatal("the function never asked for the next event")
	}
	id := <-f.polled
	select {
	case r := <-f.result(id):
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no answer to %s", payload)
	}
	return result{}
}

// TestLambdaRuntimeContract runs the real main, in a child process, as
// Lambda runs a provided.al2023 function, against a fake Runtime API:
// each event kind is decoded and ticked, garbage is refused with a
// function error and runs nothing, logs are JSON, and SIGTERM cancels the
// invocation in flight, lets it flush and exits 0.
func TestLambdaRuntimeContract(t *testing.T) {
	rt := newFakeRuntime(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainTestEnv+"=1",
		lambdafn.RuntimeAPIEnv+"="+strings.TrimPrefix(rt.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=sagesaver", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST")
	var stderr bytes.Buffer
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	for _, tt := range []struct {
		name, payload string
		wantKind      lambdafn.Kind
		wantTick      string
		wantErr       string
	}{
		{"scheduler default", `{"version":"0","id":"5f1a","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-12-03T10:05:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:123456789012:schedule/default/sagesaver"],"detail":"{}"}`,
			lambdafn.Scheduled, "2026-12-03T10:05:00Z", ""},
		{"scheduler input", `{"sagesaver":"scheduled","scheduledTime":"2026-12-03T10:10:00Z","attempt":"2","schedule":"arn:aws:scheduler:us-east-1:123456789012:schedule/default/sagesaver"}`,
			lambdafn.Scheduled, "2026-12-03T10:10:00Z", ""},
		{"worker", `{"sagesaver":"worker","account":"111122223333","region":"eu-west-1","tick":"2026-12-03T10:10:00Z","run":3}`,
			lambdafn.Worker, "2026-12-03T10:10:00Z", ""},
		{"manual", `{"sagesaver":"manual","tick":"2026-12-03T11:00:00Z"}`, lambdafn.Manual, "2026-12-03T11:00:00Z", ""},
		{"garbage", `{"hello":"world"}`, "", "", "refused event"},
		{"not json", `tick please`, "", "", "refused event"},
		{"object detail from scheduler", `{"detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-12-03T10:05:00Z","detail":{}}`, "", "", "refused event"},
	} {
		r := rt.invoke(t, tt.payload)
		if tt.wantErr != "" {
			if r.ok || !strings.Contains(string(r.body), tt.wantErr) {
				t.Errorf("%s: ok=%v %s, want a function error %q", tt.name, r.ok, r.body, tt.wantErr)
			}
			continue
		}
		if !r.ok {
			t.Errorf("%s: function error %s", tt.name, r.body)
			continue
		}
		var res struct {
			Schema  string
			Kind    lambdafn.Kind
			Tick    string
			Outcome struct {
				SeenKind lambdafn.Kind `json:"seen_kind"`
				SeenTick string        `json:"seen_tick"`
			}
		}
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatalf("%s: %v: %s", tt.name, err, r.body)
		}
		if res.Schema != lambdafn.ResultSchema || res.Kind != tt.wantKind || res.Tick != tt.wantTick ||
			res.Outcome.SeenKind != tt.wantKind || res.Outcome.SeenTick != tt.wantTick {
			t.Errorf("%s: response %s, want kind %s tick %s", tt.name, r.body, tt.wantKind, tt.wantTick)
		}
	}

	// A worker in flight when Lambda shuts the environment down.
	rt.events <- `{"sagesaver":"worker","account":"` + blockAccount + `","region":"us-east-1","tick":"2026-12-03T10:10:00Z","run":3}`
	<-rt.polled
	waitFor(t, &mu, &stderr, `"msg":"tick start","request_id":"req-8"`)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after SIGTERM")
	}
	mu.Lock()
	logs := stderr.String()
	mu.Unlock()
	for _, want := range []string{"test tick: cancelled, store flushed", `"msg":"SIGTERM: shutting down","in_flight_finished":true`, `"msg":"event refused"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		if line := sc.Text(); !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func waitFor(t *testing.T, mu *sync.Mutex, b *bytes.Buffer, s string) {
	t.Helper()
	for range 3000 {
		mu.Lock()
		ok := strings.Contains(b.String(), s)
		mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Fatalf("the function never logged %s:\n%s", s, b.String())
}

// TestLambdaRuntimeRealTick: the real main with the real tick, against
// the fake Runtime API: an EventBridge Scheduler event (detail the string
// "{}") runs a tick of the run file in LAMBDA_TASK_ROOT on the emulator's
// account and answers with the run's JSON; the same scheduled time again
// (Scheduler's retry) is claimed and does nothing.
func TestLambdaRuntimeRealTick(t *testing.T) {
	rt := newFakeRuntime(t)
	emu := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    accessKeys: [AKIAFN]
    regions:
      us-east-1:
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
`)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.yaml"), []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Run
targets: {regions: [us-east-1]}
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - {name: idle-endpoints, resource: endpoint, conditions: {idleFor: 24h}, actions: [{type: delete}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainTestEnv+"=real",
		lambdafn.RuntimeAPIEnv+"="+strings.TrimPrefix(rt.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=sagesaver", "LAMBDA_TASK_ROOT="+dir,
		"SAGESAVER_ENDPOINT_URL="+emu.URL, "SAGESAVER_STATE=sqlite:"+filepath.Join(dir, "state.db"), "SAGESAVER_CONFIG=",
		"AWS_ACCESS_KEY_ID=AKIAFN", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1", "AWS_PROFILE=",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"XDG_CACHE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var stderr bytes.Buffer
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	event := `{"version":"0","id":"5f1a","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-12-03T10:05:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:123456789012:schedule/default/sagesaver"],"detail":"{}"}`
	type outcome struct {
		Kind    lambdafn.Kind
		Outcome struct {
			RunID     int64  `json:"run_id"`
			Tick      string `json:"tick"`
			DryRun    bool   `json:"dry_run"`
			ClaimedBy *int64 `json:"claimed_by"`
			Targets   []struct {
				Account, Region, Status string
				Counts                  map[string]int
			}
		}
	}
	r := rt.invoke(t, event)
	var first outcome
	if err := json.Unmarshal(r.body, &first); !r.ok || err != nil {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("ok=%v %s (%v)\n%s", r.ok, r.body, err, stderr.String())
	}
	o := first.Outcome
	if first.Kind != lambdafn.Scheduled || o.RunID == 0 || o.Tick != "2026-12-03T10:05:00Z" || !o.DryRun || o.ClaimedBy != nil ||
		len(o.Targets) != 1 || o.Targets[0].Status != "ok" || o.Targets[0].Counts["findings"] != 1 || o.Targets[0].Counts["actions"] != 1 {
		t.Errorf("tick: %s", r.body)
	}
	if n := emu.Emu.Counters().Calls["sagemaker:DeleteEndpoint"]; n != 0 {
		t.Errorf("a dry run deleted %d endpoint(s)", n)
	}
	r = rt.invoke(t, strings.Replace(event, "5f1a", "5f1b", 1))
	var again outcome
	if err := json.Unmarshal(r.body, &again); !r.ok || err != nil || again.Outcome.ClaimedBy == nil || *again.Outcome.ClaimedBy != o.RunID {
		t.Errorf("Scheduler's retry: ok=%v %s, want the tick claimed by run %d", r.ok, r.body, o.RunID)
	}
}
