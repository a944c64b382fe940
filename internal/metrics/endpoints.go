package metrics

import (
	"context"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Endpoints fetches the idle evidence of many endpoints of one account and
// region over w: the queries idle.EndpointQueries names for each
// (Invocations per variant and inference component, or an async endpoint's
// backlog and requests processed), all in shared GetMetricData batches.
// groups maps an endpoint's ID (idle.SubjectKey) to the
// inventory resources of one endpoint; the answer has the same keys.
func (f *Fetcher) Endpoints(ctx context.Context, w Window, groups map[resource.ID][]resource.Resource) map[resource.ID]idle.EndpointEvidence {
	type ref struct {
		key resource.ID
		q   idle.Query
	}
	var refs []ref
	var qs []Query
	for key, rs := range groups {
		for _, q := range idle.EndpointQueries(rs) {
			refs = append(refs, ref{key, q})
			qs = append(qs, fromIdle(q))
		}
	}
	results := f.Fetch(ctx, w, qs)
	out := make(map[resource.ID]idle.EndpointEvidence, len(groups))
	for key := range groups {
		out[key] = idle.EndpointEvidence{Start: w.Start, End: w.End}
	}
	for i, r := range results {
		ev := out[refs[i].key]
		if r.Err != nil {
			if ev.Err == nil {
				ev.Err = r.Err
			}
		} else {
			ev.Series = append(ev.Series, idle.Series{
				Metric: refs[i].q.Metric, Variant: refs[i].q.Variant, Component: refs[i].q.Component,
				Sum: r.Sum(), Max: r.Max(), Datapoints: len(r.Values), Complete: r.Complete,
			})
		}
		out[refs[i].key] = ev
	}
	return out
}

func fromIdle(q idle.Query) Query {
	dims := make([]Dimension, len(q.Dimensions))
	for i, d := range q.Dimensions {
		dims[i] = Dimension{Name: d.Name, Value: d.Value}
	}
	return Query{Namespace: q.Namespace, Metric: q.Metric, Dimensions: dims, Stat: q.Stat}
}

// Utilization metrics SageMaker publishes per endpoint variant (instance
// metrics, in percent of one core or GPU, so CPUUtilization of a 4-vCPU
// instance goes to 400; memory, GPU memory and disk are of the whole
// instance) in the /aws/sagemaker/Endpoints namespace, with dimensions
// EndpointName and VariantName. A variant publishes only what its instance
// has: no GPU metrics on a CPU instance.
const (
	UtilizationNamespace    = "/aws/sagemaker/Endpoints"
	MetricCPUUtilization    = "CPUUtilization"
	MetricMemoryUtilization = "MemoryUtilization"
	MetricGPUUtilization    = "GPUUtilization"
	MetricGPUMemory         = "GPUMemoryUtilization"
	MetricDiskUtilization   = "DiskUtilization"
)

// UtilizationMetrics lists the utilization metrics in a stable order.
var UtilizationMetrics = []string{MetricCPUUtilization, MetricMemoryUtilization, MetricGPUUtilization, MetricGPUMemory, MetricDiskUtilization}

// VariantQuery is the query for one utilization metric of one endpoint
// variant, e.g. VariantQuery("ep", "AllTraffic", MetricCPUUtilization,
// "Maximum").
func VariantQuery(endpoint, variant, metric, stat string) Query {
	return Query{Namespace: UtilizationNamespace, Metric: metric, Stat: stat,
		Dimensions: []Dimension{{Name: "EndpointName", Value: endpoint}, {Name: "VariantName", Value: variant}}}
}

// UtilizationQueries returns the queries for every utilization metric of
// one endpoint variant with each of the given stats (Average, Maximum,
// p90, ...), in UtilizationMetrics order, then stats order.
func UtilizationQueries(endpoint, variant string, stats ...string) []Query {
	var qs []Query
	for _, m := range UtilizationMetrics {
		for _, s := range stats {
			qs = append(qs, VariantQuery(endpoint, variant, m, s))
		}
	}
	return qs
}
