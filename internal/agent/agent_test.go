package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/agent/sagemakerapi"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/jupyter"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

// rig is an agent watching a real Jupyter server on a manual clock.
type rig struct {
	srv *jupytertest.Srv
	jc  *jupyter.Client
	clk *clock.Manual
	cfg agent.Config
	res agent.Resource
	sm  agent.SageMaker
}

func newRig(t *testing.T, kind jupytertest.Kind, tweak func(*agent.Config)) *rig {
	t.Helper()
	srv := jupytertest.Start(t, kind, jupytertest.Options{})
	jc, err := jupyter.New(srv.URL, jupyter.Options{Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	cfg := agent.DefaultConfig()
	cfg.IdleTime = time.Minute
	cfg.PollInterval = 10 * time.Second
	cfg.StuckAfter = time.Hour
	cfg.Grace = 0
	// The CPU signal is system-wide and this machine is shared with other
	// builds: only the CPU test turns it on.
	cfg.CPUThreshold = 0
	cfg.GPUThreshold = 0
	cfg.StateDir = t.TempDir()
	cfg.DryRun = true
	cfg.PublishTag = false
	if tweak != nil {
		tweak(&cfg)
	}
	// The clock starts two minutes in the past, so that the tests can let
	// the idle time pass and still be behind the real clock that stamps
	// the server's activity.
	return &rig{
		srv: srv, jc: jc, cfg: cfg,
		clk: clock.NewManual(time.Now().Add(-2 * time.Minute)),
		res: agent.Resource{ARN: "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb", Name: "nb"},
	}
}

func (r *rig) agent(t *testing.T) *agent.Agent {
	t.Helper()
	a, err := agent.New(r.cfg, r.res, agent.Deps{Jupyter: r.jc, SageMaker: r.sm, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func poll(t *testing.T, a *agent.Agent) agent.Verdict {
	t.Helper()
	v, err := a.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return v
}

// elapse moves the clock forward by d, polling at every poll interval as
// the running agent does, and returns the last verdict.
func (r *rig) elapse(t *testing.T, a *agent.Agent, d time.Duration) agent.Verdict {
	t.Helper()
	var v agent.Verdict
	for step := time.Duration(0); step < d; step += r.cfg.PollInterval {
		r.clk.Advance(min(r.cfg.PollInterval, d-step))
		v = poll(t, a)
	}
	return v
}

// TestSignalsOnRealServers lets the idle time pass on a quiet server, then
// makes one kind of activity and checks that the agent sees it.
func TestSignalsOnRealServers(t *testing.T) {
	// expectation is what the verdict must come to after the activity. A
	// real server reports some activity a moment after the request that
	// starts it (a cell becomes busy once the kernel picks it up), so the
	// agent polls again, without moving its clock, until the verdict
	// matches or a deadline passes.
	type expectation struct {
		desc string
		ok   func(v agent.Verdict) bool
	}
	type activity struct {
		name  string
		cfg   func(*agent.Config)
		act   func(t *testing.T, r *rig)
		check expectation
	}
	notIdle := func(want string) expectation {
		return expectation{fmt.Sprintf("not idle with %q", want), func(v agent.Verdict) bool {
			return !v.Idle && strings.Contains(v.Summary(), want)
		}}
	}
	isIdle := expectation{"idle", func(v agent.Verdict) bool { return v.Idle && len(v.Active) == 0 }}
	cases := []activity{
		{
			name:  "nothing",
			act:   func(t *testing.T, r *rig) {},
			check: isIdle,
		},
		{
			name: "idle kernel",
			act:  func(t *testing.T, r *rig) { r.srv.StartKernel(t) },
			// Starting it and running a cell is activity a moment ago.
			check: notIdle("active"),
		},
		{
			name: "busy kernel",
			act: func(t *testing.T, r *rig) {
				id := r.srv.StartKernel(t)
				r.srv.Execute(t, id, "import time; time.sleep(30)")
			},
			check: notIdle("busy for"),
		},
		{
			name:  "terminal input",
			act:   func(t *testing.T, r *rig) { r.srv.Type(t, r.srv.NewTerminal(t), "ls\r") },
			check: notIdle("terminal "),
		},
		{
			name: "open connection counted",
			cfg:  func(c *agent.Config) { c.CountConnections = true },
			act: func(t *testing.T, r *rig) {
				id := r.srv.StartKernel(t)
				r.srv.Connect(t, id)
				waitFor(t, func() bool {
					ks, _ := r.jc.Kernels(context.Background())
					// Connecting asks the kernel for its info: wait until
					// it is idle again, so that only the connection is left.
					return len(ks) == 1 && ks[0].Connections > 0 && ks[0].ExecutionState == "idle"
				})
			},
			check: notIdle("open connection"),
		},
		{
			name: "keep-alive",
			act: func(t *testing.T, r *rig) {
				if err := agent.WriteKeepAlive(r.cfg.KeepAlivePath(), time.Now().Add(2*time.Hour)); err != nil {
					t.Fatal(err)
				}
			},
			check: notIdle("keep-alive until"),
		},
		{
			name: "CPU burner outside Jupyter",
			cfg:  func(c *agent.Config) { c.CPUThreshold = 50 },
			act: func(t *testing.T, r *rig) {
				burn := exec.Command("sh", "-c", "while :; do :; done")
				if err := burn.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = burn.Process.Kill(); _ = burn.Wait() })
				// CPU use is measured between two polls.
				time.Sleep(1500 * time.Millisecond)
			},
			check: notIdle("CPU at"),
		},
	}
	// Each case runs its own Jupyter server and kernel; all of them at once
	// on a small machine delay a kernel's status past the deadline.
	slots := make(chan struct{}, 3)
	for _, kind := range jupytertest.Kinds {
		for _, tc := range cases {
			if kind == jupytertest.Server && !strings.Contains("busy kernel|terminal input|open connection counted", tc.name) {
				continue // not about the server's kind: once is enough
			}
			t.Run(string(kind)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				slots <- struct{}{}
				defer func() { <-slots }()
				r := newRig(t, kind, tc.cfg)
				a := r.agent(t)
				v := poll(t, a)
				if v.Idle {
					t.Fatalf("idle on the first poll: %s", v.Summary())
				}
				v = r.elapse(t, a, r.cfg.IdleTime+time.Second)
				if tc.name != "CPU burner outside Jupyter" {
					checkIdle(t, v) // the control: without the activity, idle
				}
				tc.act(t, r)
				r.clk.Set(time.Now())
				v = poll(t, a)
				for deadline := time.Now().Add(20 * time.Second); !tc.check.ok(v) && time.Now().Before(deadline); {
					time.Sleep(200 * time.Millisecond)
					v = poll(t, a)
				}
				if !tc.check.ok(v) {
					t.Errorf("verdict %q (idle %v), want %s", v.Summary(), v.Idle, tc.check.desc)
				}
			})
		}
	}
}

func checkIdle(t *testing.T, v agent.Verdict) {
	t.Helper()
	if !v.Idle || len(v.Active) != 0 {
		t.Errorf("verdict %q (idle %v), want idle", v.Summary(), v.Idle)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStopsNotebookInstanceExactlyOnce is the whole story against the
// emulated SageMaker, through the agent's own client and checked with the
// SDK's: a kernel running a cell keeps the instance up past the idle time;
// once the cell finishes and the idle time passes, the agent stops the
// instance once, and never again,
// not even after a restart. Its own polling never moves the server's
// last_activity.
func TestStopsNotebookInstanceExactlyOnce(t *testing.T) {
	for _, kind := range jupytertest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.t3.medium
`)
			sm := env.Clients("us-east-1").SageMaker
			ctx := context.Background()
			desc, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("nb")})
			if err != nil {
				t.Fatal(err)
			}
			if desc.NotebookInstanceStatus != smtypes.NotebookInstanceStatusInService {
				t.Fatalf("scenario notebook is %s", desc.NotebookInstanceStatus)
			}
			r := newRig(t, kind, func(c *agent.Config) { c.DryRun = false; c.PublishTag = true })
			r.sm = agentClient(t, env)
			r.res = agent.Resource{ARN: aws.ToString(desc.NotebookInstanceArn), Name: "nb"}
			// The instance's metadata file, as SageMaker writes it.
			meta := filepath.Join(t.TempDir(), "resource-metadata.json")
			b, _ := json.Marshal(map[string]string{"ResourceArn": r.res.ARN, "ResourceName": "nb"})
			if err := os.WriteFile(meta, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if r.res, err = agent.ReadResource(meta); err != nil {
				t.Fatal(err)
			}
			stops := func() int64 { return env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"] }

			a := r.agent(t)
			id := r.srv.StartKernel(t)
			r.srv.Execute(t, id, "import time; time.sleep(12)")
			// The kernel turns busy once it picks the cell up.
			waitFor(t, func() bool {
				ks, _ := r.jc.Kernels(ctx)
				return len(ks) == 1 && ks[0].ExecutionState == "busy"
			})
			before, err := r.jc.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v := r.elapse(t, a, r.cfg.IdleTime+30*time.Second)
			if v.Idle || !strings.Contains(v.Summary(), "kernel "+id[:4]+" busy for") {
				t.Fatalf("while the cell runs: %q, want busy kernel", v.Summary())
			}
			if n := stops(); n != 0 {
				t.Fatalf("%d stops while the kernel is busy", n)
			}
			after, err := r.jc.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !after.LastActivity.Equal(before.LastActivity) {
				t.Errorf("the agent's polls moved the server's last_activity from %v to %v", before.LastActivity, after.LastActivity)
			}

			waitFor(t, func() bool {
				ks, _ := r.jc.Kernels(ctx)
				return len(ks) == 1 && ks[0].ExecutionState == "idle"
			})
			r.clk.Set(time.Now())
			v = poll(t, a)
			if v.Idle || v.IdleFor > 5*time.Second {
				t.Fatalf("just after the cell: %q, want a fresh idle clock", v.Summary())
			}
			v = r.elapse(t, a, r.cfg.IdleTime-2*r.cfg.PollInterval)
			if v.Idle || stops() != 0 {
				t.Fatalf("before the idle time: %q, %d stops", v.Summary(), stops())
			}
			v = r.elapse(t, a, 3*r.cfg.PollInterval)
			if !v.Idle || !strings.Contains(v.Action, "stop requested") {
				t.Fatalf("after the idle time: %q (%s), want stop requested", v.Summary(), v.Action)
			}
			if n := stops(); n != 1 {
				t.Fatalf("%d stops, want 1", n)
			}
			desc, err = sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("nb")})
			if err != nil {
				t.Fatal(err)
			}
			if desc.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopping {
				t.Errorf("instance is %s, want Stopping", desc.NotebookInstanceStatus)
			}

			// More polls, and a restarted agent, do not stop it again.
			r.elapse(t, a, 3*r.cfg.PollInterval)
			a2 := r.agent(t)
			r.elapse(t, a2, 3*r.cfg.PollInterval)
			if n := stops(); n != 1 {
				t.Errorf("%d stops after more polls and a restart, want 1", n)
			}

			// The tag carries the idle clock, written at most every 10
			// minutes: once so far, then again once the clock moved on.
			tag := func() string {
				tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: desc.NotebookInstanceArn})
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range tags.Tags {
					if aws.ToString(tg.Key) == agenttag.LastActivity {
						return aws.ToString(tg.Value)
					}
				}
				return ""
			}
			adds := func() int64 { return env.Emu.Counters().Calls["sagemaker:AddTags"] }
			first, err := time.Parse(time.RFC3339, tag())
			if err != nil || adds() != 1 {
				t.Fatalf("tag %q (%v) after %d AddTags, want one RFC 3339 time", tag(), err, adds())
			}
			if last := a2.State().LastActivity; !first.Before(last) {
				t.Errorf("first tag %v not before the idle clock %v", first, last)
			}
			r.elapse(t, a2, agenttag.Interval)
			if want := a2.State().LastActivity.UTC().Truncate(time.Second).Format(time.RFC3339); tag() != want || adds() != 2 {
				t.Errorf("tag %q after %d AddTags, want %q after 2", tag(), adds(), want)
			}
			if n := stops(); n != 1 {
				t.Errorf("%d stops, want 1", n)
			}
		})
	}
}

// TestStopIsIdempotent: an instance someone else already stopped is not
// an error, is not stopped twice, and is not reported as the agent's stop.
func TestStopIsIdempotent(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.t3.medium
            status: Stopping
`)
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) { c.DryRun = false })
	r.sm = agentClient(t, env)
	a := r.agent(t)
	poll(t, a)
	v := r.elapse(t, a, r.cfg.IdleTime+time.Second)
	if !v.Idle || !strings.Contains(v.Action, "stopped by someone else") || strings.Contains(v.Summary(), "stop requested") {
		t.Fatalf("verdict %q (%s), want stopped by someone else, not a stop requested", v.Summary(), v.Action)
	}
	r.elapse(t, a, 3*r.cfg.PollInterval)
	if n := env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"]; n != 1 {
		t.Errorf("%d stop calls, want 1", n)
	}
	screen := agent.StatusScreen(a.State(), r.cfg, r.clk.Now(), agent.Live{Status: "Stopping"})
	if first, _, _ := strings.Cut(screen, "\n"); strings.Contains(screen, "stop requested") || !strings.Contains(first, "stopped by someone else") {
		t.Errorf("status:\n%s\nwant its first line to say someone else stopped it, and no stop requested", screen)
	}
}

