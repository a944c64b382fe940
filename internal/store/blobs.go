package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PutBlob stores value under (kind, key), replacing what was there.
// SQLite keeps a value of any size in its row.
func (s *SQLite) PutBlob(ctx context.Context, kind, key string, value []byte) error {
	if kind == "" || key == "" {
		return fmt.Errorf("put blob %q %q: kind and key are required", kind, key)
	}
	if value == nil {
		value = []byte{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO blobs (kind, key, value, put_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, put_at = excluded.put_at`,
		kind, key, value, fmtTime(s.now()))
	if err != nil {
		return fmt.Errorf("put blob %s %s: %w", kind, key, err)
	}
	return nil
}

// Blob returns the value under (kind, key) and when it was put, or an
// error wrapping ErrNotFound.
func (s *SQLite) Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error) {
	var value []byte
	var put string
	err := s.db.QueryRowContext(ctx, `SELECT value, put_at FROM blobs WHERE kind = ? AND key = ?`, kind, key).Scan(&value, &put)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, err)
	}
	at, err := parseTime(put)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, err)
	}
	return value, at, nil
}

// BlobKeys lists the keys of kind that start with prefix, sorted by their
// bytes.
func (s *SQLite) BlobKeys(ctx context.Context, kind, prefix string) ([]string, error) {
	// Compared as blobs, so that the prefix and the order are by bytes
	// whatever the text.
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM blobs
		WHERE kind = ? AND substr(CAST(key AS BLOB), 1, length(CAST(? AS BLOB))) = CAST(? AS BLOB)
		ORDER BY CAST(key AS BLOB)`, kind, prefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("blob keys %s %q: %w", kind, prefix, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("blob keys %s %q: %w", kind, prefix, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// DeleteBlob removes (kind, key); no error when it is absent.
func (s *SQLite) DeleteBlob(ctx context.Context, kind, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM blobs WHERE kind = ? AND key = ?`, kind, key); err != nil {
		return fmt.Errorf("delete blob %s %s: %w", kind, key, err)
	}
	return nil
}
