package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Mark is a warn-then-act mark as the store keeps it: rule marked the
// subject (idle.SubjectKey) at MarkedAt; it may act after ActAfter.
type Mark struct {
	Key      resource.ID
	Rule     string
	MarkedAt time.Time
	ActAfter time.Time
}

// markKey finds a subject's mark by rule.
type markKey struct {
	id   resource.ID
	rule string
}

// CostFunc prices a resource (cost.PriceOne with the run's catalog): its
// Monthly is what the resource costs per month now, and cost.Saves decides
// from it what a step saves. An unknown price is pricing.Unknown, never $0.
type CostFunc func(resource.Resource) cost.Line

// Input is everything Evaluate looks at.
type Input struct {
	Resources []resource.Resource
	// Verdicts by idle.SubjectKey. A subject without a verdict is Unknown.
	Verdicts map[resource.ID]idle.Verdict
	Marks    []Mark
	// Price prices resources; nil prices everything as unknown.
	Price CostFunc
	Now   time.Time
}

// Status says whether a step runs.
type Status string

// The statuses.
const (
	Act  Status = "act"  // `apply --yes` does it (plan and dry runs report it)
	Skip Status = "skip" // it does not run; Step.Reason says why
)

// Skip reasons that callers may test for; Step.Reason starts with one.
const (
	ReasonRunLimit      = "skipped: run limit"
	ReasonProtected     = "protected"
	ReasonExcluded      = "excluded"
	ReasonUnknown       = "unknown"
	ReasonNotActionable = "not actionable"
	ReasonGrace         = "marked"
	ReasonAlreadyActed  = "already acted on"
	ReasonAlreadySet    = "already set"
	ReasonNotified      = "already notified"
)

// Step is one action of a rule for one subject.
type Step struct {
	Action Action
	Status Status
	Reason string
	// Saves is what the step saves per month, as cost.Saves decides it for
	// stop, delete and delete-app (and for a mark's Then once due): the
	// instance-hours, not what the subject costs (a stopped notebook's
	// volume still bills). A known $0 for the others (set-idle-shutdown's
	// saving depends on future use and is not counted).
	Saves pricing.Price
	// Hourly is the same saving per hour (Saves is Hourly x 730): the rate
	// the savings ledger records once the step is done.
	Hourly pricing.Price
	// ActAfter is, for a new mark, when Then may run; for a notify that
	// acts, when the rule may tell again about the subject in the same
	// idle streak (the executor records it in the notified mark,
	// NotifiedMarkRule).
	ActAfter time.Time
	// FromMark is true when the step is a mark's Then, due now: after it
	// runs, the executor deletes the mark (Finding.Key, Finding.Rule).
	FromMark bool
}

// Finding is one subject a rule selected: an endpoint with all its
// variants, or one other resource.
type Finding struct {
	Rule string
	// Key is idle.SubjectKey of the subject.
	Key       resource.ID
	Kind      resource.Kind
	Account   string
	Region    string
	Name      string
	Resources []resource.Resource
	Verdict   idle.Verdict
	// Why is the evidence and the conditions that held, for people:
	// "0 invocations on 2 variants over 24h (no datapoints); idle 26h >= 24h".
	Why string
	// Monthly is what the subject costs per month now.
	Monthly pricing.Price
	Steps   []Step
}

// Acting reports whether any step of the finding runs.
func (f *Finding) Acting() bool {
	for _, s := range f.Steps {
		if s.Status == Act {
			return true
		}
	}
	return false
}

// Saves is the monthly saving of the steps that run.
func (f *Finding) Saves() pricing.Price {
	total := pricing.Price{Known: true}
	for _, s := range f.Steps {
		if s.Status != Act {
			continue
		}
		if !s.Saves.Known {
			return pricing.Unknown
		}
		total.Amount = total.Amount.Add(s.Saves.Amount)
		total.Estimate = total.Estimate || s.Saves.Estimate
	}
	return total
}

// Plan is what a policy would do now.
type Plan struct {
	Now      time.Time
	Findings []Finding
	// Limit is the run's cap on changing steps; Changes is how many run.
	Limit   int
	Changes int
}

// Savings sums the monthly savings of the steps that run; unknown counts
// the findings whose saving is not known (left out of the sum).
func (p *Plan) Savings() (known pricing.Money, unknown int) {
	for i := range p.Findings {
		f := &p.Findings[i]
		if !f.Acting() {
			continue
		}
		s := f.Saves()
		if !s.Known {
			unknown++
			continue
		}
		known = known.Add(s.Amount)
	}
	return known, unknown
}

// subject is one thing a rule judges.
type subject struct {
	key resource.ID
	rs  []resource.Resource
}

