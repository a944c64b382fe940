package store_test

import (
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/storetest"
)

// TestContract runs the Store contract suite against SQLite: each handle
// is a separate Open of one database file, as separate processes are.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "state.db")
		return func(t *testing.T, clk clock.Clock) store.Store {
			return open(t, path, store.WithClock(clk))
		}
	})
}

// TestContractProcesses races two processes on one database file that
// neither has created yet: one claim, one target lease, one tick claim,
// round after round.
func TestContractProcesses(t *testing.T) {
	storetest.RaceProcesses(t, filepath.Join(t.TempDir(), "state.db"))
}
