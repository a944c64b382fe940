// Package policy reads sagesaver policies and evaluates them into a Plan:
// for each resource a rule matches, what the rule would do, why, and what
// it saves per month. It does no I/O; `sagesaver plan` prints the Plan and
// `sagesaver apply --yes` executes it (a policy never acts by itself:
// dry-run is the default).
//
// A policy file:
//
//	apiVersion: sagesaver.io/v1alpha1
//	kind: Policy
//	rules:
//	  - name: idle-endpoints
//	    resource: endpoint
//	    conditions:
//	      idleFor: 24h
//	    actions:
//	      - type: notify
//	        sns: arn:aws:sns:us-east-1:111111111111:sagesaver
//
// Safety rules, enforced here rather than left to each caller: the protect
// tag (default sagesaver:protect) always wins; destructive actions need an
// idle condition; anything the evidence cannot decide (an Unknown verdict,
// an unknown cost, an unknown age) fails closed and is reported as skipped;
// at most MaxActions changes per run.
package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// APIVersion and FileKind identify a policy file.
const (
	APIVersion = "sagesaver.io/v1alpha1"
	FileKind   = "Policy"
)

// Defaults.
const (
	// DefaultProtectTag on a resource keeps every rule away from it,
	// whatever its value.
	DefaultProtectTag = "sagesaver:protect"
	// DefaultMarkTag is the tag a warn-then-act mark writes; the owner
	// removes it to cancel the action.
	DefaultMarkTag = "sagesaver:marked"
	// DefaultMaxActions caps the changes one run makes: enough for a
	// nightly clean-up of a team account, small enough that a policy
	// mistake touches ten resources, not a fleet.
	DefaultMaxActions = 10
	// DefaultLookback is the metrics window for idle evidence: one day
	// covers a daily batch caller, and CloudWatch keeps 1-minute data for
	// 15 days.
	DefaultLookback = 24 * time.Hour
)

// AWS's limits for Studio's built-in idle shutdown (IdleTimeoutInMinutes).
const (
	MinIdleTimeoutMinutes = 60
	MaxIdleTimeoutMinutes = 525600
)

//go:embed policy.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the policy format.
// docs/policy.schema.json is a copy that a test keeps identical.
func Schema() []byte { return schema }

// Kind is a resource kind a rule may name.
type Kind string

// The kinds, spelled as resource.Kind.
const (
	KindEndpoint    Kind = Kind(resource.Endpoint)
	KindNotebook    Kind = Kind(resource.NotebookInstance)
	KindStudioApp   Kind = Kind(resource.StudioApp)
	KindStudioDom   Kind = Kind(resource.StudioDomain)
	KindStudioSpace Kind = Kind(resource.StudioSpace)
	// KindCanvasApp is judged by Canvas's TimeSinceLastActive metric;
	// delete-app ends its session-hours (nothing saved in Canvas is lost).
	KindCanvasApp Kind = Kind(resource.CanvasApp)
	// KindMLflow has no activity metric: stop acts on runningFor, and
	// `sagesaver restore mlflow-tracking-server` starts it again.
	KindMLflow Kind = Kind(resource.MLflowTrackingServer)
	// KindHyperPod is reported (notify, tag), never stopped or deleted:
	// deleting a cluster is not reversible.
	KindHyperPod Kind = Kind(resource.HyperPodCluster)
)

// Kinds lists the kinds a rule may name.
var Kinds = []Kind{KindEndpoint, KindNotebook, KindStudioApp, KindStudioDom, KindStudioSpace, KindCanvasApp, KindMLflow, KindHyperPod}

// ActionType is what a rule does.
type ActionType string

// The action types.
const (
	Notify          ActionType = "notify"            // SNS topic and/or webhook, in the run's digest
	Stop            ActionType = "stop"              // notebook instance
	Delete          ActionType = "delete"            // endpoint, after a snapshot for restore
	DeleteApp       ActionType = "delete-app"        // Studio app
	SetIdleShutdown ActionType = "set-idle-shutdown" // Studio domain or space
	Tag             ActionType = "tag"               // add tags
	MarkAction      ActionType = "mark"              // warn now, act (Then) after Grace
	// Unmark is not written in policies: the plan uses it to drop a mark
	// whose resource became active or whose owner removed the tag.
	Unmark ActionType = "unmark"
)

