package serve

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/ledger"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// page is what every page template gets.
type page struct {
	Title   string
	Nav     string
	Demo    bool
	Version string
	Auth    bool
	Actions bool
	Now     time.Time
	Data    any
}

type loginView struct {
	Next, Error string
}

func (s *Server) page(nav, title string, data any) *page {
	return &page{Title: title, Nav: nav, Demo: s.opts.Demo, Version: s.opts.Version, Auth: s.opts.Auth != nil, Actions: s.opts.Actions,
		Now: s.opts.Clock.Now(), Data: data}
}

// render executes template name into a buffer first, so that a failing
// template answers 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.execute(&buf, name, data); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.opts.Log.Error("serve page", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
}

// snapshot is the latest inventory and the store's facts, or false after
// answering "not ready".
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, nav, title string) (*Snapshot, *facts, bool) {
	snap := s.opts.Source.Latest()
	if snap == nil {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		s.render(w, r, "waiting", s.page(nav, title, nil))
		return nil, nil, false
	}
	f, err := s.facts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return snap, f, true
}

type overviewView struct {
	*Overview
	Chart        *chartData
	SavingsChart *chartData
	// MonthToDate is the run-rate history's estimate of this month's
	// spend so far (MTDKnown false without a history).
	MonthToDate float64
	MTDKnown    bool
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	snap, f, ok := s.snapshot(w, r, "overview", "Overview")
	if !ok {
		return
	}
	now := s.opts.Clock.Now()
	o := f.overview(snap, s.rows.get(snap, f), now)
	hist := s.opts.Source.History()
	entries, err := ledger.Read(r.Context(), s.opts.Store, f.savings, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := ledger.Sum(entries, now)
	o.Realized, o.RealizedMon, o.Saving = t.Realized, t.RealizedMonth, t.Saving
	v := &overviewView{Overview: o, Chart: costChart(thinned(hist, maxChartPoints)), SavingsChart: savingsChart(entries, now)}
	v.MonthToDate, v.MTDKnown = monthToDate(hist, now)
	s.render(w, r, "overview", s.page("overview", "Overview", v))
}

// chartData is what app.js hands uPlot: x in Unix seconds, one series per
// entry, an optional horizontal threshold.
type chartData struct {
	Title     string        `json:"title"`
	Unit      string        `json:"unit"`
	X         []int64       `json:"x"`
	Series    []chartSeries `json:"series"`
	Threshold *float64      `json:"threshold,omitempty"`
	// ThresholdLabel names the threshold in the legend.
	ThresholdLabel string `json:"threshold_label,omitempty"`
	Stacked        bool   `json:"stacked"`
	// YMax is the least top of the y axis (100 for a percentage of the
	// instance); the axis grows past it when a value does.
	YMax float64 `json:"y_max,omitempty"`
	// Stepped draws each value held until the next point (a run-rate, a
	// count of resources) instead of a line between points.
	Stepped bool `json:"stepped,omitempty"`
}

type chartSeries struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
}

// maxChartPoints bounds the points of a history chart: eight days of
// five-minute points would put some 150 KB of numbers into the overview
// alone, against a page weight under 300 KB.
const maxChartPoints = 400

// thinned is hist with at most n points for a chart: consecutive points
// are merged into one at the time of the group's last, with each kind's
// run-rate averaged over the group (the points are evenly spaced, at
// least trendStep apart, so the mean is the group's average rate) and the
// group's last schedule counts. The newest point is kept as it is, so the
// chart ends on the rate now.
func thinned(hist []Point, n int) []Point {
	if len(hist) <= n || n < 2 {
		return hist
	}
	body := hist[:len(hist)-1]
	size := (len(body) + n - 2) / (n - 1) // ceil: at most n-1 groups
	out := make([]Point, 0, n)
	for start := 0; start < len(body); start += size {
		group := body[start:min(start+size, len(body))]
		last := group[len(group)-1]
		p := Point{At: last.At, ByKind: map[resource.Kind]float64{}, Schedules: last.Schedules}
		for _, g := range group {
			for k, v := range g.ByKind {
				p.ByKind[k] += v / float64(len(group))
			}
		}
		out = append(out, p)
	}
	return append(out, hist[len(hist)-1])
}

