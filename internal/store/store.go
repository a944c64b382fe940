// Package store is sagesaver's state: the Store contract (contract.go),
// specified by the shared suite in internal/store/storetest, and its first
// backend, SQLite.
//
// SQLite is an embedded database (modernc.org/sqlite, pure Go, so the
// binary stays static) holding runs,
// findings, idle-since times, the audit log of actions, endpoint snapshots
// for restore, the savings ledger, warn-then-act marks, per-resource
// claims, tick claims, the results of a tick's targets and blobs (opaque
// values such as the inventory cache).
//
// The database is opened in WAL mode with a busy timeout and foreign keys
// on; every write transaction begins IMMEDIATE, so two processes never
// deadlock upgrading a read lock. Schema migrations are embedded and
// applied on Open, one transaction each.
//
// Crash consistency: every multi-row change is one transaction, and an
// action is recorded as "started" before the AWS call and finished after
// it, so a run killed mid-way leaves rows that say exactly what may have
// happened; Open's caller lists them with Interrupted.
//
// Claims are leases (see Claim): a row per resource with a unique key,
// taken in a transaction before acting and released after; the holder's
// Heartbeat extends its leases, and a claim whose lease expired, whose run
// finished, or whose process is gone from this host can be taken over.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sagesaver/sagesaver/internal/clock"
)

// DefaultLease is how long a claim and a run's liveness last without a
// heartbeat. Long enough that an executor renewing once a minute while it
// waits for AWS (a notebook takes a few minutes to stop) never loses its
// claim; short enough that a killed run's resources are free again soon.
const DefaultLease = 10 * time.Minute

// busyTimeout is how long a statement waits for another process's write
// lock before failing with SQLITE_BUSY: transactions here are a few rows
// and take milliseconds, so waiting seconds means something is wrong.
const busyTimeout = 10 * time.Second

// timeFormat is how times are stored: UTC, fixed width, so that text order
// is time order and SQL can compare them.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// SQLite is an open state database. It is safe for concurrent use.
type SQLite struct {
	db    *sql.DB
	path  string
	clock clock.Clock
	lease time.Duration
	host  string
	pid   int
	// upTo stops the migrations at a schema version (0: the latest), for
	// tests that build a database as an older sagesaver left it.
	upTo int
}

// Option configures Open.
type Option func(*SQLite)

// WithClock sets the clock used for timestamps and lease expiry (default
// clock.Real).
func WithClock(c clock.Clock) Option { return func(s *SQLite) { s.clock = c } }

// WithLease sets the claim and run lease (default DefaultLease).
func WithLease(d time.Duration) Option { return func(s *SQLite) { s.lease = d } }

// Open opens (creating it and its directory when missing) the store at
// path, typically config.Config.StatePath(), and applies any pending
// migrations.
func Open(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	s := &SQLite{path: path, clock: clock.Real{}, lease: DefaultLease, pid: os.Getpid()}
	for _, o := range opts {
		o(s)
	}
	s.host, _ = os.Hostname()
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.db = db
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(ctx, db, s.upTo); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate store %s: %w", path, err)
	}
	return s, nil
}

// ping opens the first connection, which applies the pragmas. Switching a
// new database to WAL takes an exclusive lock, and SQLite answers
// SQLITE_BUSY at once, without waiting on the busy timeout, when another
// process is switching it at the same moment (two processes opening a state
// that does not exist yet: a cron tick and serve starting together). That
// answer is retried, for as long as the busy timeout, before it is an
// error.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	wait := 10 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// createPrivate makes the database's directory (0700) and file (0600) when
// they are missing, so that the audit log, which names principals, is the
// owner's alone: SQLite gives the -wal and -shm files it creates the
// database file's mode. An existing database readable by group or others
// is left as it is (its owner may share it on purpose) with one warning.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o044 == 0 {
			continue
		}
		if _, warned := warnedOpen.LoadOrStore(p, true); !warned {
			slog.Warn("state database is readable by other users; it holds the audit log: chmod 600 it",
				"path", p, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
	}
	return nil
}

// warnedOpen holds the paths warned about, so that a long-running process
// that opens the store each cycle warns once.
var warnedOpen sync.Map

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *SQLite) Path() string { return s.path }

func (s *SQLite) now() time.Time { return s.clock.Now() }

// tx runs fn in one IMMEDIATE transaction, committing when fn returns nil.
func (s *SQLite) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

// fmtTimeZero is fmtTime, NULL for the zero time.
func fmtTimeZero(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseTimePtr(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
