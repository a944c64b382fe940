package idle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// CloudWatch metrics the endpoint detector reads, all in the AWS/SageMaker
// namespace. The metrics fetcher queries exactly these, so the names live
// here, next to the rule that reads them.
const (
	Namespace = "AWS/SageMaker"
	// MetricInvocations (Sum) per EndpointName+VariantName, and per
	// InferenceComponentName for endpoints that host components. SageMaker
	// publishes it per request: a minute without requests has no datapoint,
	// so an idle endpoint has no datapoints at all.
	MetricInvocations = "Invocations"
	// MetricBacklog (Maximum) per EndpointName: requests queued on an
	// asynchronous endpoint, which does not publish Invocations.
	MetricBacklog = "ApproximateBacklogSize"
	// MetricAsyncProcessed (Sum) per EndpointName: requests an asynchronous
	// endpoint processed. AWS spells it with three s's.
	MetricAsyncProcessed = "InvocationsProcesssed"
)

// Series is one metric statistic over the evidence window, as GetMetricData
// returned it for one query.
type Series struct {
	// Metric is one of the Metric constants.
	Metric string `json:"metric"`
	// Variant is the VariantName dimension, Component the
	// InferenceComponentName dimension; both "" for endpoint-level metrics.
	Variant   string `json:"variant,omitempty"`
	Component string `json:"component,omitempty"`
	// Sum and Max are over all datapoints returned (0 when there are none).
	Sum float64 `json:"sum"`
	Max float64 `json:"max"`
	// Datapoints is how many datapoints were returned.
	Datapoints int `json:"datapoints"`
	// Complete is true when CloudWatch returned StatusCode Complete for the
	// query over the whole window (not PartialData, not Forbidden). Only a
	// complete series with no datapoints means "no requests".
	Complete bool `json:"complete"`
}

// EndpointEvidence is what CloudWatch said about one endpoint over the
// window [Start, End).
type EndpointEvidence struct {
	Start, End time.Time
	// Series holds one entry per query: Invocations per variant and per
	// inference component for real-time endpoints; backlog and processed
	// requests for asynchronous ones.
	Series []Series
	// Err is any error fetching this endpoint's metrics (throttled past
	// retries, access denied). It makes the verdict Unknown.
	Err error
}

// Endpoint judges one endpoint from its resources and the metrics over the
// window. rs are the inventory resources of the endpoint: one per
// production variant (Kind Endpoint, same Name) and one per inference
// component it hosts (Kind InferenceComponent, Parent = the endpoint).
//
// The endpoint is Idle only if it has been InService since before the
// window started (CreationTime and LastModifiedTime before Start), every
// variant and component has a complete series, and all of them summed to 0;
// asynchronous endpoints are judged by their backlog (any queued request is
// activity) and requests processed. Traffic anywhere is Active whatever the
// age. Anything else is Unknown. Serverless endpoints are judged the same
// way but are never Actionable: they cost nothing when idle.
func Endpoint(rs []resource.Resource, ev EndpointEvidence, now time.Time) Verdict {
	var variants, components []string
	var ep *resource.Resource
	serverless, async, running := false, false, false
	var since time.Time
	sinceKnown := true
	for i := range rs {
		r := &rs[i]
		switch r.Kind {
		case resource.Endpoint:
			if ep == nil {
				ep = r
			}
			variants = append(variants, r.Variant)
			serverless = serverless || r.Serverless
			async = async || r.Async
			running = running || r.Running
			for _, t := range []*time.Time{r.Created, r.LastModified} {
				if t != nil && t.After(since) {
					since = *t
				}
			}
			if r.Created == nil {
				sinceKnown = false
			}
		case resource.InferenceComponent:
			components = append(components, r.Name)
		}
	}
	if ep == nil {
		return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: "no endpoint variants in the inventory"}
	}
	v := judgeEndpoint(ep, variants, components, async, running, since, sinceKnown, ev, now)
	v.Actionable = !serverless && (v.State == Idle || v.State == Active)
	if serverless {
		v.Evidence += "; serverless: costs nothing when idle, not acted on"
	}
	return v
}

