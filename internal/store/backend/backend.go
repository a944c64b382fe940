// Package backend opens the store.Store that a store.Location names
// (--state sqlite:PATH or dynamodb://TABLE?region=...): the one place a
// command chooses the backend.
package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
)

// Options are what opening needs besides the location.
type Options struct {
	// Clock is the store's clock (nil: the real one).
	Clock clock.Clock
	// AWS is how the DynamoDB backend reaches AWS (profile, timeout,
	// logger, HTTP client); the location's region and endpoint replace
	// its Region and EndpointURL (the --endpoint-url of SageMaker calls,
	// the emulator, does not serve DynamoDB).
	AWS awsconfig.Options
}

// Open opens the state at loc, applying pending migrations; a DynamoDB
// table must exist (Init).
func Open(ctx context.Context, loc store.Location, o Options) (store.Store, error) {
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	switch loc.Backend {
	case store.BackendSQLite:
		st, err := store.Open(ctx, loc.Path, store.WithClock(clk))
		if err != nil {
			return nil, err
		}
		return st, nil
	case store.BackendDynamoDB:
		db, err := client(ctx, loc, o)
		if err != nil {
			return nil, err
		}
		st, err := dynamo.Open(ctx, db, loc.Table, dynamo.WithClock(clk))
		if err != nil {
			return nil, err
		}
		return st, nil
	default:
		return nil, fmt.Errorf("open state: unknown backend %q", loc.Backend)
	}
}

// tableWait is how long Init waits for a new table to become ACTIVE
// (seconds on AWS).
const tableWait = 5 * time.Minute

// Init makes the state at loc ready to use and returns what it did: a
// SQLite file is created and migrated; a DynamoDB table is created (for
// development: production's comes from the deployment template), waited
// for until ACTIVE, given TTL where the implementation has it, and
// migrated. Running it again changes nothing.
func Init(ctx context.Context, loc store.Location, o Options) (string, error) {
	switch loc.Backend {
	case store.BackendDynamoDB:
		db, err := client(ctx, loc, o)
		if err != nil {
			return "", err
		}
		if err := dynamo.CreateTable(ctx, db, loc.Table, tableWait); err != nil {
			return "", err
		}
		ttl, err := dynamo.EnableTTL(ctx, db, loc.Table)
		if err != nil {
			return "", err
		}
		st, err := dynamo.Open(ctx, db, loc.Table)
		if err != nil {
			return "", err
		}
		st.Close()
		msg := fmt.Sprintf("table %s is ACTIVE, schema version %d", loc.Table, dynamo.SchemaVersion())
		if !ttl {
			msg += " (this DynamoDB has no TTL: claims of dead runs stay until deleted)"
		}
		return msg, nil
	default:
		st, err := Open(ctx, loc, o)
		if err != nil {
			return "", err
		}
		if err := st.Close(); err != nil {
			return "", err
		}
		return "state database " + loc.Path + " is ready", nil
	}
}

func client(ctx context.Context, loc store.Location, o Options) (*dynamodb.Client, error) {
	opts := o.AWS
	opts.EndpointURL = loc.Endpoint
	if loc.Region != "" {
		opts.Region = loc.Region
	}
	cfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", loc, err)
	}
	return dynamodb.NewFromConfig(cfg), nil
}
