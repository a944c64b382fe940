package advise

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// The HyperPod rules. sagesaver never changes a cluster (deleting one is
// not reversible); advise says what to do and what it saves.
const (
	// HyperPodIdleNodes: an instance group whose nodes' GPUs (or CPUs,
	// for a CPU group) stayed under the idle threshold over the whole
	// window, where that evidence exists.
	HyperPodIdleNodes Rule = "hyperpod-idle-nodes"
	// HyperPodNoJobs: a cluster that ran the whole lookback with no
	// training job in its account and region.
	HyperPodNoJobs Rule = "hyperpod-no-jobs"
)

// HyperPodCPUIdle is the peak CPU utilization (percent of one core,
// hourly average) under which a CPU node counts as unused.
const HyperPodCPUIdle = 5.0

// hyperPod applies the HyperPod rules to every running cluster.
func (a *advisor) hyperPod() {
	clusters := map[resource.ID][]*resource.Resource{}
	var keys []resource.ID
	for i := range a.rs {
		r := &a.rs[i]
		if r.Kind != resource.HyperPodCluster || !r.Running || r.InstanceCount == 0 {
			continue
		}
		k := r.ID()
		if clusters[k] == nil {
			keys = append(keys, k)
		}
		clusters[k] = append(clusters[k], r)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		groups := clusters[k]
		for _, g := range groups {
			a.hyperPodIdleGroup(g)
		}
		a.hyperPodNoJobs(groups)
	}
}

// hyperPodIdleGroup: a group whose nodes stayed idle over a complete
// window -> scale it to 0 (UpdateCluster), saving its node-hours.
func (a *advisor) hyperPodIdleGroup(g *resource.Resource) {
	metric, limit := MetricGPU, GPUIdle
	if spec, ok := a.c.Spec(g.InstanceType); ok && !spec.IsGPU() {
		metric, limit = MetricCPU, HyperPodCPUIdle
	}
	s, ok := a.ev.Series(g, metric)
	if !ok || !s.Complete || len(s.Values) == 0 || s.Coverage() < 0.9 {
		return // no evidence is not low use
	}
	if s.Max() >= limit {
		return
	}
	line := a.priced(g)
	cur := line.Monthly
	a.add(Recommendation{
		Account: g.Account, Region: g.Region, Kind: g.Kind, Resource: displayName(g), Rule: HyperPodIdleNodes,
		Current:  fmt.Sprintf("%s x%d", g.InstanceType, g.InstanceCount),
		Proposed: fmt.Sprintf("%s x0", g.InstanceType),
		Evidence: []string{
			fmt.Sprintf("%s max %s over %s (%s of the hours with data), under %s", metric, pct(s.Max()), a.ev.window(),
				pct(s.Coverage()*100), pct(limit)),
		},
		Confidence: Medium, CurrentMonthly: cur, Saving: cur,
		Action: fmt.Sprintf("aws sagemaker update-cluster --cluster-name %s --instance-groups "+
			"'[{\"InstanceGroupName\":\"%s\",\"InstanceCount\":0,...}]' (keep the group's other settings)", g.Name, g.Variant),
	})
}

// hyperPodNoJobs: a cluster created before the lookback, with no training
// job in its account and region that ran in it -> delete the cluster (or
// scale its groups to 0), saving every node-hour. Jobs that HyperPod runs
// through Slurm or EKS are not SageMaker training jobs and are not seen:
// the confidence is low.
func (a *advisor) hyperPodNoJobs(groups []*resource.Resource) {
	c := groups[0]
	window := a.ev.End.Sub(a.ev.Start)
	if window <= 0 || window > a.o.JobLookback {
		window = a.o.JobLookback
	}
	from := a.o.Now.Add(-window)
	if c.Created == nil || c.Created.After(from) {
		return
	}
	for i := range a.rs {
		j := &a.rs[i]
		if j.Kind != resource.TrainingJob || j.Account != c.Account || j.Region != c.Region {
			continue
		}
		if j.Running || (j.Ended != nil && j.Ended.After(from)) || (j.Started != nil && j.Started.After(from)) {
			return
		}
	}
	cur := pricing.Price{Known: true}
	var parts []string
	nodes := 0
	for _, g := range groups {
		cur = add(cur, a.priced(g).Monthly)
		parts = append(parts, fmt.Sprintf("%s: %s x%d", g.Variant, g.InstanceType, g.InstanceCount))
		nodes += g.InstanceCount
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = displayName(g)
	}
	a.add(Recommendation{
		Account: c.Account, Region: c.Region, Kind: c.Kind, Resource: c.Name, Resources: names, Rule: HyperPodNoJobs,
		Current: strings.Join(parts, ", "), Proposed: "delete the cluster, or scale its instance groups to 0",
		Evidence: []string{
			fmt.Sprintf("running since %s (%s), %s billing", c.Created.UTC().Format(time.DateOnly), duration(a.o.Now.Sub(*c.Created).Truncate(time.Hour)), plural(nodes, "node")),
			fmt.Sprintf("no SageMaker training job in %s over the last %s (jobs run through Slurm or EKS are not seen)", c.Region, duration(window)),
		},
		Confidence: Low, CurrentMonthly: cur, Saving: cur,
		Action: "aws sagemaker delete-cluster --cluster-name " + c.Name + " (not reversible: sagesaver never does it for you)",
	})
}
