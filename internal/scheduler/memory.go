package scheduler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Memory keeps what the scheduler applied, per schedule and resource ID,
// between runs (schedule.Memory). A run reads it before deciding and
// writes it only after the action it decided succeeded.
type Memory interface {
	// Get returns what was remembered for the resource under the
	// schedule, or nil when nothing was.
	Get(ctx context.Context, scheduleName string, id resource.ID) (*schedule.Memory, error)
	// Put remembers m for the resource under the schedule, replacing what
	// was there; it is durable when Put returns.
	Put(ctx context.Context, scheduleName string, id resource.ID, m schedule.Memory) error
}

// StoreMemory is Memory in the state database, beside the audit log.
type StoreMemory struct{ st store.Store }

// NewStoreMemory returns the Memory kept in st.
func NewStoreMemory(st store.Store) *StoreMemory { return &StoreMemory{st: st} }

// Get implements Memory.
func (m *StoreMemory) Get(ctx context.Context, scheduleName string, id resource.ID) (*schedule.Memory, error) {
	raw, err := m.st.ScheduleMemory(ctx, scheduleName, id)
	if err != nil || raw == nil {
		return nil, err
	}
	var mem schedule.Memory
	if err := json.Unmarshal(raw, &mem); err != nil {
		return nil, fmt.Errorf("schedule memory %s %s: %w", scheduleName, id, err)
	}
	return &mem, nil
}

// Put implements Memory.
func (m *StoreMemory) Put(ctx context.Context, scheduleName string, id resource.ID, mem schedule.Memory) error {
	raw, err := json.Marshal(mem)
	if err != nil {
		return fmt.Errorf("schedule memory %s %s: %w", scheduleName, id, err)
	}
	return m.st.PutScheduleMemory(ctx, scheduleName, id, raw)
}
