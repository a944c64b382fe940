package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// isolate gives the CLI a private config, cache and AWS environment with
// static credentials and no AWS config files.
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "SAGESAVER_STATE", "SAGESAVER_AWS_TIMEOUT", "SAGESAVER_LOG_LEVEL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// silentEndpoint is a loopback listener that accepts connections and never
// answers.
func silentEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestScanSilentEndpointFails: a scan of an endpoint that accepts and never
// answers fails (instead of hanging) with the endpoint and the timeout in
// its message and no word about credentials, and says on stderr, while it
// waits, that it is waiting.
func TestScanSilentEndpointFails(t *testing.T) {
	isolate(t)
	defer func(d time.Duration) { progressLineEvery = d }(progressLineEvery)
	progressLineEvery = 50 * time.Millisecond
	url := silentEndpoint(t)
	_, errOut, code := runCLI(t, "scan", "--endpoint-url", url, "--aws-timeout", "500ms")
	if code != root.ExitFailed {
		t.Errorf("exit %d, want %d", code, root.ExitFailed)
	}
	last := lastLine(errOut)
	for _, want := range []string{strings.TrimPrefix(url, "http://"), "within 500ms", "--aws-timeout"} {
		if !strings.Contains(last, want) {
			t.Errorf("error %q lacks %q", last, want)
		}
	}
	if strings.Contains(last, "credentials") {
		t.Errorf("error %q blames credentials", last)
	}
	if !strings.Contains(errOut, "connecting to AWS") {
		t.Errorf("no progress while waiting; stderr:\n%s", errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestBadEndpointAndRegionRefusedUpFront: an endpoint URL that is not
// http(s) with a host, and a region name no partition has, are usage
// errors before any AWS call.
func TestBadEndpointAndRegionRefusedUpFront(t *testing.T) {
	env := emulatortest.Start(t, planScenario)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"file URL", []string{"--endpoint-url", "file:///etc/passwd"}, "--endpoint-url: \"file:///etc/passwd\": the scheme must be http or https"},
		{"ftp URL", []string{"--endpoint-url", "ftp://x"}, "--endpoint-url: \"ftp://x\": the scheme must be http or https"},
		{"not a URL", []string{"--endpoint-url", "not a url"}, "--endpoint-url: \"not a url\" is not a URL"},
		{"upper-case region", []string{"--endpoint-url", env.URL, "--region", "US-EAST-1"}, "--region: \"US-EAST-1\" is not a region: region names are lower case; did you mean us-east-1?"},
		{"no such region", []string{"--endpoint-url", env.URL, "--region", "us-east-1,mars-north-1"}, "--region: \"mars-north-1\" is not an AWS region; did you mean eu-north-1?"},
		{"timeout too short", []string{"--endpoint-url", env.URL, "--aws-timeout", "1ns"}, "--aws-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			env.Emu.ResetCounters()
			out, errOut, code := runCLI(t, append([]string{"scan"}, tt.args...)...)
			if code != root.ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, root.ExitUsage, errOut)
			}
			if !strings.Contains(lastLine(errOut), tt.want) {
				t.Errorf("error %q lacks %q", lastLine(errOut), tt.want)
			}
			if out != "" {
				t.Errorf("stdout: %q", out)
			}
			if c := env.Emu.Counters(); c.Total != 0 {
				t.Errorf("AWS calls: %v", c.Calls)
			}
		})
	}
}

