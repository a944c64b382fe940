package advise

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Thresholds of the training rules.
const (
	// DefaultSpotDiscountPercent is the managed spot discount assumed when
	// the account has no spot job to measure one from. AWS documents "up
	// to 90%" over on-demand; spot prices of ML instances commonly run
	// 60-70% below on-demand, so 60% is a conservative estimate.
	DefaultSpotDiscountPercent = 60
	// GPUIdle is the peak GPU utilization (percent of one GPU, 5-minute
	// average) under which a training job's GPU counts as unused.
	GPUIdle = 5.0
	// ShortJob is the run time under which a job is short: start-up
	// (instance provisioning, image pull, data download) takes minutes,
	// so a large instance's extra cores barely shorten such a job.
	ShortJob = 20 * time.Minute
	// ManyJobs is how many short jobs on one instance type make a
	// pattern worth acting on.
	ManyJobs = 5
	// LargeVCPU is the vCPU count from which an instance is large.
	LargeVCPU = 16
)

// cpuOnlyImage reports whether a training image cannot use a GPU: its
// name says -cpu- (the Deep Learning Containers' convention) or it is
// SageMaker's scikit-learn image (scikit-learn has no GPU support).
func cpuOnlyImage(image string) bool {
	i := strings.LastIndex(image, "/")
	name := image[i+1:]
	return strings.Contains(name, "-cpu-") || strings.HasSuffix(name, "-cpu") || strings.Contains(name, "-cpu.") ||
		strings.HasPrefix(name, "sagemaker-scikit-learn")
}

// billable returns a job's billed seconds so far.
func billable(r *resource.Resource) int64 {
	if r.BillableSeconds > 0 {
		return r.BillableSeconds
	}
	return r.TrainingSeconds
}

// runRate is what a running job costs a month at its rate now (the scan's
// $/MONTH); unknown for a job that does not run.
func runRate(l cost.Line) pricing.Price {
	if !l.Resource.Running {
		return pricing.Unknown
	}
	return l.Monthly
}

// perMonth scales a cost over the job lookback to a month (730 hours).
func (a *advisor) perMonth(p pricing.Price) pricing.Price {
	lb := int64(a.o.JobLookback / time.Second)
	return p.MulRat(pricing.HoursPerMonth*pricing.SecondsPerHour, lb)
}

