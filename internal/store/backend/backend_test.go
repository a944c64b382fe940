package backend_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/backend"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// roundTrip opens loc twice: a run started on one handle is seen on the
// next, so both are the same state.
func roundTrip(t *testing.T, loc store.Location, o backend.Options) {
	t.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, loc, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	again, err := backend.Open(ctx, loc, o)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, err := again.Run(ctx, r.ID); err != nil || got.OSUser != "alice" {
		t.Errorf("Run(%d) on a second handle = %+v, %v", r.ID, got, err)
	}
}

func TestSQLite(t *testing.T) {
	loc, err := store.ParseLocation("sqlite:" + filepath.Join(t.TempDir(), "dir", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := backend.Init(context.Background(), loc, backend.Options{})
	if err != nil || !strings.Contains(msg, "ready") {
		t.Fatalf("Init = %q, %v", msg, err)
	}
	roundTrip(t, loc, backend.Options{})
}

// TestDynamoDB: Init creates the table a dynamodb:// location names (on
// dynalite), again without harm; Open then works on it. Opening a table
// that Init did not create says to run it.
func TestDynamoDB(t *testing.T) {
	ctx := context.Background()
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	// The test's HTTP client dials the server's socket: no CA bundle (the
	// SDK adds one only to its own client), no shared config.
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	o := backend.Options{AWS: awsconfig.Options{HTTPClient: srv.HTTPClient(),
		StaticCredentials: &aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}}}
	missing, err := store.ParseLocation("dynamodb://not-created-yet?region=us-east-1&endpoint=" + dynamotest.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Open(ctx, missing, o); err == nil || !strings.Contains(err.Error(), "sagesaver state init") {
		t.Errorf("Open of a missing table: %v, want the hint to run state init", err)
	}
	loc := missing
	loc.Table = "backend-init-test"
	for range 2 {
		msg, err := backend.Init(ctx, loc, o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg, "ACTIVE") || !strings.Contains(msg, "no TTL") {
			t.Errorf("Init = %q, want the table ACTIVE, without TTL on dynalite", msg)
		}
	}
	roundTrip(t, loc, o)
	st, err := backend.Open(ctx, loc, o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.(*dynamo.Store); !ok {
		t.Errorf("Open(%s) = %T, want *dynamo.Store", loc, st)
	}
}