// ActionTypes lists the types a policy may use, in documentation order.
var ActionTypes = []ActionType{Notify, Stop, Delete, DeleteApp, SetIdleShutdown, Tag, MarkAction}

// allowed says which kinds each changing action applies to.
var allowed = map[ActionType][]Kind{
	Stop:            {KindNotebook, KindMLflow},
	Delete:          {KindEndpoint},
	DeleteApp:       {KindStudioApp, KindCanvasApp},
	SetIdleShutdown: {KindStudioDom, KindStudioSpace},
}

// Applies reports whether action t may be written in a rule for kind k as
// far as kinds go: the changing actions apply to the kinds above, notify,
// tag and mark to every kind.
func Applies(t ActionType, k Kind) bool {
	kinds, ok := allowed[t]
	return !ok || hasKind(kinds, k)
}

// MinAgentIdleFor is the shortest conditions.idleFor of a notebook-instance
// or studio-app rule: their idle evidence is the agent's tag, which cannot
// tell an idle time shorter than agenttag.Fresh (25 minutes) from activity.
const MinAgentIdleFor = agenttag.Fresh

// Destructive reports whether the action stops or removes the resource:
// such actions need idle evidence (conditions.idleFor).
func (t ActionType) Destructive() bool { return t == Stop || t == Delete || t == DeleteApp }

// Changes reports whether the action changes the resource (and so counts
// against MaxActions): everything but notify.
func (t ActionType) Changes() bool { return t != Notify }

