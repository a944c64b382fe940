package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/advise"
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
	"github.com/sagesaver/sagesaver/internal/schedule"
	dash "github.com/sagesaver/sagesaver/internal/serve"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
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
	// actions lets people act from the pages (dismiss, snooze, apply a
	// finding, restore an endpoint).
	actions        bool
	file           string
	schedules      string
	proxyHeader    string
	trustedProxies []string
	// demoState is where --demo keeps its state when --state names it
	// (kept after serve ends); empty: a temporary directory.
	demoState string
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
		Long: `Serve a web dashboard of the fleet (overview, inventory with filters and
CSV/JSON export, a page per resource with its price and invocations chart,
opportunities by action, the savings ledger, the activity log) and
Prometheus metrics at /metrics, scanning the chosen accounts and regions
every --interval. /healthz answers while the process lives, /readyz once
the first inventory is in.

With -f, serve is the always-on daemon: it runs the run file's ticks
(as 'sagesaver run -f') every --interval, one at a time, and shows what
they keep in the state; SIGTERM stops the tick in flight as run does on a
signal and shuts the server down (exit 0); a second signal cuts the tick
at once (exit 130).

The dashboard is read-only unless --actions is given: then people can
dismiss or snooze an opportunity (with a reason, kept in the state store),
apply one finding of the latest plan and restore an endpoint sagesaver
deleted; each shows its dry run first and acts only when confirmed,
through the same executor as apply and restore, recording the dashboard
user as the actor. Behind an authenticating proxy, --proxy-header names
the header with the user, honoured only from --trusted-proxy addresses.

It listens on 127.0.0.1:8080 by default. An access token is generated on
first start and printed once (its SHA-256 is kept beside the state
database, mode 0600); browsers log in with it (a cookie), other clients
send it as a bearer token. A non-loopback --addr is refused with
--no-auth. --demo serves the built-in emulator's demo fleet with a clock
that moves, so that nothing needs an AWS account; its state is temporary
unless --state names a SQLite file (then it is kept there).`,
		Example: `  sagesaver serve --demo
  sagesaver serve --region us-east-1,eu-west-1 --interval 10m
  sagesaver serve -f run.yaml
  sagesaver serve --addr 0.0.0.0:8080 --allowed-host dashboard.internal
  sagesaver serve --demo --actions --schedules examples/schedules/dev-notebooks-office-hours.yaml
  sagesaver serve --actions --proxy-header X-Forwarded-Email --trusted-proxy 10.0.0.7
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
			if o.demo && o.file != "" {
				return root.UsageError("--demo and -f: choose one")
			}
			if o.demo && cmd.Flags().Changed("state") {
				// Only the flag: a SAGESAVER_STATE meant for the real fleet
				// must not get the demo's records.
				if strings.HasPrefix(a.Cfg.State, "dynamodb://") {
					return root.UsageError("--state: --demo keeps its state in SQLite (sqlite:PATH or a path)")
				}
				o.demoState = strings.TrimPrefix(a.Cfg.State, "sqlite:")
			}
			if (o.proxyHeader == "") != (len(o.trustedProxies) == 0) {
				return root.UsageError("--proxy-header and --trusted-proxy: give both or neither")
			}
			return runServe(cmd.Context(), a, cmd, o)
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
	f.BoolVar(&o.actions, "actions", false, "let dashboard users act: dismiss or snooze opportunities, apply a finding, restore an endpoint (each shows its dry run first)")
	f.StringVarP(&o.file, "file", "f", "", "run file (as `sagesaver run -f` reads): run its ticks every --interval, one at a time, and serve what they keep in its state")
	f.StringVar(&o.schedules, "schedules", "", "schedules file (as `schedule run` reads) for the Schedules page and each resource's schedule preview")
	f.StringVar(&o.proxyHeader, "proxy-header", "", "header naming the user an authenticating proxy logged in (e.g. X-Forwarded-Email); needs --trusted-proxy")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxy", nil, "addresses or CIDR prefixes of the proxy whose --proxy-header is honoured (the TCP peer)")
	return cmd
}

func runServe(ctx context.Context, a *app, cmd *cobra.Command, o serveOptions) error {
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	opts := dash.Options{Addr: o.addr, AllowedHosts: o.allowedHosts, Catalog: catalog, Log: a.Log, Version: version.String(), Demo: o.demo,
		Actions: o.actions, ProxyHeader: o.proxyHeader}
	for _, p := range o.trustedProxies {
		pfx, err := parsePrefix(p)
		if err != nil {
			return root.UsageError("--trusted-proxy: %v", err)
		}
		opts.TrustedProxies = append(opts.TrustedProxies, pfx)
	}
	actor := &dashActor{}
	if o.schedules != "" {
		if opts.Schedules, err = schedule.Load(o.schedules); err != nil {
			return err
		}
	}
	stateDir := filepath.Dir(a.Cfg.StatePath())
	var take func(ctx context.Context) (*dash.Snapshot, error)
	var emuURL string
	// With a run file, the ticks feed the dashboard from the state store
	// instead of the poller's scans.
	var storeSrc *dash.StoreSource
	var trend *dash.Trend // the history, when serve keeps it (not with -f)
	var ticks func(ctx context.Context) error
	if o.file != "" {
		topts, st, r, err := prepareTick(ctx, a, cmd, o.file, false)
		if err != nil {
			return err
		}
		defer st.Close()
		if loc, ok := r.StateLocation(); ok && loc.Backend == store.BackendSQLite {
			stateDir = filepath.Dir(loc.Path)
		}
		opts.Store, opts.Clock = st, a.clk()
		if opts.Schedules == nil {
			opts.Schedules = r.Schedules
		}
		opts.Policies = r.Policies
		byKey := map[string]*awsapi.Clients{}
		for _, t := range topts.Targets {
			if t.Clients != nil {
				byKey[t.Account+"/"+t.Region] = t.Clients
			}
		}
		cw := &cloudWatch{}
		cw.set(byKey)
		opts.Evidence = cw
		storeSrc = dash.NewStoreSource(st, catalog, inventory.DefaultJobLookback, opts.Schedules)
		if err := storeSrc.Refresh(ctx, 0, 0); err != nil {
			return err
		}
		if o.once {
			return serveTick(ctx, a, topts, storeSrc)
		}
		ticks = func(ctx context.Context) error { return tickLoop(ctx, a, topts, storeSrc, o.interval) }
		actor.setup = func(_ context.Context, rule string) (*action.Executor, *policy.Policy, error) {
			for _, p := range r.Policies {
				if rule == "" || slices.ContainsFunc(p.Rules, func(x policy.Rule) bool { return x.Name == rule }) {
					return topts.Executor, p, nil
				}
			}
			return nil, nil, fmt.Errorf("no policy of %s has a rule %q", o.file, rule)
		}
	} else if o.demo {
		env, stop, err := startDemo(ctx)
		if err != nil {
			return err
		}
		defer stop()
		emuURL = env.url
		statePath := o.demoState
		if statePath == "" {
			dir, err := os.MkdirTemp("", "sagesaver-serve-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			statePath = filepath.Join(dir, "state.db")
		}
		stateDir = filepath.Dir(statePath)
		st, err := store.Open(ctx, statePath, store.WithClock(env.emu.Clock()))
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
		trend = dash.NewTrend(st, opts.Schedules)
		d.trend = trend
		take = d.take
		opts.Policies = []*policy.Policy{d.policy}
		actor.setup = func(context.Context, string) (*action.Executor, *policy.Policy, error) { return d.ex, d.policy, nil }
		actor.around = func() func() { return tickEmulator(env) }
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
		var lastSet *targetSet
		var setMu sync.Mutex
		var adv adviceCache
		take = func(ctx context.Context) (*dash.Snapshot, error) {
			start := time.Now()
			res, set, err := a.scanTargets(ctx, scanOptions{targets: o.targets, lookback: inventory.DefaultJobLookback, concurrency: inventory.DefaultConcurrency}, catalog)
			if err != nil {
				return nil, err
			}
			cw.set(set.Clients)
			setMu.Lock()
			lastSet = set
			setMu.Unlock()
			s := report.New(reportInput(res), catalog, set.Accounts, set.Regions, inventory.DefaultJobLookback)
			return &dash.Snapshot{Scan: s, At: res.ScannedAt, Took: time.Since(start),
				Advice: adv.get(ctx, res, catalog, func(acct, region string) *awsapi.Clients { return set.Clients[acct+"/"+region] })}, nil
		}
		actor.setup = func(ctx context.Context, _ string) (*action.Executor, *policy.Policy, error) {
			setMu.Lock()
			set := lastSet
			setMu.Unlock()
			if set == nil {
				return nil, nil, errors.New("no inventory yet")
			}
			p, err := latestPolicy(ctx, st)
			if err != nil {
				return nil, nil, err
			}
			ex, err := a.executor(ctx, set, st, catalog)
			return ex, p, err
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
	var poller *dash.Poller
	if storeSrc != nil {
		opts.Source = storeSrc
	} else {
		if trend == nil {
			trend = dash.NewTrend(opts.Store, opts.Schedules)
		}
		poller = dash.NewPoller(take, o.interval, opts.Clock, a.Log, trend)
		opts.Source = poller
	}
	if o.actions {
		actor.source = opts.Source
		opts.Act = actor
	}
	srv, err := dash.New(opts)
	if err != nil {
		return root.UsageError("%v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var tickErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if ticks != nil {
			tickErr = ticks(ctx)
			return
		}
		poller.Run(ctx)
	}()
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
	// The tick in flight drains (or a second signal cuts it) before
	// serve exits.
	wg.Wait()
	if tickErr != nil {
		return tickErr
	}
	return err
}

// tickLoop runs a tick now and then every interval until ctx ends, one at
// a time (a slow tick delays the next, never overlaps it), and refreshes
// the dashboard's inventory from the state after each. When ctx ends
// (SIGTERM) the tick in flight stops as `run` does on a signal: its
// action in flight finishes, what it did not start is recorded as not
// done, for the next tick.
func tickLoop(ctx context.Context, a *app, topts tick.Options, src *dash.StoreSource, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := serveTick(ctx, a, topts, src)
		if cut, _ := root.Cut(ctx); cut {
			return err // a second signal cut the tick: serve exits 130
		}
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// serveTick runs one tick at now and reads its inventory into src.
func serveTick(ctx context.Context, a *app, topts tick.Options, src *dash.StoreSource) error {
	start := time.Now()
	topts.At = a.clk().Now() // tick.Run takes the tick time from it (store.TickTime)
	res, err := a.drainTick(ctx, topts)
	if err != nil {
		return err
	}
	run, took := res.RunID, time.Since(start)
	if res.Claimed != nil {
		a.Log.Info("tick already run by another host", "at", res.At, "err", res.Claimed)
		// The dashboard shows the tick that ran (its targets' failures),
		// not this run, which did nothing; how long an inventory takes
		// is the last one this host knows.
		run, took = res.Claimed.RunID, 0
		if prev := src.Latest(); prev != nil {
			took = prev.Took
		}
	}
	if ctx.Err() != nil {
		return nil // stopped by a signal, drained (drainTick said so)
	}
	if err := src.Refresh(ctx, run, took); err != nil {
		return err
	}
	if res.Failed() {
		return fmt.Errorf("tick %s: some target failed (sagesaver history --runs)", res.At.Format(time.RFC3339))
	}
	return nil
}

// moveClock advances the demo emulator's clock by speed every second of
// wall time, so that the dashboard lives; the returned func stops it.
func moveClock(env *demoEnv, speed time.Duration) func() {
	return advanceEvery(env, time.Second, speed)
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
	advice  adviceCache
	// trend is the history the dashboard shows (the poller's).
	trend *dash.Trend
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
		// The fleet before the apply is the history's first point, so
		// the charts open on what the apply changed (the run-rate's
		// drop, a schedule's notebook stopped).
		if err := d.trend.Add(ctx, d.snapshot(res, start, nil)); err != nil {
			return nil, fmt.Errorf("demo history: %w", err)
		}
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
		// The dashboard opens a little after the apply, so the ledger
		// has accrued whatever the apply stopped, however fast the
		// apply's last steps ran on the wall clock (the ticking clock
		// moves only while they wait).
		d.env.emu.Advance(demoSettle)
		d.applied = true
		res = d.scan(ctx)
	}
	if _, err := d.ex.Run(ctx, "plan", d.policy, res.Resources, true); err != nil {
		return nil, fmt.Errorf("demo plan: %w", err)
	}
	advice := d.advice.get(ctx, res, d.catalog, func(_, region string) *awsapi.Clients { return awsapi.NewClients(d.env.cfg, region, false) })
	return d.snapshot(res, start, advice), nil
}

// snapshot prices res, a scan begun at start (wall clock).
func (d *serveDemo) snapshot(res *inventory.Result, start time.Time, advice *advise.Result) *dash.Snapshot {
	var accounts []string
	for _, t := range d.targets {
		accounts = append(accounts, t.Account)
	}
	s := report.New(reportInput(res), d.catalog, accounts, demoRegions, inventory.DefaultJobLookback)
	return &dash.Snapshot{Scan: s, At: res.ScannedAt, Took: time.Since(start), Advice: advice}
}

// demoSettle is how much virtual time passes between serve --demo's
// first apply and its first snapshot.
const demoSettle = 5 * time.Minute

// adviceEvery is how often serve runs `advise` on its inventory: it reads
// two weeks of CloudWatch for every running resource, and right-sizing
// evidence does not change in five minutes.
const adviceEvery = time.Hour

// adviceCache keeps the latest advise result for adviceEvery.
type adviceCache struct {
	at  time.Time
	res *advise.Result
}

func (c *adviceCache) get(ctx context.Context, res *inventory.Result, catalog *pricing.Catalog, clients func(account, region string) *awsapi.Clients) *advise.Result {
	if c.res != nil && res.ScannedAt.Sub(c.at) < adviceEvery {
		return c.res
	}
	var sources []advise.Source
	seen := map[string]bool{}
	for _, r := range res.Resources {
		k := r.Account + "/" + r.Region
		if seen[k] {
			continue
		}
		seen[k] = true
		if cl := clients(r.Account, r.Region); cl != nil {
			sources = append(sources, advise.Source{Account: r.Account, Region: r.Region, CloudWatch: cl.Metrics, Scaling: cl.ApplicationAutoScaling})
		}
	}
	ev := advise.Gather(ctx, sources, res.Resources, res.ScannedAt, advise.DefaultLookback, inventory.DefaultJobLookback)
	c.res = advise.Advise(res.Resources, ev, catalog, advise.Options{Now: res.ScannedAt, JobLookback: inventory.DefaultJobLookback})
	c.at = res.ScannedAt
	return c.res
}

// latestPolicy reads the policy file of the latest plan or apply recorded
// in the store, refusing one changed since (its SHA-256): the dashboard
// applies the finding the page showed, of the policy that found it.
func latestPolicy(ctx context.Context, st store.Store) (*policy.Policy, error) {
	runs, err := st.Runs(ctx, 200)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Status != store.RunFinished || (r.Command != "plan" && r.Command != "apply") || r.PolicyFile == "" {
			continue
		}
		p, err := policy.Read(r.PolicyFile)
		if err != nil {
			return nil, fmt.Errorf("policy of run %d: %w", r.ID, err)
		}
		if r.PolicyHash != "" && p.SHA256() != r.PolicyHash {
			return nil, fmt.Errorf("policy %s changed since run %d planned it: run `sagesaver plan -f %s` again", r.PolicyFile, r.ID, r.PolicyFile)
		}
		return p, nil
	}
	return nil, errors.New("no plan with a policy file in the state store: run `sagesaver plan -f POLICY` first")
}

// parsePrefix reads an address ("10.0.0.7") or a CIDR prefix
// ("10.0.0.0/24").
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// cloudWatch reads invocations and utilization for the resource page with the scan's
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

func (c *cloudWatch) client(ep resource.ID) (*awsapi.Clients, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cl *awsapi.Clients
	if c.clients != nil {
		cl = c.clients(ep.Account, ep.Region)
	} else {
		cl = c.byKey[ep.Account+"/"+ep.Region]
	}
	if cl == nil {
		return nil, fmt.Errorf("no CloudWatch client for %s in %s", ep.Account, ep.Region)
	}
	return cl, nil
}

func (c *cloudWatch) Invocations(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error) {
	cl, err := c.client(ep)
	if err != nil {
		return nil, err
	}
	qs := make([]metrics.Query, len(variants))
	for i, v := range variants {
		qs[i] = metrics.Query{Namespace: idle.Namespace, Metric: idle.MetricInvocations, Stat: "Sum",
			Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: ep.Name}, {Name: "VariantName", Value: v}}}
	}
	return metrics.New(cl.CloudWatch).Fetch(ctx, w, qs), nil
}

// Utilization implements serve.Evidence: every variant's utilization
// metrics in one batch (an endpoint has at most 10 variants, 50 queries
// of the 500 one GetMetricData call takes).
func (c *cloudWatch) Utilization(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error) {
	cl, err := c.client(ep)
	if err != nil {
		return nil, err
	}
	var qs []metrics.Query
	for _, v := range variants {
		qs = append(qs, metrics.UtilizationQueries(ep.Name, v, "Average")...)
	}
	return metrics.New(cl.CloudWatch).Fetch(ctx, w, qs), nil
}
