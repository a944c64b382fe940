package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagesaver/sagesaver/internal/store"
)

type tickItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	RunID     int64  `dynamodbav:"run_id"`
	ClaimedAt string `dynamodbav:"claimed_at"`
}

// ClaimTick records that run holds the tick at store.TickTime(at): a put
// conditional on the tick item being absent or held by run. The item
// never expires: the first claim wins for ever.
func (s *Store) ClaimTick(ctx context.Context, run int64, at time.Time) error {
	at = store.TickTime(at)
	k := fmtTime(at)
	err := s.put(ctx, tickItem{PK: "tick", SK: k, RunID: run, ClaimedAt: fmtTime(s.now())},
		"attribute_not_exists(pk)", nil)
	if err == nil {
		return nil
	}
	if !condFailed(err) {
		return fmt.Errorf("claim tick %s: %w", k, err)
	}
	var held tickItem
	found, err := s.get(ctx, "tick", k, &held)
	if err != nil {
		return fmt.Errorf("claim tick %s: %w", k, err)
	}
	if !found {
		return fmt.Errorf("claim tick %s: the claim vanished", k) // tick items are never deleted
	}
	if held.RunID == run {
		return nil // a retried write
	}
	claimed, err := parseTime(held.ClaimedAt)
	if err != nil {
		return fmt.Errorf("claim tick %s: %w", k, err)
	}
	return &store.TickClaimedError{At: at, RunID: held.RunID, Claimed: claimed}
}

// TickHolder returns the run that holds the tick at store.TickTime(at),
// or store.ErrNotFound: one strongly consistent read.
func (s *Store) TickHolder(ctx context.Context, at time.Time) (int64, error) {
	k := fmtTime(store.TickTime(at))
	var held tickItem
	found, err := s.get(ctx, "tick", k, &held)
	if err != nil {
		return 0, fmt.Errorf("holder of tick %s: %w", k, err)
	}
	if !found {
		return 0, store.ErrNotFound
	}
	return held.RunID, nil
}

type targetItem struct {
	PK               string         `dynamodbav:"pk"`
	SK               string         `dynamodbav:"sk"`
	Account          string         `dynamodbav:"account"`
	Region           string         `dynamodbav:"region"`
	Status           string         `dynamodbav:"status,omitempty"`
	Started          string         `dynamodbav:"started"`
	Finished         string         `dynamodbav:"finished"`
	Error            string         `dynamodbav:"error,omitempty"`
	Counts           map[string]int `dynamodbav:"counts,omitempty"`
	Calls            map[string]int `dynamodbav:"calls,omitempty"`
	MetricsRequested int            `dynamodbav:"metrics_requested"`
}

func targetsPK(run int64) string { return fmt.Sprintf("target#%d", run) }

// RecordTarget stores r for run: one unconditional put, replacing.
func (s *Store) RecordTarget(ctx context.Context, run int64, r store.TargetResult) error {
	if r.Account == "" || r.Region == "" {
		return fmt.Errorf("record target of run %d: account and region are required", run)
	}
	it := targetItem{PK: targetsPK(run), SK: pairKey(r.Account, r.Region), Account: r.Account, Region: r.Region,
		Status: r.Status, Started: fmtTime(r.Started), Finished: fmtTime(r.Finished), Error: r.Error,
		Counts: r.Counts, Calls: r.Calls, MetricsRequested: r.MetricsRequested}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("record target %s/%s of run %d: %w", r.Account, r.Region, run, err)
	}
	return nil
}

// TargetResults returns run's target results by account then region.
func (s *Store) TargetResults(ctx context.Context, run int64) ([]store.TargetResult, error) {
	items, err := all[targetItem](ctx, s, query{pk: targetsPK(run)})
	if err != nil {
		return nil, fmt.Errorf("target results of run %d: %w", run, err)
	}
	out := make([]store.TargetResult, 0, len(items))
	for _, it := range items {
		r := store.TargetResult{Account: it.Account, Region: it.Region, Status: it.Status, Error: it.Error,
			Counts: it.Counts, Calls: it.Calls, MetricsRequested: it.MetricsRequested}
		if r.Started, err = parseTime(it.Started); err != nil {
			return nil, err
		}
		if r.Finished, err = parseTime(it.Finished); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Region < out[j].Region
	})
	return out, nil
}

type blobItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	PutAt string `dynamodbav:"put_at"`
	value
}

func blobPK(kind string) string { return "blob#" + kind }

// blobOwner names a blob's chunks: kind and key, unambiguously.
func blobOwner(kind, key string) string { return "blob#" + pairKey(kind, key) }

// PutBlob stores value, compressed, in the blob item or, when large, in
// chunk items written first under a fresh version; the put of the blob
// item switches readers to it, and the chunks it replaced are deleted
// after.
func (s *Store) PutBlob(ctx context.Context, kind, key string, value []byte) error {
	if kind == "" || key == "" {
		return fmt.Errorf("put blob %q %q: kind and key are required", kind, key)
	}
	v, err := s.writeValue(ctx, blobOwner(kind, key), value)
	if err != nil {
		return fmt.Errorf("put blob %s %s: %w", kind, key, err)
	}
	old, err := s.swapBlob(ctx, kind, key, &blobItem{PK: blobPK(kind), SK: key, PutAt: fmtTime(s.now()), value: v})
	if err != nil {
		return fmt.Errorf("put blob %s %s: %w", kind, key, err)
	}
	if err := s.deleteValue(ctx, blobOwner(kind, key), old); err != nil {
		return fmt.Errorf("put blob %s %s: %w", kind, key, err)
	}
	return nil
}

// swapBlob puts it (nil: deletes the blob) and returns the value it
// replaced, read atomically with the write.
func (s *Store) swapBlob(ctx context.Context, kind, key string, it *blobItem) (value, error) {
	var old item
	if it == nil {
		out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table),
			Key: map[string]types.AttributeValue{"pk": str(blobPK(kind)), "sk": str(key)}, ReturnValues: types.ReturnValueAllOld})
		if err != nil {
			return value{}, err
		}
		old = out.Attributes
	} else {
		m, err := marshal(it)
		if err != nil {
			return value{}, err
		}
		if err := checkSize(m); err != nil {
			return value{}, err
		}
		out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: m, ReturnValues: types.ReturnValueAllOld})
		if err != nil {
			return value{}, err
		}
		old = out.Attributes
	}
	if old == nil {
		return value{}, nil
	}
	return valueOf(old)
}

// Blob returns the value under (kind, key) and when it was put. A read
// that meets a value replaced meanwhile reads again.
func (s *Store) Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error) {
	for attempt := 0; attempt <= maxRetries; attempt++ {
		var it blobItem
		found, err := s.get(ctx, blobPK(kind), key, &it)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, err)
		}
		if !found {
			return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, store.ErrNotFound)
		}
		data, err := s.readValue(ctx, blobOwner(kind, key), it.value)
		if errors.Is(err, errValueGone) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, err)
		}
		at, err := parseTime(it.PutAt)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("blob %s %s: %w", kind, key, err)
		}
		if data == nil {
			data = []byte{}
		}
		return data, at, nil
	}
	return nil, time.Time{}, fmt.Errorf("blob %s %s: the value kept changing", kind, key)
}

// BlobKeys lists the keys of kind starting with prefix, in DynamoDB's
// sort key order: by UTF-8 bytes.
func (s *Store) BlobKeys(ctx context.Context, kind, prefix string) ([]string, error) {
	var out []string
	err := s.each(ctx, query{pk: blobPK(kind), prefix: prefix, projection: "sk"}, func(it item) (bool, error) {
		sk, ok := it["sk"].(*types.AttributeValueMemberS)
		if !ok {
			return false, errors.New("blob item without a key")
		}
		out = append(out, sk.Value)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob keys %s %q: %w", kind, prefix, err)
	}
	return out, nil
}

// DeleteBlob deletes the blob item, then the chunks it named.
func (s *Store) DeleteBlob(ctx context.Context, kind, key string) error {
	old, err := s.swapBlob(ctx, kind, key, nil)
	if err != nil {
		return fmt.Errorf("delete blob %s %s: %w", kind, key, err)
	}
	if err := s.deleteValue(ctx, blobOwner(kind, key), old); err != nil {
		return fmt.Errorf("delete blob %s %s: %w", kind, key, err)
	}
	return nil
}
