package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/store"
)

// readOnlyOps are the operation name prefixes that change nothing in an
// account. Every other operation (Create*, Delete*, Stop*, Start*,
// Update*, AddTags, Publish, Register*, Put*...) is a change.
var readOnlyOps = []string{"Describe", "List", "Get", "Search", "BatchGet", "AssumeRole"}

// onInstance are the commands of the on-instance agent: it is started by
// the lifecycle script on the notebook instance or Studio app it watches,
// and acting on that one resource (its activity tag, the stop) is what it
// is for; its dry run is --dry-run. They are run like the others, and
// may only tag or stop their own instance.
var onInstance = map[string][]string{
	"agent":           {"sagemaker:AddTags"},
	"agent keepalive": nil,
	"agent status":    nil,
}

// mutatingCalls are the calls in c that change an account, sorted.
func mutatingCalls(c emulator.Counters) []string {
	var out []string
	for k, n := range c.Calls {
		_, op, _ := strings.Cut(k, ":")
		ro := false
		for _, p := range readOnlyOps {
			ro = ro || strings.HasPrefix(op, p)
		}
		if !ro && n > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestNoChangeWithoutYes walks every command of the CLI (the command tree
// itself, so that a new command is covered, or fails here until it is
// given arguments), runs it without --yes against the emulator's demo
// fleet, and asserts with the emulator's request counters that it made no
// call that changes the account.
func TestNoChangeWithoutYes(t *testing.T) {
	sc, err := emulator.Bundled("demo")
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, "")
	if err := env.Emu.Load(sc); err != nil {
		t.Fatal(err)
	}
	executorOptions = []action.Option{action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second,
		EndpointInService: 20 * time.Second, MinDelay: 2 * time.Millisecond, MaxDelay: 5 * time.Millisecond})}
	t.Cleanup(func() { executorOptions = nil })
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	agentDir := filepath.Join(dir, "agent")
	policy := filepath.Join("..", "..", "examples", "policies", "demo.yaml")
	schedules := filepath.Join("..", "..", "examples", "schedules", "dev-notebooks-office-hours.yaml")
	sum := strings.Repeat("ab", 32)
	metadata := filepath.Join(dir, "resource-metadata.json")
	if err := os.MkdirAll(agentDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metadata, []byte(`{"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-alice","ResourceName":"dev-alice"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// A run file in enforce mode: run --dry-run must still change nothing.
	runFile := filepath.Join(dir, "run.yaml")
	absPolicy, _ := filepath.Abs(policy)
	absSchedules, _ := filepath.Abs(schedules)
	if err := os.WriteFile(runFile, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Run\ntargets: {regions: [us-east-1]}\n"+
		"policies: [{file: "+absPolicy+"}]\nschedules: [{file: "+absSchedules+"}]\nmode: enforce\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runScanCLI(t, env, "AKIADEMO", t.TempDir(), "version") // sets the environment
	cli := func(ctx context.Context, args ...string) (string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
		a.Clock = env.Emu.Clock()
		stop := env.Tick(2*time.Millisecond, 15*time.Second)
		defer stop()
		code := run(ctx, a, append(args, "--endpoint-url", env.URL, "--region", "us-east-1", "--state", state))
		return out.String() + errb.String(), code
	}

	// Something to restore: apply --yes deletes the demo's idle endpoints.
	if out, code := cli(context.Background(), "apply", "-f", policy, "--yes"); code != 0 && code != root.ExitPartial {
		t.Fatalf("setup apply --yes: exit %d\n%s", code, out)
	}
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := st.Actions(context.Background(), store.ActionFilter{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	deleted := ""
	for _, a := range acts {
		if a.Verb == "delete" && a.Result == store.ResultOK {
			deleted = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
		}
	}
	if deleted == "" {
		t.Fatal("setup: apply --yes deleted no endpoint")
	}

	// deploy package writes a zip from a run file (self-contained: the
	// one above names files by absolute path) and a Linux binary (this
	// test's own); it calls nothing.
	pkgDir := t.TempDir()
	pkgRun := filepath.Join(pkgDir, "run.yaml")
	if err := os.WriteFile(filepath.Join(pkgDir, "policy.yaml"), []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nrules:\n  - name: delete-idle-endpoints\n    resource: endpoint\n    conditions: {idleFor: 24h}\n    actions: [{type: delete}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pkgRun, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Run\ntargets: {regions: [us-east-1]}\npolicies: [{file: policy.yaml}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	// Minimal valid arguments per command, without --yes. A command
	// missing here fails the test: decide what it needs.
	args := map[string][]string{
		"deploy package":  {"-f", pkgRun, "--bootstrap", self, "--out", filepath.Join(pkgDir, "fn.zip")},
		"deploy template": {"--hub"},
		"iam operations":  {},
		"iam policy":      {"--flavour", "act"},
		"state init":      {}, // the --state database: no AWS call
		"advise":          {},
		// The agent runs on its own instance (the lifecycle script starts
		// it; --dry-run is its dry run); --once polls once and says what
		// it sees.
		"agent":             {"--once", "--state-dir", agentDir, "--metadata", metadata, "--jupyter-url", "http://127.0.0.1:1/"},
		"agent keepalive":   {"2h", "--state-dir", agentDir},
		"agent status":      {"--state-dir", agentDir},
		"apply":             {"-f", policy},
		"demo":              {}, // its own emulator, never the account
		"emulator":          {"--listen", "127.0.0.1:0"},
		"history":           {},
		"lifecycle audit":   {},
		"lifecycle install": {"--notebook", "dev-alice", "--binary-url", "s3://tools/sagesaver-agent", "--sha256", sum},
		"lifecycle render":  {"--binary-url", "s3://tools/sagesaver-agent", "--sha256", sum},
		"plan":              {"-f", policy},
		"pricing info":      {},
		"pricing refresh":   {"--region", "us-east-1"},
		"pricing show":      {},
		"restore endpoint":  {deleted},
		// A running server: nothing to start (a stopped one would be
		// started only with --yes).
		"restore mlflow-tracking-server": {"research-experiments"},
		"run":                            {"-f", runFile, "--dry-run"},
		"scan":                           {},
		"serve":                          {"--once"}, // serving itself is the browser test's
		"schedule explain":               {"dev-alice", "-f", schedules},
		"schedule preview":               {"-f", schedules},
		"schedule run":                   {"-f", schedules, "--sns-topic", "arn:aws:sns:us-east-1:123456789012:sagesaver-demo"},
		"version":                        {},
	}
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Hidden {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "sagesaver ")
		seen[path] = true
		a, ok := args[path]
		if !ok {
			t.Errorf("%s: no arguments in TestNoChangeWithoutYes; give it a minimal valid set so that it is checked", path)
			return
		}
		ctx := context.Background()
		if path == "emulator" {
			// It serves until interrupted.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			cancel()
		}
		env.Emu.ResetCounters()
		argv := append(strings.Fields(path), a...)
		out, code := cli(ctx, argv...)
		if code != 0 {
			t.Logf("%s: exit %d\n%s", path, code, out)
		}
		if code == root.ExitUsage {
			t.Errorf("%s: exit %d (usage): the test's arguments are not valid\n%s", path, code, out)
		}
		calls := mutatingCalls(env.Emu.Counters())
		if allowed, ok := onInstance[path]; ok {
			calls = slices.DeleteFunc(calls, func(c string) bool { return slices.Contains(allowed, c) })
		}
		if len(calls) > 0 {
			t.Errorf("%s without --yes changed the account: %v\n%s", strings.Join(argv, " "), calls, out)
		}
	}
	walk(newRoot(&app{root.New(Stdio{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})}))
	for path := range args {
		if !seen[path] {
			t.Errorf("%s: in the test's arguments but not a command", path)
		}
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state: %v", err)
	}
}
