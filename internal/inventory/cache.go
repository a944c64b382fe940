package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
)

// Cache remembers what does not change: endpoint configs (immutable), a
// notebook's description for one LastModifiedTime, finished jobs.
// Implementations are safe for concurrent use.
type Cache interface {
	// Get decodes the value stored under key into v; false if absent (or
	// not decodable into v, which a caller treats as absent).
	Get(key string, v any) bool
	// Put stores v under key.
	Put(key string, v any)
}

// cacheFormat is the version of the cache file; a file of another version
// is ignored (and rewritten), never misread.
const cacheFormat = 1

// CacheRetention is how long an entry that no scan has used stays in the
// cache file. Entries of deleted resources and of a notebook's earlier
// LastModifiedTimes are never used again; without this the file would grow
// forever. 30 days covers a monthly scan.
const CacheRetention = 30 * 24 * time.Hour

type cacheEntry struct {
	V json.RawMessage `json:"v"`
	// Used is when a scan last read or wrote the entry (Unix seconds).
	Used int64 `json:"used"`
}

type cacheFile struct {
	Format int                   `json:"format"`
	Items  map[string]cacheEntry `json:"items"`
}

// MemCache is an in-memory Cache, optionally persisted to a JSON file
// between runs with LoadCache and Save.
type MemCache struct {
	clock clock.Clock
	mu    sync.Mutex
	items map[string]cacheEntry
	dirty bool
}

// NewMemCache returns an empty cache; clk dates the entries' last use.
func NewMemCache(clk clock.Clock) *MemCache {
	return &MemCache{clock: clk, items: map[string]cacheEntry{}}
}

// Get implements Cache.
func (c *MemCache) Get(key string, v any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok || json.Unmarshal(e.V, v) != nil {
		return false
	}
	if now := c.clock.Now().Unix(); now-e.Used > int64(time.Hour/time.Second) {
		e.Used = now // refresh at most hourly, so a read-only scan rarely rewrites the file
		c.items[key] = e
		c.dirty = true
	}
	return true
}

// Put implements Cache.
func (c *MemCache) Put(key string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.items[key] = cacheEntry{V: raw, Used: c.clock.Now().Unix()}
	c.dirty = true
	c.mu.Unlock()
}

// Len returns the number of entries.
func (c *MemCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// LoadCache reads a cache file. A missing, unreadable or older-format file
// is an empty cache: the cache only saves calls, it is never the truth.
func LoadCache(path string, clk clock.Clock) *MemCache {
	data, err := os.ReadFile(path)
	if err != nil {
		return NewMemCache(clk)
	}
	return decodeCache(data, clk)
}

// decodeCache reads the cache file format; data in another format (or
// garbage) is an empty cache, marked changed so that it is rewritten.
func decodeCache(data []byte, clk clock.Clock) *MemCache {
	c := NewMemCache(clk)
	var f cacheFile
	if json.Unmarshal(data, &f) != nil || f.Format != cacheFormat || f.Items == nil {
		c.dirty = true // rewrite it in the current format
		return c
	}
	c.items = f.Items
	return c
}

// encode drops the entries unused for CacheRetention and returns the cache
// in the file format, or nil when nothing changed since it was loaded or
// last encoded. c.mu is held.
func (c *MemCache) encode() ([]byte, error) {
	cutoff := c.clock.Now().Add(-CacheRetention).Unix()
	for k, e := range c.items {
		if e.Used < cutoff {
			delete(c.items, k)
			c.dirty = true
		}
	}
	if !c.dirty {
		return nil, nil
	}
	data, err := json.Marshal(cacheFile{Format: cacheFormat, Items: c.items})
	if err != nil {
		return nil, fmt.Errorf("encode inventory cache: %w", err)
	}
	return data, nil
}

// Save writes the cache to path atomically if it changed, dropping entries
// unused for CacheRetention.
func (c *MemCache) Save(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := c.encode()
	if err != nil || data == nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save inventory cache: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save inventory cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save inventory cache: %w", err)
	}
	c.dirty = false
	return nil
}
