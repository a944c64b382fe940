package idle

import "github.com/sagesaver/sagesaver/internal/resource"

// Dimension is a CloudWatch dimension.
type Dimension struct {
	Name, Value string
}

// Query is one CloudWatch metric query Endpoint needs. The metrics fetcher
// turns each into a GetMetricData MetricStat (Namespace, Metric,
// Dimensions exactly as given, Stat, a period that divides the window) and
// each result into a Series with the same Metric, Variant and Component,
// Complete when the result's StatusCode is Complete.
type Query struct {
	Namespace  string
	Metric     string
	Dimensions []Dimension
	// Stat is "Sum" or "Maximum".
	Stat string
	// Variant and Component say which Series the answer fills.
	Variant   string
	Component string
}

// EndpointQueries lists the queries Endpoint needs for one endpoint, from
// the same resources (its variants and inference components): Invocations
// per variant and per component for real-time endpoints; backlog and
// processed requests for asynchronous ones. Serverless endpoints need the
// same as real-time ones.
func EndpointQueries(rs []resource.Resource) []Query {
	var name string
	async := false
	var variants, components []string
	for _, r := range rs {
		switch r.Kind {
		case resource.Endpoint:
			name = r.Name
			async = async || r.Async
			variants = append(variants, r.Variant)
		case resource.InferenceComponent:
			components = append(components, r.Name)
		}
	}
	if name == "" {
		return nil
	}
	ep := Dimension{Name: "EndpointName", Value: name}
	if async {
		return []Query{
			{Namespace: Namespace, Metric: MetricBacklog, Dimensions: []Dimension{ep}, Stat: "Maximum"},
			{Namespace: Namespace, Metric: MetricAsyncProcessed, Dimensions: []Dimension{ep}, Stat: "Sum"},
		}
	}
	var qs []Query
	for _, v := range variants {
		qs = append(qs, Query{Namespace: Namespace, Metric: MetricInvocations, Stat: "Sum", Variant: v,
			Dimensions: []Dimension{ep, {Name: "VariantName", Value: v}}})
	}
	for _, c := range components {
		qs = append(qs, Query{Namespace: Namespace, Metric: MetricInvocations, Stat: "Sum", Component: c,
			Dimensions: []Dimension{{Name: "InferenceComponentName", Value: c}}})
	}
	return qs
}