// TestStatusAgreesWithStop: once the agent has asked for the stop, no later
// verdict or status screen says when it "stops at": it will not stop again
// this boot, and the status says what it did. Here someone keeps the
// machine alive for a moment while it stops.
func TestStatusAgreesWithStop(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.t3.medium
`)
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) { c.DryRun = false })
	r.sm = agentClient(t, env)
	r.res.ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"
	a := r.agent(t)
	poll(t, a)
	if v := r.elapse(t, a, r.cfg.IdleTime+time.Second); !strings.Contains(v.Summary(), "stop requested at") {
		t.Fatalf("verdict %q, want stop requested", v.Summary())
	}
	if err := agent.WriteKeepAlive(r.cfg.KeepAlivePath(), agent.Forever); err != nil {
		t.Fatal(err)
	}
	v := r.elapse(t, a, r.cfg.PollInterval)
	if s := v.Summary(); !strings.Contains(s, "keep-alive") || !strings.Contains(s, "stop requested at") {
		t.Errorf("kept alive after the stop: %q, want the keep-alive and the stop requested", s)
	}
	if err := agent.WriteKeepAlive(r.cfg.KeepAlivePath(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	v = r.elapse(t, a, r.cfg.PollInterval)
	if s := v.Summary(); strings.Contains(s, "stops at") || !strings.Contains(s, "stop requested at") {
		t.Errorf("after the stop: %q, want the stop requested and no stop time", s)
	}
	for _, live := range []agent.Live{{}, {Status: "Stopping"}} {
		screen := agent.StatusScreen(a.State(), r.cfg, r.clk.Now(), live)
		if first, _, _ := strings.Cut(screen, "\n"); strings.Contains(screen, "stops at") || !strings.Contains(first, "stop requested at") ||
			strings.Contains(screen, "someone else") {
			t.Errorf("status (live %q):\n%s\nwant the stop requested first, no stop time, not someone else's", live.Status, screen)
		}
	}
	// An instance someone else stopped while the agent was still counting.
	st := a.State()
	st.Stopped = time.Time{}
	st.Verdict.Action, st.Verdict.StopDone = "", false
	screen := agent.StatusScreen(st, r.cfg, r.clk.Now(), agent.Live{Status: "Stopped"})
	if first, _, _ := strings.Cut(screen, "\n"); strings.Contains(first, "stops at") || !strings.Contains(first, "stopped by someone else") {
		t.Errorf("status of an instance stopped by someone else:\n%s", screen)
	}
}

// TestRestartKeepsIdleClock: a new agent on the same boot resumes the
// clock; time when no agent ran is not counted as idle.
func TestRestartKeepsIdleClock(t *testing.T) {
	r := newRig(t, jupytertest.Notebook, nil)
	a := r.agent(t)
	poll(t, a)
	v := r.elapse(t, a, 40*time.Second)
	if v.IdleFor != 40*time.Second {
		t.Fatalf("idle for %v, want 40s", v.IdleFor)
	}
	// A restart right away resumes the clock: no reset.
	a = r.agent(t)
	r.clk.Advance(r.cfg.PollInterval)
	if v := poll(t, a); v.IdleFor != 50*time.Second {
		t.Errorf("after a restart: idle for %v, want 50s", v.IdleFor)
	}
	// An agent that was down for 30 minutes does not count them.
	a = r.agent(t)
	r.clk.Advance(30 * time.Minute)
	v = poll(t, a)
	if v.IdleFor != 50*time.Second+r.cfg.PollInterval || len(v.Notes) != 1 {
		t.Errorf("after 30 unwatched minutes: %q idle for %v notes %q; want 60s and a note", v.Summary(), v.IdleFor, v.Notes)
	}
}

// TestDeletesIdleStudioAppOnce: in a Studio space, the agent deletes its
// app (DeleteApp), once.
func TestDeletesIdleStudioAppOnce(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      domains:
      - {name: research, id: d-research0001, age: 90d}
      userProfiles:
      - {domain: research, name: alice, age: 60d}
      spaces:
      - {domain: research, name: alice-lab, owner: alice, instanceType: ml.g4dn.xlarge, age: 20d}
      apps:
      - {domain: research, space: alice-lab, type: JupyterLab, instanceType: ml.g4dn.xlarge, age: 26h}
`)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	apps, err := sm.ListApps(ctx, &sagemaker.ListAppsInput{})
	if err != nil || len(apps.Apps) != 1 {
		t.Fatalf("apps %v, %v", apps, err)
	}
	app := apps.Apps[0]
	r := newRig(t, jupytertest.Server, func(c *agent.Config) { c.DryRun = false })
	r.sm = agentClient(t, env)
	r.res = agent.Resource{
		ARN:  "arn:aws:sagemaker:us-east-1:123456789012:app/d-research0001/alice-lab/jupyterlab/" + aws.ToString(app.AppName),
		Name: aws.ToString(app.AppName), DomainID: "d-research0001", SpaceName: "alice-lab", AppType: string(app.AppType),
	}
	a := r.agent(t)
	poll(t, a)
	v := r.elapse(t, a, r.cfg.IdleTime+2*r.cfg.PollInterval)
	if !v.Idle || !strings.Contains(v.Action, "stop requested") {
		t.Fatalf("verdict %q (%s)", v.Summary(), v.Action)
	}
	if n := env.Emu.Counters().Calls["sagemaker:DeleteApp"]; n != 1 {
		t.Errorf("%d DeleteApp calls, want 1", n)
	}
	d, err := sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-research0001"), SpaceName: aws.String("alice-lab"), AppType: app.AppType, AppName: app.AppName})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != smtypes.AppStatusDeleting {
		t.Errorf("app is %s, want Deleting", d.Status)
	}
}

