package agent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/gpu"
	"github.com/sagesaver/sagesaver/internal/jupyter"
)

var t0 = time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)

func testConfig() Config {
	c := DefaultConfig()
	c.IdleTime = time.Hour
	c.PollInterval = time.Minute
	c.Grace = 10 * time.Minute
	c.StuckAfter = 3 * time.Hour
	return c
}

func TestEvaluate(t *testing.T) {
	boot := t0.Add(-5 * time.Hour)
	min := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	tests := []struct {
		name   string
		cfg    func(*Config)
		st     State // before; Boot defaults to boot, LastPoll to one minute ago
		o      Observation
		want   string // Summary
		idle   bool
		source string
		notes  []string
	}{
		{
			name: "quiet kernel, 52 of 60 min",
			st:   State{LastActivity: t0.Add(-min(52))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "3f2a9c", ExecutionState: "idle", LastActivity: t0.Add(-min(52))}}},
			want: "idle for 52 min of 60: stops at 13:08 UTC", source: "",
		},
		{
			name: "kernel message more recent than the clock",
			st:   State{LastActivity: t0.Add(-min(90))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "3f2a9c", ExecutionState: "idle", LastActivity: t0.Add(-min(10))}}},
			want: "idle for 10 min of 60: stops at 13:50 UTC", source: "kernel 3f2a",
		},
		{
			name: "idle past threshold",
			st:   State{LastActivity: t0.Add(-min(61))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "3f2a9c", ExecutionState: "idle", LastActivity: t0.Add(-min(70))}}},
			want: "idle for 61 min of 60", idle: true,
		},
		{
			name: "busy kernel and GPU",
			st:   State{LastActivity: t0.Add(-min(61)), BusySince: map[string]time.Time{"3f2a9c": t0.Add(-min(41))}},
			o: Observation{
				Kernels: []jupyter.Kernel{{ID: "3f2a9c", ExecutionState: "busy", LastActivity: t0.Add(-min(30))}},
				GPUs:    []gpu.Device{{Index: 0, Utilization: 87}, {Index: 1, Utilization: 0}},
			},
			want: "not idle: kernel 3f2a busy for 41 min; GPU 0 at 87%", source: "kernel 3f2a busy for 41 min",
		},
		{
			name: "terminal input since the last look",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{Terminals: []jupyter.Terminal{{Name: "1", LastActivity: t0.Add(-4 * time.Second)}}},
			want: "not idle: terminal 1 active 4 s ago", source: "terminal 1",
		},
		{
			name: "cell run since the last look",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "3f2a9c", ExecutionState: "idle", LastActivity: t0.Add(-20 * time.Second)}}},
			want: "not idle: kernel 3f2a active 20 s ago", source: "kernel 3f2a",
		},
		{
			name: "terminal activity",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{Terminals: []jupyter.Terminal{{Name: "1", LastActivity: t0.Add(-min(2))}}},
			want: "idle for 2 min of 60: stops at 13:58 UTC", source: "terminal 1",
		},
		{
			name: "CPU above threshold",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{CPU: 97.4, CPUKnown: true},
			want: "not idle: CPU at 97% of a core",
		},
		{
			name: "CPU below threshold",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{CPU: 12, CPUKnown: true},
			want: "idle for 100 min of 60", idle: true,
		},
		{
			name: "CPU signal off",
			cfg:  func(c *Config) { c.CPUThreshold = 0 },
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{CPU: 400, CPUKnown: true},
			want: "idle for 100 min of 60", idle: true,
		},
		{
			name: "keep-alive",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{KeepAlive: t0.Add(2 * time.Hour)},
			want: "not idle: keep-alive until 15:00 UTC",
		},
		{
			name: "expired keep-alive",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{KeepAlive: t0.Add(-time.Second)},
			want: "idle for 100 min of 60", idle: true,
		},
		{
			name: "keep-alive file without time",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{KeepAlive: Forever},
			want: "not idle: keep-alive file present",
		},
		{
			name: "start-up grace",
			st:   State{Boot: t0.Add(-min(3)), LastActivity: t0.Add(-min(3))},
			want: "not idle: start-up grace until 13:07 UTC",
		},
		{
			name: "open connection ignored by default",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "abcd1", ExecutionState: "idle", LastActivity: t0.Add(-min(100)), Connections: 2}}},
			want: "idle for 100 min of 60", idle: true,
		},
		{
			name: "open connection counted",
			cfg:  func(c *Config) { c.CountConnections = true },
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{Kernels: []jupyter.Kernel{{ID: "abcd1", ExecutionState: "idle", LastActivity: t0.Add(-min(100)), Connections: 2}}},
			want: "not idle: kernel abcd has 2 open connection(s)",
		},
		{
			name: "Jupyter down is not idle",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{JupyterErr: errors.New("connection refused")},
			want: "not idle: Jupyter not answering (connection refused)",
		},
		{
			name: "stuck kernel still counts by default",
			st:   State{LastActivity: t0.Add(-min(400))},
			o: Observation{
				Kernels: []jupyter.Kernel{{ID: "dead1", ExecutionState: "busy", LastActivity: t0.Add(-4 * time.Hour)}},
				CPU:     1, CPUKnown: true,
			},
			want: "not idle: kernel dead busy for 4 h 0 min (looks stuck: no output and no CPU)",
		},
		{
			name: "stuck kernel ignored by option",
			cfg:  func(c *Config) { c.IgnoreStuckKernels = true },
			st:   State{LastActivity: t0.Add(-min(400))},
			o: Observation{
				Kernels: []jupyter.Kernel{{ID: "dead1", ExecutionState: "busy", LastActivity: t0.Add(-4 * time.Hour)}},
				CPU:     1, CPUKnown: true,
			},
			want: "idle for 240 min of 60", idle: true, source: "",
			notes: []string{"kernel dead stuck busy for 4 h 0 min with no output and no CPU: not counted"},
		},
		{
			name: "long busy kernel with CPU is not stuck",
			cfg:  func(c *Config) { c.IgnoreStuckKernels = true },
			st:   State{LastActivity: t0.Add(-min(400))},
			o: Observation{
				Kernels: []jupyter.Kernel{{ID: "work1", ExecutionState: "busy", LastActivity: t0.Add(-4 * time.Hour)}},
				CPU:     95, CPUKnown: true,
			},
			want: "not idle: CPU at 95% of a core; kernel work busy for 4 h 0 min",
		},
		{
			name:   "unwatched time is not idle time",
			st:     State{LastActivity: t0.Add(-min(50)), LastActivitySource: "terminal 1", LastPoll: t0.Add(-min(40))},
			want:   "idle for 11 min of 60: stops at 13:49 UTC",
			source: "moved forward by 39 min the agent was not watching",
			notes:  []string{"agent was not watching for 39 min: not counted as idle"},
		},
		{
			name: "GPU error is noted, not counted",
			st:   State{LastActivity: t0.Add(-min(100))},
			o:    Observation{GPUErr: errors.New("nvidia-smi: exit status 15")},
			want: "idle for 100 min of 60", idle: true,
			notes: []string{"GPU unreadable (nvidia-smi: exit status 15): not counted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			st := tt.st
			if st.Boot.IsZero() {
				st.Boot = boot
			}
			if st.LastPoll.IsZero() {
				st.LastPoll = t0.Add(-time.Minute)
			}
			o := tt.o
			o.At = t0
			v := Evaluate(c, &st, o)
			if got := v.Summary(); got != tt.want {
				t.Errorf("summary:\n got %q\nwant %q", got, tt.want)
			}
			if v.Idle != tt.idle {
				t.Errorf("idle = %v, want %v", v.Idle, tt.idle)
			}
			if tt.source != "" && v.Source != tt.source {
				t.Errorf("source = %q, want %q", v.Source, tt.source)
			}
			if diff := cmp.Diff(tt.notes, v.Notes); diff != "" {
				t.Errorf("notes (-want +got)\n%s", diff)
			}
			if !st.LastActivity.Equal(v.LastActivity) || !st.LastPoll.Equal(t0) {
				t.Errorf("state not updated: %+v", st)
			}
		})
	}
}

