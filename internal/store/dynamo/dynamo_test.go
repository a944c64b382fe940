package dynamo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
	"github.com/sagesaver/sagesaver/internal/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.ServeProcess(func(ctx context.Context, dsn string) (store.Store, error) {
		db, table, err := dynamotest.Connect(dsn)
		if err != nil {
			return nil, err
		}
		return dynamo.Open(ctx, db, table)
	})
	dynamotest.Main(m)
}

// open opens a handle on table of srv, closed when t ends.
func open(t *testing.T, srv *dynamotest.Server, table string, opts ...dynamo.Option) *dynamo.Store {
	t.Helper()
	s, err := dynamo.Open(context.Background(), srv.Client(), table, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContract runs the Store contract suite on dynalite and on DynamoDB
// Local: a fresh table per subtest, each handle a separate Open of it, as
// separate hosts sharing the table are.
func TestContract(t *testing.T) {
	for _, name := range dynamotest.Names {
		t.Run(name, func(t *testing.T) {
			srv := dynamotest.Get(t, name)
			storetest.Run(t, func(t *testing.T) storetest.Open {
				table := srv.NewTable(t)
				return func(t *testing.T, clk clock.Clock) store.Store {
					return open(t, srv, table, dynamo.WithClock(clk))
				}
			})
		})
	}
}

// TestContractProcesses races two processes (two hosts) on one table:
// one claim, one target lease, one tick claim, round after round.
func TestContractProcesses(t *testing.T) {
	for _, name := range dynamotest.Names {
		t.Run(name, func(t *testing.T) {
			srv := dynamotest.Get(t, name)
			storetest.RaceProcesses(t, srv.DSN(srv.NewTable(t)))
		})
	}
}

// TestCreateTable: creating is idempotent, and TTL (garbage collection
// only) is turned on where the implementation has it; dynalite has not.
func TestCreateTable(t *testing.T) {
	for _, name := range dynamotest.Names {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			srv := dynamotest.Get(t, name)
			table := srv.NewTable(t)
			if err := dynamo.CreateTable(ctx, srv.Client(), table, time.Minute); err != nil {
				t.Fatalf("CreateTable of an existing table: %v", err)
			}
			for range 2 {
				on, err := dynamo.EnableTTL(ctx, srv.Client(), table)
				if err != nil {
					t.Fatal(err)
				}
				if want := name == dynamotest.DynamoDBLocal; on != want {
					t.Errorf("EnableTTL = %v, want %v", on, want)
				}
			}
			out, err := srv.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatal(err)
			}
			if bm := out.Table.BillingModeSummary; bm == nil || bm.BillingMode != types.BillingModePayPerRequest {
				t.Errorf("billing mode %+v, want PAY_PER_REQUEST", bm)
			}
		})
	}
}

// TestSchemaVersion: Open records the schema version in its item, refuses
// a table written by a newer sagesaver, and names `state init` for a
// table that does not exist.
func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	table := srv.NewTable(t)
	open(t, srv, table)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "meta"}, "sk": &types.AttributeValueMemberS{Value: "schema"}}
	out, err := srv.Client().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out.Item["version"].(*types.AttributeValueMemberN); !ok || v.Value != fmt.Sprint(dynamo.SchemaVersion()) {
		t.Fatalf("schema item = %v, want version %d", out.Item, dynamo.SchemaVersion())
	}
	_, err = srv.Client().UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key,
		UpdateExpression:          aws.String("SET version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: "99"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.Open(ctx, srv.Client(), table); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a table from a newer sagesaver: %v, want refused", err)
	}
	if _, err := dynamo.Open(ctx, srv.Client(), "no-such-table"); err == nil || !strings.Contains(err.Error(), "state init") {
		t.Errorf("Open of a missing table: %v, want a hint to run state init", err)
	}
}

// TestLargeValues: no item exceeds DynamoDB's 400 KB. A snapshot whose
// documents are megabytes (incompressible) is split into chunks and comes
// back whole; a record that cannot be split is refused with a clear error
// before DynamoDB is asked.
func TestLargeValues(t *testing.T) {
	ctx := context.Background()
	srv := dynamotest.Get(t, dynamotest.Dynalite)
	table := srv.NewTable(t)
	s := open(t, srv, table)
	noise := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = "0123456789abcdef"[rng.IntN(16)]
	}
	cfg := json.RawMessage(`{"blob":"` + string(noise) + `"}`)
	snap := store.EndpointSnapshot{Account: "111111111111", Region: "us-east-1", Endpoint: "big", Config: "big-cfg",
		Tags: map[string]string{"team": "ml"}, Scaling: json.RawMessage(`{}`), EndpointConfig: cfg}
	id, err := s.SaveSnapshot(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestSnapshot(ctx, resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || !bytes.Equal(got.EndpointConfig, cfg) || got.Tags["team"] != "ml" {
		t.Errorf("snapshot came back with %d bytes of config, want %d", len(got.EndpointConfig), len(cfg))
	}
	parts := 0
	p := dynamodb.NewScanPaginator(srv.Client(), &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if pk := it["pk"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(pk, "chunk#") {
				parts++
			}
		}
	}
	if parts < 2 {
		t.Errorf("%d chunk items for a snapshot of ~600 KB compressed, want it split", parts)
	}
	run, err := s.StartRun(ctx, store.RunInfo{Command: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RecordAction(ctx, store.Action{RunID: run.ID, Verb: "delete", Result: store.ResultOK,
		Details: json.RawMessage(`{"x":"` + strings.Repeat("y", 500<<10) + `"}`)})
	if err == nil || !strings.Contains(err.Error(), "over DynamoDB's") {
		t.Errorf("RecordAction with 500 KB of details: %v, want refused as too large", err)
	}
}
