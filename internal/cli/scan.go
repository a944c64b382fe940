package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/store"
)

// inventoryCacheFile is the describe cache kept between scans (endpoint
// configs, notebook and job descriptions), so that a repeat scan costs a
// few calls per hundred resources.
const inventoryCacheFile = "inventory.json"

func newScanCmd(a *app) *cobra.Command {
	var tf targetFlags
	var lookback time.Duration
	var concurrency int
	var noCache bool
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "List every billable SageMaker resource with what it costs now, by stage",
		Long: `List every billable SageMaker resource (notebook instances, Studio apps,
Canvas sessions, MLflow tracking servers, Studio space volumes, endpoints
and their variants, HyperPod clusters by instance group, training, tuning,
processing and transform jobs) in the chosen accounts and regions, with its
price: $/hour now, the month it projects to (730 hours, plus ML storage)
and, for jobs, the cost so far. Read-only.

Prices come from the embedded catalog, overlaid by 'sagesaver pricing
refresh'. "~" marks an estimate (another component's price for the same
instance), "unknown" a price the catalog lacks: never $0. The embedded
snapshot has no Canvas, MLflow, HyperPod or Studio space volume prices:
'sagesaver pricing refresh' fetches them.

A failure in one account, region or kind is reported and the scan goes on;
the exit code is then 3.`,
		Example: `  sagesaver scan
  sagesaver scan --region all -o json > fleet.json
  sagesaver scan --organization --region us-east-1,eu-west-1
  sagesaver scan --accounts accounts.yaml --role-name SageSaverReadOnly -o csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 {
				return root.UsageError("--concurrency: must be at least 1")
			}
			return runScan(cmd.Context(), a, scanOptions{targets: tf, lookback: lookback, concurrency: concurrency, noCache: noCache})
		},
	}
	tf.register(cmd.Flags())
	f := cmd.Flags()
	f.Var(config.NewDurationFlag(&lookback, 30*24*time.Hour), "job-lookback", "also list jobs finished this long ago (e.g. 7d, 36h)")
	f.IntVar(&concurrency, "concurrency", inventory.DefaultConcurrency, "account x region x kind units scanned at once")
	f.BoolVar(&noCache, "no-cache", false, "describe everything again instead of using the inventory cache")
	return cmd
}

type scanOptions struct {
	targets     targetFlags
	lookback    time.Duration
	concurrency int
	noCache     bool
}

// now is the command's clock: the wall clock unless a test set one.
func (a *app) now() time.Time {
	if a.Clock != nil {
		return a.Clock.Now()
	}
	return time.Now()
}

// inventoryCachePath is where the inventory cache lives: beside the state
// database when --state is set, else in the user cache directory.
func (a *app) inventoryCachePath() (string, error) {
	if loc, err := a.stateLocation(""); err == nil && a.Cfg.State != "" && loc.Backend == store.BackendSQLite {
		return filepath.Join(filepath.Dir(loc.Path), inventoryCacheFile), nil
	}
	dir, err := pricing.CacheDir(a.Getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, inventoryCacheFile), nil
}

func runScan(ctx context.Context, a *app, o scanOptions) error {
	s, err := a.scan(ctx, o)
	if err != nil {
		return err
	}
	if err := report.Write(a.Stdio.Out, a.Cfg.Output, s); err != nil {
		return err
	}
	return partialError(len(s.Failures))
}

// partialError is the exit status of a command that completed with some
// targets failed: exit code 3, with a one-line summary on stderr.
func partialError(failed int) error {
	if failed == 0 {
		return nil
	}
	return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("%d part(s) of the scan failed (listed in the output); the rest completed", failed)}
}

// scan resolves the targets, scans them and prices the result.
func (a *app) scan(ctx context.Context, o scanOptions) (*report.Scan, error) {
	catalog, err := a.priceCatalog()
	if err != nil {
		return nil, err
	}
	res, set, err := a.scanTargets(ctx, o, catalog)
	if err != nil {
		return nil, err
	}
	return report.New(reportInput(res), catalog, set.Accounts, set.Regions, o.lookback), nil
}

// scanTargets resolves the targets and scans them as of now (res.ScannedAt),
// through the inventory cache unless o.noCache. res.Failures holds the
// targets that could not be resolved too, sorted by account, region and kind.
func (a *app) scanTargets(ctx context.Context, o scanOptions, catalog *pricing.Catalog) (*inventory.Result, *targetSet, error) {
	prog := newProgress(a.Stdio.Err, a.Log, "connecting to AWS")
	set, err := a.buildTargets(ctx, o.targets, catalog)
	prog.finish()
	if err != nil {
		return nil, nil, err
	}
	res := a.inventory(ctx, set.Targets, o)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	res.Failures = append(res.Failures, set.Failures...)
	sort.SliceStable(res.Failures, func(i, j int) bool {
		x, y := res.Failures[i], res.Failures[j]
		return x.Account+"/"+x.Region+"/"+string(x.Kind) < y.Account+"/"+y.Region+"/"+string(y.Kind)
	})
	return res, set, nil
}

// reportInput is a scan's result as the report takes it.
func reportInput(res *inventory.Result) report.Found {
	f := report.Found{Resources: res.Resources, ScannedAt: res.ScannedAt}
	for _, x := range res.Failures {
		f.Failures = append(f.Failures, report.Failure{Account: x.Account, Region: x.Region, Kind: x.Kind, Class: x.Class.String(), Reason: x.Reason})
	}
	return f
}