// jobs returns the training jobs with billed time in the lookback.
func (a *advisor) jobs() []*resource.Resource {
	var out []*resource.Resource
	for i := range a.rs {
		r := &a.rs[i]
		if r.Kind == resource.TrainingJob && r.InstanceType != "" && r.InstanceCount > 0 && billable(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func (a *advisor) training() {
	js := a.jobs()
	for _, r := range js {
		a.trainingCPU(r)
	}
	a.trainingSpot(js)
	a.trainingSmaller(js)
}

// trainingCPU: a GPU instance running a CPU-only image -> an M-family
// instance (XGBoost and scikit-learn are memory-bound) with at least as
// many vCPUs and room for the memory in use.
func (a *advisor) trainingCPU(r *resource.Resource) {
	spec, ok := a.c.Spec(r.InstanceType)
	if !ok || !spec.IsGPU() || !cpuOnlyImage(r.Image) {
		return
	}
	gpu, gpuOK := a.ev.Series(r, MetricGPU)
	if gpuOK && gpu.Max() > GPUIdle {
		a.skip(r, TrainingCPU, fmt.Sprintf("the image looks CPU-only but GPUUtilization reached %s", pct(gpu.Max())))
		return
	}
	line := a.priced(r)
	if !line.Rate.Known {
		return
	}
	mem, memOK := a.ev.Series(r, MetricMemory)
	needMem := 0.0
	if memOK && len(mem.Values) > 0 {
		needMem = mem.Max() / 100 * spec.MemoryGiB / MemoryHeadroom
	}
	var best string
	var bestRate pricing.Price
	for _, s := range a.specs {
		if !strings.HasPrefix(s.Family, "m") || s.Accelerated() || s.VCPU < spec.VCPU || s.MemoryGiB < needMem {
			continue
		}
		p, ok := a.offered(r.Region, s.InstanceType, pricing.Training)
		if !ok || p.Amount.Cmp(line.Rate.Amount) >= 0 {
			continue
		}
		if best == "" || p.Amount.Cmp(bestRate.Amount) < 0 {
			best, bestRate = s.InstanceType, p
		}
	}
	if best == "" {
		a.skip(r, TrainingCPU, fmt.Sprintf("no M-family type with %d+ vCPUs has a training price in %s in the catalog", spec.VCPU, r.Region))
		return
	}
	secs := billable(r)
	n := int64(r.InstanceCount)
	ev := []string{
		fmt.Sprintf("image %s is CPU-only", r.Image[strings.LastIndex(r.Image, "/")+1:]),
		fmt.Sprintf("%s has %d x %s GPU(s) the job cannot use; %s billed", r.InstanceType, spec.GPUs(), spec.Accelerator.Model, duration(time.Duration(secs)*time.Second)),
	}
	conf := Medium
	if gpuOK && len(gpu.Values) > 0 {
		conf = High
		ev = append(ev, fmt.Sprintf("GPUUtilization max %s over the job", pct(gpu.Max())))
	}
	if memOK && len(mem.Values) > 0 {
		ev = append(ev, fmt.Sprintf("MemoryUtilization max %s of %s GiB", pct(mem.Max()), num(spec.MemoryGiB)))
	}
	bs, _ := a.c.Spec(best)
	ev = append(ev, fmt.Sprintf("%s: %d vCPUs, %s GiB", best, bs.VCPU, num(bs.MemoryGiB)))
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: r.Name, Rule: TrainingCPU,
		Current: instances(r.InstanceType, r.InstanceCount), Proposed: instances(best, r.InstanceCount), Evidence: ev, Confidence: conf,
		CurrentMonthly: a.perMonth(line.Rate.Mul(n).ForSeconds(secs)), CurrentBasis: LookbackJobs, RunRate: runRate(line),
		Saving: a.perMonth(sub(line.Rate, bestRate).Mul(n).ForSeconds(secs)),
		Action: fmt.Sprintf("set instance_type=%q in the estimator (ResourceConfig.InstanceType); the saving is per month at the lookback's rate of jobs", best),
	})
}

// spotDiscount is the observed discount of managed spot training in an
// account: 1 - billable/training seconds over its spot jobs.
type spotDiscount struct {
	num, den int64 // discount = num/den
	jobs     int
}

func (a *advisor) spotDiscounts(js []*resource.Resource) map[string]spotDiscount {
	out := map[string]spotDiscount{}
	for _, r := range js {
		if !r.Spot || r.TrainingSeconds <= 0 || r.BillableSeconds <= 0 || r.BillableSeconds > r.TrainingSeconds || r.Running {
			continue
		}
		d := out[r.Account]
		d.num += r.TrainingSeconds - r.BillableSeconds
		d.den += r.TrainingSeconds
		d.jobs++
		out[r.Account] = d
	}
	return out
}

// trainingSpot: an on-demand training job -> managed spot training at the
// account's observed discount (else DefaultSpotDiscountPercent).
func (a *advisor) trainingSpot(js []*resource.Resource) {
	disc := a.spotDiscounts(js)
	for _, r := range js {
		if r.Spot {
			continue
		}
		line := a.priced(r)
		if !line.Rate.Known {
			continue
		}
		secs := billable(r)
		n := int64(r.InstanceCount)
		cost := line.Rate.Mul(n).ForSeconds(secs)
		d, ok := disc[r.Account]
		var saving pricing.Price
		var ev []string
		conf := Medium
		if ok && d.num > 0 {
			saving = cost.MulRat(d.num, d.den)
			ev = append(ev, fmt.Sprintf("spot jobs in this account were billed for %s of their run time (%s saved, %s)",
				pct(100*float64(d.den-d.num)/float64(d.den)), pct(100*float64(d.num)/float64(d.den)), plural(d.jobs, "job")))
		} else {
			saving = cost.MulRat(DefaultSpotDiscountPercent, 100)
			conf = Low
			ev = append(ev, fmt.Sprintf("no spot job in this account to measure from: assuming %d%% (AWS: up to 90%%)", DefaultSpotDiscountPercent))
		}
		ev = append([]string{fmt.Sprintf("on demand: %s billed on %s", duration(time.Duration(secs)*time.Second), instances(r.InstanceType, r.InstanceCount))}, ev...)
		a.add(Recommendation{
			Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: r.Name, Rule: TrainingSpot,
			Current: instances(r.InstanceType, r.InstanceCount) + " on demand", Proposed: instances(r.InstanceType, r.InstanceCount) + " managed spot",
			Evidence: ev, Confidence: conf, CurrentMonthly: a.perMonth(cost), CurrentBasis: LookbackJobs, RunRate: runRate(line), Saving: a.perMonth(saving),
			Action: "set use_spot_instances=True and max_wait (EnableManagedSpotTraining, StoppingCondition.MaxWaitTimeInSeconds); " +
				"write checkpoints to checkpoint_s3_uri (CheckpointConfig) so an interrupted job resumes instead of restarting",
		})
	}
}

// trainingSmaller: many short jobs on one large instance type -> a
// smaller type in the family (sized by host CPU where known).
func (a *advisor) trainingSmaller(js []*resource.Resource) {
	groups := map[string][]*resource.Resource{}
	for _, r := range js {
		if time.Duration(billable(r))*time.Second >= ShortJob {
			continue
		}
		k := r.Account + "/" + r.Region + "/" + r.InstanceType
		groups[k] = append(groups[k], r)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		first := g[0]
		spec, ok := a.c.Spec(first.InstanceType)
		if len(g) < ManyJobs || !ok || spec.VCPU < LargeVCPU {
			continue
		}
		line := a.priced(first)
		if !line.Rate.Known {
			continue
		}
		peakCPU, cpuKnown := 0.0, false
		for _, r := range g {
			if s, ok := a.ev.Series(r, MetricCPU); ok && len(s.Values) > 0 {
				peakCPU, cpuKnown = math.Max(peakCPU, s.Max()/float64(spec.VCPU)), true
			}
		}
		if cpuKnown && peakCPU >= LowUtilization {
			continue
		}
		maxVCPU := spec.VCPU / 2
		if cpuKnown {
			maxVCPU = max(2, int(math.Ceil(float64(spec.VCPU)*peakCPU/TargetUtilization)))
		}
		var best string
		var bestRate pricing.Price
		for _, s := range a.specs {
			if s.Family != spec.Family || s.VCPU >= spec.VCPU || s.VCPU < 1 {
				continue
			}
			if cpuKnown && s.VCPU < maxVCPU || !cpuKnown && s.VCPU > maxVCPU {
				continue
			}
			p, ok := a.offered(first.Region, s.InstanceType, pricing.Training)
			if !ok || p.Amount.Cmp(line.Rate.Amount) >= 0 {
				continue
			}
			// without CPU numbers, one step down (the largest that
			// qualifies); with them, the cheapest that fits
			if best == "" || cpuKnown && p.Amount.Cmp(bestRate.Amount) < 0 || !cpuKnown && p.Amount.Cmp(bestRate.Amount) > 0 {
				best, bestRate = s.InstanceType, p
			}
		}
		if best == "" {
			a.skip(first, TrainingSmaller, fmt.Sprintf("no smaller %s type has a training price in %s in the catalog", spec.Family, first.Region))
			continue
		}
		var secs, cur int64
		var names []string
		for _, r := range g {
			secs += billable(r) * int64(r.InstanceCount)
			cur += billable(r)
			names = append(names, r.Name)
		}
		sort.Strings(names)
		ev := []string{fmt.Sprintf("%d jobs on %s (%d vCPUs) in %s, averaging %s each",
			len(g), first.InstanceType, spec.VCPU, duration(a.o.JobLookback), duration(time.Duration(cur/int64(len(g)))*time.Second))}
		if cpuKnown {
			ev = append(ev, fmt.Sprintf("host CPUUtilization peak %s of the instance", pct(peakCPU)))
		}
		a.add(Recommendation{
			Account: first.Account, Region: first.Region, Kind: resource.TrainingJob,
			Resource: fmt.Sprintf("%d jobs on %s", len(g), first.InstanceType), Resources: names, Rule: TrainingSmaller,
			Current: instances(first.InstanceType, first.InstanceCount), Proposed: instances(best, first.InstanceCount), Evidence: ev, Confidence: Low,
			CurrentMonthly: a.perMonth(line.Rate.ForSeconds(secs)), CurrentBasis: LookbackJobs,
			Saving: a.perMonth(sub(line.Rate, bestRate).ForSeconds(secs)),
			Action: fmt.Sprintf("try instance_type=%q on a few of these jobs and compare run times: start-up dominates short jobs", best),
		})
	}
}
