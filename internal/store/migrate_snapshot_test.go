package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// TestMigrateKeepsSnapshots: a state database written before snapshots
// kept the endpoint config and the restore steps (schema version 2) opens
// with its snapshot intact, no config kept and no step done.
func TestMigrateKeepsSnapshots(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"0001_init.sql", "0002_schedule_memory.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
		`INSERT INTO schema_version VALUES (1, '0001_init.sql', '2026-01-01T00:00:00.000Z'), (2, '0002_schedule_memory.sql', '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO endpoint_snapshots (account, region, endpoint_name, config_name, tags, scaling, taken_at)
			VALUES ('1', 'us-east-1', 'ep', 'ep-config', '{"team":"ml"}', '{"targets":[]}', '2026-01-01T00:00:00.000000000Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path, store.WithClock(clock.NewManual(t0)))
	snap, err := s.LatestSnapshot(ctx, resource.ID{Account: "1", Region: "us-east-1", Kind: resource.Endpoint, Name: "ep"})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Config != "ep-config" || snap.Tags["team"] != "ml" || string(snap.EndpointConfig) != "{}" || len(snap.Steps) != 0 {
		t.Errorf("migrated snapshot %+v", snap)
	}
	if err := s.SetSnapshotSteps(ctx, snap.ID, []string{"endpoint-config"}); err != nil {
		t.Fatal(err)
	}
}