// subjects groups the inventory: endpoint variants by endpoint, every
// other resource alone; inference components and unsupported kinds are
// left out (a component is judged with its endpoint).
func subjects(rs []resource.Resource) []subject {
	idx := map[resource.ID]int{}
	var out []subject
	for _, r := range rs {
		switch Kind(r.Kind) {
		case KindEndpoint, KindNotebook, KindStudioApp, KindStudioDom, KindStudioSpace, KindCanvasApp, KindMLflow, KindHyperPod:
		default:
			continue
		}
		k := idle.SubjectKey(&r)
		if i, ok := idx[k]; ok {
			out[i].rs = append(out[i].rs, r)
			continue
		}
		idx[k] = len(out)
		out = append(out, subject{key: k, rs: []resource.Resource{r}})
	}
	return out
}

// Evaluate applies the policy to the inventory. It is pure: the same input
// gives the same plan. The policy must have been validated (Read, Decode
// or Validate).
//
// Order of decisions for each rule and selected subject: the protect tag,
// then the rule's exclusions (both reported, untouched); then the
// conditions, where anything the evidence cannot decide fails closed (the
// finding is reported with every step skipped as "unknown: ..."); then
// warn-then-act marks; then the run limit, applied to changing steps in
// order of monthly saving (largest first), so that the cap keeps the
// steps worth most. A subject gets at most one changing step per run, from
// the first rule (in file order) that changes it.
func Evaluate(p *Policy, in Input) Plan {
	plan := Plan{Now: in.Now, Limit: p.Limit()}
	marks := map[markKey]Mark{}
	for _, m := range in.Marks {
		marks[markKey{m.Key, m.Rule}] = m
	}
	subs := subjects(in.Resources)
	for ri := range p.Rules {
		rule := &p.Rules[ri]
		if rule.m == nil {
			// Not validated: a rule without its matcher matches nothing.
			continue
		}
		for _, s := range subs {
			if Kind(s.rs[0].Kind) != rule.Resource || !rule.m.selects(s.rs) {
				continue
			}
			if f, ok := evaluateRule(p, rule, s, in, marks); ok {
				plan.Findings = append(plan.Findings, f)
			}
		}
	}
	applyLimits(&plan)
	return plan
}

func newFinding(rule *Rule, s subject, v idle.Verdict, monthly pricing.Price) Finding {
	r := s.rs[0]
	return Finding{Rule: rule.Name, Key: s.key, Kind: r.Kind, Account: r.Account, Region: r.Region, Name: r.Name,
		Resources: s.rs, Verdict: v, Monthly: monthly}
}

func evaluateRule(p *Policy, rule *Rule, s subject, in Input, marks map[markKey]Mark) (Finding, bool) {
	r := s.rs[0]
	v, ok := in.Verdicts[s.key]
	if !ok {
		v = idle.Verdict{State: idle.Unknown, Reason: idle.ReasonNoData, Evidence: "no evidence collected"}
	}
	lines := subjectLines(s.rs, in.Price)
	monthly := subjectMonthly(lines)
	f := newFinding(rule, s, v, monthly)
	skipAll := func(reason string) Finding {
		for _, a := range rule.Actions {
			f.Steps = append(f.Steps, Step{Action: a, Status: Skip, Reason: reason, Saves: pricing.Price{Known: true}, Hourly: pricing.Price{Known: true}})
		}
		return f
	}
	mark, marked := marks[markKey{s.key, rule.Name}]
	held, why, unknown := conditions(rule.Conditions, v, s.rs, monthly, in.Now)
	if unknown == "" && !held && !marked {
		return Finding{}, false
	}
	f.Why = joinWhy(v.Evidence, why)
	if p.Protects(r.Tags) {
		return skipAll(ReasonProtected + ": tag " + p.Protect()), true
	}
	if why := rule.m.excluded(r); why != "" {
		return skipAll(ReasonExcluded + ": " + strings.TrimPrefix(why, "excluded ")), true
	}
	if unknown != "" {
		// Fail closed; an existing mark stays (nothing proved the
		// resource active) but does not fire.
		return skipAll(ReasonUnknown + ": " + unknown), true
	}
	if !held {
		// Marked, but no longer meets the rule (it became active): drop
		// the mark and its tag.
		f.Steps = []Step{{Action: Action{Type: Unmark}, Status: Act, Saves: pricing.Price{Known: true}, Hourly: pricing.Price{Known: true},
			Reason: "no longer meets the rule: " + why}}
		return f, true
	}
	notified, told := marks[markKey{s.key, NotifiedMarkRule(rule.Name)}]
	for _, a := range rule.Actions {
		st := step(p, a, v, r, s.rs, lines, mark, marked, in.Now)
		if a.Type == Notify && st.Status == Act {
			renotify(&st, rule, v, notified, told, in.Now)
		}
		f.Steps = append(f.Steps, st)
	}
	return f, true
}

