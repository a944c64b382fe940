package advise

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Thresholds of the endpoint rules.
const (
	// LowUtilization is the peak hourly average (CPU normalised by vCPUs,
	// GPU by GPUs) under which an endpoint is oversized: below a third of
	// the instance at its busiest hour, half the instance would still run
	// under 60%.
	LowUtilization = 30.0
	// TargetUtilization is the peak a right-sized endpoint should run at:
	// half the instance, leaving room for bursts inside an hour.
	TargetUtilization = 50.0
	// MemoryHeadroom is the share of a smaller type's memory the current
	// peak memory use may take.
	MemoryHeadroom = 0.7
	// MinCoverage is the share of hours that must have utilization
	// datapoints: gauges report every minute while the instance runs, so
	// less means the endpoint was down or the data is gone.
	MinCoverage = 0.9
	// SwingRatio: traffic swings widely when the quietest hour has at
	// most this share of the busiest hour's requests.
	SwingRatio = 0.5
	// LowTrafficPerDay is the daily request count under which endpoints
	// on one image are candidates to share a multi-model endpoint.
	LowTrafficPerDay = 2000
	// RareCallsPerDay is "a few calls a day": at most one an hour on
	// average. Such an endpoint is better served without an instance.
	RareCallsPerDay = 24
	// ServerlessMaxMemoryGiB is the largest memory size of serverless
	// inference (6 GB).
	ServerlessMaxMemoryGiB = 6
	// MinProductionInstances is the fewest instances proposed for a variant
	// that runs several: AWS recommends at least two for an endpoint to
	// survive the loss of an Availability Zone.
	MinProductionInstances = 2
	// ScaleInCooldown and ScaleOutCooldown are the proposed policy's
	// cooldowns (AWS's examples: scale out fast, scale in slowly).
	ScaleInCooldown  = 300
	ScaleOutCooldown = 60
)

// priced is a resource's cost line.
func (a *advisor) priced(r *resource.Resource) cost.Line { return cost.PriceOne(a.c, *r) }

// add and sub combine two prices: known only if both are, an estimate if
// either is.
func add(x, y pricing.Price) pricing.Price {
	if !x.Known || !y.Known {
		return pricing.Unknown
	}
	return pricing.Price{Amount: x.Amount.Add(y.Amount), Known: true, Estimate: x.Estimate || y.Estimate, Basis: x.Basis}
}

func sub(x, y pricing.Price) pricing.Price {
	return add(x, pricing.Price{Amount: y.Amount.Neg(), Known: y.Known, Estimate: y.Estimate})
}

// monthly returns rate x n x 730 hours.
func monthly(rate pricing.Price, n int) pricing.Price { return rate.Mul(int64(n)).Monthly() }

// offered returns the catalog's own price of a type for a component, or
// false where it has none (estimates and types AWS does not sell for the
// component never qualify).
func (a *advisor) offered(region, typ string, comp pricing.Component) (pricing.Price, bool) {
	if !a.c.Offered(region, typ, comp) {
		return pricing.Unknown, false
	}
	p := a.c.Lookup(region, typ, comp)
	return p, p.Known && !p.Estimate && !p.NotOffered
}

func instances(typ string, n int) string { return fmt.Sprintf("%s x%d", typ, n) }

func pct(f float64) string { return num(f) + "%" }

// endpointVariants returns the running, instance-backed variants.
func (a *advisor) endpointVariants() []*resource.Resource {
	var out []*resource.Resource
	for i := range a.rs {
		r := &a.rs[i]
		if r.Kind == resource.Endpoint && r.Running && !r.Serverless && !r.Shadow && r.InstanceType != "" && r.InstanceCount > 0 {
			out = append(out, r)
		}
	}
	return out
}

// traffic is what an endpoint variant's Invocations say.
type traffic struct {
	s      Series
	known  bool // complete over the window
	perDay float64
}

func (a *advisor) traffic(r *resource.Resource) traffic {
	s, ok := a.ev.Series(r, MetricInvocations)
	if !ok || !s.Complete || a.ev.days() <= 0 {
		return traffic{}
	}
	return traffic{s: s, known: true, perDay: s.Sum() / a.ev.days()}
}

