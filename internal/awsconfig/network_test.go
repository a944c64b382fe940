package awsconfig_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
)

// silentListener accepts connections and never answers; it counts them.
func silentListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c) // held open, never read or written
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func callEndpoint(t *testing.T, endpoint string, timeout time.Duration) error {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region: "us-east-1", EndpointURL: endpoint, Timeout: timeout,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sagemaker.NewFromConfig(cfg).ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{})
	if err == nil {
		t.Fatalf("%s answered", endpoint)
	}
	return err
}

// TestUnreachableEndpoints: real failing endpoints on loopback each give
// their own cause, naming the endpoint (and the timeout), never a hint
// about credentials; a silent endpoint is given up on after two attempts.
func TestUnreachableEndpoints(t *testing.T) {
	silent, accepted := silentListener(t)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate nobody trusts
	defer tlsSrv.Close()
	refused := closedPort(t)
	tests := []struct {
		name, endpoint string
		want           awsconfig.NetProblem
		wantText       []string
	}{
		{"closed port", "http://" + refused, awsconfig.Refused, []string{refused, "refused"}},
		{"silent listener", "http://" + silent, awsconfig.Timeout, []string{silent, "within 300ms", "--aws-timeout"}},
		{"TLS with a bad certificate", tlsSrv.URL, awsconfig.TLS, []string{strings.TrimPrefix(tlsSrv.URL, "https://"), "TLS"}},
		{"unresolvable host", "http://sagesaver-test.invalid", awsconfig.DNS, []string{"sagesaver-test.invalid", "DNS"}},
		{"bad scheme", "ftp://x", awsconfig.BadURL, []string{"http:// or https://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := callEndpoint(t, tt.endpoint, 300*time.Millisecond)
			if got := awsconfig.Unreachable(err); got != tt.want {
				t.Fatalf("Unreachable = %v, want %v (%v)", got, tt.want, err)
			}
			msg := awsconfig.Explain(err, 300*time.Millisecond)
			for _, w := range tt.wantText {
				if !strings.Contains(msg, w) {
					t.Errorf("Explain = %q, lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "credential") {
				t.Errorf("Explain = %q blames credentials", msg)
			}
		})
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("silent endpoint: %d attempts, want 2", n)
	}
}

// TestSDKWarningsStayOffTheTerminal: the SDK's "falling back to IMDSv1"
// warning goes to the slog logger at debug level, not to stderr.
func TestSDKWarningsStayOffTheTerminal(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no tokens here", http.StatusNotFound) // IMDSv2 token refused: the SDK falls back
	}))
	defer imds.Close()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	var logs bytes.Buffer
	func() {
		defer func() { os.Stderr = stderr }()
		cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
			Region: "us-east-1", Timeout: 2 * time.Second,
			Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = cfg.Credentials.Retrieve(context.Background()) // fails: the instance has no role
	}()
	w.Close()
	leaked, _ := io.ReadAll(r)
	if len(leaked) != 0 {
		t.Errorf("SDK wrote to stderr: %q", leaked)
	}
	if !strings.Contains(logs.String(), "IMDSv1") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("SDK warning not logged at debug: %q", logs.String())
	}
}
