package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

const testSHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func renderOpts(from, sum string) Options {
	cfg := agent.DefaultConfig()
	return Options{From: from, SHA256: sum, Agent: cfg}
}

func TestRenderChecks(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"s3", renderOpts("s3://bucket/tools/sagesaver", testSHA), ""},
		{"https", renderOpts("https://example.com/sagesaver-linux-amd64", testSHA), ""},
		{"http is refused", renderOpts("http://example.com/sagesaver", testSHA), "want s3://"},
		{"bucket without key", renderOpts("s3://bucket", testSHA), "want s3://bucket/key"},
		{"shell injection", renderOpts("s3://bucket/x'; rm -rf /; '", testSHA), "not allowed"},
		{"bad checksum", renderOpts("s3://bucket/key", "abc"), "64 hex"},
		{"too big", renderOpts("https://example.com/"+strings.Repeat("a", 13000), testSHA), "over SageMaker's limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Render(tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(base64.StdEncoding.EncodeToString([]byte(s))); n > MaxScriptBase64 {
				t.Errorf("script is %d base64 characters", n)
			}
			if out, err := exec.Command("bash", "-n", "-c", s).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
		})
	}
}

// TestRenderedConfigIsValid reads the configuration the script writes back
// with the agent's strict reader.
func TestRenderedConfigIsValid(t *testing.T) {
	cfg := agent.DefaultConfig()
	cfg.IdleTime = 90 * time.Minute
	cfg.DryRun = true
	y, err := agentYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y = strings.ReplaceAll(y, "${ROOT}", "")
	var got agent.Config
	got = agent.DefaultConfig()
	if err := config.DecodeStrict("agent.yaml", []byte(y), &got); err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if got.IdleTime != 90*time.Minute || !got.DryRun || got.StateDir != agent.DefaultConfig().StateDir {
		t.Errorf("read back %+v", got)
	}
}

var build struct {
	once      sync.Once
	dir       string
	path, sum string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// buildAgent builds the real agent binary (cmd/sagesaver-agent, with
// CGO_ENABLED=0 as released), once per test run.
func buildAgent(t *testing.T) (path, sum string) {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "sagesaver-build-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "sagesaver")
		cmd := exec.Command("go", "build", "-o", build.path, "github.com/sagesaver/sagesaver/cmd/sagesaver-agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		b, err := os.ReadFile(build.path)
		if err != nil {
			build.err = err
			return
		}
		s := sha256.Sum256(b)
		build.sum = SHA256Hex(s[:])
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path, build.sum
}

// instance is a temporary root laid out like a notebook instance, with
// stand-ins on PATH for what only AWS has (the aws CLI reading S3 from a
// local directory) and, when systemd is set, for systemctl.
type instance struct {
	root, bin, s3 string
	env           []string
}

func newInstance(t *testing.T, arn string, systemd bool) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{root: filepath.Join(dir, "root"), bin: filepath.Join(dir, "bin"), s3: filepath.Join(dir, "s3")}
	meta := filepath.Join(in.root, agent.DefaultMetadataPath)
	for _, d := range []string{filepath.Dir(meta), in.bin, in.s3} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(map[string]string{"ResourceArn": arn, "ResourceName": arn[strings.LastIndex(arn, "/")+1:]})
	write(t, meta, string(b), 0o644)
	// aws s3 cp [flags] s3://bucket/key DEST, from the local "bucket".
	write(t, filepath.Join(in.bin, "aws"), `#!/bin/bash
echo "$*" >> "$SAGESAVER_ROOT/aws.log"
args=("$@"); src="${args[-2]}"; dst="${args[-1]}"
[ "$1 $2" = "s3 cp" ] || { echo "unexpected: $*" >&2; exit 2; }
cp "$FAKE_S3/${src#s3://}" "$dst"
`, 0o755)
	if systemd {
		if err := os.MkdirAll(filepath.Join(in.root, "run/systemd/system"), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(in.bin, "systemctl"), "#!/bin/sh\necho \"$*\" >> \"$SAGESAVER_ROOT/systemctl.log\"\n", 0o755)
	}
	in.env = append(os.Environ(),
		"SAGESAVER_ROOT="+in.root,
		"FAKE_S3="+in.s3,
		"PATH="+in.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		// The agent's AWS credentials, for the emulator.
		"AWS_ACCESS_KEY_ID=AKIDEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_EC2_METADATA_DISABLED=true",
	)
	t.Cleanup(func() { in.stopSupervisor(t) })
	return in
}

func write(t *testing.T, path, s string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
}

// run runs the on-start script as SageMaker does (bash, as root) and
// returns how long it took.
func (in *instance) run(t *testing.T, script string) time.Duration {
	t.Helper()
	path := filepath.Join(in.root, "on-start.sh")
	write(t, path, script, 0o755)
	cmd := exec.Command("bash", path)
	cmd.Env = in.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on-start script: %v\n%s", err, out)
	}
	return time.Since(start)
}

func (in *instance) log() string {
	b, _ := os.ReadFile(filepath.Join(in.root, LogPath))
	return string(b)
}

