package storetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Two-process races. Goroutines on separate handles (Run) share one Go
// runtime, one connection pool per handle and one clock; two OS processes
// share only the state, as two hosts or a cron tick and `serve` do. A
// backend's tests run both:
//
//	func TestMain(m *testing.M) {
//		storetest.ServeProcess(func(ctx context.Context, dsn string) (store.Store, error) {
//			return open the state named by dsn
//		})
//		os.Exit(m.Run())
//	}
//
//	func TestContractProcesses(t *testing.T) {
//		dsn := make a fresh, empty state, named so that ServeProcess's
//		function opens it
//		storetest.RaceProcesses(t, dsn)
//	}
//
// RaceProcesses re-executes the test binary twice with processEnv set to
// dsn; ServeProcess, in each child, opens the state and follows the
// parent's commands on stdin, answering on stdout.

// Connect opens a handle on the state named by dsn (the backend chooses
// the form: a file path, a table and an endpoint), reading the real time.
type Connect func(ctx context.Context, dsn string) (store.Store, error)

// processEnv, set in a child's environment, holds the dsn it opens.
const processEnv = "SAGESAVER_STORETEST_PROCESS"

// ProcessRounds is how many rounds of each race RaceProcesses runs.
const ProcessRounds = 20

// ServeProcess must be called from the backend test's TestMain before
// m.Run. In a child process started by RaceProcesses it opens the state
// with connect, serves the parent's commands and exits; in any other
// process it returns at once.
func ServeProcess(connect Connect) {
	dsn, ok := os.LookupEnv(processEnv)
	if !ok {
		return
	}
	if err := serve(context.Background(), connect, dsn, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stdout, "error", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
	os.Exit(0)
}

// serve is a child: a run of its own for claims and leases, a new run per
// tick, as `sagesaver run` starts one. Commands, one a line:
//
//	claim NAME | lease ACCOUNT REGION | tick UNIX  -> ready (the race is set)
//	go                                            -> won RUN | lost HOLDER
//	release                                       -> ok (gives up what it won)
//	quit                                          -> (exits)
func serve(ctx context.Context, connect Connect, dsn string, in io.Reader, out io.Writer) error {
	s, err := connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect %s: %w", dsn, err)
	}
	defer s.Close()
	self, err := s.StartRun(ctx, store.RunInfo{Command: "storetest process", OSUser: strconv.Itoa(os.Getpid())})
	if err != nil {
		return err
	}
	var (
		res  resource.ID
		tick time.Time
		run  int64 // the run of the race being set
	)
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) == 0 {
			return errors.New("empty command")
		}
		var answer string
		switch {
		case f[0] == "claim" && len(f) == 2:
			res, tick, run, answer = nb(f[1]), time.Time{}, self.ID, "ready"
		case f[0] == "lease" && len(f) == 3:
			res, tick, run, answer = resource.TargetID(f[1], f[2]), time.Time{}, self.ID, "ready"
		case f[0] == "tick" && len(f) == 2:
			sec, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return fmt.Errorf("tick %q: %w", f[1], err)
			}
			tick = time.Unix(sec, 0).UTC()
			r, err := s.StartRun(ctx, store.RunInfo{Command: "run", OSUser: "storetest", Tick: tick})
			if err != nil {
				return err
			}
			res, run, answer = resource.ID{}, r.ID, "ready"
		case f[0] == "go":
			if tick.IsZero() {
				err = s.Claim(ctx, run, res, "race")
			} else {
				err = s.ClaimTick(ctx, run, tick)
				if ferr := s.FinishRun(ctx, run, nil); ferr != nil {
					return ferr
				}
			}
			var ce *store.ClaimedError
			var te *store.TickClaimedError
			switch {
			case err == nil:
				answer = fmt.Sprint("won ", run)
			case errors.As(err, &ce):
				answer = fmt.Sprint("lost ", ce.RunID)
			case errors.As(err, &te):
				answer = fmt.Sprint("lost ", te.RunID)
			default:
				return err
			}
		case f[0] == "release":
			if err := s.Release(ctx, self.ID, res); err != nil {
				return err
			}
			answer = "ok"
		case f[0] == "quit":
			return s.FinishRun(ctx, self.ID, nil)
		default:
			return fmt.Errorf("unknown command %q", lines.Text())
		}
		if _, err := fmt.Fprintln(out, answer); err != nil {
			return err
		}
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return errors.New("stdin closed before quit")
}

// child is a re-executed test binary serving commands.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func (c *child) send(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		t.Fatalf("process %d: send %q: %v", c.cmd.Process.Pid, cmd, err)
	}
}

func (c *child) read(t *testing.T, cmd string) string {
	t.Helper()
	if !c.out.Scan() {
		t.Fatalf("process %d: no answer to %q (%v): it died", c.cmd.Process.Pid, cmd, c.out.Err())
	}
	return c.out.Text()
}

// RaceProcesses races two processes (this test binary, re-executed; the
// backend's TestMain calls ServeProcess) on the state named by dsn,
// fresh and empty (both processes open it at once, so a backend that
// creates or migrates on open races on that too). ProcessRounds rounds
// each of: one claim on a resource, released by the winner; one target
// lease (a Claim on resource.TargetID), released by the winner; one tick
// claim, a new time each round, by a new run in each process. Every
// round exactly one process wins, and the other is told the winner's
// run.
func RaceProcesses(t *testing.T, dsn string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var procs [2]*child
	for i := range procs {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), processEnv+"="+dsn)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			in.Close()
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		procs[i] = &child{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	}
	races := []struct {
		name    string
		set     func(round int) string
		release bool
	}{
		{"Claim", func(int) string { return "claim contended" }, true},
		{"TargetLease", func(int) string { return "lease 111111111111 us-east-1" }, true},
		{"ClaimTick", func(round int) string {
			return fmt.Sprint("tick ", t0.Add(time.Duration(round)*5*time.Minute).Unix())
		}, false},
	}
	for _, race := range races {
		for round := range ProcessRounds {
			what := fmt.Sprintf("%s round %d", race.name, round)
			set := race.set(round)
			for _, p := range procs {
				p.send(t, set)
			}
			for _, p := range procs {
				if got := p.read(t, set); got != "ready" {
					t.Fatalf("%s: process %d answered %q to %q", what, p.cmd.Process.Pid, got, set)
				}
			}
			// Both are ready: start them as close together as two writes.
			for _, p := range procs {
				p.send(t, "go")
			}
			var answers [2]string
			for i, p := range procs {
				answers[i] = p.read(t, "go")
			}
			winner, holder, losers := -1, "", 0
			for i, a := range answers {
				verb, run, _ := strings.Cut(a, " ")
				switch verb {
				case "won":
					winner, holder = i, run
				case "lost":
					losers++
				default:
					t.Fatalf("%s: process %d answered %q", what, procs[i].cmd.Process.Pid, a)
				}
			}
			if winner < 0 || losers != 1 {
				t.Fatalf("%s: processes answered %q, want exactly one winner", what, answers)
			}
			if loser := answers[1-winner]; loser != "lost "+holder {
				t.Errorf("%s: the loser was told %q, want the winner's run %s", what, loser, holder)
			}
			if race.release {
				procs[winner].send(t, "release")
				if got := procs[winner].read(t, "release"); got != "ok" {
					t.Fatalf("%s: release answered %q", what, got)
				}
			}
		}
	}
	for _, p := range procs {
		p.send(t, "quit")
		p.in.Close()
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", p.cmd.Process.Pid, err)
		}
	}
}
