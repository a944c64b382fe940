package dynamo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
)

// deleteCounter counts DeleteItem requests: each is billed a write unit,
// whether or not there was an item to delete.
type deleteCounter struct {
	dynamo.API
	mu      sync.Mutex
	deletes int
}

func (d *deleteCounter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	d.mu.Lock()
	d.deletes++
	d.mu.Unlock()
	return d.API.DeleteItem(ctx, in, opts...)
}

// TestResetIdleWritesOnlyAStreak: resetting the idle streak of an
// endpoint that has none (every busy endpoint, every policy pass) deletes
// nothing; one that has a streak loses it.
func TestResetIdleWritesOnlyAStreak(t *testing.T) {
	ctx := context.Background()
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	db := &deleteCounter{API: srv.Client()}
	s, err := dynamo.Open(ctx, db, srv.NewTable(t))
	if err != nil {
		t.Fatal(err)
	}
	busy := resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: "busy"}
	if err := s.ResetIdle(ctx, busy); err != nil {
		t.Fatal(err)
	}
	if db.deletes != 0 {
		t.Errorf("ResetIdle of an endpoint without a streak: %d DeleteItem requests, want 0", db.deletes)
	}
	quiet := resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: "quiet"}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.ObserveIdle(ctx, quiet, now.Add(-24*time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetIdle(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	streaks, err := s.IdleSince(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := streaks[quiet]; ok || db.deletes != 1 {
		t.Errorf("after ResetIdle of a streak: %v, %d deletes; want it gone, 1 delete", streaks, db.deletes)
	}
}
