package inventory_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/store"
)

// openState opens a new handle on the SQLite state at path, as another
// host sharing the state would.
func openState(t *testing.T, path string, clk clock.Clock) *store.SQLite {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func blobKeys(t *testing.T, s store.Store) []string {
	t.Helper()
	keys, err := s.BlobKeys(context.Background(), inventory.CacheBlobKind, "")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

type cfg struct{ Type string }

var (
	east = inventory.Target{Account: "111111111111", Region: "us-east-1"}
	west = inventory.Target{Account: "111111111111", Region: "eu-west-1"}
)

// A scan on one host saves the cache in the state; a scan on another host
// sharing the state finds it there, one blob per target.
func TestStoreCacheIsSharedThroughTheState(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(now)
	path := filepath.Join(t.TempDir(), "state.db")

	a := inventory.NewStoreCache(openState(t, path, clk), clk)
	if err := a.Load(ctx, east, west); err != nil {
		t.Fatal(err)
	}
	a.Put("ec/111111111111/us-east-1/prod/1", cfg{"ml.m5.large"})
	a.Put("nb/111111111111/eu-west-1/dev@1", cfg{"ml.t3.medium"})
	a.Put("odd-key", cfg{"x"})
	if err := a.Save(ctx); err != nil {
		t.Fatal(err)
	}

	st := openState(t, path, clk)
	if diff := cmp.Diff([]string{"-", "111111111111/eu-west-1", "111111111111/us-east-1"}, blobKeys(t, st)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	b := inventory.NewStoreCache(st, clk)
	if err := b.Load(ctx, east); err != nil {
		t.Fatal(err)
	}
	var got cfg
	if !b.Get("ec/111111111111/us-east-1/prod/1", &got) || got.Type != "ml.m5.large" {
		t.Errorf("east entry on the second host = %+v", got)
	}
	if !b.Get("odd-key", &got) || got.Type != "x" {
		t.Errorf("entry naming no target = %+v", got)
	}
	if b.Get("nb/111111111111/eu-west-1/dev@1", &got) {
		t.Error("an entry of a target not loaded was found")
	}
	if err := b.Load(ctx, west); err != nil {
		t.Fatal(err)
	}
	if !b.Get("nb/111111111111/eu-west-1/dev@1", &got) || got.Type != "ml.t3.medium" {
		t.Errorf("west entry after loading it = %+v", got)
	}
	if b.Get("ec/111111111111/us-east-1/missing/1", &got) {
		t.Error("a missing key was found")
	}
}

// Entries unused for CacheRetention are dropped, as from the cache file;
// a target left with none loses its blob. An unchanged cache writes
// nothing; a read refreshes an entry's use at most hourly.
func TestStoreCacheRetention(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(now)
	st := openState(t, filepath.Join(t.TempDir(), "state.db"), clk)
	load := func() *inventory.StoreCache {
		t.Helper()
		c := inventory.NewStoreCache(st, clk)
		if err := c.Load(ctx, east, west); err != nil {
			t.Fatal(err)
		}
		return c
	}
	putAt := func(k string) time.Time {
		t.Helper()
		_, at, err := st.Blob(ctx, inventory.CacheBlobKind, k)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	c := load()
	c.Put("ec/111111111111/us-east-1/a/1", cfg{"a"})
	c.Put("ec/111111111111/us-east-1/b/1", cfg{"b"})
	c.Put("ec/111111111111/eu-west-1/c/1", cfg{"c"})
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}

	// Nothing changed: nothing written.
	clk.Advance(30 * time.Minute)
	c = load()
	var got cfg
	c.Get("ec/111111111111/us-east-1/a/1", &got) // used within the hour: no refresh
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if at := putAt("111111111111/us-east-1"); !at.Equal(now) {
		t.Errorf("an unchanged cache was written at %v", at)
	}

	// "a" is used again after 20 days, "b" and "c" are not.
	clk.Advance(20 * 24 * time.Hour)
	c = load()
	c.Get("ec/111111111111/us-east-1/a/1", &got)
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if at := putAt("111111111111/us-east-1"); !at.Equal(clk.Now()) {
		t.Errorf("a refreshed use was not written (blob put at %v)", at)
	}
	clk.Advance(inventory.CacheRetention - 10*24*time.Hour)
	c = load()
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}
	c = load()
	if !c.Get("ec/111111111111/us-east-1/a/1", &got) || c.Get("ec/111111111111/us-east-1/b/1", &got) {
		t.Errorf("after retention: a present %v, b present %v; want only a",
			c.Get("ec/111111111111/us-east-1/a/1", &got), c.Get("ec/111111111111/us-east-1/b/1", &got))
	}
	if diff := cmp.Diff([]string{"111111111111/us-east-1"}, blobKeys(t, st)); diff != "" {
		t.Errorf("blobs after retention (-want +got):\n%s", diff)
	}
}

// Entries put for a target that was not loaded are added to the stored
// ones, not written over them; a stored value that is not the cache's
// format is no entries, and is rewritten.
func TestStoreCacheMergesAndIgnoresGarbage(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(now)
	st := openState(t, filepath.Join(t.TempDir(), "state.db"), clk)
	c := inventory.NewStoreCache(st, clk)
	c.Put("ec/111111111111/us-east-1/a/1", cfg{"a"})
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}
	c = inventory.NewStoreCache(st, clk)
	c.Put("ec/111111111111/us-east-1/b/1", cfg{"b"}) // no Load
	if err := c.Save(ctx); err != nil {
		t.Fatal(err)
	}
	c = inventory.NewStoreCache(st, clk)
	if err := c.Load(ctx, east); err != nil {
		t.Fatal(err)
	}
	var got cfg
	if !c.Get("ec/111111111111/us-east-1/a/1", &got) || !c.Get("ec/111111111111/us-east-1/b/1", &got) || c.Len() != 2 {
		t.Errorf("after a save without load: %d entries, want a and b", c.Len())
	}

	for _, garbage := range []string{`not json`, `{"format":99,"items":{}}`, `{"ec/x":{"Type":"x"}}`} {
		if err := st.PutBlob(ctx, inventory.CacheBlobKind, "111111111111/us-east-1", []byte(garbage)); err != nil {
			t.Fatal(err)
		}
		c = inventory.NewStoreCache(st, clk)
		if err := c.Load(ctx, east); err != nil || c.Len() != 0 {
			t.Errorf("%q: Load = %v with %d entries, want none", garbage, err, c.Len())
		}
		if err := c.Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Blob(ctx, inventory.CacheBlobKind, "111111111111/us-east-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%q: not rewritten (an empty cache has no blob): %v", garbage, err)
		}
	}
}

