package agent_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/jupyter"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPoll measures the agent's CPU time per poll (user + system, of
// this process only) against a real notebook 6.x server over HTTPS with one
// kernel and one terminal, as on a notebook instance:
//
//	go test ./internal/agent -run '^$' -bench Poll -benchtime 200x
func BenchmarkPoll(b *testing.B) {
	srv := jupytertest.Start(b, jupytertest.Notebook, jupytertest.Options{TLS: true, NoToken: true})
	srv.StartKernel(b)
	srv.NewTerminal(b)
	jc, err := jupyter.New(srv.URL, jupyter.Options{InsecureSkipVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	cfg := agent.DefaultConfig()
	cfg.StateDir = b.TempDir()
	cfg.DryRun, cfg.PublishTag = true, false
	a, err := agent.New(cfg, agent.Resource{Name: "nb"}, agent.Deps{Jupyter: jc, Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/poll")
}

// BenchmarkFootprint is the footprint harness: it builds the agent build
// (cmd/sagesaver-agent, what lifecycle scripts install) and, for
// comparison, the full CLI, runs `sagesaver agent` from each (polling every
// second) against a real notebook server for a few seconds and reads their
// resident memory, then runs the Python cron approach it replaces once
// (interpreter start, import boto3, one request to the same server) and
// reads its peak resident memory and CPU time. All figures come from the
// same run on the same machine:
//
//	go test ./internal/agent -run '^$' -bench Footprint -benchtime 1x -v
func BenchmarkFootprint(b *testing.B) {
	py := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		b.Skip("no python3 with boto3 (apt-get install python3-boto3)")
	}
	srv := jupytertest.Start(b, jupytertest.Notebook, jupytertest.Options{TLS: true, NoToken: true})
	srv.StartKernel(b)
	dir := b.TempDir()
	build := func(name, pkg string) string {
		bin := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
		return bin
	}
	agentBin := build("sagesaver-agent", "github.com/sagesaver/sagesaver/cmd/sagesaver-agent")
	fullBin := build("sagesaver", "github.com/sagesaver/sagesaver/cmd/sagesaver")
	meta := filepath.Join(dir, "meta.json")
	mb, _ := json.Marshal(map[string]string{"ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb", "ResourceName": "nb"})
	if err := os.WriteFile(meta, mb, 0o644); err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(conf, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\npollInterval: 1s\npublishTag: false\ndryRun: true\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	// run runs bin's agent for six polls and returns its resident memory,
	// peak resident memory (kB) and CPU time.
	run := func(bin string) (rss, hwm int64, cpu time.Duration) {
		cmd := exec.Command(bin, "agent", "--agent-config", conf, "--metadata", meta, "--jupyter-url", srv.URL, "--state-dir", filepath.Join(dir, "state-"+filepath.Base(bin)))
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(6 * time.Second) // six polls
		rss, hwm = procKB(cmd.Process.Pid, "VmRSS"), procKB(cmd.Process.Pid, "VmHWM")
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return rss, hwm, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}

	for range b.N {
		rss, hwm, agentCPU := run(agentBin)
		fullRSS, _, _ := run(fullBin)

		pyCmd := exec.Command(py, "-c", `import sys, ssl, urllib.request, boto3
boto3.client("sagemaker", region_name="us-east-1")
urllib.request.urlopen(sys.argv[1] + "api/sessions", context=ssl._create_unverified_context()).read()`, srv.URL)
		if out, err := pyCmd.CombinedOutput(); err != nil {
			b.Fatalf("python: %v\n%s", err, out)
		}
		pru := pyCmd.ProcessState.SysUsage().(*syscall.Rusage)
		pyCPU := time.Duration(pru.Utime.Nano() + pru.Stime.Nano())

		b.ReportMetric(float64(rss)/1024, "agent-rss-MB")
		b.ReportMetric(float64(hwm)/1024, "agent-peak-rss-MB")
		b.ReportMetric(float64(agentCPU)/float64(time.Millisecond), "agent-cpu-ms/6s")
		b.ReportMetric(float64(fullRSS)/1024, "full-cli-agent-rss-MB")
		b.ReportMetric(float64(pru.Maxrss)/1024, "python-peak-rss-MB")
		b.ReportMetric(float64(pyCPU)/float64(time.Millisecond), "python-cpu-ms/run")
		b.Logf("agent build: RSS %.1f MB (peak %.1f MB), %s CPU over 6 s including start-up; full CLI's agent: RSS %.1f MB; python cron run: peak RSS %.1f MB, %s CPU",
			float64(rss)/1024, float64(hwm)/1024, agentCPU, float64(fullRSS)/1024, float64(pru.Maxrss)/1024, pyCPU)
	}
}

// procKB reads a "kB" field of /proc/PID/status.
func procKB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