// InstanceUnits is what an endpoint's utilization metric is divided by to
// read as a percentage of the whole instance (0..100): its vCPUs for
// CPUUtilization and its GPUs for GPUUtilization (SageMaker sums those over
// cores and GPUs), 1 for the metrics already of the instance. 0 means the
// metric does not apply (GPUUtilization of a CPU instance) or spec does not
// say.
func InstanceUnits(metric string, spec pricing.Spec) int {
	switch metric {
	case MetricCPU:
		return spec.VCPU
	case MetricGPU:
		return spec.GPUs()
	}
	return 1
}

// util is a utilization metric normalised to the instance (0..100).
type util struct {
	mean, peak float64
	ok         bool
}

func (a *advisor) util(r *resource.Resource, metric string, spec pricing.Spec) util {
	s, ok := a.ev.Series(r, metric)
	units := InstanceUnits(metric, spec)
	if !ok || !s.Complete || s.Coverage() < MinCoverage || units < 1 {
		return util{}
	}
	return util{mean: s.Mean() / float64(units), peak: s.Max() / float64(units), ok: true}
}

func (a *advisor) endpoints() {
	vs := a.endpointVariants()
	for _, r := range vs {
		spec, ok := a.c.Spec(r.InstanceType)
		if !ok {
			continue
		}
		line := a.priced(r)
		if !line.Rate.Known {
			continue
		}
		tr := a.traffic(r)
		if !r.Async && tr.known && tr.s.Sum() == 0 {
			// No requests at all: idle, which `sagesaver plan` handles
			// (delete), not a size question.
			continue
		}
		a.endpointSize(r, spec, line, tr)
		if tr.known || r.Async {
			// an endpoint whose traffic is unknown may be idle: deleting
			// it, not moving it, would be the advice
			a.endpointPFamily(r, spec, line)
		}
		if !r.Async {
			a.endpointAutoscale(r, line, tr)
			a.endpointRare(r, spec, line, tr)
		}
	}
	a.endpointMultiModel(vs)
}

