package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/backend"
)

// stateLocation is the state spec names (store.ParseLocation:
// "sqlite:PATH", a plain path, "dynamodb://TABLE?region=..."), or when
// spec is "" the one --state names (SAGESAVER_STATE, the config file's
// state), the SQLite file in the user's state directory by default. A
// location that does not parse is a usage error.
func (a *app) stateLocation(spec string) (store.Location, error) {
	if spec == "" {
		spec = a.Cfg.State
	}
	if spec == "" {
		return store.Location{Backend: store.BackendSQLite, Path: a.Cfg.StatePath()}, nil
	}
	loc, err := store.ParseLocation(spec)
	if err != nil {
		return store.Location{}, root.UsageError("--state: %v", err)
	}
	return loc, nil
}

// openStore opens the state spec names ("" for --state's, see
// stateLocation): the one place a command turns a state string into a
// store.Store, SQLite or DynamoDB (internal/store/backend).
func (a *app) openStore(ctx context.Context, spec string) (store.Store, error) {
	loc, err := a.stateLocation(spec)
	if err != nil {
		return nil, err
	}
	return backend.Open(ctx, loc, a.backendOptions())
}

func (a *app) backendOptions() backend.Options {
	home := ""
	for _, r := range a.Cfg.Regions {
		if r != "all" {
			home = r
			break
		}
	}
	return backend.Options{Clock: a.clk(), AWS: a.AWSOptions(home)}
}

func newStateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Manage the state store (SQLite file or DynamoDB table)",
		Long: `Manage the state store that --state names: sqlite:PATH (or a plain path;
the default is a SQLite file in your state directory) or
dynamodb://TABLE?region=REGION for several hosts or Lambda sharing one state
(add &endpoint=URL to use DynamoDB Local while developing).`,
		Example: `  sagesaver state init --state dynamodb://sagesaver-state?region=eu-west-1
  sagesaver --state dynamodb://sagesaver-state?region=eu-west-1 history`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Create the state store if it does not exist (a DynamoDB table for development)",
		Long: `Create the state store --state names, if it does not exist, and bring its
schema up to date. For dynamodb://TABLE it creates the table (pk and sk
strings, on-demand billing), waits until it is ACTIVE and turns TTL on
(garbage collection of dead runs' claims). It is meant for development:
in production the deployment template creates the table. Running it again
changes nothing.`,
		Example: `  sagesaver state init --state dynamodb://sagesaver-state?region=eu-west-1
  sagesaver state init --state 'dynamodb://sagesaver-dev?region=us-east-1&endpoint=http://127.0.0.1:8000'
  sagesaver state init --state sqlite:/var/lib/sagesaver/state.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc, err := a.stateLocation("")
			if err != nil {
				return err
			}
			msg, err := backend.Init(cmd.Context(), loc, a.backendOptions())
			if err != nil {
				return fmt.Errorf("state init %s: %w", loc, err)
			}
			fmt.Fprintln(a.Stdio.Out, msg)
			return nil
		},
	})
	return cmd
}
