package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
)

// TestNoticesOutbox: a notice stays unsent until NoticesSent; a run that
// is still running keeps its own notices (another run does not claim
// them); a failed delivery leaves them for the next run.
func TestNoticesOutbox(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.WithClock(clock.NewManual(t0)))
	a, _ := s.StartRun(ctx, store.RunInfo{Command: "apply"})
	b, _ := s.StartRun(ctx, store.RunInfo{Command: "apply"})
	item := json.RawMessage(`{"name":"ep"}`)
	if err := s.AddNotices(ctx, []store.Notice{{RunID: a.ID, Key: "apply:x", Item: item}, {RunID: a.ID, Key: "schedule run", Item: item}}); err != nil {
		t.Fatal(err)
	}
	// a is running: b may not take its notices.
	if got, err := s.ClaimNotices(ctx, b.ID, "apply:"); err != nil || len(got) != 0 {
		t.Fatalf("b claimed %d of running a's notices (%v)", len(got), err)
	}
	got, err := s.ClaimNotices(ctx, a.ID, "apply:")
	if err != nil || len(got) != 1 || got[0].Key != "apply:x" {
		t.Fatalf("a claimed %+v (%v), want its apply notice", got, err)
	}
	if err := s.NoticesFailed(ctx, []int64{got[0].ID}, "topic not found"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	// a is over: its undelivered notice goes to the next run.
	got, err = s.ClaimNotices(ctx, b.ID, "apply:")
	if err != nil || len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "topic not found" {
		t.Fatalf("b claimed %+v (%v), want a's failed notice", got, err)
	}
	if err := s.NoticesSent(ctx, []int64{got[0].ID}); err != nil {
		t.Fatal(err)
	}
	unsent, err := s.UnsentNotices(ctx)
	if err != nil || len(unsent) != 1 || unsent[0].Key != "schedule run" {
		t.Errorf("unsent %+v (%v), want only the schedule run notice", unsent, err)
	}
}
