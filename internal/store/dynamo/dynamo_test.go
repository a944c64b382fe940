package dynamo_test

import (
	"context"
	"testing"

	"github.com/sagesaver/sagesaver/internal/clock"
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
