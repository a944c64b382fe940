package serve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// BlobDismissal is the store's blob kind of a dismissed or snoozed
// opportunity; the key is the opportunity's Key.
const BlobDismissal = "dismissal"

// The groups of the Opportunities page, in its order.
const (
	GroupStop         = "stop"
	GroupDelete       = "delete"
	GroupRightsize    = "rightsize"
	GroupScaleIn      = "scale-in"
	GroupSpot         = "spot"
	GroupIdleShutdown = "idle-shutdown"
)

var groupOrder = []string{GroupStop, GroupDelete, GroupRightsize, GroupScaleIn, GroupSpot, GroupIdleShutdown}

var groupTitles = map[string]string{
	GroupStop: "Stop", GroupDelete: "Delete", GroupRightsize: "Right-size", GroupScaleIn: "Scale in",
	GroupSpot: "Spot", GroupIdleShutdown: "Idle shutdown",
}

// Opportunity is one thing that would save money: a finding of the
// configured policies' latest plan that acts, or an `advise`
// recommendation.
type Opportunity struct {
	// Key names it across runs: "policy/RULE/RESOURCE-ID" or
	// "advise/RULE/RESOURCE-ID"; dismissals are kept under it.
	Key      string
	Group    string
	Source   string // "policy" or "advise"
	Rule     string
	Resource string // the resource's ID (resource.ID's form), for its page
	Name     string
	Kind     string
	Account  string
	Region   string
	// What is the change: "delete", "ml.g5.xlarge x1 → ml.g5.large x1".
	What       string
	Monthly    pricing.Price // saved per month
	UpTo       bool          // Monthly is an upper bound
	Effort     string        // "low", "medium", "high"
	Restart    bool          // the workload restarts (or is down) for the change
	Reversible bool
	Evidence   []string
	Confidence string
	// Dismissal is set while it is dismissed or snoozed.
	Dismissal *Dismissal
}

// Dismissal is a person's decision not to act on an opportunity: for good
// (Until nil) or until a time (a snooze). It is kept in the store (blob
// kind BlobDismissal) so that it outlives the process and is shared by
// every serve on the same state.
type Dismissal struct {
	Reason string     `json:"reason"`
	By     string     `json:"by"`
	At     time.Time  `json:"at"`
	Until  *time.Time `json:"until,omitempty"`
}

// activeAt reports whether d hides its opportunity at t.
func (d *Dismissal) activeAt(t time.Time) bool {
	return d != nil && !d.At.After(t) && (d.Until == nil || d.Until.After(t))
}

// traits are an action's effort, whether it restarts the workload, and
// whether it can be undone.
type traits struct {
	group      string
	effort     string
	restart    bool
	reversible bool
}

// policyTraits maps a finding's acting steps ("delete,notify") to its
// group; false when nothing in it saves money (notify, tag).
func policyTraits(act string) (traits, bool) {
	steps := strings.Split(act, ",")
	switch {
	case slices.Contains(steps, "delete"):
		// an endpoint is deleted after a snapshot: `restore` recreates it
		return traits{GroupDelete, "low", true, true}, true
	case slices.Contains(steps, "delete-app"):
		// the app's files stay on the space's storage; the user opens it again
		return traits{GroupDelete, "low", true, true}, true
	case slices.Contains(steps, "stop"):
		return traits{GroupStop, "low", true, true}, true
	case slices.Contains(steps, "set-idle-shutdown"):
		return traits{GroupIdleShutdown, "low", false, true}, true
	}
	return traits{}, false
}

// adviseTraits are an advise rule's group and traits: an endpoint change
// goes through UpdateEndpoint (blue/green, no downtime); a notebook or a
// Studio app restarts on its new type.
var adviseTraits = map[advise.Rule]traits{
	advise.EndpointDownsize:   {GroupRightsize, "medium", false, true},
	advise.EndpointGPUClass:   {GroupRightsize, "medium", false, true},
	advise.EndpointServerless: {GroupRightsize, "high", false, true},
	advise.EndpointMultiModel: {GroupRightsize, "high", false, true},
	advise.EndpointFewer:      {GroupScaleIn, "low", false, true},
	advise.EndpointAutoscale:  {GroupScaleIn, "low", false, true},
	advise.TrainingCPU:        {GroupRightsize, "medium", false, true},
	advise.TrainingSmaller:    {GroupRightsize, "medium", false, true},
	advise.TrainingSpot:       {GroupSpot, "medium", false, true},
	advise.NotebookDownsize:   {GroupRightsize, "low", true, true},
	advise.StudioDownsize:     {GroupRightsize, "low", true, true},
	advise.NotebookAutoStop:   {GroupIdleShutdown, "low", true, true},
	advise.StudioIdleShutdown: {GroupIdleShutdown, "low", false, true},
}