// agentClient is the agent's own SageMaker client for the emulator; the
// tests check what it did through the SDK's client.
func agentClient(t *testing.T, env *emulatortest.Env) *sagemakerapi.Client {
	t.Helper()
	c, err := sagemakerapi.New(env.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPublishesAndResumesUsage: on a fresh boot the agent resumes the usage
// summary an earlier boot published (ListTags, once), adds the hours it
// watches and publishes the summary beside its idle clock.
func TestPublishesAndResumesUsage(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.g4dn.xlarge
`)
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) {
		c.PublishTag = true
		c.PollInterval = time.Minute
		c.IdleTime = 24 * time.Hour
	})
	r.sm = agentClient(t, env)
	sdk := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	since := r.clk.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	earlier := agenttag.UsageSummary{Since: since, Hours: 5, CPUPeak: 0.2, GPUPeak: 1}
	if _, err := sdk.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(r.res.ARN),
		Tags: []smtypes.Tag{{Key: aws.String(agenttag.Usage), Value: aws.String(earlier.Value())}}}); err != nil {
		t.Fatal(err)
	}
	a := r.agent(t)
	poll(t, a)
	if got := a.State().Usage.UsageSummary; got != earlier {
		t.Fatalf("resumed %+v, want %+v", got, earlier)
	}
	r.elapse(t, a, 2*time.Hour+agenttag.Interval)
	u := a.State().Usage.UsageSummary
	if u.Since != since || u.Hours < 6 || u.CPUPeak < earlier.CPUPeak || u.GPUPeak != 1 {
		t.Errorf("after two hours: %+v, want since %v, at least 6 hours", u, since)
	}
	tags, err := sdk.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(r.res.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]string{}
	for _, tg := range tags.Tags {
		published[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if published[agenttag.Usage] != u.Value() || published[agenttag.LastActivity] == "" {
		t.Errorf("published %v, want usage %q and the idle clock", published, u.Value())
	}
	if n := env.Emu.Counters().Calls["sagemaker:ListTags"]; n != 2 { // the agent's one, and this test's
		t.Errorf("%d ListTags calls, want the agent's one and the test's", n)
	}
}
