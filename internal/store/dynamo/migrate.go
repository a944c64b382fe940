package dynamo

import (
	"context"
	"fmt"
)

// A migration moves the table's items from schema version n-1 to n. It
// must be idempotent: two processes opening an old table at once may both
// run it before one of them records the new version.
type migration struct {
	version int
	what    string
	up      func(ctx context.Context, s *Store) error
}

// migrations are applied in order on Open; a table records the last one
// applied in its meta/schema item. Add new ones at the end, never change
// an old one.
var migrations = []migration{
	{1, "the layout of docs/state.md", func(context.Context, *Store) error { return nil }},
}

// SchemaVersion is the schema version this sagesaver writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

type metaItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
}

// migrate applies the migrations the table has not had, recording each
// with a conditional write on the version it read, so that concurrent
// Opens agree; a table from a newer sagesaver is refused.
func (s *Store) migrate(ctx context.Context) error {
	for {
		var m metaItem
		if _, err := s.get(ctx, "meta", "schema", &m); err != nil {
			return err
		}
		latest := SchemaVersion()
		if m.Version > latest {
			return fmt.Errorf("the table has schema version %d, newer than this sagesaver's %d: upgrade sagesaver", m.Version, latest)
		}
		if m.Version == latest {
			return nil
		}
		next := migrations[m.Version]
		if err := next.up(ctx, s); err != nil {
			return fmt.Errorf("migrate to schema version %d (%s): %w", next.version, next.what, err)
		}
		cond := "version = :cur"
		if m.Version == 0 {
			cond = "attribute_not_exists(version)"
		}
		vals := item{":next": num(int64(next.version))}
		if m.Version != 0 {
			vals[":cur"] = num(int64(m.Version))
		}
		_, err := s.update(ctx, "meta", "schema", "SET version = :next", cond, vals, nil)
		if err != nil && !condFailed(err) {
			return fmt.Errorf("record schema version %d: %w", next.version, err)
		}
		// On a failed condition another process recorded it: read again.
	}
}