// costChart is the run-rate over time by kind: the 9 kinds that cost most
// now and "other", stacked (each series is the running sum).
func costChart(hist []Point) *chartData {
	if len(hist) < 2 { // one point is no line
		return nil
	}
	last := hist[len(hist)-1].ByKind
	var kinds []resource.Kind
	for k := range last {
		kinds = append(kinds, k)
	}
	for _, p := range hist {
		for k := range p.ByKind {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	sort.SliceStable(kinds, func(i, j int) bool {
		if last[kinds[i]] != last[kinds[j]] {
			return last[kinds[i]] > last[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	top, other := kinds, []resource.Kind(nil)
	if len(kinds) > 9 {
		top, other = kinds[:9], kinds[9:]
	}
	c := &chartData{Title: "Run-rate by kind", Unit: "$/h", Stacked: true, Stepped: true}
	names := make([]string, 0, len(top)+1)
	for _, k := range top {
		names = append(names, string(k))
	}
	if len(other) > 0 {
		names = append(names, "other")
	}
	c.Series = make([]chartSeries, len(names))
	for i, n := range names {
		c.Series[i].Name = n
	}
	for _, p := range hist {
		c.X = append(c.X, p.At.Unix())
		run := 0.0
		for i, k := range top {
			run += p.ByKind[k]
			v := run
			c.Series[i].Values = append(c.Series[i].Values, &v)
		}
		if len(other) > 0 {
			for _, k := range other {
				run += p.ByKind[k]
			}
			v := run
			c.Series[len(top)].Values = append(c.Series[len(top)].Values, &v)
		}
	}
	return c
}

type inventoryView struct {
	Filter Filter
	// Pages is the number of pages; First and Last the 1-based rows shown.
	Pages, First, Last int
	Groups             []Group
	Count              int
	Total              int
	Hourly             pricing.Total
	Monthly            pricing.Total
	At                 time.Time
	Options            map[string][]string
}

// inventoryRows is the current view's rows (filter and sort of the query).
func (s *Server) inventoryRows(w http.ResponseWriter, r *http.Request) (*Snapshot, []Row, []*Row, Filter, bool) {
	snap, f, ok := s.snapshot(w, r, "inventory", "Inventory")
	if !ok {
		return nil, nil, nil, Filter{}, false
	}
	all := s.rows.get(snap, f)
	flt := filterFrom(r.URL.Query())
	return snap, all, flt.apply(all), flt, true
}

func (s *Server) inventory(w http.ResponseWriter, r *http.Request) {
	snap, all, rows, flt, ok := s.inventoryRows(w, r)
	if !ok {
		return
	}
	pages := max(1, (len(rows)+PageSize-1)/PageSize)
	flt.Page = min(flt.Page, pages-1)
	lo, hi := flt.Page*PageSize, min(len(rows), (flt.Page+1)*PageSize)
	v := &inventoryView{Filter: flt, Groups: flt.groups(rows[lo:hi]), Count: len(rows), Total: len(all), At: snap.At, Options: options(all),
		Pages: pages, First: lo + 1, Last: hi}
	if len(rows) == len(all) {
		// every row: the scan's own totals (cost.Summarize skips the same
		// not-applicable lines), without 28,000 decimal additions
		v.Hourly, v.Monthly = snap.Scan.Summary.All.Hourly, snap.Scan.Summary.All.Monthly
	} else {
		for _, x := range rows {
			if x.Line.Basis != cost.NotApplicable {
				v.Hourly.Add(x.Hourly)
				v.Monthly.Add(x.Monthly)
			}
		}
	}
	s.render(w, r, "inventory", s.page("inventory", "Inventory", v))
}

// options are the values each filter can take, from the whole inventory.
func options(rows []Row) map[string][]string {
	sets := map[string]map[string]bool{"kind": {}, "account": {}, "region": {}, "stage": {}, "schedule": {}, "policy": {}}
	for _, r := range rows {
		sets["kind"][string(r.Kind)] = true
		sets["account"][r.Account] = true
		sets["region"][r.Region] = true
		sets["stage"][string(r.Stage)] = true
		for _, n := range r.Schedules {
			sets["schedule"][n] = true
		}
		for _, h := range r.Policy {
			sets["policy"][h.Rule] = true
		}
	}
	out := map[string][]string{}
	for k, set := range sets {
		for v := range set {
			out[k] = append(out[k], v)
		}
		sort.Strings(out[k])
	}
	return out
}

// exportColumns are the CSV header, the same columns as the JSON rows.
var exportColumns = []string{"id", "name", "kind", "stage", "account", "region", "instance_type", "instance_count", "state",
	"usd_per_hour", "usd_per_month", "estimate", "price_source", "idle", "idle_since", "owner", "team", "schedules", "policy_rules", "protected"}

// price renders an amount for an export: exact, "" (CSV) or null (JSON)
// when unknown, never 0.
func exportAmount(p pricing.Price) *pricing.Money {
	if !p.Known {
		return nil
	}
	m := p.Amount
	return &m
}

func (s *Server) inventoryCSV(w http.ResponseWriter, r *http.Request) {
	_, _, rows, _, ok := s.inventoryRows(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(exportColumns)
	for _, x := range rows {
		amt := func(p pricing.Price) string {
			if m := exportAmount(p); m != nil {
				return m.Plain()
			}
			return ""
		}
		since := ""
		if x.Since != nil {
			since = x.Since.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{x.ID, x.Name, string(x.Kind), string(x.Stage), x.Account, x.Region, x.Type, strconv.Itoa(x.Count), x.State,
			amt(x.Hourly), amt(x.Monthly), strconv.FormatBool(x.Hourly.Estimate || x.Monthly.Estimate), x.Source,
			strconv.FormatBool(x.Idle), since, x.Owner, x.Team, x.Schedule, x.Rules, strconv.FormatBool(x.Protected)})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="sagesaver-inventory.csv"`)
	_, _ = buf.WriteTo(w)
}

// SchemaInventory names the inventory export's JSON document
// (docs/serve-inventory.schema.json).
const SchemaInventory = "sagesaver.io/serve-inventory/v1"

type exportRow struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Kind          string         `json:"kind"`
	Stage         string         `json:"stage"`
	Account       string         `json:"account"`
	Region        string         `json:"region"`
	InstanceType  string         `json:"instance_type"`
	InstanceCount int            `json:"instance_count"`
	State         string         `json:"state"`
	USDPerHour    *pricing.Money `json:"usd_per_hour"`
	USDPerMonth   *pricing.Money `json:"usd_per_month"`
	Estimate      bool           `json:"estimate"`
	PriceSource   string         `json:"price_source"`
	Idle          bool           `json:"idle"`
	IdleSince     *time.Time     `json:"idle_since"`
	Owner         string         `json:"owner"`
	Team          string         `json:"team"`
	Schedules     []string       `json:"schedules"`
	PolicyRules   []string       `json:"policy_rules"`
	Protected     bool           `json:"protected"`
}

type exportDoc struct {
	Schema string      `json:"schema"`
	At     time.Time   `json:"at"`
	Query  string      `json:"query"`
	Rows   []exportRow `json:"rows"`
}

func (s *Server) inventoryJSON(w http.ResponseWriter, r *http.Request) {
	snap, _, rows, flt, ok := s.inventoryRows(w, r)
	if !ok {
		return
	}
	doc := exportDoc{Schema: SchemaInventory, At: snap.At.UTC(), Query: flt.Query("page", ""), Rows: make([]exportRow, 0, len(rows))}
	for _, x := range rows {
		var since *time.Time
		if x.Since != nil {
			t := x.Since.UTC()
			since = &t
		}
		doc.Rows = append(doc.Rows, exportRow{ID: x.ID, Name: x.Name, Kind: string(x.Kind), Stage: string(x.Stage), Account: x.Account,
			Region: x.Region, InstanceType: x.Type, InstanceCount: x.Count, State: x.State, USDPerHour: exportAmount(x.Hourly),
			USDPerMonth: exportAmount(x.Monthly), Estimate: x.Hourly.Estimate || x.Monthly.Estimate, PriceSource: x.Source,
			Idle: x.Idle, IdleSince: since, Owner: x.Owner, Team: x.Team, Schedules: nonNil(x.Schedules), PolicyRules: ruleNames(x.Policy),
			Protected: x.Protected})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="sagesaver-inventory.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}

// nonNil is names, or an empty list: the JSON export writes [] for none,
// never null.
func nonNil(names []string) []string {
	if names == nil {
		return []string{}
	}
	return names
}

// ruleNames is the rules of hits, in their order.
func ruleNames(hits []RuleHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Rule
	}
	return out
}

type resourceView struct {
	Row      Row
	Variants []Row
	Rate     pricing.Price
	Catalog  []pricing.Source
	Chart    *chartData
	ChartErr string
	// Util is the endpoint's utilization chart, UtilErr what CloudWatch
	// did not answer, UtilScale how each variant's CPU and GPU are scaled.
	Util      *chartData
	UtilErr   string
	UtilScale []string
	// LowUtil is advise.LowUtilization, the threshold drawn.
	LowUtil float64
	Window  metrics.Window
	Actions []store.Action
	IdleRec *store.IdleRecord
	// Gone is a resource no longer in the inventory that sagesaver acted
	// on (a deleted endpoint); Restorable when the dashboard may restore
	// it (actions enabled, its last action a delete that succeeded).
	Gone       bool
	Restorable bool
	// Schedules are the schedules that manage it, with their next
	// transitions.
	Schedules []resourceSchedule
	// Usage is what the agent saw of a notebook's machine (its usage
	// tag); UsageErr why the tag could not be read.
	Usage    *agenttag.UsageSummary
	UsageErr string
	// Advice is advise's right-sizing of it, with the evidence.
	Advice []advise.Recommendation
}

// adviceFor is the recommendations of res that concern row (a
// multi-model one lists it among its resources).
func adviceFor(res *advise.Result, row *Row) []advise.Recommendation {
	if res == nil {
		return nil
	}
	var out []advise.Recommendation
	for _, r := range res.Recommendations {
		if r.Account != row.Account || r.Region != row.Region || r.Kind != row.Kind {
			continue
		}
		if r.Resource == row.Name || slices.Contains(r.Resources, row.Name) {
			out = append(out, r)
		}
	}
	return out
}

// restorable reports whether the dashboard may offer to restore an
// endpoint with this action history (newest first): actions enabled and
// its latest real delete or restore a delete that succeeded. The inventory may still
// list it until the next one.
func (s *Server) restorable(kind resource.Kind, acts []store.Action) bool {
	if kind != resource.Endpoint || !s.opts.Actions || s.opts.Act == nil {
		return false
	}
	for _, a := range acts { // newest first; a notify follows the delete
		if !a.DryRun && (a.Verb == "delete" || a.Verb == "restore") {
			return a.Verb == "delete" && a.Result == store.ResultOK
		}
	}
	return false
}

// goneResource is the page of a resource the inventory no longer has but
// the audit log knows (an endpoint sagesaver deleted, with its restore
// button), or 404.
func (s *Server) goneResource(w http.ResponseWriter, r *http.Request, id string) {
	rid, err := resource.ParseID(id)
	var acts []store.Action
	if err == nil {
		rid = rid.Whole()
		acts, err = s.opts.Store.Actions(r.Context(), store.ActionFilter{Resource: rid.String(), Limit: 50})
	}
	if err != nil || len(acts) == 0 {
		w.WriteHeader(http.StatusNotFound)
		s.render(w, r, "notfound", s.page("inventory", "Not found", id))
		return
	}
	v := &resourceView{Gone: true, Actions: acts,
		Row: Row{ID: rid.String(), Name: rid.Name, Kind: rid.Kind, Account: rid.Account, Region: rid.Region, State: "deleted"}}
	v.Restorable = s.restorable(rid.Kind, acts)
	s.render(w, r, "resource", s.page("inventory", rid.Name, v))
}

// chartWindow is the resource page's evidence window: the last day, in
// hourly buckets, as the idle rules read it.
const chartWindow = 24 * time.Hour

func (s *Server) resourcePage(w http.ResponseWriter, r *http.Request) {
	snap, f, ok := s.snapshot(w, r, "inventory", "Resource")
	if !ok {
		return
	}
	id := r.URL.Query().Get("id")
	rows := s.rows.get(snap, f)
	i := slices.IndexFunc(rows, func(x Row) bool { return x.ID == id })
	if i < 0 {
		s.goneResource(w, r, id)
		return
	}
	row := rows[i]
	v := &resourceView{Row: row, Rate: row.Line.Rate}
	if s.opts.Catalog != nil {
		v.Catalog = s.opts.Catalog.Sources()
	}
	whole := row.Line.Resource.ID()
	for _, x := range rows {
		if x.Line.Resource.ID() == whole && x.Kind == resource.Endpoint {
			v.Variants = append(v.Variants, x)
		}
	}
	if rec, ok := f.idle[whole]; ok {
		v.IdleRec = &rec
	}
	acts, err := s.opts.Store.Actions(r.Context(), store.ActionFilter{Resource: whole.String(), Limit: 50})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Actions = acts
	v.Restorable = s.restorable(row.Kind, acts)
	v.Schedules = s.resourceSchedules(&row, s.opts.Clock.Now())
	v.Advice = adviceFor(snap.Advice, &row)
	if tag, ok := row.Tags[agenttag.Usage]; ok && row.Kind == resource.NotebookInstance {
		if u, err := agenttag.ParseUsage(tag); err != nil {
			v.UsageErr = err.Error()
		} else {
			v.Usage = &u
		}
	}
	if row.Kind == resource.Endpoint && s.opts.Evidence != nil {
		v.Window = metrics.NewWindow(s.opts.Clock.Now(), chartWindow)
		v.LowUtil = advise.LowUtilization
		// The two charts' GetMetricData calls run at once: the page
		// waits for the slower, not for both in turn.
		var wg sync.WaitGroup
		wg.Go(func() {
			var err error
			if v.Util, v.UtilScale, err = s.utilizationChart(r, whole, v.Variants, v.Window); err != nil {
				v.UtilErr = err.Error()
			}
		})
		v.Chart, err = s.invocationsChart(r, whole, v.Variants, v.Window)
		if err != nil {
			v.ChartErr = err.Error()
		}
		wg.Wait()
	}
	s.render(w, r, "resource", s.page("inventory", row.Name, v))
}

// idleThreshold is the invocations per bucket at or under which a variant
// counts as idle: an endpoint is idle only when no variant was called
// (internal/idle), so any call is activity.
const idleThreshold = 0.0

func (s *Server) invocationsChart(r *http.Request, ep resource.ID, variants []Row, w metrics.Window) (*chartData, error) {
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.Line.Resource.Variant
	}
	res, err := s.opts.Evidence.Invocations(r.Context(), ep, names, w)
	if err != nil {
		return nil, err
	}
	c := &chartData{Title: "Invocations per variant", Unit: "invocations / " + shortDuration(w.Period), ThresholdLabel: "idle threshold"}
	th := idleThreshold
	c.Threshold = &th
	for t := w.Start; t.Before(w.End); t = t.Add(w.Period) {
		c.X = append(c.X, t.Unix())
	}
	var errs []error
	for i, x := range res {
		if x.Err != nil {
			errs = append(errs, fmt.Errorf("variant %s: %w", names[i], x.Err))
		}
		vals := make([]*float64, len(c.X))
		for j, ts := range x.Timestamps {
			k := int(ts.Sub(w.Start) / w.Period)
			if k >= 0 && k < len(vals) {
				v := x.Values[j]
				vals[k] = &v
			}
		}
		// A complete answer without a datapoint in a bucket means no
		// calls then; an incomplete one leaves a gap.
		if x.Complete {
			for k := range vals {
				if vals[k] == nil {
					z := 0.0
					vals[k] = &z
				}
			}
		}
		c.Series = append(c.Series, chartSeries{Name: names[i], Values: vals})
	}
	return c, errors.Join(errs...)
}

// utilLabels names the utilization metrics on the chart.
var utilLabels = map[string]string{
	metrics.MetricCPUUtilization:    "CPU",
	metrics.MetricMemoryUtilization: "memory",
	metrics.MetricGPUUtilization:    "GPU",
	metrics.MetricGPUMemory:         "GPU memory",
	metrics.MetricDiskUtilization:   "disk",
}

// utilizationChart is the hourly average of every variant's utilization
// metrics in percent of the instance: CPU and GPU divided by the
// instance's vCPUs and GPUs from the price catalog, as the right-sizing
// advice reads them (advise.InstanceUnits). A metric the variant does not
// publish (no GPU on a CPU instance) is no series, and an hour without a
// reading is a gap, never 0. scale says per variant how CPU and GPU were
// scaled.
func (s *Server) utilizationChart(r *http.Request, ep resource.ID, variants []Row, w metrics.Window) (*chartData, []string, error) {
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.Line.Resource.Variant
	}
	res, err := s.opts.Evidence.Utilization(r.Context(), ep, names, w)
	if err != nil {
		return nil, nil, err
	}
	per := len(metrics.UtilizationMetrics)
	if len(res) != per*len(names) {
		return nil, nil, fmt.Errorf("utilization of %s: %d results for %d variants", ep.Name, len(res), len(names))
	}
	th := advise.LowUtilization
	c := &chartData{Title: "Utilization", Unit: "% of the instance", Threshold: &th, ThresholdLabel: "right-sizing threshold", YMax: 100}
	for t := w.Start; t.Before(w.End); t = t.Add(w.Period) {
		c.X = append(c.X, t.Unix())
	}
	var scale []string
	var errs []error
	for i, name := range names {
		var spec pricing.Spec
		known := false
		if s.opts.Catalog != nil {
			spec, known = s.opts.Catalog.Spec(variants[i].Line.Resource.InstanceType)
		}
		if known {
			sc := fmt.Sprintf("%s: %s, CPU ÷ %d vCPUs", name, spec.InstanceType, spec.VCPU)
			if spec.IsGPU() {
				sc += fmt.Sprintf(", GPU ÷ %d GPU(s)", spec.GPUs())
			}
			scale = append(scale, sc)
		} else {
			scale = append(scale, fmt.Sprintf("%s: %s is not in the price catalog, so CPU and GPU are CloudWatch's sums over cores (100%% is one vCPU or GPU)", name, variants[i].Line.Resource.InstanceType))
		}
		for j, m := range metrics.UtilizationMetrics {
			x := res[i*per+j]
			if x.Err != nil {
				errs = append(errs, fmt.Errorf("variant %s %s: %w", name, m, x.Err))
			}
			if len(x.Timestamps) == 0 {
				continue // not published: no series, not a line at 0
			}
			label, units := utilLabels[m], 1
			switch {
			case known:
				units = advise.InstanceUnits(m, spec)
			case m == metrics.MetricCPUUtilization || m == metrics.MetricGPUUtilization:
				units = 0
			}
			if units < 1 {
				// a type the catalog does not know, or GPU numbers from
				// one it lists without GPUs: CloudWatch's sum, said so
				units = 1
				label += " (sum over cores)"
			}
			if len(names) > 1 {
				label = name + " " + label
			}
			vals := make([]*float64, len(c.X))
			for k, ts := range x.Timestamps {
				b := int(ts.Sub(w.Start) / w.Period)
				if b >= 0 && b < len(vals) {
					v := x.Values[k] / float64(units)
					vals[b] = &v
				}
			}
			c.Series = append(c.Series, chartSeries{Name: label, Values: vals})
		}
	}
	if len(c.Series) == 0 {
		c = nil
	}
	return c, scale, errors.Join(errs...)
}

type activityView struct {
	Runs    []store.Run
	Actions []store.Action
	Run     int64
	Result  string
}

func (s *Server) activity(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &activityView{Result: q.Get("result")}
	v.Run, _ = strconv.ParseInt(q.Get("run"), 10, 64)
	var err error
	if v.Runs, err = s.opts.Store.Runs(r.Context(), 50); err != nil {
		s.fail(w, r, err)
		return
	}
	acts, err := s.opts.Store.Actions(r.Context(), store.ActionFilter{RunID: v.Run, Limit: 200})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, a := range acts {
		if v.Result == "" || string(a.Result) == v.Result || v.Result == "dry-run" && a.DryRun {
			v.Actions = append(v.Actions, a)
		}
	}
	s.render(w, r, "activity", s.page("activity", "Activity", v))
}

func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}
