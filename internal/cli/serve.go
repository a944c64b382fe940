package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	dash "github.com/sagesaver/sagesaver/internal/serve"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/version"
)

type serveOptions struct {
	targets      targetFlags
	addr         string
	demo         bool
	noAuth       bool
	allowedHosts []string
	interval     time.Duration
	// demoSpeed is how much virtual time the demo's emulator clock moves
	// per second of wall time (0: it stands still, for tests).
	demoSpeed time.Duration
	// once takes one inventory and exits without serving (a smoke test
	// of the configuration; the tests' read-only check).
	once bool
}

// serveStarted, when a test sets it, is told where serve listens, the
// token to log in with ("" when auth is off or the token existed) and, in
// the demo, the emulator's URL.
var serveStarted func(url, token, emulatorURL string)

func newServeCmd(a *app) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the dashboard and Prometheus metrics, re-scanning the fleet on an interval",
		Long: `Serve a read-only web dashboard of the fleet (overview, inventory with
filters and CSV/JSON export, a page per resource with its price and
invocations chart, the savings ledger, the activity log) and Prometheus
metrics at /metrics, scanning the chosen accounts and regions every
--interval. /healthz answers while the process lives, /readyz once the
first inventory is in.

It listens on 127.0.0.1:8080 by default. An access token is generated on
first start and printed once (its SHA-256 is kept beside the state
database, mode 0600); browsers log in with it (a cookie), other clients
send it as a bearer token. A non-loopback --addr is refused with
--no-auth. --demo serves the built-in emulator's demo fleet with a clock
that moves, so that nothing needs an AWS account.`,
		Example: `  sagesaver serve --demo
  sagesaver serve --region us-east-1,eu-west-1 --interval 10m
  sagesaver serve --addr 0.0.0.0:8080 --allowed-host dashboard.internal
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/metrics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.interval < time.Second {
				return root.UsageError("--interval: must be at least 1s")
			}
			if o.demo && !cmd.Flags().Changed("interval") {
				o.interval = 20 * time.Second
			}
			if err := dash.CheckBind(o.addr, !o.noAuth); err != nil {
				return root.UsageError("--addr: %v", err)
			}
			return runServe(cmd.Context(), a, o)
		},
	}
	o.targets.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", dash.DefaultAddr, "address to listen on (host:port); non-loopback needs authentication")
	f.BoolVar(&o.demo, "demo", false, "serve the built-in emulator's demo fleet (no AWS account needed)")
	f.BoolVar(&o.noAuth, "no-auth", false, "no access token (loopback addresses only)")
	f.StringSliceVar(&o.allowedHosts, "allowed-host", nil, "further host names accepted in the Host header (a reverse proxy's)")
	f.Var(config.NewDurationFlag(&o.interval, 5*time.Minute), "interval", "time between inventories (default 5m; 20s with --demo)")
	f.Var(config.NewDurationFlag(&o.demoSpeed, time.Minute), "demo-speed", "virtual time the demo's clock moves per second")
	_ = f.MarkHidden("demo-speed")
	f.BoolVar(&o.once, "once", false, "take one inventory and exit without serving (checks the configuration)")
	return cmd
}

func runServe(ctx context.Context, a *app, o serveOptions) error {
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	opts := dash.Options{Addr: o.addr, AllowedHosts: o.allowedHosts, Catalog: catalog, Log: a.Log, Version: version.String(), Demo: o.demo}
	stateDir := filepath.Dir(a.Cfg.StatePath())
	var take func(ctx context.Context) (*dash.Snapshot, error)
	var emuURL string
	if o.demo {
		env, stop, err := startDemo(ctx)
		if err != nil {
			return err
		}
		defer stop()
		emuURL = env.url
		dir, err := os.MkdirTemp("", "sagesaver-serve-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		stateDir = dir
		st, err := store.Open(ctx, filepath.Join(dir, "state.db"), store.WithClock(env.emu.Clock()))
		if err != nil {
			return err
		}
		defer st.Close()
		opts.Store, opts.Clock = st, env.emu.Clock()
		opts.Evidence = &cloudWatch{clients: func(account, region string) *awsapi.Clients { return awsapi.NewClients(env.cfg, region, false) }}
		d, err := newServeDemo(ctx, a, env, st, catalog)
		if err != nil {
			return err
		}
		take = d.take
		if o.demoSpeed > 0 {
			defer moveClock(env, o.demoSpeed)()
		}
	} else {
		st, err := a.openStore(ctx, "")
		if err != nil {
			return err
		}
		defer st.Close()
		opts.Store, opts.Clock = st, a.clk()
		cw := &cloudWatch{}
		opts.Evidence = cw
		take = func(ctx context.Context) (*dash.Snapshot, error) {
			start := time.Now()
			res, set, err := a.scanTargets(ctx, scanOptions{targets: o.targets, lookback: inventory.DefaultJobLookback, concurrency: inventory.DefaultConcurrency}, catalog)
			if err != nil {
				return nil, err
			}
			cw.set(set.Clients)
			s := report.New(reportInput(res), catalog, set.Accounts, set.Regions, inventory.DefaultJobLookback)
			return &dash.Snapshot{Scan: s, At: res.ScannedAt, Took: time.Since(start)}, nil
		}
	}
	if o.once {
		snap, err := take(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdio.Err, "sagesaver serve: inventory of %d resources taken in %s\n", len(snap.Scan.Lines), snap.Took.Round(time.Millisecond))
		return partialError(len(snap.Scan.Failures))
	}
	token := ""
	if !o.noAuth {
		auth, tok, err := dash.LoadOrCreateToken(stateDir)
		if err != nil {
			return err
		}
		opts.Auth, token = auth, tok
	}
	poller := dash.NewPoller(take, o.interval, opts.Clock, a.Log)
	opts.Source = poller
	srv, err := dash.New(opts)
	if err != nil {
		return root.UsageError("%v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); poller.Run(ctx) }()
	defer wg.Wait()
	err = srv.Serve(ctx, func(addr net.Addr) {
		url := "http://" + addr.String()
		switch {
		case token != "":
			fmt.Fprintf(a.Stdio.Err, "sagesaver serve: %s (the access token, shown once: log in with %s/login?token=%s)\n", url, url, token)
		case o.noAuth:
			fmt.Fprintf(a.Stdio.Err, "sagesaver serve: %s (no authentication)\n", url)
		default:
			fmt.Fprintf(a.Stdio.Err, "sagesaver serve: %s (log in with the access token printed on first start)\n", url)
		}
		if o.demo {
			fmt.Fprintf(a.Stdio.Err, "sagesaver serve: demo fleet on the built-in AWS emulator at %s\n", emuURL)
		}
		if serveStarted != nil {
			serveStarted(url, token, emuURL)
		}
	})
	cancel()
	return err
}

// moveClock advances the demo emulator's clock by speed every second of
// wall time, so that the dashboard lives; the returned func stops it.
func moveClock(env *demoEnv, speed time.Duration) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				env.emu.Advance(speed)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// serveDemo is serve --demo's inventory: the first one applies the demo
// policy for real against the emulator (as `sagesaver demo` does), so
// that the savings ledger and the activity log have something to show;
// each one after plans it again (dry run) for fresh findings and idle
// streaks.
type serveDemo struct {
	a       *app
	env     *demoEnv
	ex      *action.Executor
	targets []inventory.Target
	policy  *policy.Policy
	catalog *pricing.Catalog
	applied bool
}

func newServeDemo(ctx context.Context, a *app, env *demoEnv, st store.Store, catalog *pricing.Catalog) (*serveDemo, error) {
	p, err := policy.Decode(demoPolicyFile, demoPolicy)
	if err != nil {
		return nil, fmt.Errorf("demo policy: %w", err)
	}
	ex, targets, err := env.executor(ctx, a, st)
	if err != nil {
		return nil, err
	}
	return &serveDemo{a: a, env: env, ex: ex, targets: targets, policy: p, catalog: catalog}, nil
}

func (d *serveDemo) scan(ctx context.Context) *inventory.Result {
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors(), Log: d.a.Log}
	return sc.Scan(ctx, d.targets, &inventory.Env{Now: d.env.emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: inventory.NewMemCache(d.env.emu.Clock())})
}

func (d *serveDemo) take(ctx context.Context) (*dash.Snapshot, error) {
	start := time.Now()
	res := d.scan(ctx)
	if !d.applied {
		// Deleting the idle endpoints is left to the reader of the
		// dashboard, who sees them idle, with their evidence and what
		// they would save: the first apply runs every other rule.
		first := *d.policy
		first.Rules = nil
		for _, r := range d.policy.Rules {
			if r.Name != "delete-idle-endpoints" {
				first.Rules = append(first.Rules, r)
			}
		}
		stop := tickEmulator(d.env)
		_, err := d.ex.Run(ctx, "apply", &first, res.Resources, false)
		stop()
		if err != nil {
			return nil, fmt.Errorf("demo apply: %w", err)
		}
		d.applied = true
		res = d.scan(ctx)
	}
	if _, err := d.ex.Run(ctx, "plan", d.policy, res.Resources, true); err != nil {
		return nil, fmt.Errorf("demo plan: %w", err)
	}
	var accounts []string
	for _, t := range d.targets {
		accounts = append(accounts, t.Account)
	}
	s := report.New(reportInput(res), d.catalog, accounts, demoRegions, inventory.DefaultJobLookback)
	return &dash.Snapshot{Scan: s, At: res.ScannedAt, Took: time.Since(start)}, nil
}

// cloudWatch reads invocations for the resource page with the scan's
// clients of the endpoint's account and region.
type cloudWatch struct {
	mu      sync.Mutex
	clients func(account, region string) *awsapi.Clients
	byKey   map[string]*awsapi.Clients
}

func (c *cloudWatch) set(m map[string]*awsapi.Clients) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey = m
}

func (c *cloudWatch) Invocations(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error) {
	c.mu.Lock()
	var cl *awsapi.Clients
	if c.clients != nil {
		cl = c.clients(ep.Account, ep.Region)
	} else {
		cl = c.byKey[ep.Account+"/"+ep.Region]
	}
	c.mu.Unlock()
	if cl == nil {
		return nil, fmt.Errorf("no CloudWatch client for %s in %s", ep.Account, ep.Region)
	}
	qs := make([]metrics.Query, len(variants))
	for i, v := range variants {
		qs[i] = metrics.Query{Namespace: idle.Namespace, Metric: idle.MetricInvocations, Stat: "Sum",
			Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: ep.Name}, {Name: "VariantName", Value: v}}}
	}
	return metrics.New(cl.CloudWatch).Fetch(ctx, w, qs), nil
}
