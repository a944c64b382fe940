package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/emulator"
)

// Black-box tests: the emulator driven only over HTTP, by a client that is
// not Go (the AWS CLI, botocore) and by the admin API, as a test in any
// language would drive it.

const blackboxScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  name: ml-dev
  regions:
    us-east-1:
      notebooks:
      - {name: dev-alice, instanceType: ml.t3.medium, age: 30d}
      topics: [sagesaver-notices]
      metrics:
      - {endpoint: busy-ep, metric: Invocations, value: 120}
      - {endpoint: idle-ep, metric: CPUUtilization, value: 4}
`

// awsCLI finds the aws command. CI must have it (the CI image installs the
// awscli package); elsewhere the test is skipped when it is missing.
func awsCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the AWS CLI (aws) is not installed but CI is set: install it (Debian: apt-get install -y awscli; or pip install awscli) so the black-box test runs")
		}
		t.Skip("aws CLI not installed (apt-get install -y awscli); skipped outside CI")
	}
	return path
}

// runAWS runs the AWS CLI against url and decodes its JSON output.
func runAWS(t *testing.T, bin, url string, args ...string) map[string]any {
	t.Helper()
	return runAWSAs(t, bin, url, nil, args...)
}

// awsCmd is the AWS CLI command for args against url, with the emulator's
// default access key unless env (KEY=value) says otherwise.
func awsCmd(bin, url string, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=AKIDEMULATOR",
		"AWS_SECRET_ACCESS_KEY=emulator",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=3",
	)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runAWSAs is runAWS with extra environment (credentials).
func runAWSAs(t *testing.T, bin, url string, env []string, args ...string) map[string]any {
	t.Helper()
	cmd := awsCmd(bin, url, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	defer func() { t.Logf("aws %s %s: %v", args[0], args[1], time.Since(start).Round(time.Millisecond)) }()
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	out := map[string]any{}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
	return out
}

// cliTime reads a timestamp as the AWS CLI prints it: ISO 8601, or (CLI v1,
// whose cli_timestamp_format defaults to "none") as received on the wire,
// which for JSON and CBOR is epoch seconds.
func cliTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return time.UnixMilli(int64(v * 1000)).UTC()
	case string:
		if ts, err := time.Parse(time.RFC3339, v); err == nil {
			return ts.UTC()
		}
	}
	t.Fatalf("not a CLI timestamp: %v", v)
	return time.Time{}
}

// admin calls the admin API and decodes its JSON answer into v (if not nil).
func admin(t *testing.T, url, method, path, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url+"/_emulator/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func TestBlackBoxAWSCLIAndAdminAPI(t *testing.T) {
	bin := awsCLI(t)
	srv := httptest.NewServer(emulator.New(emulator.Options{}))
	t.Cleanup(srv.Close)
	url := srv.URL

	var ok map[string]any
	if st := admin(t, url, http.MethodPost, "scenario", blackboxScenario, &ok); st != 200 || ok["ok"] != true {
		t.Fatalf("load scenario: %d %v", st, ok)
	}
	var bad map[string]string
	if st := admin(t, url, http.MethodPost, "scenario", "apiVersion: nope\n", &bad); st != 400 || bad["error"] == "" {
		t.Errorf("bad scenario: %d %v", st, bad)
	}
	var clock map[string]time.Time
	admin(t, url, http.MethodGet, "clock", "", &clock)
	if want := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC); !clock["now"].Equal(want) {
		t.Errorf("clock %v, want %v", clock["now"], want)
	}

	id := runAWS(t, bin, url, "sts", "get-caller-identity")
	if id["Account"] != "123456789012" {
		t.Errorf("get-caller-identity: %v", id)
	}

	nbs := runAWS(t, bin, url, "sagemaker", "list-notebook-instances")
	list, _ := nbs["NotebookInstances"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["NotebookInstanceName"] != "dev-alice" {
		t.Errorf("list-notebook-instances: %v", nbs)
	}

	topic := "arn:aws:sns:us-east-1:123456789012:sagesaver-notices"
	pub := runAWS(t, bin, url, "sns", "publish", "--topic-arn", topic, "--subject", "idle endpoint", "--message", "idle-ep has been idle for 3 days")
	if pub["MessageId"] == "" || pub["MessageId"] == nil {
		t.Errorf("publish: %v", pub)
	}
	var msgs []emulator.PublishedMessage
	admin(t, url, http.MethodGet, "sns/messages", "", &msgs)
	if len(msgs) != 1 || msgs[0].Message != "idle-ep has been idle for 3 days" || msgs[0].Subject != "idle endpoint" || msgs[0].MessageID != pub["MessageId"] {
		t.Errorf("sns/messages: %+v", msgs)
	}

	queries := `[
	  {"Id": "inv", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations",
	    "Dimensions": [{"Name": "EndpointName", "Value": "busy-ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]},
	    "Period": 3600, "Stat": "Sum"}},
	  {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "/aws/sagemaker/Endpoints", "MetricName": "CPUUtilization",
	    "Dimensions": [{"Name": "EndpointName", "Value": "idle-ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]},
	    "Period": 86400, "Stat": "Average"}},
	  {"Id": "rate", "Expression": "inv / 3600", "Label": "per second"}
	]`
	data := runAWS(t, bin, url, "cloudwatch", "get-metric-data",
		"--start-time", "2026-11-25T06:00:00Z", "--end-time", "2026-11-25T12:00:00Z",
		"--metric-data-queries", queries)
	results := map[string]map[string]any{}
	for _, r := range data["MetricDataResults"].([]any) {
		m := r.(map[string]any)
		results[m["Id"].(string)] = m
	}
	inv := results["inv"]
	vals, _ := inv["Values"].([]any)
	ts, _ := inv["Timestamps"].([]any)
	if len(vals) != 6 || vals[0] != 7200.0 || inv["StatusCode"] != "Complete" || inv["Label"] != "Invocations" {
		t.Errorf("inv: %v", inv)
	}
	if len(ts) != 6 || !cliTime(t, ts[0]).Equal(time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("inv timestamps (newest first): %v", ts)
	}
	if v, _ := results["cpu"]["Values"].([]any); len(v) != 1 || v[0] != 4.0 {
		t.Errorf("cpu: %v", results["cpu"])
	}
	if v, _ := results["rate"]["Values"].([]any); len(v) != 6 || v[0] != 2.0 || results["rate"]["Label"] != "per second" {
		t.Errorf("rate: %v", results["rate"])
	}

	lm := runAWS(t, bin, url, "cloudwatch", "list-metrics", "--namespace", "AWS/SageMaker")
	if ms, _ := lm["Metrics"].([]any); len(ms) != 1 || ms[0].(map[string]any)["MetricName"] != "Invocations" {
		t.Errorf("list-metrics: %v", lm)
	}

	// Faults and counters: one injected 500 that the CLI's retryer rides out.
	if st := admin(t, url, http.MethodPut, "faults", `{"errors":[{"operation":"sts:GetCallerIdentity","code":"InternalFailure","status":500,"count":1}]}`, &ok); st != 200 {
		t.Fatalf("faults: %d", st)
	}
	admin(t, url, http.MethodPost, "counters/reset", "", &ok)
	if id := runAWS(t, bin, url, "sts", "get-caller-identity"); id["Account"] != "123456789012" {
		t.Errorf("after injected 500: %v", id)
	}
	var counters emulator.Counters
	admin(t, url, http.MethodGet, "counters", "", &counters)
	if counters.Calls["sts:GetCallerIdentity"] != 2 {
		t.Errorf("counters %+v, want 2 GetCallerIdentity calls (one failed, one retried)", counters)
	}

	// The virtual clock moves the metric history along.
	admin(t, url, http.MethodPost, "clock/advance", `{"duration":"2h"}`, &clock)
	if want := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC); !clock["now"].Equal(want) {
		t.Errorf("advanced clock %v, want %v", clock["now"], want)
	}
	if st := admin(t, url, http.MethodPost, "clock/advance", `{"duration":"-1h"}`, &bad); st != 400 {
		t.Errorf("negative advance: %d", st)
	}
	stats := runAWS(t, bin, url, "cloudwatch", "get-metric-statistics",
		"--namespace", "AWS/SageMaker", "--metric-name", "Invocations",
		"--dimensions", "Name=EndpointName,Value=busy-ep", "Name=VariantName,Value=AllTraffic",
		"--start-time", "2026-11-25T12:00:00Z", "--end-time", "2026-11-25T14:00:00Z",
		"--period", "3600", "--statistics", "Sum")
	if dps, _ := stats["Datapoints"].([]any); len(dps) != 2 || dps[0].(map[string]any)["Sum"] != 7200.0 {
		t.Errorf("get-metric-statistics after advancing: %v", stats)
	}

	// Reset drops everything.
	admin(t, url, http.MethodPost, "reset", "", &ok)
	if nbs := runAWS(t, bin, url, "sagemaker", "list-notebook-instances"); len(nbs["NotebookInstances"].([]any)) != 0 {
		t.Errorf("after reset: %v", nbs)
	}
	admin(t, url, http.MethodGet, "counters", "", &counters)
	if counters.Total != 1 {
		t.Errorf("after reset, counters %+v, want only the one list call", counters)
	}
	var health map[string]bool
	if admin(t, url, http.MethodGet, "health", "", &health); !health["ok"] {
		t.Errorf("health %v", health)
	}
	if st := admin(t, url, http.MethodGet, "nope", "", &bad); st != 404 {
		t.Errorf("unknown admin path: %d", st)
	}
}

// runAWSFail runs a CLI command that must fail and returns its stderr.
func runAWSFail(t *testing.T, bin, url string, args ...string) string {
	t.Helper()
	cmd := awsCmd(bin, url, nil, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("aws %s succeeded, want an error", strings.Join(args, " "))
	}
	return stderr.String()
}

// The AWS CLI (botocore) sees the emulator's STS and validation as AWS's:
// the assumed role's credentials are the role session, and bad input is a
// ValidationException with AWS's text.
func TestBlackBoxAssumedRoleAndValidation(t *testing.T) {
	bin := awsCLI(t)
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	url := srv.URL
	var ok map[string]any
	sc := "apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- {id: \"111111111111\", name: mgmt}\n- {id: \"222222222222\", name: prod, roles: [Auditor]}\n"
	if st := admin(t, url, http.MethodPost, "scenario", sc, &ok); st != 200 {
		t.Fatalf("load scenario: %d %v", st, ok)
	}

	role := runAWS(t, bin, url, "sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/Auditor", "--role-session-name", "cli-session")
	creds, _ := role["Credentials"].(map[string]any)
	if creds == nil {
		t.Fatalf("assume-role: %v", role)
	}
	id := runAWSAs(t, bin, url, []string{
		"AWS_ACCESS_KEY_ID=" + creds["AccessKeyId"].(string),
		"AWS_SECRET_ACCESS_KEY=" + creds["SecretAccessKey"].(string),
		"AWS_SESSION_TOKEN=" + creds["SessionToken"].(string),
	}, "sts", "get-caller-identity")
	if id["Arn"] != "arn:aws:sts::222222222222:assumed-role/Auditor/cli-session" || id["Account"] != "222222222222" {
		t.Errorf("get-caller-identity with the role's credentials: %v", id)
	}
	if uid, _ := id["UserId"].(string); !strings.HasPrefix(uid, "AROA") || !strings.HasSuffix(uid, ":cli-session") {
		t.Errorf("UserId %q, want AROA...:cli-session", uid)
	}

	// botocore checks minimums itself; patterns and enums reach the server.
	msg := runAWSFail(t, bin, url, "sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/Auditor", "--role-session-name", "bad name!")
	if want := `(ValidationError) when calling the AssumeRole operation: 1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`; !strings.Contains(msg, want) {
		t.Errorf("assume-role with a bad session name: %s\nwant %s", msg, want)
	}
	msg = runAWSFail(t, bin, url, "sagemaker", "create-notebook-instance", "--notebook-instance-name", "nb", "--instance-type", "m5.large", "--role-arn", "arn:aws:iam::111111111111:role/SageMaker")
	if want := "(ValidationException) when calling the CreateNotebookInstance operation: 1 validation error detected: Value 'm5.large' at 'instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.t2.medium"; !strings.Contains(msg, want) {
		t.Errorf("create-notebook-instance m5.large: %s\nwant %s", msg, want)
	}
}
