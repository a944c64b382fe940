package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// ScheduleMemory returns what the scheduler remembered for resource under
// schedule (its schedule.Memory as JSON), or nil when nothing was.
func (s *SQLite) ScheduleMemory(ctx context.Context, schedule string, res resource.ID) (json.RawMessage, error) {
	var m string
	err := s.db.QueryRowContext(ctx, `SELECT memory FROM schedule_memory WHERE schedule = ? AND resource = ?`, schedule, res).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schedule memory %s %s: %w", schedule, res, err)
	}
	return json.RawMessage(m), nil
}

// PutScheduleMemory replaces what is remembered for resource under
// schedule; it is durable when it returns.
func (s *SQLite) PutScheduleMemory(ctx context.Context, schedule string, res resource.ID, memory json.RawMessage) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO schedule_memory (schedule, resource, memory, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT (schedule, resource) DO UPDATE SET memory = excluded.memory, updated = excluded.updated`,
		schedule, res, string(memory), fmtTime(s.clock.Now()))
	if err != nil {
		return fmt.Errorf("put schedule memory %s %s: %w", schedule, res, err)
	}
	return nil
}