// endpointSize: low utilization -> fewer instances, or one smaller size in
// the family.
func (a *advisor) endpointSize(r *resource.Resource, spec pricing.Spec, line cost.Line, tr traffic) {
	if a.ev.Scaled[r.LineID().String()] {
		// Application Auto Scaling sets the count, and its policy's
		// per-instance target is tied to the instance type.
		return
	}
	cpu := a.util(r, MetricCPU, spec)
	if !cpu.ok || cpu.peak >= LowUtilization {
		return
	}
	mem := a.util(r, MetricMemory, spec)
	var gpu, gmem util
	if spec.IsGPU() {
		gpu = a.util(r, MetricGPU, spec)
		gmem = a.util(r, MetricGPUMemory, spec)
		if !gpu.ok || gpu.peak >= LowUtilization {
			return // a GPU endpoint without GPU numbers is not known to be idle
		}
	}
	ev := []string{fmt.Sprintf("CPUUtilization peak hour %s of %d vCPUs (%s of the instance), mean %s, over %s",
		pct(cpu.peak*float64(spec.VCPU)), spec.VCPU, pct(cpu.peak), pct(cpu.mean), a.ev.window())}
	if mem.ok {
		ev = append(ev, fmt.Sprintf("MemoryUtilization peak hour %s of %s GiB", pct(mem.peak), num(spec.MemoryGiB)))
	}
	if gpu.ok {
		ev = append(ev, fmt.Sprintf("GPUUtilization peak hour %s of %d GPU(s)", pct(gpu.peak), spec.GPUs()))
	}
	if tr.known {
		ev = append(ev, fmt.Sprintf("Invocations %s over %s (%s a day)", count(tr.s.Sum()), a.ev.window(), count(tr.perDay)))
	}
	conf := High
	if !mem.ok {
		conf = Medium
	}
	peak := math.Max(cpu.peak, gpu.peak)
	if r.InstanceCount > MinProductionInstances {
		n := max(MinProductionInstances, int(math.Ceil(float64(r.InstanceCount)*peak/TargetUtilization)))
		if n < r.InstanceCount {
			a.add(Recommendation{
				Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: displayName(r), Rule: EndpointFewer,
				Current: instances(r.InstanceType, r.InstanceCount), Proposed: instances(r.InstanceType, n),
				Evidence:   append(ev, fmt.Sprintf("%s at the peak would run at %s", plural(n, "instance"), pct(peak*float64(r.InstanceCount)/float64(n)))),
				Confidence: conf, CurrentMonthly: monthly(line.Rate, r.InstanceCount),
				// A scale-in saves what cost.Saves says, as plan and apply would.
				Saving: cost.Saves(line, cost.Change{Verb: cost.ScaleIn, To: n}).Monthly,
				Action: fmt.Sprintf("UpdateEndpointWeightsAndCapacities: %s DesiredInstanceCount=%d", r.Variant, n),
			})
			return
		}
	}
	memUsed := mem.peak / 100 * spec.MemoryGiB
	gmemUsed := gmem.peak / 100 * spec.Accelerator.MemoryGiB
	var best string
	var bestRate pricing.Price
	var unpriced []string
	fits := func(s pricing.Spec) bool {
		if s.VCPU >= spec.VCPU || s.VCPU < 1 {
			return false
		}
		if cpu.peak*float64(spec.VCPU)/float64(s.VCPU) > TargetUtilization {
			return false
		}
		if mem.ok && memUsed > MemoryHeadroom*s.MemoryGiB {
			return false
		}
		if !mem.ok && s.MemoryGiB < spec.MemoryGiB/2 {
			return false // without memory numbers, at most one size down
		}
		if spec.IsGPU() {
			if s.GPUs() < 1 || gpu.peak*float64(spec.GPUs())/float64(s.GPUs()) > TargetUtilization {
				return false
			}
			if gmem.ok && gmemUsed > MemoryHeadroom*s.Accelerator.MemoryGiB {
				return false
			}
			if !gmem.ok && s.Accelerator.MemoryGiB < spec.Accelerator.MemoryGiB {
				return false
			}
		}
		return true
	}
	for _, s := range a.specs {
		if s.Family != spec.Family || !fits(s) {
			continue
		}
		p, ok := a.offered(r.Region, s.InstanceType, line.Component)
		if !ok {
			if s.Verified() {
				unpriced = append(unpriced, s.InstanceType)
			}
			continue
		}
		if p.Amount.Cmp(line.Rate.Amount) >= 0 {
			continue
		}
		if best == "" || p.Amount.Cmp(bestRate.Amount) < 0 {
			best, bestRate = s.InstanceType, p
		}
	}
	if best == "" {
		if len(unpriced) > 0 {
			a.skip(r, EndpointDownsize, fmt.Sprintf("%s would fit but has no %s price in %s in the catalog (try `sagesaver pricing refresh`)",
				strings.Join(unpriced, ", "), line.Component, r.Region))
		}
		return
	}
	bs, _ := a.c.Spec(best)
	ev = append(ev, fmt.Sprintf("on %s (%d vCPUs, %s GiB) the peak would be %s", best, bs.VCPU, num(bs.MemoryGiB), pct(cpu.peak*float64(spec.VCPU)/float64(bs.VCPU))))
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: displayName(r), Rule: EndpointDownsize,
		Current: instances(r.InstanceType, r.InstanceCount), Proposed: instances(best, r.InstanceCount), Evidence: ev, Confidence: conf,
		CurrentMonthly: monthly(line.Rate, r.InstanceCount), Saving: sub(monthly(line.Rate, r.InstanceCount), monthly(bestRate, r.InstanceCount)),
		Action: fmt.Sprintf("create an endpoint config with %s InstanceType=%s, then UpdateEndpoint (no downtime)", r.Variant, best),
	})
}

// inferenceFamilies are the families the P rule proposes: G for GPUs,
// Inf for AWS Inferentia.
func inferenceFamily(f string) bool {
	return strings.HasPrefix(f, "g") || strings.HasPrefix(f, "inf")
}

