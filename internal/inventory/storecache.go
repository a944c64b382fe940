package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
)

// CacheBlobKind is the store blob kind that holds the inventory cache.
const CacheBlobKind = "inventory"

// otherPart is the blob key of the entries whose keys name no target.
const otherPart = "-"

// BlobStore is the part of store.Store that StoreCache uses.
type BlobStore interface {
	PutBlob(ctx context.Context, kind, key string, value []byte) error
	Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error)
	DeleteBlob(ctx context.Context, kind, key string) error
}

var _ BlobStore = store.Store(nil)

// StoreCache is a Cache kept in the state store instead of a file in the
// user's cache directory, so that every host sharing one state (ticks on
// Lambda, cron on several machines) shares it and a tick on a fresh
// machine starts warm.
//
// Entries are kept by target: the blob of kind CacheBlobKind under key
// ACCOUNT/REGION holds every entry whose key is PREFIX/ACCOUNT/REGION/...
// (every collector's key is), in the cache file's format with each
// entry's last use, so CacheRetention applies as it does to the file. The
// few entries whose keys name no target share the blob "-".
//
// Load reads targets' entries before a scan (a target not loaded misses);
// Save writes back, after it, those that changed. A tick leases the target
// it works on (store.Claim on resource.TargetID), so two ticks never write
// one target's blob at once; a writer without the lease (a person's scan)
// can at worst lose the other's new entries, which the next scan describes
// again: the cache only saves calls, it is never the truth.
type StoreCache struct {
	st    BlobStore
	clock clock.Clock
	mu    sync.Mutex
	parts map[string]*storePart
}

// storePart is the entries of one blob.
type storePart struct {
	mem *MemCache
	// loaded: read from the store (or found absent there); otherwise the
	// part holds only what was Put, and Save merges the stored entries.
	loaded bool
}

// NewStoreCache returns an empty cache kept in st; clk dates the entries'
// last use.
func NewStoreCache(st BlobStore, clk clock.Clock) *StoreCache {
	return &StoreCache{st: st, clock: clk, parts: map[string]*storePart{}}
}

// partOf returns the blob key of a cache key: ACCOUNT/REGION when the key
// is PREFIX/ACCOUNT/REGION/REST.
func partOf(key string) string {
	f := strings.SplitN(key, "/", 4)
	if len(f) < 4 || f[1] == "" || f[2] == "" {
		return otherPart
	}
	return f[1] + "/" + f[2]
}

// Load reads the entries of targets (and those that name no target) from
// the store, once per cache. A missing or undecodable blob is no entries;
// only the store's own error is returned, and the targets not read miss.
func (c *StoreCache) Load(ctx context.Context, targets ...Target) error {
	keys := []string{otherPart}
	for _, t := range targets {
		keys = append(keys, t.Account+"/"+t.Region)
	}
	for _, k := range keys {
		c.mu.Lock()
		p := c.parts[k]
		c.mu.Unlock()
		if p != nil && p.loaded {
			continue
		}
		stored, err := c.read(ctx, k)
		if err != nil {
			return err
		}
		c.mu.Lock()
		if p := c.parts[k]; p != nil {
			mergeMissing(p.mem, stored) // what was Put meanwhile wins
			p.loaded = true
		} else {
			c.parts[k] = &storePart{mem: stored, loaded: true}
		}
		c.mu.Unlock()
	}
	return nil
}

// read returns the entries stored under blob key k.
func (c *StoreCache) read(ctx context.Context, k string) (*MemCache, error) {
	data, _, err := c.st.Blob(ctx, CacheBlobKind, k)
	if errors.Is(err, store.ErrNotFound) {
		return NewMemCache(c.clock), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load inventory cache %s: %w", k, err)
	}
	return decodeCache(data, c.clock), nil
}

// mergeMissing adds to dst the entries of src it does not have.
func mergeMissing(dst, src *MemCache) {
	dst.mu.Lock()
	defer dst.mu.Unlock()
	for k, e := range src.items {
		if _, ok := dst.items[k]; !ok {
			dst.items[k] = e
			dst.dirty = true
		}
	}
	dst.dirty = dst.dirty || src.dirty
}

// Get implements Cache.
func (c *StoreCache) Get(key string, v any) bool {
	c.mu.Lock()
	p := c.parts[partOf(key)]
	c.mu.Unlock()
	return p != nil && p.mem.Get(key, v)
}

// Put implements Cache.
func (c *StoreCache) Put(key string, v any) {
	k := partOf(key)
	c.mu.Lock()
	p := c.parts[k]
	if p == nil {
		p = &storePart{mem: NewMemCache(c.clock)}
		c.parts[k] = p
	}
	c.mu.Unlock()
	p.mem.Put(key, v)
}

// Len returns the number of entries loaded or put.
func (c *StoreCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.parts {
		n += p.mem.Len()
	}
	return n
}

// Save writes back every target's entries that changed, dropping those
// unused for CacheRetention; a target left with none has its blob
// deleted. Entries put for a target that was not loaded are merged with
// the stored ones first.
func (c *StoreCache) Save(ctx context.Context) error {
	c.mu.Lock()
	keys := slices.Sorted(maps.Keys(c.parts))
	c.mu.Unlock()
	for _, k := range keys {
		c.mu.Lock()
		p := c.parts[k]
		loaded := p.loaded
		c.mu.Unlock()
		if !loaded {
			stored, err := c.read(ctx, k)
			if err != nil {
				return err
			}
			mergeMissing(p.mem, stored)
			c.mu.Lock()
			p.loaded = true
			c.mu.Unlock()
		}
		if err := c.write(ctx, k, p.mem); err != nil {
			return err
		}
	}
	return nil
}

// write stores m under blob key k if it changed.
func (c *StoreCache) write(ctx context.Context, k string, m *MemCache) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, err := m.encode()
	if err != nil || data == nil {
		return err
	}
	if len(m.items) == 0 {
		err = c.st.DeleteBlob(ctx, CacheBlobKind, k)
	} else {
		err = c.st.PutBlob(ctx, CacheBlobKind, k, data)
	}
	if err != nil {
		return fmt.Errorf("save inventory cache %s: %w", k, err)
	}
	m.dirty = false
	return nil
}