// step decides one action for a subject that meets the rule's conditions.
func step(p *Policy, a Action, v idle.Verdict, r resource.Resource, rs []resource.Resource,
	lines []cost.Line, mark Mark, marked bool, now time.Time) Step {
	zero := pricing.Price{Known: true}
	st := Step{Action: a, Status: Act, Saves: zero, Hourly: zero}
	// A judged but not actionable subject (a serverless endpoint costs
	// nothing idle) gets no step at all; otherwise only changes need an
	// actionable verdict.
	if !v.Actionable && (a.Type.Changes() || v.State == idle.Idle || v.State == idle.Active) {
		reason := ReasonNotActionable
		if v.State == idle.Unknown || v.State == "" {
			reason = ReasonUnknown
		}
		st.Status, st.Reason = Skip, reason+": "+v.Evidence
		return st
	}
	switch a.Type {
	case Stop, Delete, DeleteApp:
		if !running(rs) {
			st.Status, st.Reason = Skip, ReasonNotActionable+": not running"
			return st
		}
		st.Saves, st.Hourly = saves(lines, a.Type)
	case SetIdleShutdown:
		if r.IdleShutdown == nil {
			st.Status, st.Reason = Skip, ReasonUnknown+": idle shutdown setting not known"
		} else if *r.IdleShutdown {
			st.Status, st.Reason = Skip, ReasonAlreadySet+": idle shutdown is on"
		}
	case MarkAction:
		mt := p.Mark()
		switch {
		case !marked:
			st.ActAfter = now.Add(a.Grace.D())
			st.Reason = fmt.Sprintf("mark with tag %s: %s after %s unless the tag is removed", mt, a.Then, st.ActAfter.UTC().Format(time.RFC3339))
		case !hasTag(r.Tags, mt):
			st.Action = Action{Type: Unmark}
			st.Reason = "the owner removed tag " + mt + ": " + string(a.Then) + " cancelled"
		case now.Before(mark.ActAfter):
			st.Status = Skip
			st.Reason = fmt.Sprintf("%s: %s after %s", ReasonGrace, a.Then, mark.ActAfter.UTC().Format(time.RFC3339))
		case !running(rs):
			st.Action = Action{Type: Unmark}
			st.Reason = "no longer running"
		default:
			st.Action = Action{Type: a.Then}
			st.FromMark = true
			st.Reason = fmt.Sprintf("marked %s, grace over", mark.MarkedAt.UTC().Format(time.RFC3339))
			st.Saves, st.Hourly = saves(lines, a.Then)
		}
	}
	return st
}

// renotify decides whether a notify step tells again about a subject the
// rule already told about: only once the rule's RenotifyAfter has passed
// since, or when the subject's idle streak began after the notice (it was
// active in between, so this is a new streak). Otherwise the step is
// skipped, as "already notified at T", and no notice, action or audit row
// is written again.
func renotify(st *Step, rule *Rule, v idle.Verdict, notified Mark, told bool, now time.Time) {
	st.ActAfter = now.Add(rule.Renotify())
	if !told || now.Before(notified.MarkedAt) {
		return
	}
	newStreak := !v.Since.IsZero() && v.Since.After(notified.MarkedAt)
	if newStreak || !now.Before(notified.ActAfter) {
		return
	}
	st.Status, st.ActAfter = Skip, time.Time{}
	st.Reason = fmt.Sprintf("%s at %s: again after %s while idle", ReasonNotified,
		notified.MarkedAt.UTC().Format(time.RFC3339), notified.ActAfter.UTC().Format(time.RFC3339))
}

