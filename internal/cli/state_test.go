package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
)

// TestStateFlagChoosesTheStore: `state init --state sqlite:PATH` creates
// that file, and history reads the store --state names (sqlite:PATH is
// the file PATH, not a file named "sqlite:PATH").
func TestStateFlagChoosesTheStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared", "state.db")
	out, errOut, code := runOffline(t, "--state", "sqlite:"+path, "state", "init")
	if code != 0 || !strings.Contains(out, "ready") {
		t.Fatalf("state init: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	hourly := pricing.Price{Amount: pricing.MustParseMoney("0.5"), Known: true}
	from := time.Now().Add(-time.Hour)
	if _, err := st.StartSaving(ctx, mustID(t, "123456789012/us-east-1/notebook-instance/in-the-flagged-store"), 0, hourly, from); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, errOut, code = runOffline(t, "--state", "sqlite:"+path, "history", "-o", "json")
	if code != 0 || !strings.Contains(out, "in-the-flagged-store") {
		t.Errorf("history --state sqlite:%s: exit %d, stdout lacks the period:\n%s\nstderr:\n%s", path, code, out, errOut)
	}
	if _, err := os.Stat("sqlite:" + path); err == nil {
		t.Errorf("a file named sqlite:%s was created", path)
	}
}

// TestStateFlagRejectsBadLocations: a --state that does not parse is a
// usage error naming the flag, before anything is opened.
func TestStateFlagRejectsBadLocations(t *testing.T) {
	for _, tc := range []struct{ state, want string }{
		{"postgres://db/state", `unknown backend "postgres"`},
		{"dynamodb://state?regoin=us-east-1", `unknown parameter "regoin"`},
	} {
		_, errOut, code := runOffline(t, "--state", tc.state, "history")
		if code != root.ExitUsage || !strings.Contains(errOut, "--state") || !strings.Contains(errOut, tc.want) {
			t.Errorf("--state %s: exit %d, want %d (usage) saying %q; stderr:\n%s", tc.state, code, root.ExitUsage, tc.want, errOut)
		}
	}
}

// TestStateFlagDynamoDB: `state init --state dynamodb://...&endpoint=`
// creates the table (on dynalite), again without harm, and history reads
// the table --state names.
func TestStateFlagDynamoDB(t *testing.T) {
	ctx := context.Background()
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	state := "dynamodb://cli-state?region=us-east-1&endpoint=" + srv.LoopbackEndpoint(t)
	for range 2 {
		out, errOut, code := runOffline(t, "--state", state, "state", "init")
		if code != 0 || !strings.Contains(out, "table cli-state is ACTIVE") {
			t.Fatalf("state init: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
		}
	}
	st, err := dynamo.Open(ctx, srv.Client(), "cli-state")
	if err != nil {
		t.Fatal(err)
	}
	hourly := pricing.Price{Amount: pricing.MustParseMoney("0.5"), Known: true}
	if _, err := st.StartSaving(ctx, mustID(t, "123456789012/us-east-1/notebook-instance/in-the-table"), 0, hourly, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOffline(t, "--state", state, "history", "-o", "json")
	if code != 0 || !strings.Contains(out, "in-the-table") {
		t.Errorf("history --state %s: exit %d, stdout lacks the period:\n%s\nstderr:\n%s", state, code, out, errOut)
	}
}
