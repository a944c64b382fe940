// Package advise turns what a scan found, and what CloudWatch says about
// it, into right-sizing recommendations: for each running resource a
// cheaper configuration, the numbers that justify it, and what it saves per
// month at catalog prices.
//
// The rules are pure: (resources, evidence, catalog) in, recommendations
// out. A proposed instance type always has a price of its own in the
// catalog for the resource's component in its region (pricing.PricedTypes
// and pricing.Catalog.Offered); a cheaper type that lacks one is reported
// as skipped, never recommended. Missing or partial evidence is not low
// use: a rule that lacks the numbers it needs says nothing.
package advise

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Rule names a recommendation rule.
type Rule string

// The rules.
const (
	EndpointDownsize   Rule = "endpoint-downsize"    // smaller type in the family
	EndpointFewer      Rule = "endpoint-fewer"       // fewer instances
	EndpointGPUClass   Rule = "endpoint-p-to-g"      // P family serving inference
	EndpointAutoscale  Rule = "endpoint-autoscale"   // swinging traffic, fixed count
	EndpointMultiModel Rule = "endpoint-multi-model" // low-traffic endpoints on one image
	EndpointServerless Rule = "endpoint-serverless"  // rarely invoked
	TrainingCPU        Rule = "training-cpu"         // CPU-only image on a GPU
	TrainingSpot       Rule = "training-spot"        // on-demand training
	TrainingSmaller    Rule = "training-smaller"     // many short jobs on large instances
	NotebookDownsize   Rule = "notebook-downsize"    // GPU or large notebook, little use
	NotebookAutoStop   Rule = "notebook-auto-stop"   // no auto-stop
	StudioDownsize     Rule = "studio-downsize"      // GPU app, little use
	StudioIdleShutdown Rule = "studio-idle-shutdown" // domain without idle shutdown
)

// Confidence says how much the evidence supports a recommendation.
type Confidence string

// The confidence levels.
const (
	// High: complete metrics over the whole window, and the proposal
	// changes nothing the workload is known to need.
	High Confidence = "high"
	// Medium: the numbers support it, but something is assumed (a load
	// test is advisable, a discount or an idle share is estimated).
	Medium Confidence = "medium"
	// Low: indirect evidence (the agent's last activity, job names and
	// images), or a saving that depends on a runtime change.
	Low Confidence = "low"
)

// Recommendation is one proposed change to one resource (or one group of
// resources, for a multi-model endpoint).
type Recommendation struct {
	Account string        `json:"account"`
	Region  string        `json:"region"`
	Kind    resource.Kind `json:"kind"`
	// Resource is the resource's display name (endpoint/variant for
	// endpoints); Resources lists every resource a grouped recommendation
	// covers (else just Resource).
	Resource  string   `json:"resource"`
	Resources []string `json:"resources"`
	Rule      Rule     `json:"rule"`
	// Current and Proposed describe the configuration now and after, e.g.
	// "ml.p3.2xlarge x1" and "ml.g5.xlarge x1".
	Current  string `json:"current"`
	Proposed string `json:"proposed"`
	// Evidence is the statistics the recommendation rests on, over Window,
	// one fact a line.
	Evidence   []string   `json:"evidence"`
	Confidence Confidence `json:"confidence"`
	// CurrentMonthly is what the resource costs per month as it is,
	// measured as CurrentBasis says; Saving what the proposal saves per
	// month on the same basis (known, positive, or unknown when a price it
	// needs is not in the catalog).
	CurrentMonthly pricing.Price `json:"-"`
	CurrentBasis   CostBasis     `json:"current_basis"`
	// RunRate is, for a job that runs now (CurrentBasis LookbackJobs),
	// what it costs per month at its rate now, as `scan`'s $/MONTH;
	// unknown (not shown) otherwise.
	RunRate pricing.Price `json:"-"`
	Saving  pricing.Price `json:"-"`
	// UpTo marks a saving that is an upper bound (what replaces the
	// resource is billed per use and not in the catalog).
	UpTo bool `json:"up_to"`
	// Action says how to make the change; Scaling is set for
	// EndpointAutoscale.
	Action  string       `json:"action"`
	Scaling *ScalingPlan `json:"scaling,omitempty"`
}

// CostBasis says what Recommendation.CurrentMonthly measures. A running
// training job has two figures that differ by orders of magnitude: its
// run-rate (what `scan` shows: the hourly rate x 730, while it runs) and
// what the lookback's jobs cost, scaled to a month (what a change to the
// job's configuration saves on the next runs).
type CostBasis string

// The bases.
const (
	// RunRate: the rate now x 730 hours, as `scan`'s $/MONTH (instances
	// only).
	RunRate CostBasis = "run-rate"
	// LookbackJobs: the billed time of the jobs in the lookback, priced
	// and scaled to a month (x 730 h / lookback).
	LookbackJobs CostBasis = "lookback-jobs"
)

// CurrentText says what CurrentMonthly is, for people: "run-rate
// $2,792.25/month", "its jobs of the last 30 days: ~$7.76/month", and
// for a job that runs now "...; running now, run-rate ~$2,796.45/month".
func (r *Recommendation) CurrentText(lookback time.Duration) string {
	if r.CurrentBasis == LookbackJobs {
		s := fmt.Sprintf("its jobs of the last %s: %s/month", duration(lookback), r.CurrentMonthly)
		if r.RunRate.Known {
			s += fmt.Sprintf("; running now, run-rate %s/month", r.RunRate)
		}
		return s
	}
	return fmt.Sprintf("run-rate %s/month", r.CurrentMonthly)
}