// TestBrokenConfigFile: version and demo never read the config file, so a
// broken one does not stop them; other commands name the file.
func TestBrokenConfigFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	file := filepath.Join(dir, "sagesaver", "config.yaml")
	writeAt(t, file, "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: [us-east-1\n")
	if out, errOut, code := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "sagesaver ") {
		t.Errorf("version: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := runCLI(t, "demo"); (code != 0 && code != root.ExitPartial) || !strings.Contains(out, "sagesaver demo:") {
		t.Errorf("demo: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"scan"}, {"pricing", "show", "--instance-type", "ml.m5.large"}, {"history"}} {
		_, errOut, code := runCLI(t, args...)
		if code != root.ExitUsage || !strings.Contains(lastLine(errOut), file+":") {
			t.Errorf("%v: exit %d, error %q does not name %s", args, code, lastLine(errOut), file)
		}
	}
}

func writeAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDurationAndNumberFlags: every duration flag reads the one syntax
// ("1d"), errors name the flag the user typed, and NaN or infinity is
// refused in float flags and fields.
func TestDurationAndNumberFlags(t *testing.T) {
	isolate(t)
	bin := writeFile(t, "agent", "not really a binary")
	render := []string{"lifecycle", "render", "--binary-url", "s3://bucket/sagesaver-agent", "--binary", bin}
	out, errOut, code := runCLI(t, append(render, "--idle", "3h", "--grace", "1d", "--poll", "5m")...)
	if code != 0 || !strings.Contains(out, "idleTime: 3h0m0s") || !strings.Contains(out, "grace: 24h0m0s") {
		t.Errorf("--idle 3h --grace 1d: exit %d, %s\n%s", code, errOut, out)
	}
	agentConf := writeFile(t, "agent.yaml", "apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\ncpuThreshold: .nan\n")
	tests := []struct {
		name    string
		args    []string
		want    string
		wantNot string
	}{
		{"negative idle", append(render, "--idle", "-5m"), `"--idle" flag: "-5m" is negative`, "idle-time"},
		{"idle shorter than poll", append(render, "--idle", "1ns"), "--idle 1ns is shorter than the poll interval (--poll ", ""},
		{"idle longer than stuckAfter", append(render, "--idle", "3d"), "--idle 3d is longer than the agent's stuckAfter (6h)", "--stuck-after"},
		{"zero idle", append(render, "--idle", "0"), "--idle: must be positive", "idle-time"},
		{"poll longer than idle", append(render, "--idle", "1h", "--poll", "2h"), "--idle 1h is shorter than the poll interval (--poll 2h)", ""},
		{"NaN cpu threshold", append(render, "--cpu-threshold", "NaN"), `"--cpu-threshold" flag: "NaN" is not a finite number`, ""},
		{"infinite gpu threshold", append(render, "--gpu-threshold", "+Inf"), `"--gpu-threshold" flag: "+Inf" is not a finite number`, ""},
		{"NaN in the agent config", []string{"agent", "status", "--agent-config", agentConf}, agentConf + `:4:15: field "cpuThreshold": .nan is not a finite number`, ""},
		{"lookback too long", []string{"advise", "--lookback", "999999d"}, `"--lookback" flag: "999999d" is too long: at most 455d`, "at least"},
		{"lookback too short", []string{"advise", "--lookback", "12h"}, `"--lookback" flag: "12h" is too short: at least 1d`, ""},
		{"job lookback in weeks", []string{"scan", "--job-lookback", "2w"}, `"--job-lookback" flag: "2w" is not a duration`, ""},
		{"interval too short", []string{"schedule", "run", "-f", "x.yaml", "--interval", "30s"}, `"--interval" flag: "30s" is too short: at least 1m`, ""},
		{"keepalive in days", []string{"agent", "keepalive", "1w", "--state-dir", t.TempDir()}, `keepalive: "1w" is not a positive duration`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != root.ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, root.ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tt.want) || (tt.wantNot != "" && strings.Contains(errOut, tt.wantNot)) {
				t.Errorf("stderr %q, want %q (and not %q)", errOut, tt.want, tt.wantNot)
			}
			if strings.Contains(out, ".nan") || strings.Contains(out, "NaN") {
				t.Errorf("NaN in the output:\n%s", out)
			}
		})
	}
	// Days are accepted by --interval and keepalive too.
	if _, errOut, _ := runCLI(t, "schedule", "run", "-f", "x.yaml", "--interval", "1d", "--daemon"); strings.Contains(errOut, "--interval") {
		t.Errorf("--interval 1d refused: %s", errOut)
	}
	if out, errOut, code := runCLI(t, "agent", "keepalive", "1d", "--state-dir", t.TempDir()); code != 0 || !strings.HasPrefix(out, "kept alive until") {
		t.Errorf("keepalive 1d: exit %d %q %q", code, out, errOut)
	}
}

// TestSDKEndpointVariableChecked: AWS_ENDPOINT_URL, which the SDK reads
// itself, is checked up front like --endpoint-url.
func TestSDKEndpointVariableChecked(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", "ftp://x")
	_, errOut, code := runCLI(t, "scan")
	if code != root.ExitUsage || !strings.Contains(lastLine(errOut), `AWS_ENDPOINT_URL: "ftp://x": the scheme must be http or https`) {
		t.Errorf("exit %d, error %q", code, lastLine(errOut))
	}
}
