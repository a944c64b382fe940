package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files of the local cache, in CacheDir. They have the columns of
// shared/pricing's CSVs (PriceColumns, StorageColumns).
const (
	CachePricesFile  = "prices.csv"
	CacheStorageFile = "storage.csv"
)

// CacheInfo says whether a catalog includes the local cache.
type CacheInfo struct {
	// Dir is where the cache was looked for; "" when it was not.
	Dir string `json:"dir,omitempty"`
	// PricesFile and StorageFile are the files overlaid; "" when absent.
	PricesFile  string `json:"prices_file,omitempty"`
	StorageFile string `json:"storage_file,omitempty"`
	// Prices and Storage count the rows read from them.
	Prices  int `json:"prices"`
	Storage int `json:"storage"`
}

// Used reports whether any cache file was overlaid.
func (i CacheInfo) Used() bool { return i.PricesFile != "" || i.StorageFile != "" }

// CacheDir returns the local cache's directory: $XDG_CACHE_HOME/sagesaver,
// or the OS's user cache directory (~/.cache on Linux) when XDG_CACHE_HOME
// is unset. getenv is os.Getenv outside tests.
func CacheDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sagesaver"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".cache", "sagesaver"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("price cache directory: %w", err)
	}
	return filepath.Join(d, "sagesaver"), nil
}

// Load returns the embedded catalog overlaid by the local cache in dir (see
// CacheDir). Cached rows take precedence over embedded rows for the same
// region, instance type and component, whatever their dates; embedded rows
// the cache lacks stay, with their own source and date. A missing file or
// directory is not an error; a malformed one is. dir "" means no cache.
func Load(dir string) (*Catalog, error) {
	c := Embedded()
	if dir == "" {
		return c, nil
	}
	rows, storage, info, err := ReadCache(dir)
	if err != nil {
		return nil, err
	}
	if !info.Used() {
		n := c.clone()
		n.cache = info
		return n, nil
	}
	n := c.Overlay(rows, storage)
	n.cache = info
	return n, nil
}

// ReadCache reads the cache files in dir; a file that does not exist gives
// no rows.
func ReadCache(dir string) ([]Row, []StorageRow, CacheInfo, error) {
	info := CacheInfo{Dir: dir}
	read := func(name string) ([]byte, string, error) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("read price cache: %w", err)
		}
		return b, p, nil
	}
	b, p, err := read(CachePricesFile)
	if err != nil {
		return nil, nil, info, err
	}
	var rows []Row
	if p != "" {
		if rows, err = ReadRows(p, bytes.NewReader(b)); err != nil {
			return nil, nil, info, fmt.Errorf("read price cache: %w", err)
		}
		info.PricesFile, info.Prices = p, len(rows)
	}
	if b, p, err = read(CacheStorageFile); err != nil {
		return nil, nil, info, err
	}
	var storage []StorageRow
	if p != "" {
		if storage, err = ReadStorageRows(p, bytes.NewReader(b)); err != nil {
			return nil, nil, info, fmt.Errorf("read price cache: %w", err)
		}
		info.StorageFile, info.Storage = p, len(storage)
	}
	return rows, storage, info, nil
}

// WriteCachePrices replaces the cache's price file in dir with rows,
// creating dir if needed. The file is written whole and renamed into place,
// so a reader never sees half of it.
func WriteCachePrices(dir string, rows []Row) error {
	var buf bytes.Buffer
	if err := WriteRows(&buf, rows); err != nil {
		return fmt.Errorf("write price cache: %w", err)
	}
	return writeAtomic(dir, CachePricesFile, buf.Bytes())
}

// WriteCacheStorage replaces the cache's storage file in dir with rows, as
// WriteCachePrices does.
func WriteCacheStorage(dir string, rows []StorageRow) error {
	var buf bytes.Buffer
	if err := WriteStorageRows(&buf, rows); err != nil {
		return fmt.Errorf("write price cache: %w", err)
	}
	return writeAtomic(dir, CacheStorageFile, buf.Bytes())
}

func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write price cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write price cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write price cache %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write price cache %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write price cache: %w", err)
	}
	return nil
}