// endpointPFamily: a training-class GPU (P family) serving inference ->
// G family or Inferentia, sized by the GPU memory in use.
func (a *advisor) endpointPFamily(r *resource.Resource, spec pricing.Spec, line cost.Line) {
	if !strings.HasPrefix(spec.Family, "p") || !spec.IsGPU() {
		return
	}
	gpu := a.util(r, MetricGPU, spec)
	gmem := a.util(r, MetricGPUMemory, spec)
	mem := a.util(r, MetricMemory, spec)
	needGPU := spec.Accelerator.MemoryGiB
	ev := []string{fmt.Sprintf("%s is a P-family (training-class) %s GPU instance serving inference", r.InstanceType, spec.Accelerator.Model)}
	if gmem.ok {
		needGPU = gmem.peak / 100 * spec.Accelerator.MemoryGiB / MemoryHeadroom
		ev = append(ev, fmt.Sprintf("GPUMemoryUtilization peak hour %s of %s GiB over %s", pct(gmem.peak), num(spec.Accelerator.MemoryGiB), a.ev.window()))
	}
	if gpu.ok {
		ev = append(ev, fmt.Sprintf("GPUUtilization peak hour %s, mean %s", pct(gpu.peak), pct(gpu.mean)))
	}
	needMem := 0.0
	if mem.ok {
		needMem = mem.peak / 100 * spec.MemoryGiB / MemoryHeadroom
	}
	var best string
	var bestRate pricing.Price
	var unpriced []string
	for _, s := range a.specs {
		if !inferenceFamily(s.Family) || !s.Accelerated() || s.Accelerator.MemoryGiB < needGPU || s.MemoryGiB < needMem {
			continue
		}
		if gpu.ok && s.IsGPU() && gpu.peak*float64(spec.GPUs())/float64(s.GPUs()) > TargetUtilization*1.5 {
			continue
		}
		p, ok := a.offered(r.Region, s.InstanceType, line.Component)
		if !ok {
			if s.Verified() && s.Accelerator.Count <= spec.Accelerator.Count {
				unpriced = append(unpriced, s.InstanceType)
			}
			continue
		}
		if p.Amount.Cmp(line.Rate.Amount) >= 0 {
			continue
		}
		if best == "" || p.Amount.Cmp(bestRate.Amount) < 0 {
			best, bestRate = s.InstanceType, p
		}
	}
	if best == "" {
		if len(unpriced) > 0 {
			sort.Strings(unpriced)
			if len(unpriced) > 4 {
				unpriced = append(unpriced[:4], "...")
			}
			a.skip(r, EndpointGPUClass, fmt.Sprintf("no G or Inf type with a %s price in %s in the catalog (unpriced: %s; try `sagesaver pricing refresh`)",
				line.Component, r.Region, strings.Join(unpriced, ", ")))
		}
		return
	}
	bs, _ := a.c.Spec(best)
	ev = append(ev, fmt.Sprintf("%s has %d x %s with %s GiB", best, bs.Accelerator.Count, bs.Accelerator.Model, num(bs.Accelerator.MemoryGiB)))
	conf := Medium
	action := fmt.Sprintf("load test on %s, then create an endpoint config with InstanceType=%s and UpdateEndpoint", best, best)
	if bs.Accelerator.Kind == pricing.AcceleratorInferentia {
		conf = Low
		action = fmt.Sprintf("compile the model for Inferentia (AWS Neuron), load test on %s, then UpdateEndpoint", best)
	}
	if !gmem.ok {
		conf = Low
	}
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: displayName(r), Rule: EndpointGPUClass,
		Current: instances(r.InstanceType, r.InstanceCount), Proposed: instances(best, r.InstanceCount), Evidence: ev, Confidence: conf,
		CurrentMonthly: monthly(line.Rate, r.InstanceCount),
		Saving:         sub(monthly(line.Rate, r.InstanceCount), monthly(bestRate, r.InstanceCount)),
		Action:         action,
	})
}