// Policy is a policy file.
type Policy struct {
	APIVersion  string `yaml:"apiVersion" json:"apiVersion"`
	Kind        string `yaml:"kind" json:"kind"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// ProtectTag keeps every rule away from a resource that has it
	// (default sagesaver:protect). Exclusion always beats inclusion.
	ProtectTag string `yaml:"protectTag,omitempty" json:"protectTag,omitempty"`
	// MarkTag is the tag warn-then-act marks write (default
	// sagesaver:marked).
	MarkTag string `yaml:"markTag,omitempty" json:"markTag,omitempty"`
	// MaxActions caps the changes one run makes (default 10); the rest
	// are reported as "skipped: run limit".
	MaxActions *int `yaml:"maxActions,omitempty" json:"maxActions,omitempty"`
	// Lookback is the window of endpoint metrics one run reads as idle
	// evidence (default 24h, 1h to 15d). An idleFor longer than the window
	// is reached through the store's idle-since record across runs.
	Lookback *Duration `yaml:"lookback,omitempty" json:"lookback,omitempty"`
	Rules    []Rule    `yaml:"rules" json:"rules"`

	file, sum string
}

// File is the file the policy was read from (as given to Read or Decode).
func (p *Policy) File() string { return p.file }

// SHA256 is the hex SHA-256 of the policy file's bytes, recorded with each
// run so the audit log says exactly which policy acted.
func (p *Policy) SHA256() string { return p.sum }

// Rule selects resources of one kind and says what to do with them.
type Rule struct {
	// Name identifies the rule in plans, marks and the audit log; unique.
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description,omitempty" json:"description,omitempty"`
	Resource    Kind       `yaml:"resource" json:"resource"`
	Match       Match      `yaml:"match,omitempty" json:"match,omitempty"`
	Exclude     Exclude    `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	Conditions  Conditions `yaml:"conditions,omitempty" json:"conditions,omitempty"`
	Actions     []Action   `yaml:"actions" json:"actions"`
	// RenotifyAfter is how long the rule's notify actions stay quiet about
	// a subject they told about, while its idle streak lasts
	// (DefaultRenotifyAfter when nil). A new streak (the subject was active
	// in between) is told about at once.
	RenotifyAfter *Duration `yaml:"renotifyAfter,omitempty" json:"renotifyAfter,omitempty"`

	m *matcher
}

// DefaultRenotifyAfter is a notify rule's RenotifyAfter when it sets none.
const DefaultRenotifyAfter = 24 * time.Hour

// Renotify is how long the rule waits before it tells again about a
// subject it notified about, in the same idle streak.
func (r *Rule) Renotify() time.Duration {
	if r.RenotifyAfter == nil {
		return DefaultRenotifyAfter
	}
	return r.RenotifyAfter.D()
}

// NotifiedMarkRule is the store mark's rule under which rule's notify
// actions record when they last told about a subject (rule names have no
// colon, so it never names a rule's own mark).
func NotifiedMarkRule(rule string) string { return rule + ":notified" }

// Match selects resources; every field that is set must match (an empty
// Match selects every resource of the kind). Lists match when any entry
// does.
type Match struct {
	// NamePrefix, NameGlob (path.Match syntax) and NamePattern (Go regexp,
	// unanchored) match the resource name.
	NamePrefix  string `yaml:"namePrefix,omitempty" json:"namePrefix,omitempty"`
	NameGlob    string `yaml:"nameGlob,omitempty" json:"nameGlob,omitempty"`
	NamePattern string `yaml:"namePattern,omitempty" json:"namePattern,omitempty"`
	// Tags must all be present: "key" (any value) or "key=value".
	Tags     []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Accounts []string `yaml:"accounts,omitempty" json:"accounts,omitempty"`
	Regions  []string `yaml:"regions,omitempty" json:"regions,omitempty"`
	// InstanceFamily: "gpu" (p and g families), a series ("p", "g",
	// "inf"), a family ("g5", "p4d") or an instance-type glob
	// ("ml.m5.*").
	InstanceFamily []string `yaml:"instanceFamily,omitempty" json:"instanceFamily,omitempty"`
}

// Exclude removes resources a rule would otherwise select.
type Exclude struct {
	// Names are globs (path.Match syntax).
	Names []string `yaml:"names,omitempty" json:"names,omitempty"`
	// Tags: "key" (any value) or "key=value"; any one excludes.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// Conditions must all hold for the rule to act. Conditions the evidence
// cannot decide fail closed: the resource is reported, not acted on.
type Conditions struct {
	// IdleFor: the idle verdict says idle for at least this long.
	IdleFor *Duration `yaml:"idleFor,omitempty" json:"idleFor,omitempty"`
	// RunningFor: billing for at least this long (since start or creation).
	RunningFor *Duration `yaml:"runningFor,omitempty" json:"runningFor,omitempty"`
	// CostAbove: the resource costs more than this ("$50/month",
	// "$0.5/hour").
	CostAbove *Rate `yaml:"costAbove,omitempty" json:"costAbove,omitempty"`
	// Unprotected: nothing stops the resource when idle (a notebook with
	// no agent and no schedule, a Studio domain or space without built-in
	// idle shutdown).
	Unprotected bool `yaml:"unprotected,omitempty" json:"unprotected,omitempty"`
}

// Action is one thing a rule does. Type decides which other fields apply.
type Action struct {
	Type ActionType `yaml:"type" json:"type"`
	// SNS (a topic ARN) and Webhook (an https URL, Slack-compatible) are
	// where notify sends the run's digest; at least one.
	SNS     string `yaml:"sns,omitempty" json:"sns,omitempty"`
	Webhook string `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	// TimeoutMinutes is set-idle-shutdown's idle timeout (60 to 525600).
	TimeoutMinutes int `yaml:"timeoutMinutes,omitempty" json:"timeoutMinutes,omitempty"`
	// Tags are what tag adds.
	Tags map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Grace and Then are mark's: tag the resource now, and do Then (stop,
	// delete or delete-app) once Grace has passed, unless the owner removed
	// the mark tag or the resource stopped meeting the rule's conditions.
	Grace *Duration  `yaml:"grace,omitempty" json:"grace,omitempty"`
	Then  ActionType `yaml:"then,omitempty" json:"then,omitempty"`
}

// Duration is a length of time written as Go does ("24h", "90m") or in
// whole days ("3d").
type Duration time.Duration

