package inventory

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
)

// Cache remembers what does not change: endpoint configs (immutable), a
// notebook's description for one LastModifiedTime, finished jobs.
// Implementations are safe for concurrent use.
type Cache interface {
	// Get decodes the value stored under key into v; false if absent.
	Get(key string, v any) bool
	// Put stores v under key.
	Put(key string, v any)
}

// MemCache is an in-memory Cache, optionally persisted to a JSON file
// between runs with Load and Save.
type MemCache struct {
	mu    sync.Mutex
	items map[string]json.RawMessage
	dirty bool
}

// NewMemCache returns an empty cache.
func NewMemCache() *MemCache { return &MemCache{items: map[string]json.RawMessage{}} }

// Get implements Cache.
func (c *MemCache) Get(key string, v any) bool {
	c.mu.Lock()
	raw, ok := c.items[key]
	c.mu.Unlock()
	return ok && json.Unmarshal(raw, v) == nil
}

// Put implements Cache.
func (c *MemCache) Put(key string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.items[key] = raw
	c.dirty = true
	c.mu.Unlock()
}

// Len returns the number of entries.
func (c *MemCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// LoadCache reads a cache file; a missing or unreadable file is an empty
// cache (the cache only saves calls, it is never the truth).
func LoadCache(path string) *MemCache {
	c := NewMemCache()
	data, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	_ = json.Unmarshal(data, &c.items)
	if c.items == nil {
		c.items = map[string]json.RawMessage{}
	}
	return c
}

// Save writes the cache to path atomically if it changed.
func (c *MemCache) Save(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	data, err := json.Marshal(c.items)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	c.dirty = false
	return os.Rename(tmp, path)
}
