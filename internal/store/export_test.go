package store

import "context"

// ExecForTest runs a raw statement, for tests that need a state the API
// never produces (a schema from a future version).
func ExecForTest(ctx context.Context, s *SQLite, q string) error {
	_, err := s.db.ExecContext(ctx, q)
	return err
}

// WithSchemaVersionForTest stops Open's migrations at version v, to build
// a database as an older sagesaver left it.
func WithSchemaVersionForTest(v int) Option { return func(s *SQLite) { s.upTo = v } }
