package store

import "context"

// ExecForTest runs a raw statement, for tests that need a state the API
// never produces (a schema from a future version).
func ExecForTest(ctx context.Context, s *Store, q string) error {
	_, err := s.db.ExecContext(ctx, q)
	return err
}
