package inventory_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/inventory"
)

func TestCacheFile(t *testing.T) {
	clk := clock.NewManual(now)
	path := filepath.Join(t.TempDir(), "sub", "inventory.json")

	// A missing file is an empty cache.
	c := inventory.LoadCache(path, clk)
	if c.Len() != 0 {
		t.Fatalf("len %d", c.Len())
	}
	type cfg struct{ Type string }
	c.Put("ec/a", cfg{"ml.m5.large"})
	c.Put("ec/b", cfg{"ml.g5.xlarge"})
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}

	// Round trip.
	c = inventory.LoadCache(path, clk)
	var got cfg
	if !c.Get("ec/a", &got) || got.Type != "ml.m5.large" {
		t.Errorf("ec/a = %+v", got)
	}
	if c.Get("ec/missing", &got) {
		t.Error("missing key found")
	}

	// Entries unused for longer than the retention are dropped; "ec/a" was
	// used again (read) after 20 days, "ec/b" was not.
	clk.Advance(20 * 24 * time.Hour)
	c.Get("ec/a", &got)
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	clk.Advance(inventory.CacheRetention - 10*24*time.Hour)
	c = inventory.LoadCache(path, clk)
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	c = inventory.LoadCache(path, clk)
	if !c.Get("ec/a", &got) || c.Get("ec/b", &got) {
		t.Errorf("after retention: ec/a present %v, ec/b present %v; want only ec/a", c.Get("ec/a", &got), c.Get("ec/b", &got))
	}

	// A file in another format (or garbage) is ignored, not misread.
	for _, data := range []string{`{"ec/a":{"Type":"x"}}`, `not json`, `{"format":99,"items":{}}`} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if c := inventory.LoadCache(path, clk); c.Len() != 0 {
			t.Errorf("%q: loaded %d entries", data, c.Len())
		}
	}
}

// TestCacheWrongShape: a cached value that does not decode into the
// caller's type is a miss (the caller describes again), not garbage.
func TestCacheWrongShape(t *testing.T) {
	c := inventory.NewMemCache(clock.NewManual(now))
	c.Put("k", "a string")
	var n struct{ A int }
	if c.Get("k", &n) {
		t.Error("string decoded into a struct")
	}
}
