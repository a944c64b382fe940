//go:build unix

package agent

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The root agent reads a file the notebook user controls: it follows no
// link, reads nothing but a regular file with one link, and never blocks.
func TestReadKeepAliveRefusesPlantedFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), 0o600); err != nil {
		t.Fatal(err)
	}
	plant := map[string]func(path string) error{
		"symlink":   func(p string) error { return os.Symlink(target, p) },
		"hard link": func(p string) error { return os.Link(target, p) },
		"directory": func(p string) error { return os.Mkdir(p, 0o700) },
		"fifo":      func(p string) error { return syscall.Mkfifo(p, 0o600) },
	}
	for name, mk := range plant {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keepalive")
			if err := mk(path); err != nil {
				t.Fatal(err)
			}
			got, err := ReadKeepAlive(path)
			if err == nil || !strings.Contains(err.Error(), "refused") || !got.IsZero() {
				t.Fatalf("ReadKeepAlive(%s) = %v, %v; want refused", name, got, err)
			}
		})
	}

	// A huge file is read no further than a time's length.
	big := filepath.Join(t.TempDir(), "keepalive")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("2030-01-02T03:04:05Z\n")
	f.Truncate(1 << 40) // sparse: a terabyte of zeros after the time
	f.Close()
	if got, err := ReadKeepAlive(big); err != nil || !got.Equal(Forever) {
		// 256 bytes of time and zeros do not parse: someone wants it up.
		t.Fatalf("huge file: %v, %v", got, err)
	}

	// As root (CI containers), a file of another user in a directory that
	// is not theirs and not sticky is refused.
	if os.Geteuid() == 0 {
		path := filepath.Join(t.TempDir(), "keepalive")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeepAlive(path); err == nil || !strings.Contains(err.Error(), "owned by uid 12345") {
			t.Fatalf("foreign owner: %v", err)
		}
	}
}

func TestKeepAlivePathInItsOwnDir(t *testing.T) {
	c := DefaultConfig()
	if got := c.KeepAlivePath(); got != "/var/lib/sagesaver/keepalive" {
		t.Errorf("default %s", got)
	}
	c.KeepAliveDir = "/var/lib/sagesaver-keepalive"
	if got := c.KeepAlivePath(); got != "/var/lib/sagesaver-keepalive/keepalive" {
		t.Errorf("with KeepAliveDir %s", got)
	}
}