// endpointAutoscale: traffic that swings widely, a fixed instance count
// and no scalable target -> a target tracking policy on
// SageMakerVariantInvocationsPerInstance.
func (a *advisor) endpointAutoscale(r *resource.Resource, line cost.Line, tr traffic) {
	if r.InstanceCount < 2 || !tr.known || tr.s.Periods == 0 {
		return
	}
	if !a.ev.ScalingRead[r.Account+"/"+r.Region] || a.ev.Scaled[r.LineID().String()] {
		return
	}
	if strings.HasPrefix(r.InstanceType, "ml.t2.") || strings.HasPrefix(r.InstanceType, "ml.t3.") {
		return // AWS refuses burstable variants as scalable targets
	}
	peak, trough := tr.s.Max(), tr.s.MinCount()
	if peak <= 0 || trough > SwingRatio*peak {
		return
	}
	n := r.InstanceCount
	minCap := max(1, int(math.Ceil(float64(n)*trough/peak)))
	if minCap >= n {
		return
	}
	need := func(v float64) int { return min(n, max(minCap, int(math.Ceil(float64(n)*v/peak)))) }
	hours := (tr.s.Periods - len(tr.s.Values)) * minCap
	for _, v := range tr.s.Values {
		hours += need(v)
	}
	periodMin := EndpointPeriod.Minutes()
	target := max(1, int(math.Floor(peak/periodMin/float64(n))))
	plan := &ScalingPlan{
		ResourceID: "endpoint/" + r.Name + "/variant/" + r.Variant, MinCapacity: minCap, MaxCapacity: n,
		TargetValue: target, ScaleInCooldown: ScaleInCooldown, ScaleOutCooldown: ScaleOutCooldown,
	}
	full := int64(n * tr.s.Periods)
	saving := line.Rate.Monthly().MulRat(full-int64(hours), int64(tr.s.Periods))
	if saving.Amount.Sign() <= 0 {
		return
	}
	conf := Medium
	if a.ev.days() >= 7 {
		conf = High
	}
	ev := []string{
		fmt.Sprintf("Invocations busiest hour %s, quietest hour %s (%s of the peak), over %s", count(peak), count(trough), pct(100*trough/peak), a.ev.window()),
		fmt.Sprintf("peak per instance %s a minute on %d instances; no Application Auto Scaling target", num(peak/periodMin/float64(n)), n),
		fmt.Sprintf("scaled to the traffic: %s instance-hours instead of %s", count(float64(hours)), count(float64(full))),
	}
	if minCap < MinProductionInstances {
		ev = append(ev, fmt.Sprintf("MinCapacity %d covers the quietest hour; use %d in production to survive losing an Availability Zone (saves less)", minCap, MinProductionInstances))
	}
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: displayName(r), Rule: EndpointAutoscale,
		Current: instances(r.InstanceType, n) + " fixed", Proposed: fmt.Sprintf("%s %d-%d, target %d/instance/min", r.InstanceType, minCap, n, target),
		Evidence:   ev,
		Confidence: conf, CurrentMonthly: monthly(line.Rate, n), Saving: saving,
		Action: ScalingCommands(plan), Scaling: plan,
	})
}

// ScalingCommands renders a scaling plan as the two AWS CLI calls that
// apply it.
func ScalingCommands(p *ScalingPlan) string {
	return fmt.Sprintf("aws application-autoscaling register-scalable-target --service-namespace sagemaker "+
		"--resource-id %s --scalable-dimension sagemaker:variant:DesiredInstanceCount --min-capacity %d --max-capacity %d\n"+
		"aws application-autoscaling put-scaling-policy --policy-name invocations-per-instance --service-namespace sagemaker "+
		"--resource-id %s --scalable-dimension sagemaker:variant:DesiredInstanceCount --policy-type TargetTrackingScaling "+
		"--target-tracking-scaling-policy-configuration "+
		`'{"TargetValue":%d,"PredefinedMetricSpecification":{"PredefinedMetricType":"SageMakerVariantInvocationsPerInstance"},"ScaleInCooldown":%d,"ScaleOutCooldown":%d}'`,
		p.ResourceID, p.MinCapacity, p.MaxCapacity, p.ResourceID, p.TargetValue, p.ScaleInCooldown, p.ScaleOutCooldown)
}

// endpointRare: a few calls a day -> serverless inference (CPU models
// that fit in 6 GB) or batch transform.
func (a *advisor) endpointRare(r *resource.Resource, spec pricing.Spec, line cost.Line, tr traffic) {
	if !tr.known || tr.perDay > RareCallsPerDay || a.ev.days() < 1 {
		return
	}
	mem := a.util(r, MetricMemory, spec)
	ev := []string{fmt.Sprintf("Invocations %s over %s: %s a day", count(tr.s.Sum()), a.ev.window(), num(tr.perDay))}
	conf := Medium
	proposed, action := "serverless inference", "deploy with a ServerlessConfig (MemorySizeInMB up to 6144): billed per request and compute time, not per hour"
	switch {
	case spec.Accelerated():
		proposed, action = "batch transform", "serverless inference has no GPUs: run the requests as batch transform jobs, or an asynchronous endpoint that scales to 0"
		conf = Low
	case mem.ok && mem.peak/100*spec.MemoryGiB*float64(r.InstanceCount) > ServerlessMaxMemoryGiB:
		proposed, action = "batch transform", "the model needs more memory than serverless offers (6 GB): run the requests as batch transform jobs"
		ev = append(ev, fmt.Sprintf("MemoryUtilization peak hour %s of %s GiB", pct(mem.peak), num(spec.MemoryGiB)))
	case mem.ok:
		ev = append(ev, fmt.Sprintf("MemoryUtilization peak hour %s of %s GiB: fits serverless's 6 GB", pct(mem.peak), num(spec.MemoryGiB)))
	default:
		conf = Low
	}
	cur := monthly(line.Rate, r.InstanceCount)
	a.add(Recommendation{
		Account: r.Account, Region: r.Region, Kind: r.Kind, Resource: displayName(r), Rule: EndpointServerless,
		Current: instances(r.InstanceType, r.InstanceCount), Proposed: proposed, Evidence: ev, Confidence: conf,
		CurrentMonthly: cur, Saving: cur, UpTo: true, Action: action,
	})
}

