package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/storetest"
)

// childEnv selects a child mode when the test binary re-executes itself
// to act as a second sagesaver process.
const childEnv = "SAGESAVER_STORE_TEST_CHILD"

func TestMain(m *testing.M) {
	storetest.ServeProcess(func(ctx context.Context, path string) (store.Store, error) {
		return store.Open(ctx, path)
	})
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode, os.Getenv("STORE_PATH"), os.Getenv("STORE_DIR")))
	}
	os.Exit(m.Run())
}

// child is a second process. "claim": start a run, wait for the go file,
// claim resource "r", print won/lost, hold the claim until the done file
// exists, finish. "die": start a run, claim "r", begin an action, and exit
// without finishing anything, as a killed apply would.
func child(mode, path, dir string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	run, err := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "child"})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	switch mode {
	case "claim":
		waitFile(filepath.Join(dir, "go"))
		err := s.Claim(ctx, run.ID, nb("r"), "stop")
		switch {
		case err == nil:
			fmt.Println("won")
		case errors.Is(err, store.ErrClaimed):
			fmt.Println("lost")
		default:
			fmt.Println("error:", err)
		}
		waitFile(filepath.Join(dir, "done"))
		if err := s.FinishRun(ctx, run.ID, nil); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		return 0
	case "die":
		if err := s.Claim(ctx, run.ID, nb("r"), "delete"); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if _, err := s.BeginAction(ctx, store.Action{RunID: run.ID, Actor: "child", Resource: "r", Kind: "endpoint", Verb: "delete"}); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("dying")
		os.Exit(3) // no FinishAction, no FinishRun, no Close
	}
	return 2
}

func waitFile(path string) {
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClaimGoroutinesExactlyOneWins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	const runs = 8
	// Separate handles, as separate processes would have.
	stores := make([]*store.SQLite, runs)
	ids := make([]int64, runs)
	for i := range stores {
		stores[i] = open(t, path)
		r, err := stores[i].StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "u"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
	}
	for _, res := range []string{"a", "b", "c"} {
		var wg sync.WaitGroup
		errs := make([]error, runs)
		start := make(chan struct{})
		for i := range stores {
			wg.Go(func() {
				<-start
				errs[i] = stores[i].Claim(ctx, ids[i], nb(res), "stop")
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, store.ErrClaimed):
			default:
				t.Errorf("resource %s run %d: unexpected error %v", res, ids[i], err)
			}
		}
		if wins != 1 {
			t.Errorf("resource %s: %d runs won the claim, want exactly 1", res, wins)
		}
	}
	cs, err := stores[0].Claims(ctx)
	if err != nil || len(cs) != 3 {
		t.Errorf("Claims = %v, %v; want 3", cs, err)
	}
}

func startChild(t *testing.T, mode, path, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "STORE_PATH="+path, "STORE_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

func TestClaimTwoProcessesExactlyOneWins(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	// Both children open a store that does not exist yet, so they also race
	// on creating it and applying the migrations.
	type proc struct {
		cmd *exec.Cmd
		out *bufio.Scanner
	}
	var ps []proc
	for range 2 {
		cmd, out := startChild(t, "claim", path, dir)
		ps = append(ps, proc{cmd, out})
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range ps {
		if !p.out.Scan() {
			t.Fatalf("child printed nothing: %v", p.out.Err())
		}
		lines = append(lines, p.out.Text())
	}
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("child: %v", err)
		}
	}
	got := strings.Join(lines, ",")
	if got != "won,lost" && got != "lost,won" {
		t.Errorf("children said %q, want one won and one lost", got)
	}
}

func TestKilledProcessIsReportedByNextOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	cmd, out := startChild(t, "die", path, dir)
	if !out.Scan() || out.Text() != "dying" {
		t.Fatalf("child said %q", out.Text())
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child exit: %v", err)
	}
	// The lease has not expired, but the process is gone from this host.
	s := open(t, path)
	rec, err := s.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Abandoned) != 1 || rec.Abandoned[0].Status != store.RunAbandoned || rec.Abandoned[0].PID != cmd.Process.Pid {
		t.Fatalf("abandoned = %+v, want the child's run", rec.Abandoned)
	}
	if len(rec.Interrupted) != 1 || rec.Interrupted[0].Verb != "delete" || rec.Interrupted[0].Result != store.ResultStarted {
		t.Fatalf("interrupted = %+v, want the child's started delete", rec.Interrupted)
	}
	run, _ := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "next"})
	if err := s.Claim(ctx, run.ID, nb("r"), "delete"); err != nil {
		t.Errorf("claim after recovery: %v", err)
	}
}

func TestKilledRunInProcessWaitsForLease(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	clk := clock.NewManual(t0)
	lease := 10 * time.Minute
	s := open(t, path, store.WithClock(clk), store.WithLease(lease))
	dead, _ := s.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "a"})
	if err := s.Claim(ctx, dead.ID, nb("nb"), "stop"); err != nil {
		t.Fatal(err)
	}
	aid, err := s.BeginAction(ctx, store.Action{RunID: dead.ID, Actor: "a", Resource: "nb", Kind: "notebook-instance", Verb: "stop"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // "killed": nothing finished

	// Same process (so the pid is alive): only the lease can tell.
	s2 := open(t, path, store.WithClock(clk), store.WithLease(lease))
	clk.Advance(lease / 2)
	rec, err := s2.Recover(ctx)
	if err != nil || len(rec.Abandoned) != 0 || len(rec.Interrupted) != 0 {
		t.Fatalf("within the lease: Recover = %+v, %v; want nothing", rec, err)
	}
	next, _ := s2.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "b"})
	var ce *store.ClaimedError
	if err := s2.Claim(ctx, next.ID, nb("nb"), "stop"); !errors.As(err, &ce) || ce.RunID != dead.ID {
		t.Fatalf("claim within the lease: err = %v, want ClaimedError by run %d", err, dead.ID)
	}
	// A live run's heartbeat keeps its claims.
	if err := s2.Heartbeat(ctx, next.ID); err != nil {
		t.Fatal(err)
	}

	clk.Advance(lease)
	// An expired claim can be taken over even before Recover runs.
	if err := s2.Claim(ctx, next.ID, nb("nb"), "stop"); err != nil {
		t.Errorf("claim after the lease expired: %v", err)
	}
	rec, err = s2.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Abandoned) != 1 || rec.Abandoned[0].ID != dead.ID {
		t.Errorf("abandoned = %+v, want run %d", rec.Abandoned, dead.ID)
	}
	if len(rec.Interrupted) != 1 || rec.Interrupted[0].ID != aid {
		t.Fatalf("interrupted = %+v, want action %d", rec.Interrupted, aid)
	}
	if err := s2.Heartbeat(ctx, dead.ID); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("heartbeat of an abandoned run: err = %v, want ErrNotRunning", err)
	}
	if err := s2.Claim(ctx, dead.ID, nb("other"), "stop"); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("claim by an abandoned run: err = %v, want ErrNotRunning", err)
	}
	if err := s2.ResolveInterrupted(ctx, aid, store.ResultOK, "notebook found Stopped"); err != nil {
		t.Fatal(err)
	}
	rec, _ = s2.Recover(ctx)
	if len(rec.Interrupted) != 0 {
		t.Errorf("after resolving: interrupted = %+v", rec.Interrupted)
	}
	a, err := s2.Action(ctx, aid)
	if err != nil || a.Result != store.ResultOK || a.Error != "interrupted; notebook found Stopped" {
		t.Errorf("resolved action = %+v, %v", a, err)
	}
	// The live run was not touched.
	r, _ := s2.Run(ctx, next.ID)
	if r.Status != store.RunRunning {
		t.Errorf("live run status %s", r.Status)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := store.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: err = %v, want a 'newer' error", err)
	}
}