// conditions checks the rule's conditions. It returns whether they all
// hold, the sentence for Why, and, when the evidence cannot decide, what is
// unknown (then held is false and must not be used).
func conditions(c Conditions, v idle.Verdict, rs []resource.Resource, monthly pricing.Price, now time.Time) (held bool, why, unknown string) {
	var parts []string
	if c.IdleFor != nil {
		switch v.State {
		case idle.Idle:
			d, ok := v.IdleFor(now)
			if !ok {
				return false, "", "idle since an unknown time"
			}
			if d < c.IdleFor.D() {
				return false, fmt.Sprintf("idle %s < %s", idle.FormatDuration(d), c.IdleFor), ""
			}
			parts = append(parts, fmt.Sprintf("idle %s >= %s", idle.FormatDuration(d), c.IdleFor))
		case idle.Unknown, idle.Unprotected, "":
			return false, "", "no idle evidence (" + v.Evidence + ")"
		default:
			return false, string(v.State), ""
		}
	}
	if c.Unprotected {
		switch v.State {
		case idle.Unprotected:
			parts = append(parts, "no auto-stop")
		case idle.Unknown, "":
			return false, "", v.Evidence
		default:
			return false, string(v.State), ""
		}
	}
	if c.RunningFor != nil {
		if !running(rs) {
			return false, "not running", ""
		}
		start := rs[0].Started
		if start == nil {
			start = rs[0].Created
		}
		if start == nil {
			return false, "", "start time not known"
		}
		d := now.Sub(*start)
		if d < c.RunningFor.D() {
			return false, fmt.Sprintf("running %s < %s", idle.FormatDuration(d), c.RunningFor), ""
		}
		parts = append(parts, fmt.Sprintf("running %s >= %s", idle.FormatDuration(d), c.RunningFor))
	}
	if c.CostAbove != nil {
		if !monthly.Known {
			return false, "", "cost not known"
		}
		if monthly.Amount.Cmp(c.CostAbove.Monthly) <= 0 {
			return false, fmt.Sprintf("%s/month <= %s", monthly, c.CostAbove), ""
		}
		parts = append(parts, fmt.Sprintf("%s/month > %s", monthly, c.CostAbove))
	}
	return true, strings.Join(parts, "; "), ""
}

// applyLimits enforces one changing step per subject per run (first rule
// wins) and the run's cap, largest saving first.
func applyLimits(plan *Plan) {
	type ref struct{ f, s int }
	var changing []ref
	first := map[resource.ID]string{}
	for fi := range plan.Findings {
		f := &plan.Findings[fi]
		for si := range f.Steps {
			st := &f.Steps[si]
			// Unmark only undoes our own mark: never capped, never
			// blocking another rule.
			if st.Status != Act || !st.Action.Type.Changes() || st.Action.Type == Unmark {
				continue
			}
			if rule, ok := first[f.Key]; ok && rule != f.Rule {
				st.Status, st.Reason = Skip, ReasonAlreadyActed+" by rule "+rule
				continue
			}
			first[f.Key] = f.Rule
			changing = append(changing, ref{fi, si})
		}
	}
	// Largest saving first; unknown savings after known ones; then by key
	// and rule order, so the plan is deterministic.
	sort.SliceStable(changing, func(i, j int) bool {
		a := plan.Findings[changing[i].f].Steps[changing[i].s].Saves
		b := plan.Findings[changing[j].f].Steps[changing[j].s].Saves
		if a.Known != b.Known {
			return a.Known
		}
		if c := a.Amount.Cmp(b.Amount); c != 0 {
			return c > 0
		}
		return plan.Findings[changing[i].f].Key.String() < plan.Findings[changing[j].f].Key.String()
	})
	for i, c := range changing {
		st := &plan.Findings[c.f].Steps[c.s]
		if i >= plan.Limit {
			st.Status = Skip
			st.Reason = fmt.Sprintf("%s (maxActions %d)", ReasonRunLimit, plan.Limit)
			continue
		}
		plan.Changes++
	}
}

// subjectLines prices every resource of a subject; nil when fn is nil.
func subjectLines(rs []resource.Resource, fn CostFunc) []cost.Line {
	if fn == nil {
		return nil
	}
	out := make([]cost.Line, len(rs))
	for i, r := range rs {
		out[i] = fn(r)
	}
	return out
}

// saves is what action t saves on the subject per month and per hour
// (cost.SavesAll); unknown when the subject is not priced.
func saves(lines []cost.Line, t ActionType) (monthly, hourly pricing.Price) {
	if lines == nil {
		return pricing.Unknown, pricing.Unknown
	}
	s := cost.SavesAll(lines, cost.Change{Verb: cost.Verb(t)})
	return s.Monthly, s.Hourly
}

func subjectMonthly(lines []cost.Line) pricing.Price {
	if lines == nil {
		return pricing.Unknown
	}
	total := pricing.Price{Known: true}
	for _, l := range lines {
		p := l.Monthly
		if !p.Known {
			return pricing.Unknown
		}
		total.Amount = total.Amount.Add(p.Amount)
		total.Estimate = total.Estimate || p.Estimate
	}
	return total
}

func running(rs []resource.Resource) bool {
	for _, r := range rs {
		if r.Running {
			return true
		}
	}
	return false
}

func hasTag(tags map[string]string, key string) bool {
	_, ok := tags[key]
	return ok
}

func joinWhy(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
