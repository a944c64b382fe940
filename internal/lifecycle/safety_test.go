package lifecycle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// victim starts a process in its own process group, as a pid an attacker
// would plant, and returns its pid; it is killed when the test ends.
func victim(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	// A killed child not yet reaped is a zombie: "pid (sleep) Z ...".
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// The script keeps root's state where only root writes, gives the
// notebook user a separate keep-alive directory, sets aside a state
// directory an older version left world-writable (with whatever was
// planted in it), and kills only its own supervisor, never a pid read
// from a file another user could write.
func TestScriptStateDirectoriesAndPidFile(t *testing.T) {
	binPath, sum := buildAgent(t)
	const arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"
	in := newInstance(t, arn, false)
	if err := os.MkdirAll(filepath.Join(in.s3, "bucket/tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(binPath)
	write(t, filepath.Join(in.s3, "bucket/tools/sagesaver"), string(b), 0o644)
	script, err := Render(renderOpts("s3://bucket/tools/sagesaver", sum))
	if err != nil {
		t.Fatal(err)
	}

	// What an earlier version left: /var/lib/sagesaver mode 1777, where
	// the notebook user planted a pid file and a link.
	state := filepath.Join(in.root, StateDir)
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o1777); err != nil {
		t.Fatal(err)
	}
	planted := victim(t)
	write(t, filepath.Join(state, "supervisor.pid"), strconv.Itoa(planted)+"\n", 0o666)
	if err := os.Symlink("/etc/passwd", filepath.Join(state, "state.json")); err != nil {
		t.Fatal(err)
	}

	in.run(t, script)
	pidFile := filepath.Join(state, "supervisor.pid")
	waitFor(t, "supervisor", 60*time.Second, func() bool { _, err := os.Stat(pidFile); return err == nil }, in.log)

	if m := mode(t, state); m != os.ModeDir|0o755 {
		t.Errorf("state dir mode %s, want drwxr-xr-x", m)
	}
	if m := mode(t, filepath.Join(in.root, KeepAliveDir)); m.Perm() != 0o777 || m&os.ModeSticky == 0 || m&os.ModeSymlink != 0 {
		// Not root here, so no ec2-user to hand it to: sticky like /tmp.
		t.Errorf("keep-alive dir mode %s, want sticky 1777 (as non-root)", m)
	}
	aside, _ := filepath.Glob(state + ".untrusted.*")
	if len(aside) != 1 {
		t.Fatalf("old state dir not set aside: %v", aside)
	}
	if _, err := os.Lstat(filepath.Join(state, "state.json")); err == nil && mode(t, filepath.Join(state, "state.json"))&os.ModeSymlink != 0 {
		t.Errorf("planted link kept in the state dir")
	}
	if !alive(planted) {
		t.Fatalf("the script killed planted pid %d", planted)
	}
	conf, _ := os.ReadFile(filepath.Join(in.root, ConfigPath))
	if !strings.Contains(string(conf), "keepAliveDir: "+in.root+KeepAliveDir) {
		t.Errorf("agent config does not name the keep-alive dir:\n%s", conf)
	}

	// A rerun whose pid file names a process that is not its loop (a
	// reused pid) leaves that process alone, and replaces its own loop.
	b, _ = os.ReadFile(pidFile)
	own, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	other := victim(t)
	write(t, pidFile, strconv.Itoa(other)+"\n", 0o644)
	in.run(t, script)
	waitFor(t, "new supervisor", 60*time.Second, func() bool {
		b, _ := os.ReadFile(pidFile)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n != other && n != 0
	}, in.log)
	if !alive(other) {
		t.Errorf("the rerun killed pid %d, which is not its supervisor", other)
	}
	_ = syscall.Kill(-own, syscall.SIGKILL) // the first loop, orphaned by the swap
	b, _ = os.ReadFile(pidFile)
	again, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// The rerun kills its own loop when the pid file names it.
	in.run(t, script)
	waitFor(t, "replaced supervisor", 60*time.Second, func() bool {
		b, _ := os.ReadFile(pidFile)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n != again && n != 0
	}, in.log)
	waitFor(t, "old loop gone", 10*time.Second, func() bool { return !alive(again) }, in.log)
}
