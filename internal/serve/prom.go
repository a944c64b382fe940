package serve

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// collector reports the latest inventory and the store's ledger on every
// scrape, so that a deleted resource's series disappear with it.
type collector struct {
	s   *Server
	ctx context.Context // the scrape's request

	hourly, idleWaste, realized, lastScan, scanTook, unpriced, build *prometheus.Desc
	tickTook, tickFailed, tickCalls, tickOK                          *prometheus.Desc
}

func newCollector(ctx context.Context, s *Server) *collector {
	return &collector{s: s, ctx: ctx,
		hourly: prometheus.NewDesc("sagesaver_resource_cost_usd_per_hour",
			"Run-rate of one resource (an endpoint variant, a notebook, ...) at list price, in US dollars per hour; unpriced resources are left out (see sagesaver_unpriced_resources).",
			[]string{"account", "region", "kind", "name", "instance_type"}, nil),
		idleWaste: prometheus.NewDesc("sagesaver_idle_waste_usd_per_hour",
			"Run-rate of the resources idle now, in US dollars per hour.", []string{"account", "region"}, nil),
		realized: prometheus.NewDesc("sagesaver_realized_savings_usd_total",
			"Savings realized by sagesaver's actions since the first, from the savings ledger, in US dollars.", nil, nil),
		lastScan: prometheus.NewDesc("sagesaver_last_inventory_timestamp_seconds",
			"When the latest inventory was taken, in Unix seconds.", nil, nil),
		scanTook: prometheus.NewDesc("sagesaver_last_inventory_duration_seconds",
			"How long taking the latest inventory took.", nil, nil),
		unpriced: prometheus.NewDesc("sagesaver_unpriced_resources",
			"Resources in the latest inventory without a price (unknown, never $0).", nil, nil),
		tickTook: prometheus.NewDesc("sagesaver_last_tick_duration_seconds",
			"How long the latest finished tick (sagesaver run, serve -f) took.", nil, nil),
		tickFailed: prometheus.NewDesc("sagesaver_last_tick_target_failed",
			"1 when the latest finished tick's work in this account and region failed, 0 when it did not.",
			[]string{"account", "region"}, nil),
		tickCalls: prometheus.NewDesc("sagesaver_last_tick_aws_calls",
			"AWS calls the latest finished tick made in this account and region, by operation (service:Operation).",
			[]string{"account", "region", "operation"}, nil),
		tickOK: prometheus.NewDesc("sagesaver_last_successful_tick_timestamp_seconds",
			"When the latest tick that finished without a failure started (its scheduled time), in Unix seconds.", nil, nil),
		build: prometheus.NewDesc("sagesaver_build_info",
			"The running sagesaver build; always 1.", []string{"version", "goversion"}, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hourly, c.idleWaste, c.realized, c.lastScan, c.scanTook, c.unpriced, c.build,
		c.tickTook, c.tickFailed, c.tickCalls, c.tickOK} {
		ch <- d
	}
}

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 10 * time.Second

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.build, prometheus.GaugeValue, 1, c.s.opts.Version, runtime.Version())
	ctx, cancel := context.WithTimeout(c.ctx, scrapeTimeout)
	defer cancel()
	f, err := c.s.facts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.realized, err)
		return
	}
	now := c.s.opts.Clock.Now()
	var realized float64
	for _, p := range f.savings {
		realized += toFloat(p.Realized(now))
	}
	ch <- prometheus.MustNewConstMetric(c.realized, prometheus.CounterValue, realized)
	if err := c.ticks(ctx, ch, f.runs); err != nil {
		ch <- prometheus.NewInvalidMetric(c.tickTook, err)
	}
	snap := c.s.opts.Source.Latest()
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.lastScan, prometheus.GaugeValue, float64(snap.At.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(c.scanTook, prometheus.GaugeValue, snap.Took.Seconds())
	ch <- prometheus.MustNewConstMetric(c.unpriced, prometheus.GaugeValue, float64(snap.Scan.Summary.All.Monthly.Unknown))
	type target struct{ account, region string }
	waste := map[target]float64{}
	for _, r := range c.s.rows.get(snap, f) {
		t := target{r.Account, r.Region}
		if _, ok := waste[t]; !ok {
			waste[t] = 0
		}
		if r.Line.Basis == cost.NotApplicable || !r.Hourly.Known {
			continue
		}
		h := toFloat(r.Hourly.Amount)
		ch <- prometheus.MustNewConstMetric(c.hourly, prometheus.GaugeValue, h, r.Account, r.Region, string(r.Kind), r.Name, r.Type)
		if r.Idle {
			waste[t] += h
		}
	}
	for t, v := range waste {
		ch <- prometheus.MustNewConstMetric(c.idleWaste, prometheus.GaugeValue, v, t.account, t.region)
	}
}

// ticks reports the latest finished tick of runs (newest first): its
// duration, its targets' failures and AWS calls, and the latest
// successful tick's time. A worker's targets are recorded under its
// orchestrator's run, so only the orchestrators' runs are read. A run
// that lost its tick's claim to another (another host ticked at the
// same time) did not run that tick: the store's holder of the tick is
// read, whichever host ran it.
func (c *collector) ticks(ctx context.Context, ch chan<- prometheus.Metric, runs []store.Run) error {
	var last *store.Run
	for i := range runs {
		r := &runs[i]
		if r.Command != tick.Command || r.Tick.IsZero() || r.Finished == nil {
			continue
		}
		holder, err := c.s.opts.Store.TickHolder(ctx, r.Tick)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// It never claimed its tick (the store failed it first):
			// a tick that failed.
		case err != nil:
			return err
		case holder != r.ID:
			continue
		}
		if last == nil {
			last = r
			ch <- prometheus.MustNewConstMetric(c.tickTook, prometheus.GaugeValue, r.Finished.Sub(r.Started).Seconds())
		}
		if r.Status == store.RunFinished {
			ch <- prometheus.MustNewConstMetric(c.tickOK, prometheus.GaugeValue, float64(r.Tick.Unix()))
			break
		}
	}
	if last == nil {
		return nil
	}
	trs, err := c.s.opts.Store.TargetResults(ctx, last.ID)
	if err != nil {
		return err
	}
	for _, tr := range trs {
		failed := 0.0
		if tr.Status == store.TargetFailed {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(c.tickFailed, prometheus.GaugeValue, failed, tr.Account, tr.Region)
		for op, n := range tr.Calls {
			ch <- prometheus.MustNewConstMetric(c.tickCalls, prometheus.GaugeValue, float64(n), tr.Account, tr.Region, op)
		}
	}
	return nil
}

// Registry is a private registry with sagesaver's collector (reading
// the store with ctx) and the Go runtime's; nothing is registered
// globally.
func (s *Server) Registry(ctx context.Context) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(ctx, s), prometheus.NewGoCollector())
	return reg
}

// metricsHandler serves /metrics: a registry per scrape, so that the
// collector reads the store with the request's context.
func (s *Server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		promhttp.HandlerFor(s.Registry(r.Context()), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
	})
}