// policyOpportunities are the findings of a plan that act, one per
// resource and rule.
func policyOpportunities(fs []store.Finding) []Opportunity {
	var out []Opportunity
	seen := map[string]bool{}
	for _, f := range fs {
		tr, ok := policyTraits(f.Action)
		if !ok {
			continue
		}
		key := "policy/" + f.Rule + "/" + f.Resource
		if seen[key] {
			continue
		}
		seen[key] = true
		var what []string
		for _, step := range strings.Split(f.Action, ",") {
			if step != "notify" {
				what = append(what, step)
			}
		}
		w := strings.Join(what, ", then ")
		if len(what) < len(strings.Split(f.Action, ",")) {
			w += ", and tell (notify)"
		}
		o := Opportunity{Key: key, Group: tr.group, Source: "policy", Rule: f.Rule, Resource: f.Resource, Kind: f.Kind,
			What: w, Monthly: f.Monthly, Effort: tr.effort, Restart: tr.restart, Reversible: tr.reversible}
		if f.Evidence != "" {
			o.Evidence = []string{f.Evidence}
		}
		if id, err := resource.ParseID(f.Resource); err == nil {
			o.Name, o.Account, o.Region = id.Name, id.Account, id.Region
		} else {
			o.Name = f.Resource
		}
		out = append(out, o)
	}
	return out
}

// adviceOpportunities are advise's recommendations.
func adviceOpportunities(res *advise.Result) []Opportunity {
	if res == nil {
		return nil
	}
	var out []Opportunity
	for _, r := range res.Recommendations {
		tr, ok := adviseTraits[r.Rule]
		if !ok {
			tr = traits{GroupRightsize, "medium", false, true}
		}
		name, variant, _ := strings.Cut(r.Resource, "/")
		id := resource.ID{Account: r.Account, Region: r.Region, Kind: r.Kind, Name: name, Variant: variant}
		if r.Kind != resource.Endpoint {
			id.Name, id.Variant = r.Resource, ""
		}
		what := r.Current + " → " + r.Proposed
		if r.Proposed == "" {
			what = r.Action
		}
		out = append(out, Opportunity{Key: "advise/" + string(r.Rule) + "/" + id.String(), Group: tr.group, Source: "advise",
			Rule: string(r.Rule), Resource: id.String(), Name: r.Resource, Kind: string(r.Kind), Account: r.Account, Region: r.Region,
			What: what, Monthly: r.Saving, UpTo: r.UpTo, Effort: tr.effort, Restart: tr.restart, Reversible: tr.reversible,
			Evidence: r.Evidence, Confidence: string(r.Confidence)})
	}
	return out
}

// dismissals reads every dismissal in the store.
func (s *Server) dismissals(ctx context.Context) (map[string]*Dismissal, error) {
	keys, err := s.opts.Store.BlobKeys(ctx, BlobDismissal, "")
	if err != nil {
		return nil, fmt.Errorf("list dismissals: %w", err)
	}
	out := make(map[string]*Dismissal, len(keys))
	for _, k := range keys {
		b, _, err := s.opts.Store.Blob(ctx, BlobDismissal, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read dismissal %s: %w", k, err)
		}
		var d Dismissal
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("read dismissal %s: %w", k, err)
		}
		out[k] = &d
	}
	return out, nil
}

// OppGroup is one group of the Opportunities page with its total (each
// resource counted once).
type OppGroup struct {
	Name, Title string
	Items       []Opportunity
	Monthly     pricing.Total
}

// trendPoint is one plan's opportunity counts.
type trendPoint struct {
	Run                         int64
	At                          time.Time
	New, Fixed, Dismissed, Open int
}

type opportunitiesView struct {
	Groups    []OppGroup
	Dismissed []Opportunity
	Open      int
	Total     pricing.Total // open ones, each resource once
	PlanRun   *store.Run
	AdviceAt  time.Time
	Advice    bool
	Trend     []trendPoint
	Chart     *chartData
	Actions   bool
	Show      string // "open" (default) or "dismissed"
	Notice    string
}

