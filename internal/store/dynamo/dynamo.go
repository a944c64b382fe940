// Package dynamo is the DynamoDB backend of store.Store: one table, string
// keys pk and sk, billed per request, for Lambda and for several hosts
// sharing one state.
//
// DynamoDB has no multi-item transaction that every implementation offers
// (dynalite has none), so every correctness rule of the contract is one
// conditional write of one item (docs/state.md has the table): a claim is
// put only if absent, held by the claimer, past its expires_at, or
// unchanged since it was read as held by a run no longer alive; an action
// is finished only while its result is started; a ledger item opens a
// period only if none is open; and so on. Methods that write several items
// order the writes so that a crash between two leaves a state the next
// call or Recover repairs.
//
// Leases compare expires_at in the condition; the ttl attribute is only
// for DynamoDB's garbage collection, which may keep an expired item for
// days. No item exceeds DynamoDB's 400 KB: large values (snapshots, blobs)
// are compressed and split into chunk items.
//
// Item layout (pk / sk), see docs/state.md:
//
//	meta / schema                     schema version
//	counter / KIND                    last id given to KIND
//	run / ID                          a run
//	running / ID                      index of running runs (Recover)
//	claim / RESOURCE                  a claim (lease)
//	action / ID                       an audit log entry
//	started / ID                      index of started actions (Recover)
//	finding#RUN / ID                  a run's findings
//	ledger / RESOURCE                 closed periods and at most one open
//	notice / ID                       an unsent notice
//	notice#sent / ID                  a sent notice
//	idle / RESOURCE                   an idle streak
//	mark / [RESOURCE,RULE]            a warn-then-act mark
//	schedule#SCHEDULE / RESOURCE      schedule memory
//	snapshot / ID                     which endpoint snapshot ID is of
//	snapshot#ENDPOINT / ID            an endpoint snapshot
//	chunk#... / N                     part N of a large value
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
)

// API is the part of the DynamoDB API the backend calls (*dynamodb.Client
// implements it).
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// TableAPI is what CreateTable calls besides API.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// Store is a store.Store in one DynamoDB table. It is safe for concurrent
// use.
type Store struct {
	db    API
	table string
	clock clock.Clock
	lease time.Duration
	host  string
	pid   int
}

// Store is a store.Store.
var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for timestamps and lease expiry (default
// clock.Real).
func WithClock(c clock.Clock) Option { return func(s *Store) { s.clock = c } }

// WithLease sets the claim and run lease (default store.DefaultLease).
func WithLease(d time.Duration) Option { return func(s *Store) { s.lease = d } }

// Open opens the state in table, which must exist (CreateTable, or the
// deployment template, makes it), and applies any pending migrations.
func Open(ctx context.Context, db API, table string, opts ...Option) (*Store, error) {
	s := &Store{db: db, table: table, clock: clock.Real{}, lease: store.DefaultLease, pid: os.Getpid()}
	for _, o := range opts {
		o(s)
	}
	s.host, _ = os.Hostname()
	if err := s.migrate(ctx); err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("open dynamodb table %s: the table does not exist (create it with `sagesaver state init`): %w", table, err)
		}
		return nil, fmt.Errorf("open dynamodb table %s: %w", table, err)
	}
	return s, nil
}

// Close releases nothing: the SDK client belongs to the caller.
func (s *Store) Close() error { return nil }

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

func (s *Store) now() time.Time { return s.clock.Now().UTC() }

// ttlAfter is how long after a lease ends its item may be garbage
// collected by DynamoDB's TTL (which takes up to two days more): long
// enough that `sagesaver history` still shows a recent claim.
const ttlAfter = 7 * 24 * time.Hour

// CreateTable creates table (pk and sk strings, billed per request) and
// waits until it is ACTIVE; an existing table is left as it is.
func CreateTable(ctx context.Context, db TableAPI, table string, wait time.Duration) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, wait); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	return nil
}

// EnableTTL turns DynamoDB's TTL on the ttl attribute on, so that claims
// left by dead runs are garbage-collected a week after they expired. It
// reports false where the implementation has no TTL (dynalite), which
// correctness never depends on. (The contract tests leave it off: their
// clock is in the past, and TTL runs on the real one.)
func EnableTTL(ctx context.Context, db TableAPI, table string) (bool, error) {
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String("ttl"), Enabled: aws.Bool(true),
		},
	})
	switch {
	case err == nil, ttlAlreadyOn(err):
		return true, nil
	case unknownOperation(err):
		return false, nil
	default:
		return false, fmt.Errorf("turn on ttl of table %s: %w", table, err)
	}
}