// A store that fails is an error of Load (the caller scans without the
// cache), not an empty cache that Save would write over the stored one.
func TestStoreCacheLoadError(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(now)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"), store.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	c := inventory.NewStoreCache(st, clk)
	if err := c.Load(ctx, east); err == nil {
		t.Error("Load from a closed store: no error")
	}
	var got cfg
	if c.Get("ec/111111111111/us-east-1/a/1", &got) {
		t.Error("Get after a failed Load found something")
	}
}

// A scan on a fresh machine sharing the state describes nothing that the
// last scan, on another machine, described.
func TestRepeatScanOnAnotherHostUsesStoreCache(t *testing.T) {
	env := emulatortest.Start(t, fleet)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	tg := targets(env, "us-east-1")
	scan := func() (*inventory.Result, map[string]int64) {
		t.Helper()
		c := inventory.NewStoreCache(openState(t, path, env.Emu.Clock()), env.Emu.Clock())
		if err := c.Load(ctx, tg...); err != nil {
			t.Fatal(err)
		}
		env.Emu.ResetCounters()
		res := scanner().Scan(ctx, tg, &inventory.Env{Now: env.Emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: c})
		if err := c.Save(ctx); err != nil {
			t.Fatal(err)
		}
		return res, env.Emu.Counters().Calls
	}
	first, calls := scan()
	if calls["sagemaker:DescribeEndpointConfig"] != 4 || calls["sagemaker:DescribeNotebookInstance"] != 2 {
		t.Errorf("first scan: %d endpoint config and %d notebook describes, want 4 and 2", calls["sagemaker:DescribeEndpointConfig"], calls["sagemaker:DescribeNotebookInstance"])
	}
	second, calls := scan()
	for _, op := range []string{"DescribeEndpointConfig", "DescribeNotebookInstance", "DescribeDomain", "DescribeSpace", "DescribeProcessingJob", "DescribeTransformJob"} {
		if n := calls["sagemaker:"+op]; n != 0 {
			t.Errorf("scan on another host called %s %d times, want 0 (cached in the state)", op, n)
		}
	}
	if diff := cmp.Diff(byKey(first.Resources), byKey(second.Resources)); diff != "" {
		t.Errorf("repeat scan differs (-first +second):\n%s", diff)
	}
}
