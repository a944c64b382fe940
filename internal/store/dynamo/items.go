package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// item is a DynamoDB item.
type item = map[string]types.AttributeValue

// timeFormat is how times are stored: UTC, fixed width, to the
// nanosecond, so that string order is time order and conditions compare
// them as strings (as the SQLite backend does).
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseTimePtr(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// idKey is an id as a sort key: zero-padded, so that string order is id
// order.
func idKey(id int64) string { return fmt.Sprintf("%020d", id) }

func parseIDKey(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func str(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// pairKey is the JSON pair [a, b]: one key per pair whatever characters
// either holds (a target's account and region, a mark's resource and
// rule, a blob's kind and key).
func pairKey(a, b string) string {
	j, _ := json.Marshal([]string{a, b})
	return string(j)
}

func key(pk, sk string) item { return item{"pk": str(pk), "sk": str(sk)} }

// condFailed reports whether err is a failed condition of a conditional
// write: the rule the condition keeps did not hold.
func condFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func unknownOperation(err error) bool { return apiCode(err) == "UnknownOperationException" }

func ttlAlreadyOn(err error) bool {
	return apiCode(err) == "ValidationException" && strings.Contains(err.Error(), "already enabled")
}

// get reads one item with a strongly consistent read into v; it reports
// false when there is none.
func (s *Store) get(ctx context.Context, pk, sk string, v any) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, err
	}
	if out.Item == nil {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(out.Item, v)
}

// put writes v (a struct with pk and sk) under condition cond ("" for
// none), with values vals for the condition's placeholders.
func (s *Store) put(ctx context.Context, v any, cond string, vals item) error {
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		return err
	}
	if err := checkSize(it); err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
		if len(vals) > 0 {
			in.ExpressionAttributeValues = vals
		}
	}
	_, err = s.db.PutItem(ctx, in)
	return err
}

// update applies expr to the item pk/sk under condition cond ("" for
// none). names maps #placeholders to attribute names (nil for none).
func (s *Store) update(ctx context.Context, pk, sk, expr, cond string, vals item, names map[string]string) (*dynamodb.UpdateItemOutput, error) {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(pk, sk), UpdateExpression: aws.String(expr),
	}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	if len(vals) > 0 {
		in.ExpressionAttributeValues = vals
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	return s.db.UpdateItem(ctx, in)
}

// del deletes the item pk/sk under condition cond ("" for none).
func (s *Store) del(ctx context.Context, pk, sk, cond string, vals item) error {
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(pk, sk)}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
		if len(vals) > 0 {
			in.ExpressionAttributeValues = vals
		}
	}
	_, err := s.db.DeleteItem(ctx, in)
	return err
}

// query is a strongly consistent query of partition pk.
type query struct {
	pk string
	// prefix, when set, keeps the sort keys that begin with it.
	prefix string
	// filter is a FilterExpression ("" for none) with vals and names.
	filter string
	vals   item
	names  map[string]string
	// desc reads newest (highest sort key) first.
	desc bool
	// projection, when set, reads only these attributes.
	projection string
}