func (in *instance) state(t *testing.T) (agent.State, bool) {
	t.Helper()
	st, err := agent.ReadState(filepath.Join(in.root, StateDir, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return st, false
	}
	return st, err == nil
}

func (in *instance) stopSupervisor(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(in.root, StateDir, "supervisor.pid"))
	if err != nil {
		return
	}
	var pid int
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	if pid > 1 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool, log func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; agent log:\n%s", what, d, log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestScriptInstallsAndStartsAgent runs the rendered script in a temporary
// root: it fetches the real binary from "S3" with the instance's aws CLI,
// checks it, starts it under the restart loop, and the agent then watches a
// real Jupyter server over HTTPS (as on a notebook instance) and tags the
// emulated notebook instance. Killing the agent brings it back.
func TestScriptInstallsAndStartsAgent(t *testing.T) {
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
	srv := jupytertest.Start(t, jupytertest.Notebook, jupytertest.Options{TLS: true, NoToken: true})
	binPath, sum := buildAgent(t)
	const arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"
	in := newInstance(t, arn, false)
	if err := os.MkdirAll(filepath.Join(in.s3, "bucket/tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(binPath)
	write(t, filepath.Join(in.s3, "bucket/tools/sagesaver"), string(b), 0o644)

	o := renderOpts("s3://bucket/tools/sagesaver", sum)
	o.Agent.PollInterval = time.Second
	o.Agent.JupyterURL = srv.URL
	o.Agent.EndpointURL = env.URL
	o.Agent.DryRun = true
	script, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	took := in.run(t, script)
	t.Logf("on-start script returned in %s (SageMaker allows 5 minutes)", took)

	waitFor(t, "agent state", 60*time.Second, func() bool { _, ok := in.state(t); return ok }, in.log)
	st, _ := in.state(t)
	if st.Resource.Name != "nb" || st.PID == 0 {
		t.Fatalf("state %+v", st)
	}
	if s := st.Verdict.Summary(); strings.Contains(s, "Jupyter not answering") {
		t.Errorf("installed agent cannot read Jupyter: %s", s)
	}
	awsLog, _ := os.ReadFile(filepath.Join(in.root, "aws.log"))
	if want := "s3 cp --only-show-errors --region us-east-1 s3://bucket/tools/sagesaver "; !strings.HasPrefix(string(awsLog), want) {
		t.Errorf("aws called with %q, want %q...", awsLog, want)
	}
	// The agent publishes its clock on the (emulated) instance.
	waitFor(t, "tag", 30*time.Second, func() bool {
		out, err := env.Clients("us-east-1").SageMaker.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
		if err != nil {
			return false
		}
		for _, tg := range out.Tags {
			if aws.ToString(tg.Key) == agenttag.LastActivity {
				return true
			}
		}
		return false
	}, in.log)

	// Kill the agent: the supervisor starts another one.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "agent restart", 60*time.Second, func() bool {
		st2, ok := in.state(t)
		return ok && st2.PID != st.PID && syscall.Kill(st2.PID, 0) == nil
	}, in.log)
	if !strings.Contains(in.log(), "agent exited") {
		t.Errorf("no restart in the log:\n%s", in.log())
	}
}

// TestScriptHTTPSAndChecksum downloads over HTTPS, refuses a binary whose
// checksum does not match, and uses systemd where the machine runs it.
func TestScriptHTTPSAndChecksum(t *testing.T) {
	binPath, sum := buildAgent(t)
	b, _ := os.ReadFile(binPath)
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sagesaver" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	defer hs.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	write(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})), 0o644)
	const arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"

	t.Run("systemd", func(t *testing.T) {
		in := newInstance(t, arn, true)
		in.env = append(in.env, "CURL_CA_BUNDLE="+ca)
		script, err := Render(renderOpts(hs.URL+"/sagesaver", sum))
		if err != nil {
			t.Fatal(err)
		}
		in.run(t, script)
		waitFor(t, "install", 60*time.Second, func() bool { return strings.Contains(in.log(), "agent started") }, in.log)
		got, err := os.ReadFile(filepath.Join(in.root, BinPath))
		if err != nil || string(got) != string(b) {
			t.Fatalf("installed binary: %d bytes, %v; want the served one", len(got), err)
		}
		unit, _ := os.ReadFile(filepath.Join(in.root, UnitPath))
		for _, want := range []string{"ExecStart=" + filepath.Join(in.root, BinPath) + " agent --agent-config " + filepath.Join(in.root, ConfigPath), "Restart=always"} {
			if !strings.Contains(string(unit), want) {
				t.Errorf("unit lacks %q:\n%s", want, unit)
			}
		}
		calls, _ := os.ReadFile(filepath.Join(in.root, "systemctl.log"))
		if want := "daemon-reload\nenable sagesaver-agent\nrestart sagesaver-agent\n"; string(calls) != want {
			t.Errorf("systemctl calls %q, want %q", calls, want)
		}
	})
	t.Run("checksum mismatch", func(t *testing.T) {
		in := newInstance(t, arn, false)
		in.env = append(in.env, "CURL_CA_BUNDLE="+ca)
		script, err := Render(renderOpts(hs.URL+"/sagesaver", testSHA))
		if err != nil {
			t.Fatal(err)
		}
		in.run(t, script)
		waitFor(t, "refusal", 60*time.Second, func() bool { return strings.Contains(in.log(), "checksum mismatch") }, in.log)
		if _, err := os.Stat(filepath.Join(in.root, BinPath)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("binary installed despite the mismatch: %v", err)
		}
		if _, err := os.Stat(filepath.Join(in.root, StateDir, "supervisor.pid")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("supervisor started despite the mismatch")
		}
	})
}
