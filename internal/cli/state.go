package cli

import (
	"context"
	"strings"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
)

// openStore opens the state backend spec names: "sqlite:PATH", a plain
// path (SQLite), or a backend URL ("dynamodb://TABLE?region=..."). It is
// the one place a command turns a state string into a store.Store.
//
// TODO(dynamo): the DynamoDB backend and the full parser of --state come
// with the dynamo branch; until then a dynamodb:// state is refused here.
func (a *app) openStore(ctx context.Context, spec string) (store.Store, error) {
	path := spec
	if strings.Contains(spec, "://") || strings.HasPrefix(spec, "sqlite:") {
		scheme, rest, err := runconfig.SplitState(spec)
		if err != nil {
			return nil, root.UsageError("state: %v", err)
		}
		if scheme != "sqlite" {
			return nil, root.UsageError("state %q: this build has the sqlite backend only", spec)
		}
		path = rest
	}
	return store.Open(ctx, path, store.WithClock(a.clk()))
}