func TestEvaluateBusySinceTracksFirstSighting(t *testing.T) {
	c := testConfig()
	st := State{Boot: t0.Add(-5 * time.Hour), LastActivity: t0}
	k := jupyter.Kernel{ID: "k1", ExecutionState: "busy", LastActivity: t0}
	for i := range 30 {
		now := t0.Add(time.Duration(i) * time.Minute)
		k.LastActivity = now // a chatty cell: a message every minute
		v := Evaluate(c, &st, Observation{At: now, Kernels: []jupyter.Kernel{k}})
		if want := "kernel k1 busy for " + human(time.Duration(i)*time.Minute); v.Active[0] != want {
			t.Fatalf("minute %d: %q, want %q", i, v.Active[0], want)
		}
	}
	// Once idle, the kernel is forgotten.
	k.ExecutionState = "idle"
	Evaluate(c, &st, Observation{At: t0.Add(31 * time.Minute), Kernels: []jupyter.Kernel{k}})
	if len(st.BusySince) != 0 {
		t.Errorf("busySince = %v after the kernel went idle", st.BusySince)
	}
}

func TestParseProcStat(t *testing.T) {
	in := `cpu  100 5 50 1000 20 1 2 3 7 0
cpu0 50 2 25 500 10 0 1 1 0 0
cpu1 50 3 25 500 10 1 1 2 0 0
intr 12345
ctxt 999
btime 1772450000
processes 10
`
	ps, err := parseProcStat([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{cpu: cpuTimes{busy: 100 + 5 + 50 + 1 + 2 + 3, total: 100 + 5 + 50 + 1000 + 20 + 1 + 2 + 3, cpus: 2}, boot: time.Unix(1772450000, 0).UTC()}
	if ps != want {
		t.Errorf("got %+v, want %+v", ps, want)
	}
	// Between two samples: one of two cores busy is 100% of a core.
	next := cpuTimes{busy: ps.cpu.busy + 100, total: ps.cpu.total + 200, cpus: 2}
	if pct, ok := cpuPercent(ps.cpu, next); !ok || pct != 100 {
		t.Errorf("cpuPercent = %v, %v; want 100, true", pct, ok)
	}
	if _, ok := cpuPercent(ps.cpu, ps.cpu); ok {
		t.Error("cpuPercent with no time passed is ok")
	}
	for _, bad := range []string{"", "cpu 1 2\nbtime 5\n", "cpu 1 2 3 4 5\n"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) succeeded", bad)
		}
	}
}

