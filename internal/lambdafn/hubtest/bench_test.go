package hubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// BenchmarkFanOut is the wall time of one fanned-out tick, from the
// Scheduler's event to the last worker's return, for SAGESAVER_BENCH_ACCOUNTS
// member accounts (default 50) x 4 regions, each target with 5 endpoints
// (one idle, deleted in enforce mode), against the emulator's throttles:
// Lambda Invoke 50/s, sts:AssumeRole 20/s, SageMaker and CloudWatch 20/s per
// operation (the emulator's buckets are per operation and region, shared by
// every account: stricter than AWS's, which are per account). Every worker
// runs in this process (the emulator's asynchronous invocations), on the
// dynalite state. Figures in BENCHMARKS.md.
//
//	go test -run '^$' -bench BenchmarkFanOut -benchtime 1x ./internal/lambdafn/hubtest
func BenchmarkFanOut(b *testing.B) {
	accounts := 50
	if v := os.Getenv("SAGESAVER_BENCH_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SAGESAVER_BENCH_ACCOUNTS=%q", v)
		}
		accounts = n
	}
	regs := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}
	var sc strings.Builder
	sc.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-12-01T10:00:00Z\naccounts:\n")
	fmt.Fprintf(&sc, "  - id: %q\n    accessKeys: [AKIAHUB]\n", hubAccount)
	for i := range accounts {
		fmt.Fprintf(&sc, "  - id: \"%012d\"\n    roles: [SageSaver]\n    regions:\n", 200000000000+i)
		for _, r := range regs {
			fmt.Fprintf(&sc, "      %s:\n        endpoints:\n", r)
			for e := range 5 {
				fmt.Fprintf(&sc, "          - {name: ep-%d, variants: [{name: AllTraffic, image: \"i:1\", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}\n", e)
			}
			sc.WriteString("        metrics:\n")
			for e := 1; e < 5; e++ {
				fmt.Fprintf(&sc, "          - {metric: Invocations, endpoint: ep-%d, value: 3, from: 3d, to: 0d}\n", e)
			}
		}
	}
	run := strings.Replace(runFile, "regions: [us-east-1, eu-west-1]", "regions: ["+strings.Join(regs, ", ")+"]", 1)
	for b.Loop() {
		b.StopTimer()
		h := newHub(b, sc.String(), run)
		h.env.Emu.SetFaults(emulator.FaultConfig{Throttle: map[string]emulator.Rate{
			"lambda:Invoke":  {PerSecond: 50, Burst: 50},
			"sts:AssumeRole": {PerSecond: 20, Burst: 20},
			"sagemaker:*":    {PerSecond: 20, Burst: 20},
			"cloudwatch:*":   {PerSecond: 20, Burst: 20},
		}})
		stop := h.env.Tick(20*time.Millisecond, 30*time.Second)
		b.StartTimer()
		start := time.Now()
		if _, err := h.handler().Invoke(context.Background(), []byte(schedulerEvent)); err != nil {
			b.Fatal(err)
		}
		dispatched := time.Since(start)
		h.env.Emu.WaitFunctions()
		wall := time.Since(start)
		b.StopTimer()
		stop()
		c := h.env.Emu.Counters()
		var throttled int64
		for _, n := range c.Throttled {
			throttled += n
		}
		b.ReportMetric(dispatched.Seconds(), "dispatch-s")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(len(h.env.Emu.Invocations())), "workers")
		b.ReportMetric(float64(c.Calls["sagemaker:DeleteEndpoint"]), "deletes")
		b.ReportMetric(float64(throttled), "throttled")
		b.StartTimer()
	}
}

// BenchmarkWorkerMemory is the peak resident memory of the function's
// binary doing one target's tick (a worker's work: inventory through the
// describe cache, endpoint evidence, the policy pass in dry-run, advice)
// for an account of 2,000 resources: 1,200 endpoints, 500 notebooks, 200
// Studio apps, 100 jobs in one region, on the emulator, the state in
// SQLite. It builds the binary as the deployment does and reads the
// child's maximum RSS (getrusage). Figures in BENCHMARKS.md; they set the
// hub template's MemorySize.
//
//	go test -run '^$' -bench BenchmarkWorkerMemory -benchtime 1x ./internal/lambdafn/hubtest
func BenchmarkWorkerMemory(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../../cmd/sagesaver")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	sc := emulator.LargeScenario(emulator.LargeOptions{Endpoints: 1200, Notebooks: 500, StudioApps: 200, Jobs: 100, Regions: 1})
	data, err := yaml.Marshal(sc)
	if err != nil {
		b.Fatal(err)
	}
	env := emulatortest.Start(b, string(data))
	run := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(run, []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Run
targets: {regions: [us-east-1]}
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - {name: idle-endpoints, resource: endpoint, conditions: {idleFor: 24h}, actions: [{type: delete}]}
`), 0o600); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		cmd := exec.Command(bin, "run", "-f", run, "--at", time.Date(2026, 12, 1, 10, i, 0, 0, time.UTC).Format(time.RFC3339), "-o", "json",
			"--endpoint-url", env.URL, "--state", "sqlite:"+filepath.Join(dir, fmt.Sprintf("state-%d.db", i)))
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1",
			"AWS_PROFILE=", "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
			"SAGESAVER_CONFIG=", "XDG_CACHE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
		out, err := cmd.Output()
		if err != nil && cmd.ProcessState.ExitCode() != 3 {
			b.Fatalf("%v\n%s", err, out)
		}
		var doc struct {
			Targets []struct{ Counts map[string]int }
		}
		if err := json.Unmarshal(out, &doc); err != nil || len(doc.Targets) != 1 || doc.Targets[0].Counts["resources"] < 2000 {
			b.Fatalf("want one target of 2,000 resources: %s (%v)", out, err)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
		b.ReportMetric(cmd.ProcessState.UserTime().Seconds()+cmd.ProcessState.SystemTime().Seconds(), "cpu-s")
	}
}