// opportunities collects the page's opportunities: the latest plan's and
// advise's, with their dismissals ds (as of now), sorted by group then saving.
func opportunities(snap *Snapshot, f *facts, ds map[string]*Dismissal, now time.Time) (open, dismissed []Opportunity) {
	all := policyOpportunities(f.findings)
	if snap != nil {
		all = append(all, adviceOpportunities(snap.Advice)...)
	}
	for _, o := range all {
		if d := ds[o.Key]; d.activeAt(now) {
			o.Dismissal = d
			dismissed = append(dismissed, o)
			continue
		}
		open = append(open, o)
	}
	sortOpps(open)
	sortOpps(dismissed)
	return open, dismissed
}

func sortOpps(os []Opportunity) {
	slices.SortStableFunc(os, func(a, b Opportunity) int {
		if c := cmp.Compare(slices.Index(groupOrder, a.Group), slices.Index(groupOrder, b.Group)); c != 0 {
			return c
		}
		if c := cmpPrice(b.Monthly, a.Monthly); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

// groupOpps groups sorted opportunities; each group's total counts a
// resource once (its largest saving in the group), and so does total
// across groups.
func groupOpps(os []Opportunity) ([]OppGroup, pricing.Total) {
	var gs []OppGroup
	for _, name := range groupOrder {
		g := OppGroup{Name: name, Title: groupTitles[name]}
		for _, o := range os {
			if o.Group == name {
				g.Items = append(g.Items, o)
			}
		}
		g.Monthly = onePerResource(g.Items)
		gs = append(gs, g)
	}
	return gs, onePerResource(os)
}

// onePerResource sums the opportunities' savings counting each resource
// once, at its largest (unknown loses to a known amount): two changes to
// one resource do not both save, and an endpoint's variant counts as the
// endpoint (deleting it and scaling in its variant do not add up).
func onePerResource(os []Opportunity) pricing.Total {
	best := map[string]pricing.Price{}
	for _, o := range os {
		k := o.Resource
		if id, err := resource.ParseID(k); err == nil {
			k = id.Whole().String()
		}
		if cur, ok := best[k]; !ok || cmpPrice(o.Monthly, cur) > 0 {
			best[k] = o.Monthly
		}
	}
	var t pricing.Total
	for _, p := range best {
		t.Add(p)
	}
	return t
}

// trendRuns is how many of the latest plans the trend reads.
const trendRuns = 48

// trend counts, for each of the latest finished plans (oldest first), its
// policy opportunities that are new since the plan before, fixed (in the
// plan before, gone now), dismissed at the time and open.
func (s *Server) trend(ctx context.Context, runs []store.Run, ds map[string]*Dismissal) ([]trendPoint, error) {
	ps := plans(runs, trendRuns)
	slices.Reverse(ps)
	var out []trendPoint
	var prev map[string]bool
	for _, group := range ps {
		var fs []store.Finding
		for _, r := range group {
			rf, err := s.opts.Store.Findings(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			fs = append(fs, rf...)
		}
		r := group[0]
		cur := map[string]bool{}
		for _, o := range policyOpportunities(fs) {
			cur[o.Key] = true
		}
		p := trendPoint{Run: r.ID, At: r.Started}
		for k := range cur {
			if prev != nil && !prev[k] {
				p.New++
			}
			if ds[k].activeAt(r.Started) {
				p.Dismissed++
			} else {
				p.Open++
			}
		}
		if prev == nil {
			p.New = len(cur)
		}
		for k := range prev {
			if !cur[k] {
				p.Fixed++
			}
		}
		out = append(out, p)
		prev = cur
	}
	return out, nil
}

func trendChart(ps []trendPoint) *chartData {
	if len(ps) < 2 {
		return nil
	}
	c := &chartData{Title: "Opportunities per plan", Unit: "opportunities"}
	c.Series = []chartSeries{{Name: "open"}, {Name: "new"}, {Name: "fixed"}, {Name: "dismissed"}}
	for _, p := range ps {
		c.X = append(c.X, p.At.Unix())
		for i, v := range []int{p.Open, p.New, p.Fixed, p.Dismissed} {
			f := float64(v)
			c.Series[i].Values = append(c.Series[i].Values, &f)
		}
	}
	return c
}

func (s *Server) opportunitiesPage(w http.ResponseWriter, r *http.Request) {
	snap, f, ok := s.snapshot(w, r, "opportunities", "Opportunities")
	if !ok {
		return
	}
	ctx := r.Context()
	now := s.opts.Clock.Now()
	ds, err := s.dismissals(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	open, dismissed := opportunities(snap, f, ds, now)
	v := &opportunitiesView{Dismissed: dismissed, Open: len(open), PlanRun: f.planRun, Actions: s.opts.Actions,
		Show: r.URL.Query().Get("show"), Notice: r.URL.Query().Get("notice")}
	if v.Show != "dismissed" {
		v.Show = "open"
	}
	if snap.Advice != nil {
		v.Advice, v.AdviceAt = true, snap.Advice.End
	}
	v.Groups, v.Total = groupOpps(open)
	if v.Trend, err = s.trend(ctx, f.runs, ds); err != nil {
		s.fail(w, r, err)
		return
	}
	v.Chart = trendChart(v.Trend)
	s.render(w, r, "opportunities", s.page("opportunities", "Opportunities", v))
}

// maxReason bounds a dismissal's reason.
const maxReason = 500

// dismiss records (or, with undo, removes) a dismissal or snooze of the
// opportunity named by the form's key. It needs actions enabled: it is a
// decision about the fleet, made by the person logged in.
func (s *Server) dismiss(w http.ResponseWriter, r *http.Request) {
	if !s.opts.Actions {
		http.Error(w, "the dashboard is read-only: start serve with --actions to dismiss or snooze", http.StatusForbidden)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" || len(key) > 1000 || !(strings.HasPrefix(key, "policy/") || strings.HasPrefix(key, "advise/")) {
		http.Error(w, "key: not an opportunity", http.StatusBadRequest)
		return
	}
	back := "/opportunities"
	if r.PostFormValue("undo") != "" {
		if err := s.opts.Store.DeleteBlob(r.Context(), BlobDismissal, key); err != nil {
			s.fail(w, r, err)
			return
		}
		s.opts.Log.Info("opportunity restored", "key", key, "by", s.user(r))
		http.Redirect(w, r, back+"?notice=restored", http.StatusSeeOther)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		http.Error(w, "reason: say why (it is kept with the dismissal)", http.StatusBadRequest)
		return
	}
	if len(reason) > maxReason {
		http.Error(w, fmt.Sprintf("reason: at most %d characters", maxReason), http.StatusBadRequest)
		return
	}
	now := s.opts.Clock.Now().UTC()
	d := Dismissal{Reason: reason, By: s.user(r), At: now}
	switch snooze := r.PostFormValue("snooze"); snooze {
	case "", "forever":
	case "1d", "7d", "30d", "90d":
		days := map[string]int{"1d": 1, "7d": 7, "30d": 30, "90d": 90}[snooze]
		u := now.AddDate(0, 0, days)
		d.Until = &u
	default:
		http.Error(w, "snooze: one of 1d, 7d, 30d, 90d or forever", http.StatusBadRequest)
		return
	}
	b, err := json.Marshal(d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.opts.Store.PutBlob(r.Context(), BlobDismissal, key, b); err != nil {
		s.fail(w, r, err)
		return
	}
	s.opts.Log.Info("opportunity dismissed", "key", key, "by", d.By, "until", d.Until, "reason", reason)
	http.Redirect(w, r, back+"?notice=dismissed", http.StatusSeeOther)
}

// Actor runs the dashboard's mutations through the same executor as
// `apply` and `restore` (claims, the re-check before acting, the audit
// log), recording actor as who acted.
type Actor interface {
	// Apply runs the latest plan's finding of rule on resource (a
	// resource.ID string): a dry run when dryRun (the plan shown for
	// confirmation), else for real.
	Apply(ctx context.Context, rule, resource, actor string, dryRun bool) (ActResult, error)
	// Restore recreates a deleted endpoint from its snapshot (dry run:
	// the steps it would take).
	Restore(ctx context.Context, account, region, name, actor string, dryRun bool) (ActResult, error)
}

// ActResult is what a mutation did, or would do in a dry run.
type ActResult struct {
	Run     int64
	Steps   []string
	Summary string
}
