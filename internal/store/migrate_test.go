package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// A state database left by sagesaver before resource IDs (schema version
// 2): the scheduler kept its claims, savings periods, schedule memory and
// audit entries under ARNs (whose names AWS lower-cases), the executor
// under ACCOUNT/REGION/KIND/NAME, and the same notebook was saving twice.
// After the migration every row is under the resource's ID, with the
// name's case, and the ledger has one open period per resource.
func TestMigrationRewritesARNKeysToIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sagesaver.db")
	old := open(t, path, store.WithClock(clock.NewManual(t0)), store.WithSchemaVersionForTest(2))
	if v, _ := old.Version(ctx); v != 2 {
		t.Fatalf("old store at version %d, want 2", v)
	}
	const (
		acct  = "123456789012"
		nbARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-alice"
		// No audit entry explains this one: it is parsed.
		appARN = "arn:aws:sagemaker:eu-west-1:123456789012:app/d-abc/carol-space/jupyterlab/default"
	)
	for _, q := range []string{
		`INSERT INTO runs (id, started, command, dry_run, os_user, pid, host, heartbeat, status)
			VALUES (1, '2026-11-24T21:00:00.000000000Z', 'schedule run', 0, 'cron', 1, 'h', '2026-11-24T21:00:00.000000000Z', 'running'),
			       (2, '2026-11-24T21:00:01.000000000Z', 'apply', 0, 'bob', 2, 'h', '2026-11-24T21:00:01.000000000Z', 'finished')`,
		// The scheduler stopped Dev-Alice (its details carry the name's case)...
		`INSERT INTO actions (id, run_id, started, actor, resource, kind, action, dry_run, result, details)
			VALUES (1, 1, '2026-11-24T21:00:00.000000000Z', 'cron', '` + nbARN + `', 'notebook-instance', 'stop', 0, 'ok',
			'{"account":"123456789012","region":"us-east-1","name":"Dev-Alice","schedule":"office-hours"}')`,
		// ... and so did apply, a second later, under its own key.
		`INSERT INTO actions (id, run_id, started, actor, resource, kind, action, dry_run, result)
			VALUES (2, 2, '2026-11-24T21:00:01.000000000Z', 'bob', '123456789012/us-east-1/notebook-instance/Dev-Alice',
			'notebook-instance', 'stop', 0, 'ok')`,
		`INSERT INTO savings (id, resource, action_id, hourly, from_at) VALUES
			(1, '` + nbARN + `', 1, '0.05', '2026-11-24T21:00:00.000000000Z'),
			(2, '123456789012/us-east-1/notebook-instance/Dev-Alice', 2, '0.05', '2026-11-24T21:00:01.000000000Z')`,
		`INSERT INTO schedule_memory (schedule, resource, memory, updated) VALUES
			('office-hours', '` + nbARN + `', '{"applied":"stopped"}', '2026-11-24T21:00:00.000000000Z'),
			('office-hours', '` + appARN + `', '{"applied":"stopped"}', '2026-11-24T21:00:00.000000000Z')`,
		`INSERT INTO claims (resource, run_id, action, claimed_at, expires_at)
			VALUES ('` + nbARN + `', 1, 'schedule stop', '2026-11-24T21:00:00.000000000Z', '2026-11-24T21:10:00.000000000Z')`,
	} {
		if err := store.ExecForTest(ctx, old, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	s := open(t, path, store.WithClock(clock.NewManual(t0)))
	if v, _ := s.Version(ctx); v != store.SchemaVersion() {
		t.Fatalf("migrated store at version %d, want %d", v, store.SchemaVersion())
	}
	alice := resource.ID{Account: acct, Region: "us-east-1", Kind: resource.NotebookInstance, Name: "Dev-Alice"}
	app := resource.ID{Account: acct, Region: "eu-west-1", Kind: resource.StudioApp, Name: "carol-space/jupyterlab/default"}

	periods, err := s.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type period struct {
		Resource resource.ID
		Open     bool
	}
	var got []period
	for _, p := range periods {
		got = append(got, period{p.Resource, p.Until == nil})
	}
	if d := cmp.Diff([]period{{alice, true}, {alice, false}}, got); d != "" {
		t.Errorf("ledger (-want +got):\n%s", d)
	}
	if periods[1].Until != nil && !periods[1].Until.Equal(periods[1].From) {
		t.Errorf("the duplicate period closed at %v, want where it began (%v): it saved nothing more", periods[1].Until, periods[1].From)
	}
	if _, err := s.StartSaving(ctx, alice, 0, pricing.Price{Amount: pricing.MustParseMoney("0.05"), Known: true}, t0); !errors.Is(err, store.ErrAlreadySaving) {
		t.Error("a third period opened for Dev-Alice")
	}

	for _, id := range []resource.ID{alice, app} {
		if mem, err := s.ScheduleMemory(ctx, "office-hours", id); err != nil || string(mem) != `{"applied":"stopped"}` {
			t.Errorf("schedule memory of %s = %s, %v", id, mem, err)
		}
	}
	claims, err := s.Claims(ctx)
	if err != nil || len(claims) != 1 || claims[0].Resource != alice {
		t.Errorf("claims = %+v, %v; want Dev-Alice's", claims, err)
	}
	acts, err := s.Actions(ctx, store.ActionFilter{Resource: alice.String()})
	if err != nil || len(acts) != 2 {
		t.Errorf("Dev-Alice has %d audit entries (%v), want the scheduler's and apply's", len(acts), err)
	}
}

// A state database left by sagesaver before ticks (schema version 6)
// opens with its runs intact and tickless, and its runs can claim ticks,
// record target results and keep blobs.
func TestMigrationAddsTicksTargetsBlobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sagesaver.db")
	old := open(t, path, store.WithClock(clock.NewManual(t0)), store.WithSchemaVersionForTest(6))
	if err := store.ExecForTest(ctx, old, `INSERT INTO runs (id, started, command, dry_run, os_user, pid, host, heartbeat, status)
		VALUES (1, '2026-11-24T21:00:00.000000000Z', 'apply', 0, 'bob', 1, 'h', '2026-11-24T21:00:00.000000000Z', 'finished')`); err != nil {
		t.Fatal(err)
	}
	if err := old.ClaimTick(ctx, 1, t0); err == nil {
		t.Fatal("a version 6 store claimed a tick: the test does not build an old store")
	}
	old.Close()
	run := store.Run{ID: 1}

	s := open(t, path, store.WithClock(clock.NewManual(t0)))
	if v, _ := s.Version(ctx); v != 7 {
		t.Fatalf("migrated store at version %d, want 7", v)
	}
	got, err := s.Run(ctx, run.ID)
	if err != nil || got.Command != "apply" || !got.Tick.IsZero() {
		t.Fatalf("old run after the migration = %+v, %v; want apply, no tick", got, err)
	}
	if err := s.ClaimTick(ctx, run.ID, t0); err != nil {
		t.Error(err)
	}
	if err := s.RecordTarget(ctx, run.ID, store.TargetResult{Account: "1", Region: "r", Status: store.TargetOK}); err != nil {
		t.Error(err)
	}
	if err := s.PutBlob(ctx, "inventory", "1/r", []byte("{}")); err != nil {
		t.Error(err)
	}
}