func judgeEndpoint(ep *resource.Resource, variants, components []string, async, running bool,
	since time.Time, sinceKnown bool, ev EndpointEvidence, now time.Time) Verdict {
	if !running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + ep.Status + ": not billed"}
	}
	if ev.Err != nil {
		return Verdict{State: Unknown, Reason: ReasonMetricsError, Evidence: "CloudWatch error: " + ev.Err.Error()}
	}
	window := ev.End.Sub(ev.Start)
	if ev.Start.IsZero() || window <= 0 || ev.End.After(now) {
		return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: "no valid metrics window"}
	}
	w := FormatDuration(window)
	// Traffic anywhere wins, whatever else is missing.
	if active, ok := endpointTraffic(ev.Series, async, w); ok {
		return active
	}
	if ep.Status != "InService" {
		return Verdict{State: Unknown, Reason: ReasonNotInService, Evidence: "status " + ep.Status + ", not InService"}
	}
	if !sinceKnown {
		return Verdict{State: Unknown, Reason: ReasonYoung, Evidence: "creation time unknown"}
	}
	if since.After(ev.Start) {
		return Verdict{State: Unknown, Reason: ReasonYoung, Evidence: fmt.Sprintf(
			"in service for %s, less than the %s window (%s)", FormatDuration(now.Sub(since)), w, datapoints(ev.Series))}
	}
	if async {
		for _, m := range []string{MetricBacklog, MetricAsyncProcessed} {
			if find(ev.Series, m, "", "") == nil {
				return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: fmt.Sprintf("no complete %s data over %s", m, w)}
			}
		}
		return Verdict{State: Idle, Since: ev.Start, Reason: ReasonNoInvocations, Evidence: fmt.Sprintf(
			"asynchronous: no backlog and 0 requests processed over %s (%s)", w, datapoints(ev.Series))}
	}
	for _, name := range variants {
		if find(ev.Series, MetricInvocations, name, "") == nil {
			return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: fmt.Sprintf("no complete Invocations data for variant %s over %s", name, w)}
		}
	}
	for _, name := range components {
		if find(ev.Series, MetricInvocations, "", name) == nil {
			return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: fmt.Sprintf("no complete Invocations data for inference component %s over %s", name, w)}
		}
	}
	on := plural(len(variants), "variant")
	if len(components) > 0 {
		on += " and " + plural(len(components), "inference component")
	}
	return Verdict{State: Idle, Since: ev.Start, Reason: ReasonNoInvocations, Evidence: fmt.Sprintf(
		"0 invocations on %s over %s (%s)", on, w, datapoints(ev.Series))}
}

// endpointTraffic reports an Active verdict when any series shows work.
func endpointTraffic(series []Series, async bool, w string) (Verdict, bool) {
	var parts []string
	reason := ReasonInvocations
	for _, s := range series {
		switch {
		case s.Metric == MetricBacklog && s.Max > 0:
			parts = append(parts, fmt.Sprintf("backlog of up to %s requests", num(s.Max)))
			reason = ReasonBacklog
		case s.Metric == MetricAsyncProcessed && s.Sum > 0:
			parts = append(parts, fmt.Sprintf("%s requests processed", num(s.Sum)))
			if reason != ReasonBacklog {
				reason = ReasonAsyncProcessed
			}
		case s.Metric == MetricInvocations && s.Sum > 0 && s.Component != "":
			parts = append(parts, fmt.Sprintf("%s invocations on inference component %s", num(s.Sum), s.Component))
		case s.Metric == MetricInvocations && s.Sum > 0:
			parts = append(parts, fmt.Sprintf("%s invocations on variant %s", num(s.Sum), s.Variant))
		}
	}
	if len(parts) == 0 {
		return Verdict{}, false
	}
	sort.Strings(parts)
	return Verdict{State: Active, Reason: reason, Evidence: strings.Join(parts, ", ") + " over " + w}, true
}

func find(series []Series, metric, variant, component string) *Series {
	for i := range series {
		s := &series[i]
		if s.Metric == metric && s.Variant == variant && s.Component == component && s.Complete {
			return s
		}
	}
	return nil
}

func datapoints(series []Series) string {
	n := 0
	for _, s := range series {
		n += s.Datapoints
	}
	if n == 0 {
		return "no datapoints"
	}
	return plural(n, "datapoint")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// num formats a CloudWatch sum: counts are whole numbers.
func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}
