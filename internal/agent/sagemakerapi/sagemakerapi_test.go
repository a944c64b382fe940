package sagemakerapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/agent/sagemakerapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const scenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      notebooks:
      - {name: nb, instanceType: ml.t3.medium}
      domains:
      - {name: research, id: d-research0001, age: 90d}
      userProfiles:
      - {domain: research, name: alice, age: 60d}
      spaces:
      - {domain: research, name: alice-lab, owner: alice, instanceType: ml.g4dn.xlarge, age: 20d}
      apps:
      - {domain: research, space: alice-lab, type: JupyterLab, instanceType: ml.g4dn.xlarge, age: 26h}
`

func newClient(t *testing.T, cfg aws.Config) *sagemakerapi.Client {
	t.Helper()
	c, err := sagemakerapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAgainstEmulator makes each call against the emulated SageMaker and
// checks the outcome with the SDK's own client.
func TestAgainstEmulator(t *testing.T) {
	env := emulatortest.Start(t, scenario)
	sdk := env.Clients("us-east-1").SageMaker
	c := newClient(t, env.Cfg)
	ctx := context.Background()

	if st, err := c.DescribeNotebookInstance(ctx, "nb"); err != nil || st != "InService" {
		t.Fatalf("describe: %q, %v", st, err)
	}
	if err := c.StopNotebookInstance(ctx, "nb"); err != nil {
		t.Fatalf("stop: %v", err)
	}
	d, err := sdk.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("nb")})
	if err != nil || d.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopping {
		t.Fatalf("after stop, the SDK sees %v (%v), want Stopping", d.NotebookInstanceStatus, err)
	}
	if st, _ := c.DescribeNotebookInstance(ctx, "nb"); st != "Stopping" {
		t.Errorf("describe after stop: %q", st)
	}

	// A second stop is refused the way AWS refuses it, as an API error.
	err = c.StopNotebookInstance(ctx, "nb")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorFault() != smithy.FaultClient {
		t.Fatalf("second stop: %v, want a ValidationException API error", err)
	}
	var se *sagemakerapi.Error
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest || !strings.Contains(se.Message, "nb") {
		t.Errorf("second stop: %#v", se)
	}
	if _, err := c.DescribeNotebookInstance(ctx, "nope"); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("describe of a missing instance: %v", err)
	}

	if err := c.AddTags(ctx, *d.NotebookInstanceArn, sagemakerapi.Tag{Key: "sagesaver:last-activity", Value: "2026-11-25T10:00:00Z"}); err != nil {
		t.Fatalf("add tags: %v", err)
	}
	tags, err := sdk.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.NotebookInstanceArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "sagesaver:last-activity" || aws.ToString(tags.Tags[0].Value) != "2026-11-25T10:00:00Z" {
		t.Errorf("tags %+v, %v", tags, err)
	}
	if got, err := c.ListTags(ctx, *d.NotebookInstanceArn); err != nil || len(got) != 1 || got[0] != (sagemakerapi.Tag{Key: "sagesaver:last-activity", Value: "2026-11-25T10:00:00Z"}) {
		t.Errorf("ListTags: %+v, %v", got, err)
	}

	apps, err := sdk.ListApps(ctx, &sagemaker.ListAppsInput{})
	if err != nil || len(apps.Apps) != 1 {
		t.Fatalf("apps %v, %v", apps, err)
	}
	app := sagemakerapi.App{DomainID: "d-research0001", SpaceName: "alice-lab", AppType: string(apps.Apps[0].AppType), AppName: aws.ToString(apps.Apps[0].AppName)}
	if st, err := c.DescribeApp(ctx, app); err != nil || st != "InService" {
		t.Fatalf("describe app: %q, %v", st, err)
	}
	if err := c.DeleteApp(ctx, app); err != nil {
		t.Fatalf("delete app: %v", err)
	}
	if st, err := c.DescribeApp(ctx, app); err != nil || st != "Deleting" {
		t.Errorf("describe app after delete: %q, %v", st, err)
	}
}

// TestRetriesThrottlingAndServerErrors: throttled calls and 5xx answers
// are retried by the SDK's retryer until they get through.
func TestRetriesThrottlingAndServerErrors(t *testing.T) {
	env := emulatortest.Start(t, scenario)
	env.Emu.SetFaults(emulator.FaultConfig{
		Throttle: map[string]emulator.Rate{"sagemaker:DescribeNotebookInstance": {PerSecond: 20, Burst: 2}},
		Errors:   []emulator.ErrorFault{{Operation: "sagemaker:StopNotebookInstance", Code: "InternalFailure", Status: 500, Count: 2}},
	})
	c := newClient(t, env.Cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 12 {
		wg.Go(func() {
			_, err := c.DescribeNotebookInstance(ctx, "nb")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("describe failed despite retries: %v", err)
		}
	}
	if err := c.StopNotebookInstance(ctx, "nb"); err != nil {
		t.Fatalf("stop failed despite retries: %v", err)
	}
	cn := env.Emu.Counters()
	if cn.Throttled["sagemaker:DescribeNotebookInstance"] == 0 {
		t.Errorf("nothing was throttled: the test did not exercise the retryer (%+v)", cn)
	}
	if n := cn.Calls["sagemaker:StopNotebookInstance"]; n != 3 {
		t.Errorf("%d StopNotebookInstance calls, want 3 (two 500s, then the stop)", n)
	}
}

// TestSameWireAsSDK sends each call through this client and through the
// SDK's sagemaker client to a server that records them, and compares what
// arrived: target, content type, JSON body and SigV4 scope.
func TestSameWireAsSDK(t *testing.T) {
	type request struct {
		target, contentType, scope string
		body                       map[string]any
	}
	var mu sync.Mutex
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		auth := r.Header.Get("Authorization")
		scope := ""
		if _, rest, ok := strings.Cut(auth, "Credential=AKID/"); ok {
			scope, _, _ = strings.Cut(rest, ",")
			_, scope, _ = strings.Cut(scope, "/") // drop the date
		}
		mu.Lock()
		got = append(got, request{r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), scope, body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := emulatortest.Config(t, srv.URL, "AKID")
	cfg.Region = "eu-west-1"
	c := newClient(t, cfg)
	sdk := sagemaker.NewFromConfig(cfg)
	ctx := context.Background()
	app := sagemakerapi.App{DomainID: "d-1", UserProfileName: "bob", AppType: "JupyterServer", AppName: "default"}
	calls := []struct {
		name string
		ours func() error
		sdks func() error
	}{
		{"StopNotebookInstance", func() error { return c.StopNotebookInstance(ctx, "nb") }, func() error {
			_, err := sdk.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("nb")})
			return err
		}},
		{"DescribeNotebookInstance", func() error { _, err := c.DescribeNotebookInstance(ctx, "nb"); return err }, func() error {
			_, err := sdk.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("nb")})
			return err
		}},
		{"DeleteApp", func() error { return c.DeleteApp(ctx, app) }, func() error {
			_, err := sdk.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: aws.String("d-1"), UserProfileName: aws.String("bob"), AppType: "JupyterServer", AppName: aws.String("default")})
			return err
		}},
		{"DescribeApp", func() error { _, err := c.DescribeApp(ctx, app); return err }, func() error {
			_, err := sdk.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-1"), UserProfileName: aws.String("bob"), AppType: "JupyterServer", AppName: aws.String("default")})
			return err
		}},
		{"ListTags", func() error { _, err := c.ListTags(ctx, "arn:x"); return err }, func() error {
			_, err := sdk.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:x")})
			return err
		}},
		{"AddTags", func() error { return c.AddTags(ctx, "arn:x", sagemakerapi.Tag{Key: "k", Value: "v"}) }, func() error {
			_, err := sdk.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String("arn:x"), Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}},
	}
	for _, tt := range calls {
		got = nil
		if err := tt.ours(); err != nil {
			t.Fatalf("%s (ours): %v", tt.name, err)
		}
		if err := tt.sdks(); err != nil {
			t.Fatalf("%s (SDK): %v", tt.name, err)
		}
		if len(got) != 2 {
			t.Fatalf("%s: %d requests", tt.name, len(got))
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("%s:\n ours %+v\n  SDK %+v", tt.name, got[0], got[1])
		}
		if got[0].target != "SageMaker."+tt.name || got[0].scope != "eu-west-1/sagemaker/aws4_request" {
			t.Errorf("%s: target %q scope %q", tt.name, got[0].target, got[0].scope)
		}
	}
}
