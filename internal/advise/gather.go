package advise

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Source is where the evidence of one account and region comes from.
type Source struct {
	Account, Region string
	CloudWatch      awsapi.Metrics
	Scaling         awsapi.ScalingReader
}

// Gather fetches what the rules need about rs from each source:
// utilization and Invocations of every running endpoint variant over
// lookback (hourly), host metrics of the training jobs a rule looks at
// over jobLookback (hourly), and the Application Auto Scaling targets of
// endpoints. It never fails as a whole: what could not be read is absent
// from the evidence (so the rules that need it say nothing) and is listed
// in Failures.
func Gather(ctx context.Context, sources []Source, rs []resource.Resource, now time.Time, lookback, jobLookback time.Duration) *Evidence {
	// The rules reason in hours (busiest and quietest hour, coverage per
	// hour): ask for hourly buckets even where NewWindow would pick coarser
	// ones to keep a batch in one page; a few more pages cost little.
	w := hourly(metrics.NewWindow(now, lookback))
	ev := &Evidence{Start: w.Start, End: w.End, Scaled: map[string]bool{}, ScalingRead: map[string]bool{}}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, src := range sources {
		g.Go(func() error {
			var mine []*resource.Resource
			for i := range rs {
				if rs[i].Account == src.Account && rs[i].Region == src.Region {
					mine = append(mine, &rs[i])
				}
			}
			if len(mine) == 0 {
				return nil
			}
			part := &Evidence{Scaled: map[string]bool{}}
			var fails []string
			if src.CloudWatch != nil {
				f := metrics.New(src.CloudWatch)
				refs, qs := endpointQueries(mine)
				fails = append(fails, fetchSeries(gctx, f, w, part, refs, qs)...)
				if jobLookback > 0 {
					refs, qs := trainingQueries(mine)
					fails = append(fails, fetchSeries(gctx, f, hourly(metrics.NewWindow(now, jobLookback)), part, refs, qs)...)
				}
			}
			read := false
			if src.Scaling != nil && hasEndpoints(mine) {
				if err := scalableTargets(gctx, src, part.Scaled); err != nil {
					fails = append(fails, fmt.Sprintf("%s %s: %v", src.Account, src.Region, err))
				} else {
					read = true
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for k, m := range part.Metrics {
				if ev.Metrics == nil {
					ev.Metrics = map[string]map[string]Series{}
				}
				ev.Metrics[k] = m
			}
			for k := range part.Scaled {
				ev.Scaled[k] = true
			}
			if read {
				ev.ScalingRead[src.Account+"/"+src.Region] = true
			}
			ev.Failures = append(ev.Failures, fails...)
			return nil
		})
	}
	_ = g.Wait()
	sort.Strings(ev.Failures)
	return ev
}

type ref struct {
	r      *resource.Resource
	metric string
}

// endpointQueries asks for the hourly Average of each utilization metric
// and the hourly Sum of Invocations of every running instance variant.
func endpointQueries(rs []*resource.Resource) ([]ref, []metrics.Query) {
	var refs []ref
	var qs []metrics.Query
	for _, r := range rs {
		if r.Kind != resource.Endpoint || !r.Running || r.Serverless || r.InstanceType == "" {
			continue
		}
		dims := []metrics.Dimension{{Name: "EndpointName", Value: r.Name}, {Name: "VariantName", Value: r.Variant}}
		for _, m := range []string{MetricCPU, MetricMemory, MetricGPU, MetricGPUMemory} {
			refs = append(refs, ref{r, m})
			qs = append(qs, metrics.Query{Namespace: NamespaceEndpoints, Metric: m, Dimensions: dims, Stat: "Average"})
		}
		if !r.Async {
			refs = append(refs, ref{r, MetricInvocations})
			qs = append(qs, metrics.Query{Namespace: NamespaceInvocations, Metric: MetricInvocations, Dimensions: dims, Stat: "Sum"})
		}
	}
	return refs, qs
}

// trainingQueries asks for the host metrics of the training jobs the
// rules look at: GPU ones on CPU-only images, and short jobs on large
// instances (first host, algo-1).
func trainingQueries(rs []*resource.Resource) ([]ref, []metrics.Query) {
	var refs []ref
	var qs []metrics.Query
	for _, r := range rs {
		if r.Kind != resource.TrainingJob || billable(r) <= 0 {
			continue
		}
		var ms []string
		switch {
		case cpuOnlyImage(r.Image):
			ms = []string{MetricGPU, MetricMemory}
		case time.Duration(billable(r))*time.Second < ShortJob:
			ms = []string{MetricCPU}
		}
		dims := []metrics.Dimension{{Name: "Host", Value: r.Name + "/algo-1"}}
		for _, m := range ms {
			refs = append(refs, ref{r, m})
			qs = append(qs, metrics.Query{Namespace: NamespaceTraining, Metric: m, Dimensions: dims, Stat: "Average"})
		}
	}
	return refs, qs
}

// hourly returns w with EndpointPeriod buckets.
func hourly(w metrics.Window) metrics.Window {
	w.Period = EndpointPeriod
	return w
}

func fetchSeries(ctx context.Context, f *metrics.Fetcher, w metrics.Window, ev *Evidence, refs []ref, qs []metrics.Query) []string {
	if len(qs) == 0 {
		return nil
	}
	periods := int(w.Length() / w.Period)
	var fails []string
	seen := map[string]bool{}
	for i, res := range f.Fetch(ctx, w, qs) {
		if res.Err != nil {
			msg := res.Err.Error()
			if !seen[msg] {
				seen[msg] = true
				fails = append(fails, fmt.Sprintf("%s %s: %s", refs[i].r.Account, refs[i].r.Region, msg))
			}
			continue
		}
		ev.Put(refs[i].r, refs[i].metric, Series{Values: res.Values, Periods: periods, Complete: res.Complete})
	}
	return fails
}

func hasEndpoints(rs []*resource.Resource) bool {
	for _, r := range rs {
		if r.Kind == resource.Endpoint && r.Running && !r.Serverless {
			return true
		}
	}
	return false
}

// scalableTargets records the endpoint variants of one account and region
// that have an Application Auto Scaling target.
func scalableTargets(ctx context.Context, src Source, into map[string]bool) error {
	p := applicationautoscaling.NewDescribeScalableTargetsPaginator(src.Scaling, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe scalable targets: %w", err)
		}
		for _, t := range page.ScalableTargets {
			parts := strings.Split(aws.ToString(t.ResourceId), "/")
			if len(parts) != 4 || parts[0] != "endpoint" || parts[2] != "variant" {
				continue
			}
			r := resource.Resource{Account: src.Account, Region: src.Region, Kind: resource.Endpoint, Name: parts[1], Variant: parts[3]}
			into[r.LineID().String()] = true
		}
	}
	return nil
}