// endpointMultiModel: several low-traffic endpoints in one account and
// region on the same container image -> one multi-model endpoint.
func (a *advisor) endpointMultiModel(vs []*resource.Resource) {
	type group struct{ rs []*resource.Resource }
	groups := map[string]*group{}
	var keys []string
	for _, r := range vs {
		if r.Async || r.Image == "" || strings.Contains(r.Image, ",") {
			continue
		}
		tr := a.traffic(r)
		if !tr.known || tr.s.Sum() == 0 || tr.perDay > LowTrafficPerDay {
			continue
		}
		spec, ok := a.c.Spec(r.InstanceType)
		if !ok || spec.Accelerated() {
			continue
		}
		if cpu := a.util(r, MetricCPU, spec); !cpu.ok || cpu.peak >= LowUtilization {
			continue
		}
		k := r.Account + "/" + r.Region + "/" + r.Image
		if groups[k] == nil {
			groups[k] = &group{}
			keys = append(keys, k)
		}
		groups[k].rs = append(groups[k].rs, r)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		if len(g.rs) < 2 {
			continue
		}
		sort.Slice(g.rs, func(i, j int) bool { return g.rs[i].Name < g.rs[j].Name })
		cur := pricing.Price{Amount: pricing.Zero, Known: true}
		var host *resource.Resource
		var hostRate pricing.Price
		var names, ev []string
		var total float64
		ok := true
		for _, r := range g.rs {
			line := a.priced(r)
			if !line.Rate.Known {
				ok = false
				break
			}
			cur = add(cur, monthly(line.Rate, r.InstanceCount))
			tr := a.traffic(r)
			total += tr.perDay
			names = append(names, displayName(r))
			ev = append(ev, fmt.Sprintf("%s: %s a day, %s x%d", displayName(r), count(tr.perDay), r.InstanceType, r.InstanceCount))
			if host == nil || line.Rate.Amount.Cmp(hostRate.Amount) > 0 {
				host, hostRate = r, line.Rate
			}
		}
		if !ok {
			continue
		}
		if p, offered := a.offered(host.Region, host.InstanceType, pricing.Hosting); offered {
			hostRate = p
		} else {
			a.skip(host, EndpointMultiModel, fmt.Sprintf("%s has no hosting price in %s in the catalog", host.InstanceType, host.Region))
			continue
		}
		saving := sub(cur, monthly(hostRate, 1))
		if saving.Amount.Sign() <= 0 {
			continue
		}
		ev = append([]string{fmt.Sprintf("%d endpoints on %s, %s requests a day together over %s, each under %s CPU at its peak hour",
			len(g.rs), g.rs[0].Image, count(total), a.ev.window(), pct(LowUtilization))}, ev...)
		first := g.rs[0]
		a.add(Recommendation{
			Account: first.Account, Region: first.Region, Kind: resource.Endpoint, Resource: strings.Join(names, ", "), Resources: names,
			Rule: EndpointMultiModel, Current: fmt.Sprintf("%d endpoints", len(g.rs)), Proposed: "1 multi-model endpoint " + instances(host.InstanceType, 1),
			Evidence: ev, Confidence: Medium, CurrentMonthly: cur, Saving: saving,
			Action: "put the model artifacts under one S3 prefix, create a model with Mode=MultiModel on the same image, " +
				"one endpoint, and call it with TargetModel (the container must support multi-model: SageMaker's scikit-learn, XGBoost and Triton do)",
		})
	}
}