// each calls fn with every item q selects, in sort key order, until fn
// returns false or an error.
func (s *Store) each(ctx context.Context, q query, fn func(item) (bool, error)) error {
	cond := "pk = :pk"
	vals := item{":pk": str(q.pk)}
	if q.prefix != "" {
		cond += " AND begins_with(sk, :prefix)"
		vals[":prefix"] = str(q.prefix)
	}
	for k, v := range q.vals {
		vals[k] = v
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeValues: vals,
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(!q.desc),
	}
	if q.filter != "" {
		in.FilterExpression = aws.String(q.filter)
	}
	if len(q.names) > 0 {
		in.ExpressionAttributeNames = q.names
	}
	if q.projection != "" {
		in.ProjectionExpression = aws.String(q.projection)
	}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			more, err := fn(it)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// all unmarshals every item q selects into a slice of T.
func all[T any](ctx context.Context, s *Store, q query) ([]T, error) {
	var out []T
	err := s.each(ctx, q, func(it item) (bool, error) {
		var v T
		if err := attributevalue.UnmarshalMap(it, &v); err != nil {
			return false, err
		}
		out = append(out, v)
		return true, nil
	})
	return out, err
}

// nextIDs reserves n ids of kind from its counter item (one atomic add)
// and returns the first: ids first..first+n-1 are the caller's. Ids are
// positive and grow in the order the adds happen.
func (s *Store) nextIDs(ctx context.Context, kind string, n int) (int64, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key("counter", kind),
		UpdateExpression:          aws.String("ADD n :n"),
		ExpressionAttributeValues: item{":n": num(int64(n))},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", kind, err)
	}
	v, ok := out.Attributes["n"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("next %s id: counter has no number", kind)
	}
	last, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", kind, err)
	}
	return last - int64(n) + 1, nil
}

func (s *Store) nextID(ctx context.Context, kind string) (int64, error) {
	return s.nextIDs(ctx, kind, 1)
}

// batchPut writes items (with no condition: new ids nobody else writes,
// or chunks under a fresh version) in batches.
func (s *Store) batchPut(ctx context.Context, vs []any) error {
	var reqs []types.WriteRequest
	for _, v := range vs {
		it, err := attributevalue.MarshalMap(v)
		if err != nil {
			return err
		}
		if err := checkSize(it); err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	return s.batchWrite(ctx, reqs)
}

// batchDelete deletes the items with keys ks in batches.
func (s *Store) batchDelete(ctx context.Context, ks []item) error {
	reqs := make([]types.WriteRequest, len(ks))
	for i, k := range ks {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return s.batchWrite(ctx, reqs)
}

// batchWrite sends reqs 25 at a time (BatchWriteItem's limit), and no
// more than 12 MB at a time (its limit is 16 MB), resending what
// DynamoDB left unprocessed.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	const maxBatch, maxBatchBytes = 25, 12 << 20
	for len(reqs) > 0 {
		n, size := 0, 0
		for n < len(reqs) && n < maxBatch {
			if r := reqs[n]; r.PutRequest != nil {
				size += itemSize(r.PutRequest.Item)
			}
			if n > 0 && size > maxBatchBytes {
				break
			}
			n++
		}
		batch := reqs[:n]
		reqs = reqs[n:]
		for attempt := 0; len(batch) > 0; attempt++ {
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{s.table: batch},
			})
			if err != nil {
				return err
			}
			batch = out.UnprocessedItems[s.table]
		}
	}
	return nil
}

// backoff is the wait before retry attempt (1, 2, ...) of a write that
// lost a race or was left unprocessed: 10 ms doubling to at most 1 s.
func backoff(attempt int) time.Duration {
	d := 10 * time.Millisecond << min(attempt-1, 7)
	return min(d, time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxRetries bounds the read-then-conditional-write loops: each retry
// means another writer changed the item in between, which a handful of
// racers cannot do for ever.
const maxRetries = 50

// maxItemBytes is DynamoDB's item size limit (400 KB, names and values).
const maxItemBytes = 400 * 1024

// checkSize refuses an item over DynamoDB's limit with a clear error
// rather than the service's, counting as DynamoDB does (names plus
// values; numbers counted generously).
func checkSize(it item) error {
	if n := itemSize(it); n > maxItemBytes {
		return fmt.Errorf("item %v/%v is %d bytes, over DynamoDB's %d", it["pk"], it["sk"], n, maxItemBytes)
	}
	return nil
}

func itemSize(it item) int {
	n := 0
	for k, v := range it {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return 21
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	default:
		return 0
	}
}

func unmarshal(it item, v any) error { return attributevalue.UnmarshalMap(it, v) }

func marshal(v any) (item, error) { return attributevalue.MarshalMap(v) }