// ParseDuration reads "24h", "1h30m", "3d" or "2d12h": sagesaver's one
// duration syntax, config.ParseDuration.
func ParseDuration(s string) (Duration, error) {
	d, err := config.ParseDuration(s)
	return Duration(d), err
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes the duration as evidence strings do ("24h", "3d", "90m"
// as "1h30m"); ParseDuration reads it back.
func (d Duration) String() string { return idle.FormatDuration(time.Duration(d)) }

// MarshalJSON writes the duration as a string ("3d", "24h").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as 24h or 3d")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Rate is an amount of money per month, written "$50/month", "50/month",
// "$0.5/hour" (x 730 hours) or "$50" (per month).
type Rate struct {
	Monthly pricing.Money
	text    string
}

// ParseRate reads a Rate.
func ParseRate(s string) (Rate, error) {
	amount, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	m, err := pricing.ParseMoney(amount)
	if err != nil || m.Sign() < 0 {
		return Rate{}, fmt.Errorf("rate %q: want e.g. \"$50/month\" or \"$0.50/hour\"", s)
	}
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "", "month", "mo":
	case "hour", "h", "hr":
		m = m.Mul(pricing.HoursPerMonth)
	default:
		return Rate{}, fmt.Errorf("rate %q: unit must be month or hour", s)
	}
	return Rate{Monthly: m, text: strings.TrimSpace(s)}, nil
}

func (r Rate) String() string {
	if r.text != "" {
		return r.text
	}
	return r.Monthly.String() + "/month"
}

// MarshalJSON writes the rate as written.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a rate string.
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("rate: want a string such as \"$50/month\"")
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Read reads and validates a policy file.
func Read(file string) (*Policy, error) {
	data, err := config.ReadLimited(file, config.DefaultLimits.MaxBytes)
	if err != nil {
		return nil, err
	}
	return Decode(file, data)
}

// Decode decodes and validates a policy from data; file names it in errors.
func Decode(file string, data []byte) (*Policy, error) {
	var p Policy
	if err := config.DecodeStrict(file, data, &p); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p.file, p.sum = file, hex.EncodeToString(sum[:])
	return &p, nil
}

// Limit returns the run's action cap.
func (p *Policy) Limit() int {
	if p.MaxActions == nil {
		return DefaultMaxActions
	}
	return *p.MaxActions
}

// Protect returns the protect tag.
func (p *Policy) Protect() string {
	if p.ProtectTag == "" {
		return DefaultProtectTag
	}
	return p.ProtectTag
}

// Protects reports whether a resource with these tags is protected: it
// has the protect tag, whatever its value. Every rule keeps away from it.
func (p *Policy) Protects(tags map[string]string) bool {
	return hasTag(tags, p.Protect())
}

// Mark returns the mark tag.
func (p *Policy) Mark() string {
	if p.MarkTag == "" {
		return DefaultMarkTag
	}
	return p.MarkTag
}

// Window returns the idle-evidence lookback.
func (p *Policy) Window() time.Duration {
	if p.Lookback == nil {
		return DefaultLookback
	}
	return p.Lookback.D()
}

var (
	ruleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	snsARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

func ferr(field, format string, args ...any) error {
	return &config.FileError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the policy and prepares its matchers. Errors are
// *config.FileError naming the field, e.g. "rules[1].match.namePattern".
func (p *Policy) Validate() error {
	if p.APIVersion != APIVersion {
		return ferr("apiVersion", "must be %s, got %q", APIVersion, p.APIVersion)
	}
	if p.Kind != FileKind {
		return ferr("kind", "must be %s, got %q", FileKind, p.Kind)
	}
	if p.MaxActions != nil && *p.MaxActions < 0 {
		return ferr("maxActions", "must be 0 or more")
	}
	if p.Lookback != nil && (p.Lookback.D() < time.Hour || p.Lookback.D() > 15*24*time.Hour) {
		return ferr("lookback", "must be between 1h and 15d (CloudWatch keeps 1-minute data for 15 days)")
	}
	for _, t := range []struct{ field, v string }{{"protectTag", p.ProtectTag}, {"markTag", p.MarkTag}} {
		if t.v != "" && strings.TrimSpace(t.v) != t.v {
			return ferr(t.field, "must not start or end with spaces")
		}
	}
	if len(p.Rules) == 0 {
		return ferr("rules", "a policy needs at least one rule")
	}
	names := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		at := fmt.Sprintf("rules[%d]", i)
		if !ruleNameRE.MatchString(r.Name) {
			return ferr(at+".name", "must be lowercase letters, digits and dashes, got %q", r.Name)
		}
		if names[r.Name] {
			return ferr(at+".name", "duplicate rule name %q", r.Name)
		}
		names[r.Name] = true
		if err := r.validate(at); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate(at string) error {
	known := false
	for _, k := range Kinds {
		known = known || r.Resource == k
	}
	if !known {
		return ferr(at+".resource", "must be one of %s; got %q", kindList(), r.Resource)
	}
	m, err := compile(at, r.Match, r.Exclude)
	if err != nil {
		return err
	}
	r.m = m
	c := r.Conditions
	for _, d := range []struct {
		f string
		v *Duration
	}{{"idleFor", c.IdleFor}, {"runningFor", c.RunningFor}} {
		if d.v != nil && d.v.D() <= 0 {
			return ferr(at+".conditions."+d.f, "must be positive")
		}
	}
	if c.IdleFor != nil && (r.Resource == KindMLflow || r.Resource == KindHyperPod) {
		return ferr(at+".conditions.idleFor", "%s has no idle evidence (AWS publishes no activity metric for it): use runningFor, costAbove or unprotected", r.Resource)
	}
	if c.IdleFor != nil && (r.Resource == KindNotebook || r.Resource == KindStudioApp) && c.IdleFor.D() < MinAgentIdleFor {
		return ferr(at+".conditions.idleFor", "must be at least %s for %s: the agent's tag cannot tell a shorter idle time from activity "+
			"(its heartbeat may be %s old and its last activity one poll, up to %s, older; see docs/agent.md), got %s",
			idle.FormatDuration(MinAgentIdleFor), r.Resource, idle.FormatDuration(agenttag.MaxAge), idle.FormatDuration(agenttag.MaxPollInterval), idle.FormatDuration(c.IdleFor.D()))
	}
	if len(r.Actions) == 0 {
		return ferr(at+".actions", "a rule needs at least one action")
	}
	seen := map[ActionType]bool{}
	for j, a := range r.Actions {
		af := fmt.Sprintf("%s.actions[%d]", at, j)
		if err := r.validateAction(af, a); err != nil {
			return err
		}
		if seen[a.Type] && a.Type != Notify && a.Type != Tag {
			return ferr(af+".type", "%s appears twice in the rule", a.Type)
		}
		seen[a.Type] = true
		act := a.Type
		if a.Type == MarkAction {
			act = a.Then
		}
		if act.Destructive() && r.Resource == KindMLflow {
			// No activity metric exists; the stop is reversible
			// (restore starts the server with its data).
			if c.RunningFor == nil {
				return ferr(af+".type", "%s of %s needs conditions.runningFor: it publishes no activity metric, so sagesaver stops it only after it ran that long", act, r.Resource)
			}
			continue
		}
		if act.Destructive() && c.IdleFor == nil {
			return ferr(af+".type", "%s needs conditions.idleFor: sagesaver stops or deletes only on idle evidence", act)
		}
	}
	if r.RenotifyAfter != nil {
		if !seen[Notify] {
			return ferr(at+".renotifyAfter", "applies only to a rule with a notify action")
		}
		if r.RenotifyAfter.D() <= 0 {
			return ferr(at+".renotifyAfter", "must be positive, e.g. 24h")
		}
	}
	if mk := r.markAction(); mk != nil && seen[mk.Then] {
		return ferr(at+".actions", "the rule both marks for %s and does %s now; keep one", mk.Then, mk.Then)
	}
	return nil
}

func (r *Rule) validateAction(af string, a Action) error {
	valid := false
	for _, t := range ActionTypes {
		valid = valid || a.Type == t
	}
	if !valid {
		return ferr(af+".type", "must be one of %s; got %q", typeList(), a.Type)
	}
	if r.Resource == KindHyperPod && a.Type.Changes() && a.Type != Tag {
		return ferr(af+".type", "%s does not apply to %s: sagesaver never stops or deletes a HyperPod cluster (deleting one is not reversible); use notify or tag, and see sagesaver advise", a.Type, r.Resource)
	}
	if kinds, ok := allowed[a.Type]; ok && !hasKind(kinds, r.Resource) {
		return ferr(af+".type", "%s applies to %s, not %s", a.Type, kindsText(kinds), r.Resource)
	}
	only := func(field string, set bool, types ...ActionType) error {
		if !set {
			return nil
		}
		for _, t := range types {
			if a.Type == t {
				return nil
			}
		}
		return ferr(af+"."+field, "does not apply to %s", a.Type)
	}
	for _, e := range []error{
		only("sns", a.SNS != "", Notify),
		only("webhook", a.Webhook != "", Notify),
		only("timeoutMinutes", a.TimeoutMinutes != 0, SetIdleShutdown),
		only("tags", len(a.Tags) > 0, Tag),
		only("grace", a.Grace != nil, MarkAction),
		only("then", a.Then != "", MarkAction),
	} {
		if e != nil {
			return e
		}
	}
	switch a.Type {
	case Notify:
		if a.SNS == "" && a.Webhook == "" {
			return ferr(af, "notify needs sns (a topic ARN) or webhook (a URL)")
		}
		if a.SNS != "" && !snsARNRE.MatchString(a.SNS) {
			return ferr(af+".sns", "not an SNS topic ARN: %q", a.SNS)
		}
		if a.Webhook != "" {
			u, err := url.Parse(a.Webhook)
			if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				return ferr(af+".webhook", "not an http(s) URL: %q", a.Webhook)
			}
		}
	case SetIdleShutdown:
		if a.TimeoutMinutes < MinIdleTimeoutMinutes || a.TimeoutMinutes > MaxIdleTimeoutMinutes {
			return ferr(af+".timeoutMinutes", "must be between %d and %d (AWS's limits), got %d",
				MinIdleTimeoutMinutes, MaxIdleTimeoutMinutes, a.TimeoutMinutes)
		}
	case Tag:
		if len(a.Tags) == 0 {
			return ferr(af+".tags", "tag needs at least one tag")
		}
		keys := make([]string, 0, len(a.Tags))
		for k := range a.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.TrimSpace(k) == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
				return ferr(af+".tags"+keyPath(k), "bad tag key %q", k)
			}
		}
	case MarkAction:
		if a.Grace == nil || a.Grace.D() <= 0 {
			return ferr(af+".grace", "mark needs a positive grace period, e.g. 72h")
		}
		if !a.Then.Destructive() {
			return ferr(af+".then", "must be stop, delete or delete-app; got %q", a.Then)
		}
		if kinds := allowed[a.Then]; !hasKind(kinds, r.Resource) {
			return ferr(af+".then", "%s applies to %s, not %s", a.Then, kindsText(kinds), r.Resource)
		}
	}
	return nil
}

func (r *Rule) markAction() *Action {
	for i := range r.Actions {
		if r.Actions[i].Type == MarkAction {
			return &r.Actions[i]
		}
	}
	return nil
}

func hasKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindsText(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " and ")
}

func kindList() string { return kindsText(Kinds) }

func typeList() string {
	s := make([]string, len(ActionTypes))
	for i, t := range ActionTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// keyPath is the field path element of a map key: ".key", or ".'a.b'" for
// a key that holds a dot (config.Locate's syntax).
func keyPath(k string) string {
	if strings.ContainsAny(k, ".[]' ") {
		return ".'" + k + "'"
	}
	return "." + k
}

// validGlob reports whether pattern is a valid path.Match pattern.
func validGlob(pattern string) error {
	_, err := path.Match(pattern, "")
	return err
}
