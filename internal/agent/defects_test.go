package agent_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

// TestNeverConnectedKernelIsNotActivityForever: on Notebook 6.4 a kernel
// started through the REST API that no client ever connects to stays
// "starting" forever (AWS's autostop.py counts any state but "idle" as
// activity, and so never stops the instance). The agent counts it for
// NeverConnectedAfter at most, then the instance goes idle.
func TestNeverConnectedKernelIsNotActivityForever(t *testing.T) {
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) {
		c.IdleTime = 30 * time.Minute
		c.PollInterval = 5 * time.Minute
		c.StuckAfter = 6 * time.Hour
	})
	var k struct {
		ID string `json:"id"`
	}
	r.srv.Do(t, http.MethodPost, "api/kernels", map[string]string{"name": "python3"}, &k)
	// Let it come up: the process is started, nothing talks to it.
	time.Sleep(3 * time.Second)
	ks, err := r.jc.Kernels(context.Background())
	if err != nil || len(ks) != 1 || ks[0].ExecutionState != "starting" || ks[0].Connections != 0 {
		t.Fatalf("kernels %+v (%v): want one kernel, starting, no connection (the defect's premise)", ks, err)
	}
	r.clk.Set(time.Now())
	a := r.agent(t)
	if v := poll(t, a); !strings.Contains(v.Summary(), "starting") {
		t.Fatalf("first poll: %q, want the starting kernel counted", v.Summary())
	}
	// Polls a few milliseconds apart see no CPU ticks pass: let some pass,
	// as they do between polls a minute apart.
	v := r.elapse(t, a, agent.NeverConnectedAfter)
	if v.Idle {
		t.Fatalf("idle before %s: %q", agent.NeverConnectedAfter, v.Summary())
	}
	// From here on, with a second of real time between polls for the
	// kernel's CPU to be measured.
	for d := time.Duration(0); d <= r.cfg.IdleTime; d += r.cfg.PollInterval {
		time.Sleep(time.Second)
		r.clk.Advance(r.cfg.PollInterval)
		v = poll(t, a)
	}
	if !v.Idle || !strings.Contains(strings.Join(v.Notes, "\n"), "no client ever connected") {
		t.Errorf("%s after the kernel started: %q (notes %q), want idle with the kernel noted", agent.NeverConnectedAfter+r.cfg.IdleTime, v.Summary(), v.Notes)
	}
}

// TestSilentComputationIsNotStuckWithRaisedThreshold: a kernel computing
// without output for longer than stuckAfter is working, not stuck, even
// when cpuThreshold is raised above anything the machine can reach (the
// kernel's own CPU decides, not the user's threshold). With
// ignoreStuckKernels on, calling it stuck would stop a running job.
func TestSilentComputationIsNotStuckWithRaisedThreshold(t *testing.T) {
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) {
		c.CPUThreshold = 100000
		c.IgnoreStuckKernels = true
		c.StuckAfter = time.Minute
		c.IdleTime = time.Minute
	})
	id := r.srv.StartKernel(t)
	r.srv.Execute(t, id, "while True: pass")
	a := r.agent(t)
	poll(t, a)
	time.Sleep(1500 * time.Millisecond) // kernel CPU is measured between polls
	r.clk.Set(time.Now().Add(3 * time.Minute))
	v := poll(t, a)
	if v.Idle || !strings.Contains(v.Summary(), "kernel "+id[:4]+" busy for") || strings.Contains(v.Summary(), "stuck") {
		t.Errorf("silent computation: %q (notes %q), want not idle, busy, not stuck", v.Summary(), v.Notes)
	}
	// The control: a kernel stuck busy with no CPU of its own (stopped
	// with SIGSTOP) is stuck whatever the threshold.
	out, err := exec.Command("pkill", "-STOP", "-f", "kernel-"+id+".json").CombinedOutput()
	if err != nil {
		t.Fatalf("pkill: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("pkill", "-CONT", "-f", "kernel-"+id+".json").Run() })
	// A poll after the stop, with more than the agent's smallest CPU
	// window since the last one, starts a window in which the kernel has
	// not run at all (the spin until pkill lands, long on a loaded
	// machine, stays in the window before).
	time.Sleep(700 * time.Millisecond)
	poll(t, a)
	time.Sleep(1500 * time.Millisecond)
	r.clk.Advance(10 * time.Second)
	v = poll(t, a)
	if !strings.Contains(strings.Join(v.Notes, "\n"), "stuck busy") {
		t.Errorf("stopped kernel: %q (notes %q), want it noted stuck", v.Summary(), v.Notes)
	}
}

// TestInterruptedPollIsNotActivity: a SIGTERM during a poll cuts its
// requests short; that is not "Jupyter not answering", and the idle clock
// and state file stay as they were.
func TestInterruptedPollIsNotActivity(t *testing.T) {
	r := newRig(t, jupytertest.Notebook, nil)
	a := r.agent(t)
	poll(t, a)
	idle := r.elapse(t, a, r.cfg.IdleTime+time.Second)
	checkIdle(t, idle)
	before, err := os.ReadFile(r.cfg.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal arrives while the poll's requests are in flight
	r.clk.Advance(r.cfg.PollInterval)
	if _, err := a.Poll(ctx); err == nil {
		t.Error("interrupted poll: no error")
	}
	if got := a.State().LastActivity; !got.Equal(idle.LastActivity) {
		t.Errorf("idle clock moved to %v by an interrupted poll, was %v", got, idle.LastActivity)
	}
	after, _ := os.ReadFile(r.cfg.StatePath())
	if string(after) != string(before) {
		t.Error("state file rewritten by an interrupted poll")
	}
	if v := poll(t, a); !v.Idle {
		t.Errorf("next poll: %q, want still idle", v.Summary())
	}
}

// TestOnceSeesCPU: `agent --once` measures CPU use: since the previous
// run's sample when there is one (cron runs), else over OnceSample.
func TestOnceSeesCPU(t *testing.T) {
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) { c.CPUThreshold = 50 })
	stat := filepath.Join(t.TempDir(), "stat")
	write := func(busy, idle int) {
		t.Helper()
		b := []byte("cpu  " + itoa(busy) + " 0 0 " + itoa(idle) + " 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1764000000\n")
		if err := os.WriteFile(stat, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once := func() agent.Verdict {
		t.Helper()
		a, err := agent.New(r.cfg, r.res, agent.Deps{Jupyter: r.jc, Clock: r.clk, ProcStat: stat})
		if err != nil {
			t.Fatal(err)
		}
		v, err := a.Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	write(1000, 1000)
	once()
	// Five minutes later (cron), one core of two was busy all along.
	write(1000+30000, 1000+30000)
	r.clk.Advance(5 * time.Minute)
	if v := once(); !strings.Contains(v.Summary(), "CPU at 100%") {
		t.Errorf("second --once run: %q, want CPU at 100%% of a core", v.Summary())
	}

	// No earlier sample: two samples OnceSample apart, of the real
	// /proc/stat, with a core kept busy.
	r.cfg.StateDir = t.TempDir()
	burn := exec.Command("sh", "-c", "while :; do :; done")
	if err := burn.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = burn.Process.Kill(); _ = burn.Wait() })
	a, err := agent.New(r.cfg, r.res, agent.Deps{Jupyter: r.jc, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Once(context.Background())
	if err != nil || !strings.Contains(v.Summary(), "CPU at") {
		t.Errorf("first --once run with a busy core: %q (%v), want CPU seen", v.Summary(), err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
