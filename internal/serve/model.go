package serve

import (
	"cmp"
	"context"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Row is one line of the inventory as the pages and exports show it.
type Row struct {
	ID       string // the line's resource.ID (an endpoint variant keeps its variant)
	Name     string
	Kind     resource.Kind
	Stage    resource.Stage
	Account  string
	Region   string
	Type     string
	Count    int
	State    string
	Running  bool
	Family   string
	Hourly   pricing.Price
	Monthly  pricing.Price
	Source   string
	Owner    string
	Team     string
	Tags     map[string]string
	Idle     bool
	Since    *time.Time // start of the idle streak, when idle
	Evidence string     // why it is idle (the latest plan's finding)
	// Schedules are the names of the loaded schedules that manage it
	// (managedBy), in file order; Schedule is them joined with ", ".
	Schedules []string
	Schedule  string
	// Protected is true when a policy's protect tag is on it
	// (policy.Policy.Protects): no rule acts on it. ProtectTag is the tag.
	Protected  bool
	ProtectTag string
	// Policy is the rules of the latest plan that have a finding for it,
	// by rule name, with what each would do; Rules is their names joined
	// with ", ".
	Policy []RuleHit
	Rules  string
	Line   *cost.Line
	// hourlyKey and monthlyKey order prices fast (the exact amounts
	// decide between equal keys); unknown is below every amount.
	hourlyKey, monthlyKey float64
}

// RuleHit is a policy rule's finding for an inventory row.
type RuleHit struct {
	Rule string
	// Action is what the rule's steps would do ("stop,notify"); "" when
	// it acts on nothing (every step skipped, the reason in the finding).
	Action string
}

// Title describes the finding for a tooltip.
func (h RuleHit) Title() string {
	if h.Action == "" {
		return "rule " + h.Rule + ": no action (skipped)"
	}
	return "rule " + h.Rule + ": " + h.Action
}

// sortKey is a price as a float for ordering: unknown lowest.
func sortKey(p pricing.Price) float64 {
	if !p.Known {
		return math.Inf(-1)
	}
	return toFloat(p.Amount)
}

// family is an instance type's family: "g5" of "ml.g5.xlarge".
func family(t string) string {
	parts := strings.Split(t, ".")
	if len(parts) >= 2 {
		return parts[1]
	}
	return t
}

func tagOf(tags map[string]string, keys ...string) string {
	for _, k := range keys {
		for tk, v := range tags {
			if strings.EqualFold(tk, k) {
				return v
			}
		}
	}
	return ""
}

// facts are what the store says about the fleet at now: idle streaks, the
// latest plan's findings, the ledger.
type facts struct {
	idle     map[resource.ID]store.IdleRecord
	findings []store.Finding
	planRun  *store.Run
	savings  []store.SavingPeriod
	runs     []store.Run
}

// planSpan is how far before the newest plan the runs of the same plan
// may start: a tick's plans of every target and policy are minutes apart.
const planSpan = 15 * time.Minute

// recentRuns is how many runs the pages read (activity, the latest plan).
const recentRuns = 200

func (s *Server) facts(ctx context.Context) (*facts, error) {
	f := &facts{}
	var err error
	if f.idle, err = s.opts.Store.IdleSince(ctx); err != nil {
		return nil, err
	}
	if f.runs, err = s.opts.Store.Runs(ctx, recentRuns); err != nil {
		return nil, err
	}
	var ids []int64
	if ps := plans(f.runs, 1); len(ps) > 0 {
		f.planRun = &ps[0][0]
		for _, r := range ps[0] {
			ids = append(ids, r.ID)
		}
	}
	if f.findings, err = s.plans.get(ctx, s.opts.Store, ids); err != nil {
		return nil, err
	}
	if f.savings, err = s.opts.Store.Savings(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// plans groups runs (newest first) into the newest n plans, newest
// first, each newest run first. A plan is a finished plan or apply run
// and the others that started within planSpan before it: a tick plans
// each target and policy in a run of its own.
func plans(runs []store.Run, n int) [][]store.Run {
	var out [][]store.Run
	for _, r := range runs {
		if r.Status != store.RunFinished || (r.Command != "plan" && r.Command != "apply") {
			continue
		}
		if k := len(out); k > 0 && !r.Started.Before(out[k-1][0].Started.Add(-planSpan)) {
			out[k-1] = append(out[k-1], r)
			continue
		}
		if len(out) == n {
			break
		}
		out = append(out, []store.Run{r})
	}
	return out
}

// planCache keeps the latest plan's findings: a finished run's findings
// do not change, and reading a fleet's thousands of them from the store
// on every page was most of the page's time.
type planCache struct {
	mu       sync.Mutex
	ids      []int64
	findings []store.Finding
}

// get is the findings of the runs ids (newest first), the newest
// finding of each resource and rule. Callers must not modify them.
func (c *planCache) get(ctx context.Context, st store.Store, ids []int64) ([]store.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids != nil && slices.Equal(ids, c.ids) {
		return c.findings, nil
	}
	var out []store.Finding
	seen := map[[2]string]bool{}
	for _, id := range ids {
		fs, err := st.Findings(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, x := range fs {
			k := [2]string{x.Resource, x.Rule}
			if !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
	}
	c.ids, c.findings = slices.Clone(ids), out
	if c.ids == nil {
		c.ids = []int64{}
	}
	return out, nil
}

// baseRows turns a snapshot's lines into rows, without what the store
// says (idle streaks, evidence, the latest plan's rules), with the
// schedules that manage each and whether a policy protects it. A snapshot
// does not change, nor do the schedules and policies serve was started
// with, so its rows are built once and kept until the next one (rowCache).
func baseRows(snap *Snapshot, schedules []*schedule.Schedule, policies []*policy.Policy) []Row {
	out := make([]Row, 0, len(snap.Scan.Lines))
	for i := range snap.Scan.Lines {
		l := &snap.Scan.Lines[i]
		r := &l.Resource
		row := Row{ID: r.LineID().String(), Name: r.Name, Kind: r.Kind, Stage: l.Stage, Account: r.Account, Region: r.Region,
			Type: r.InstanceType, Count: r.InstanceCount, State: r.Status, Running: r.Running, Family: family(r.InstanceType),
			Hourly: l.Hourly, Monthly: l.Monthly, Source: l.Source, Tags: r.Tags,
			Owner: tagOf(r.Tags, "owner", "Owner", "created-by"), Team: resource.Team(r.Tags), Line: l}
		if r.Variant != "" {
			row.Name = r.Name + "/" + r.Variant
		}
		row.hourlyKey, row.monthlyKey = sortKey(l.Hourly), sortKey(l.Monthly)
		for _, sc := range schedules {
			if managedBy(sc, &row) {
				row.Schedules = append(row.Schedules, sc.Name)
			}
		}
		row.Schedule = strings.Join(row.Schedules, ", ")
		row.Protected, row.ProtectTag = protected(policies, r.Tags)
		out = append(out, row)
	}
	return out
}

// protected reports whether one of the policies protects a resource with
// these tags, and by which tag; without policies, the default protect tag
// decides (every policy's unless it names another).
func protected(policies []*policy.Policy, tags map[string]string) (bool, string) {
	if len(policies) == 0 {
		policies = []*policy.Policy{{}}
	}
	for _, p := range policies {
		if p.Protects(tags) {
			return true, p.Protect()
		}
	}
	return false, ""
}

// rowCache keeps the latest snapshot's rows with the store's facts laid
// over them, keyed by what those facts are (the latest plan and the idle
// streaks): building and copying 14,000 rows was most of a page's time,
// and neither changes between two ticks. Callers must not modify the rows.
type rowCache struct {
	// schedules and policies are the server's (Options).
	schedules []*schedule.Schedule
	policies  []*policy.Policy

	mu   sync.Mutex
	snap *Snapshot
	base []Row
	key  string
	rows []Row
}

// rows is the snapshot's rows with what the store knows: each idle streak
// and the latest plan's evidence.
func (c *rowCache) get(snap *Snapshot, f *facts) []Row {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != snap {
		c.snap, c.base, c.key, c.rows = snap, baseRows(snap, c.schedules, c.policies), "", nil
	}
	key := f.key()
	if c.rows != nil && key == c.key {
		return c.rows
	}
	c.key, c.rows = key, f.overlay(c.base)
	return c.rows
}

// key names the facts the rows depend on.
func (f *facts) key() string {
	var b strings.Builder
	if f.planRun != nil {
		b.WriteString(strconv.FormatInt(f.planRun.ID, 10))
	}
	ids := make([]string, 0, len(f.idle))
	for id, rec := range f.idle {
		ids = append(ids, id.String()+"@"+strconv.FormatInt(rec.FirstIdle.UnixNano(), 10))
	}
	slices.Sort(ids)
	for _, s := range ids {
		b.WriteString("|")
		b.WriteString(s)
	}
	return b.String()
}

// overlay is a copy of base with each idle streak and the latest plan's
// evidence and rules.
func (f *facts) overlay(base []Row) []Row {
	why := map[string]string{}
	idleNow := map[string]bool{}
	hits := map[string][]RuleHit{}
	for _, x := range f.findings {
		if x.Verdict == string(idle.Idle) {
			idleNow[x.Resource] = true
			if why[x.Resource] == "" {
				why[x.Resource] = x.Evidence
			}
		}
		hits[x.Resource] = append(hits[x.Resource], RuleHit{Rule: x.Rule, Action: x.Action})
	}
	rules := make(map[string]string, len(hits))
	for k, hs := range hits {
		slices.SortFunc(hs, func(a, b RuleHit) int { return cmp.Compare(a.Rule, b.Rule) })
		names := make([]string, len(hs))
		for i, h := range hs {
			names[i] = h.Rule
		}
		rules[k] = strings.Join(names, ", ")
	}
	out := slices.Clone(base)
	if len(f.idle) == 0 && len(idleNow) == 0 && len(hits) == 0 {
		return out
	}
	for i := range out {
		row := &out[i]
		id := row.Line.Resource.ID()
		if rec, ok := f.idle[id]; ok {
			row.Idle, row.Since = true, &rec.FirstIdle
		}
		if len(idleNow) > 0 || len(hits) > 0 {
			whole := id.String()
			if idleNow[whole] {
				row.Idle = true
				row.Evidence = why[whole]
			}
			if hs, ok := hits[whole]; ok {
				row.Policy, row.Rules = hs, rules[whole]
			}
		}
	}
	return out
}

// Overview is the figures of the overview page.
type Overview struct {
	At          time.Time
	Age         time.Duration
	Took        time.Duration
	Hourly      pricing.Total
	Monthly     pricing.Total
	IdleWaste   pricing.Total // $/month of the resources idle now
	IdleCount   int
	OpenSavings pricing.Total // $/month the latest plan would save, each resource once
	OpenCount   int
	Realized    pricing.Money // all time (ledger.Sum)
	RealizedMon pricing.Money // this month (UTC)
	Saving      pricing.Money // $/hour of the ledger's open periods
	Unpriced    int
	Resources   int
	Running     int
	Failures    []failureRow
	TopIdle     []Row
	PlanRun     *store.Run
}

type failureRow struct {
	Account, Region, Kind, Class, Reason string
}

func (f *facts) overview(snap *Snapshot, rows []Row, now time.Time) *Overview {
	sum := snap.Scan.Summary.All
	o := &Overview{At: snap.At, Age: now.Sub(snap.At), Took: snap.Took, Hourly: sum.Hourly, Monthly: sum.Monthly,
		Unpriced: sum.Monthly.Unknown, Resources: sum.Resources, Running: sum.Running, PlanRun: f.planRun}
	for _, x := range snap.Scan.Failures {
		o.Failures = append(o.Failures, failureRow{Account: x.Account, Region: x.Region, Kind: string(x.Kind), Class: x.Class, Reason: x.Reason})
	}
	// Pointers, not rows, are sorted: a Row is large, and a fleet's
	// thousands of idle ones moved around in the sort were most of the
	// overview's time.
	var idleRows []*Row
	for i := range rows {
		if r := &rows[i]; r.Idle && r.Line.Basis != cost.NotApplicable {
			o.IdleWaste.Add(r.Monthly)
			o.IdleCount++
			idleRows = append(idleRows, r)
		}
	}
	slices.SortStableFunc(idleRows, func(a, b *Row) int { return b.Monthly.Amount.Cmp(a.Monthly.Amount) })
	for _, r := range idleRows[:min(10, len(idleRows))] {
		o.TopIdle = append(o.TopIdle, *r)
	}
	o.OpenSavings, o.OpenCount = f.openSavings()
	return o
}

// openSavings sums what the latest plan's actions would save a month,
// counting each resource once (its largest finding: a resource two rules
// act on is saved once).
func (f *facts) openSavings() (pricing.Total, int) {
	best := map[string]pricing.Price{}
	for _, x := range f.findings {
		if x.Action == "" || x.Action == "notify" {
			continue
		}
		cur, seen := best[x.Resource]
		if !seen || cmpPrice(x.Monthly, cur) > 0 {
			best[x.Resource] = x.Monthly
		}
	}
	var t pricing.Total
	for _, p := range best {
		t.Add(p)
	}
	return t, len(best)
}

// Filter is the inventory's view state, all of it in the query string.
type Filter struct {
	Q, Kind, Account, Region, Stage, State, Idle string
	// Schedule and Policy select the rows a schedule manages and a rule
	// of the latest plan has a finding for (NoneValue: by none);
	// Protected is "yes" or "no".
	Schedule, Policy, Protected string
	Sort, Dir, Group            string
	// Page is the page of the table shown (0-based, PageSize rows each);
	// exports ignore it and give every row of the view.
	Page int
}

// PageSize is how many rows an inventory page shows: a page stays small
// (a fleet of 14,000 resources is 70 pages), the exports have them all.
const PageSize = 200

// filterFrom reads a Filter from a query string; unknown values are
// dropped, so that a URL always names a view that exists.
func filterFrom(q map[string][]string) Filter {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	f := Filter{Q: get("q"), Kind: get("kind"), Account: get("account"), Region: get("region"), Stage: get("stage"),
		State: get("state"), Idle: get("idle"), Schedule: get("schedule"), Policy: get("policy"), Protected: get("protected"),
		Sort: get("sort"), Dir: get("dir"), Group: get("group")}
	if !slices.Contains(sortKeys, f.Sort) {
		f.Sort = "monthly"
	}
	if f.Dir != "asc" && f.Dir != "desc" {
		f.Dir = "desc"
		if f.Sort == "name" || f.Sort == "kind" || f.Sort == "account" || f.Sort == "region" || f.Sort == "type" ||
			f.Sort == "schedule" || f.Sort == "policy" {
			f.Dir = "asc"
		}
	}
	if f.State != "running" && f.State != "stopped" {
		f.State = ""
	}
	if f.Idle != "yes" && f.Idle != "no" {
		f.Idle = ""
	}
	if f.Protected != "yes" && f.Protected != "no" {
		f.Protected = ""
	}
	if !slices.Contains(groupKeys, f.Group) && !strings.HasPrefix(f.Group, "tag:") {
		f.Group = ""
	}
	if n, err := strconv.Atoi(get("page")); err == nil && n > 0 {
		f.Page = n
	}
	return f
}

var (
	sortKeys  = []string{"name", "kind", "account", "region", "type", "count", "hourly", "monthly", "idle", "schedule", "policy", "protected"}
	groupKeys = []string{"", "account", "region", "kind", "stage", "family", "owner", "team", "schedule", "policy"}
)

// NoneValue is the schedule and policy filters' value for the rows that
// no schedule manages and no rule has a finding for (neither a schedule
// nor a rule name can be it).
const NoneValue = "(none)"

// Query is the filter as a query string, with overrides (a value ""
// drops the key).
func (f Filter) Query(overrides ...string) string {
	m := map[string]string{"q": f.Q, "kind": f.Kind, "account": f.Account, "region": f.Region, "stage": f.Stage,
		"state": f.State, "idle": f.Idle, "schedule": f.Schedule, "policy": f.Policy, "protected": f.Protected,
		"sort": f.Sort, "dir": f.Dir, "group": f.Group}
	if f.Page > 0 {
		m["page"] = strconv.Itoa(f.Page)
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		m[overrides[i]] = overrides[i+1]
	}
	var parts []string
	for _, k := range []string{"q", "kind", "account", "region", "stage", "state", "idle", "schedule", "policy", "protected", "group", "sort", "dir", "page"} {
		if v := m[k]; v != "" {
			parts = append(parts, k+"="+urlQueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// SortLink is the query of a column header: sort by key, flipping the
// direction when it is the current sort.
func (f Filter) SortLink(key string) template.URL {
	dir := "asc"
	if key == "hourly" || key == "monthly" || key == "count" || key == "idle" || key == "protected" {
		dir = "desc"
	}
	if f.Sort == key {
		if f.Dir == "asc" {
			dir = "desc"
		} else {
			dir = "asc"
		}
	}
	return template.URL(f.Query("sort", key, "dir", dir, "page", "")) // each value is query-escaped
}

// Href is the filter's query string for a link (each value escaped),
// without the page: the exports' (every row of the view).
func (f Filter) Href() template.URL { return template.URL(f.Query("page", "")) }

// PageHref is the query string of page n of the view.
func (f Filter) PageHref(n int) template.URL {
	p := ""
	if n > 0 {
		p = strconv.Itoa(n)
	}
	return template.URL(f.Query("page", p))
}

// AriaSort is the aria-sort of a column header.
func (f Filter) AriaSort(key string) string {
	if f.Sort != key {
		return "none"
	}
	if f.Dir == "asc" {
		return "ascending"
	}
	return "descending"
}

func (f Filter) match(r *Row) bool {
	if f.Kind != "" && string(r.Kind) != f.Kind || f.Account != "" && r.Account != f.Account ||
		f.Region != "" && r.Region != f.Region || f.Stage != "" && string(r.Stage) != f.Stage {
		return false
	}
	if f.State == "running" && !r.Running || f.State == "stopped" && r.Running {
		return false
	}
	if f.Idle == "yes" && !r.Idle || f.Idle == "no" && r.Idle {
		return false
	}
	if f.Protected == "yes" && !r.Protected || f.Protected == "no" && r.Protected {
		return false
	}
	if f.Schedule != "" && !matchNames(f.Schedule, len(r.Schedules), func(i int) string { return r.Schedules[i] }) ||
		f.Policy != "" && !matchNames(f.Policy, len(r.Policy), func(i int) string { return r.Policy[i].Rule }) {
		return false
	}
	if f.Q != "" {
		q := strings.ToLower(f.Q)
		hay := strings.ToLower(r.Name + " " + r.Type + " " + r.Owner + " " + r.Team + " " + r.State + " " + r.Schedule + " " + r.Rules)
		if !strings.Contains(hay, q) {
			return false
		}
	}
	return true
}

// matchNames reports whether a filter value selects a row with n names
// (name(i) the i-th): NoneValue selects no name, any other value that
// name.
func matchNames(want string, n int, name func(int) string) bool {
	if want == NoneValue {
		return n == 0
	}
	for i := range n {
		if name(i) == want {
			return true
		}
	}
	return false
}

// groupOf is the group a row falls in.
func (f Filter) groupOf(r *Row) string {
	switch f.Group {
	case "account":
		return r.Account
	case "region":
		return r.Region
	case "kind":
		return string(r.Kind)
	case "stage":
		return string(r.Stage)
	case "family":
		return r.Family
	case "owner":
		return r.Owner
	case "team":
		return r.Team
	case "schedule":
		return r.Schedule
	case "policy":
		return r.Rules
	}
	if k, ok := strings.CutPrefix(f.Group, "tag:"); ok {
		return tagOf(r.Tags, k)
	}
	return ""
}

func cmpPrice(a, b pricing.Price) int {
	// unknown sorts below every known amount
	switch {
	case !a.Known && !b.Known:
		return 0
	case !a.Known:
		return -1
	case !b.Known:
		return 1
	}
	return a.Amount.Cmp(b.Amount)
}

// apply filters and sorts rows: by group first when grouping, then by the
// sort key, then by ID so that the order is total (and a plain sort is
// enough). It sorts indexes, not rows: a Row is large, and moving 14,000
// of them around in a sort was most of the inventory page's time.
func (f Filter) apply(rows []Row) []*Row {
	idx := make([]int32, 0, len(rows))
	for i := range rows {
		if f.match(&rows[i]) {
			idx = append(idx, int32(i))
		}
	}
	var groups []string
	if f.Group != "" {
		groups = make([]string, len(rows))
		for _, i := range idx {
			groups[i] = f.groupOf(&rows[i])
		}
	}
	slices.SortFunc(idx, func(i, j int32) int {
		a, b := &rows[i], &rows[j]
		if groups != nil {
			if c := cmp.Compare(groups[i], groups[j]); c != 0 {
				return c
			}
		}
		var c int
		switch f.Sort {
		case "name":
			c = cmp.Compare(a.Name, b.Name)
		case "kind":
			c = cmp.Compare(a.Kind, b.Kind)
		case "account":
			c = cmp.Compare(a.Account, b.Account)
		case "region":
			c = cmp.Compare(a.Region, b.Region)
		case "type":
			c = cmp.Compare(a.Type, b.Type)
		case "count":
			c = cmp.Compare(a.Count, b.Count)
		case "hourly":
			if c = cmp.Compare(a.hourlyKey, b.hourlyKey); c == 0 {
				c = cmpPrice(a.Hourly, b.Hourly)
			}
		case "monthly":
			if c = cmp.Compare(a.monthlyKey, b.monthlyKey); c == 0 {
				c = cmpPrice(a.Monthly, b.Monthly)
			}
		case "idle":
			c = cmp.Compare(idleKey(*a), idleKey(*b))
		case "schedule":
			c = cmp.Compare(a.Schedule, b.Schedule)
		case "policy":
			c = cmp.Compare(a.Rules, b.Rules)
		case "protected":
			c = cmpBool(a.Protected, b.Protected)
		}
		if f.Dir == "desc" {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]*Row, len(idx))
	for k, i := range idx {
		out[k] = &rows[i]
	}
	return out
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// idleKey orders rows by how long they have been idle (longest last in
// ascending order): not idle first.
func idleKey(r Row) int64 {
	if !r.Idle {
		return 0
	}
	if r.Since == nil {
		return 1
	}
	return 1 + (1<<62 - r.Since.Unix())
}

// Group is a run of rows with the same group value, and their totals.
type Group struct {
	Name    string
	Rows    []*Row
	Hourly  pricing.Total
	Monthly pricing.Total
}

func (f Filter) groups(rows []*Row) []Group {
	var gs []Group
	for _, r := range rows {
		name := f.groupOf(r)
		if len(gs) == 0 || gs[len(gs)-1].Name != name {
			gs = append(gs, Group{Name: name})
		}
		g := &gs[len(gs)-1]
		g.Rows = append(g.Rows, r)
		if r.Line.Basis != cost.NotApplicable {
			g.Hourly.Add(r.Hourly)
			g.Monthly.Add(r.Monthly)
		}
	}
	return gs
}

func toFloat(m pricing.Money) float64 {
	v, _ := strconv.ParseFloat(m.Plain(), 64)
	return v
}