func TestKeepAliveFile(t *testing.T) {
	path := t.TempDir() + "/keepalive"
	got, err := ReadKeepAlive(path)
	if err != nil || !got.IsZero() {
		t.Fatalf("no file: %v, %v", got, err)
	}
	until := t0.Add(2 * time.Hour)
	if err := WriteKeepAlive(path, until); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadKeepAlive(path); !got.Equal(until) {
		t.Errorf("read %v, want %v", got, until)
	}
	if err := WriteKeepAlive(path, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadKeepAlive(path); !got.IsZero() {
		t.Errorf("after clear: %v", got)
	}
	if err := WriteKeepAlive(path, time.Time{}); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		yaml  string
		field string
	}{
		{"apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 30m\n", ""},
		{"apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 0s\n", "idleTime"},
		{"apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\npollInterval: 2h\n", "pollInterval"},
		{"apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\ngpuThreshold: 101\n", "gpuThreshold"},
		{"apiVersion: sagesaver.io/v1alpha1\nkind: Config\nidleTime: 1h\n", "kind"},
		{"apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\nidle_time: 2h\n", "idle_time"},
	}
	for _, tt := range tests {
		path := t.TempDir() + "/agent.yaml"
		if err := writeFile(path, tt.yaml); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%q: %v", tt.yaml, err)
		case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field)):
			t.Errorf("%q: err = %v, want one naming %s", tt.yaml, err, tt.field)
		}
	}
}