// key groups recommendations by resource (Resource is the scan line's
// name: an endpoint's is NAME/VARIANT, as in resource.ID's form).
func (r *Recommendation) key() string {
	return resource.ID{Account: r.Account, Region: r.Region, Kind: r.Kind, Name: r.Resource}.String()
}

// ScalingPlan is the Application Auto Scaling configuration proposed for
// an endpoint variant: RegisterScalableTarget with MinCapacity and
// MaxCapacity, then PutScalingPolicy (TargetTrackingScaling on the
// predefined metric SageMakerVariantInvocationsPerInstance) with
// TargetValue.
type ScalingPlan struct {
	ResourceID  string `json:"resource_id"` // endpoint/NAME/variant/VARIANT
	MinCapacity int    `json:"min_capacity"`
	MaxCapacity int    `json:"max_capacity"`
	// TargetValue is invocations per instance per minute.
	TargetValue      int `json:"target_value"`
	ScaleInCooldown  int `json:"scale_in_cooldown"`
	ScaleOutCooldown int `json:"scale_out_cooldown"`
}

// Skip is a rule that would have applied but did not, and why (most
// often: the cheaper type has no price in the catalog for the component
// in the region).
type Skip struct {
	Account  string `json:"account"`
	Region   string `json:"region"`
	Resource string `json:"resource"`
	Rule     Rule   `json:"rule"`
	Reason   string `json:"reason"`
}

// Result is what Advise found.
type Result struct {
	// Start and End are the metrics window; JobLookback how far back
	// jobs were considered.
	Start, End      time.Time
	JobLookback     time.Duration
	Recommendations []Recommendation
	Skipped         []Skip
	// Failures are the evidence that could not be read.
	Failures []string
}

// Total is the month's saving if every resource took its best
// recommendation: alternatives for the same resource do not add up.
func (r *Result) Total() pricing.Total {
	var t pricing.Total
	best := map[string]pricing.Price{}
	var order []string
	for _, rec := range r.Recommendations {
		k := rec.key()
		b, ok := best[k]
		if !ok {
			order = append(order, k)
			best[k] = rec.Saving
			continue
		}
		if rec.Saving.Known && (!b.Known || rec.Saving.Amount.Cmp(b.Amount) > 0) {
			best[k] = rec.Saving
		}
	}
	for _, k := range order {
		t.Add(best[k])
	}
	return t
}

// Options are the inputs besides resources and evidence.
type Options struct {
	// Now is the time of the scan.
	Now time.Time
	// JobLookback is how far back the scan listed finished jobs; job
	// savings are scaled from it to a month.
	JobLookback time.Duration
}

// Advise applies every rule to the resources of a scan.
func Advise(rs []resource.Resource, ev *Evidence, c *pricing.Catalog, o Options) *Result {
	if ev == nil {
		ev = &Evidence{}
	}
	if o.JobLookback <= 0 {
		o.JobLookback = inventory.DefaultJobLookback
	}
	a := &advisor{rs: rs, ev: ev, c: c, o: o, specs: c.Specs(), res: &Result{Start: ev.Start, End: ev.End, JobLookback: o.JobLookback, Failures: ev.Failures}}
	a.endpoints()
	a.training()
	a.notebooks()
	a.studio()
	a.hyperPod()
	sortResult(a.res)
	return a.res
}

type advisor struct {
	rs    []resource.Resource
	specs []pricing.Spec // the catalog's, sorted by name, read once
	ev    *Evidence
	c     *pricing.Catalog
	o     Options
	res   *Result
}

func (a *advisor) add(r Recommendation) {
	if len(r.Resources) == 0 {
		r.Resources = []string{r.Resource}
	}
	if r.CurrentBasis == "" {
		r.CurrentBasis = RunRate
	}
	a.res.Recommendations = append(a.res.Recommendations, r)
}

func (a *advisor) skip(r *resource.Resource, rule Rule, reason string) {
	a.res.Skipped = append(a.res.Skipped, Skip{Account: r.Account, Region: r.Region, Resource: displayName(r), Rule: rule, Reason: reason})
}

// sortResult groups recommendations by resource, groups by their largest
// saving (unknown last), then by saving within a group.
func sortResult(res *Result) {
	best := map[string]pricing.Money{}
	known := map[string]bool{}
	for _, r := range res.Recommendations {
		k := r.key()
		if r.Saving.Known && (!known[k] || r.Saving.Amount.Cmp(best[k]) > 0) {
			best[k], known[k] = r.Saving.Amount, true
		}
	}
	bySaving := func(ak, bk bool, am, bm pricing.Money) int {
		if ak != bk {
			if ak {
				return -1
			}
			return 1
		}
		return bm.Cmp(am)
	}
	slices.SortStableFunc(res.Recommendations, func(x, y Recommendation) int {
		kx, ky := x.key(), y.key()
		if kx != ky {
			return cmp.Or(bySaving(known[kx], known[ky], best[kx], best[ky]), cmp.Compare(kx, ky))
		}
		return cmp.Or(bySaving(x.Saving.Known, y.Saving.Known, x.Saving.Amount, y.Saving.Amount), cmp.Compare(x.Rule, y.Rule))
	})
	slices.SortStableFunc(res.Skipped, func(x, y Skip) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region),
			cmp.Compare(x.Resource, y.Resource), cmp.Compare(x.Rule, y.Rule))
	})
}

// displayName is a resource's name with its endpoint variant.
func displayName(r *resource.Resource) string {
	if r.Variant != "" {
		return r.Name + "/" + r.Variant
	}
	return r.Name
}
