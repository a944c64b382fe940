//go:build unix

package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/store"
)

// The database holds the audit log (principal ARNs): it, its WAL and SHM
// files and the directory made for it are the owner's alone.
func TestOpenCreatesOwnerOnlyFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "sagesaver.db")
	s := open(t, path)
	// A write makes sure the WAL and its index exist.
	if _, err := s.StartRun(ctx, store.RunInfo{Command: "scan"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(p), got, want)
		}
	}
}

// An existing database readable by others is used as it is, with one
// warning that names it, however often it is opened.
func TestOpenWarnsOnceAboutReadableDatabase(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	path := filepath.Join(t.TempDir(), "shared.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if n := strings.Count(logs.String(), "readable by other users"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "path="+path) || !strings.Contains(logs.String(), "mode=0644") {
		t.Errorf("warning does not name the file and mode:\n%s", logs.String())
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode changed to %04o", fi.Mode().Perm())
	}

	// A private one is not warned about.
	logs.Reset()
	open(t, filepath.Join(t.TempDir(), "private.db"))
	if logs.Len() != 0 {
		t.Errorf("unexpected warning: %s", logs.String())
	}
}
