package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sagesaver/sagesaver/internal/store"
)

// EvidenceBlobKind is the store blob kind the incremental evidence is kept
// under: one blob per account and region (NewEvidence's key), gzipped
// JSON of its endpoints' per-period sums.
const EvidenceBlobKind = "evidence"

// EvidenceKey is the memory key of an account and region's evidence:
// ACCOUNT/REGION, as the inventory cache's blobs.
func EvidenceKey(account, region string) string { return account + "/" + region }

// Blobs is the part of store.Store the incremental evidence needs.
type Blobs interface {
	PutBlob(ctx context.Context, kind, key string, value []byte) error
	Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error)
}

// StoreMemory returns a Memory kept in the store's blobs of kind
// EvidenceBlobKind: what a tick learns lives in the store, so that the
// next tick, on any host sharing it, continues from there.
func StoreMemory(b Blobs) Memory { return storeMemory{b} }

type storeMemory struct{ b Blobs }

var _ Blobs = store.Store(nil)

func (m storeMemory) Get(ctx context.Context, key string) ([]byte, error) {
	v, _, err := m.b.Blob(ctx, EvidenceBlobKind, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("evidence %s: %w", key, ErrNotInMemory)
	}
	if err != nil {
		return nil, fmt.Errorf("read evidence %s: %w", key, err)
	}
	return v, nil
}

func (m storeMemory) Put(ctx context.Context, key string, value []byte) error {
	if err := m.b.PutBlob(ctx, EvidenceBlobKind, key, value); err != nil {
		return fmt.Errorf("save evidence %s: %w", key, err)
	}
	return nil
}
