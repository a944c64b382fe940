package cli

import (
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/store"
)

// tickCache is the describe cache a tick scans through: kept in the
// store, so that any host ticking against the same state continues it.
//
// TODO(storeplus): the store-backed inventory.Cache.
func tickCache(st store.Store, a *app) inventory.Cache { return nil }
