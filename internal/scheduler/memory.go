package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/sagesaver/sagesaver/internal/schedule"
)

// Memory keeps what the scheduler applied, per schedule and resource ARN,
// between runs (schedule.Memory). A run reads it before deciding and
// writes it only after the action it decided succeeded.
type Memory interface {
	// Get returns what was remembered for the resource under the
	// schedule, or nil when nothing was.
	Get(ctx context.Context, scheduleName, arn string) (*schedule.Memory, error)
	// Put remembers m for the resource under the schedule, replacing what
	// was there; it is durable when Put returns.
	Put(ctx context.Context, scheduleName, arn string, m schedule.Memory) error
}

// MemoryFileName is the file FileMemory keeps beside the state database.
const MemoryFileName = "schedule-memory.json"

// memoryVersion is the format of the memory file.
const memoryVersion = 1

// FileMemory is Memory in a small JSON file (one entry per scheduled
// resource), written atomically (temporary file, then rename). Each Put
// re-reads the file and changes one entry, so two processes acting on
// different resources do not lose each other's entries; two acting on the
// same resource are kept apart by the store's claims.
type FileMemory struct {
	path string
	mu   sync.Mutex
}

// NewFileMemory returns a FileMemory at path; the file and its directory
// are created on the first Put.
func NewFileMemory(path string) *FileMemory { return &FileMemory{path: path} }

type memoryFile struct {
	Version int `json:"version"`
	// Schedules maps schedule name -> resource ARN -> memory.
	Schedules map[string]map[string]schedule.Memory `json:"schedules"`
}

func (f *FileMemory) read() (memoryFile, error) {
	mf := memoryFile{Version: memoryVersion, Schedules: map[string]map[string]schedule.Memory{}}
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return mf, nil
	}
	if err != nil {
		return mf, fmt.Errorf("read schedule memory: %w", err)
	}
	if err := json.Unmarshal(data, &mf); err != nil {
		return mf, fmt.Errorf("read schedule memory %s: %w", f.path, err)
	}
	if mf.Version != memoryVersion {
		return mf, fmt.Errorf("read schedule memory %s: version %d, this build reads %d", f.path, mf.Version, memoryVersion)
	}
	if mf.Schedules == nil {
		mf.Schedules = map[string]map[string]schedule.Memory{}
	}
	return mf, nil
}

// Get implements Memory.
func (f *FileMemory) Get(_ context.Context, scheduleName, arn string) (*schedule.Memory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mf, err := f.read()
	if err != nil {
		return nil, err
	}
	m, ok := mf.Schedules[scheduleName][arn]
	if !ok {
		return nil, nil
	}
	return &m, nil
}

// Put implements Memory.
func (f *FileMemory) Put(_ context.Context, scheduleName, arn string, m schedule.Memory) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	mf, err := f.read()
	if err != nil {
		return err
	}
	if mf.Schedules[scheduleName] == nil {
		mf.Schedules[scheduleName] = map[string]schedule.Memory{}
	}
	mf.Schedules[scheduleName][arn] = m
	data, err := json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return fmt.Errorf("write schedule memory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("write schedule memory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".schedule-memory-*.json")
	if err != nil {
		return fmt.Errorf("write schedule memory: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write schedule memory: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write schedule memory: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write schedule memory: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("write schedule memory: %w", err)
	}
	return nil
}
