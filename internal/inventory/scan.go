package inventory

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Target is one account and region with the clients that reach it.
type Target struct {
	Account string
	Region  string
	API     API
}

// Failure is a collector that could not finish for one target. The scan
// goes on without it; the failure is reported and sets the exit code.
type Failure struct {
	Account string        `json:"account"`
	Region  string        `json:"region"`
	Kind    resource.Kind `json:"kind"`
	Class   awsapi.Class  `json:"-"`
	Reason  string        `json:"reason"`
	Err     error         `json:"-"`
}

// Result is what a scan found.
type Result struct {
	Resources []resource.Resource `json:"resources"`
	Failures  []Failure           `json:"failures,omitempty"`
	// ScannedAt is the time the scan started.
	ScannedAt time.Time `json:"scanned_at"`
}

// Collector lists one kind of resource (or a few kinds fetched together)
// in one target.
type Collector interface {
	// Kind names what the collector lists, for failures and progress.
	Kind() resource.Kind
	// Collect returns the resources it found, or an error that stops this
	// collector for this target only.
	Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error)
}

// Env is what collectors share: the time of the scan, how far back to look
// for finished jobs, and the describe cache.
type Env struct {
	Now         time.Time
	JobLookback time.Duration
	Cache       Cache
}

// DefaultJobLookback is how far back finished jobs are listed (their cost
// so far is part of the month's bill).
const DefaultJobLookback = 30 * 24 * time.Hour

// DefaultConcurrency bounds the fan-out over account x region x kind. Each
// unit pages through its own APIs sequentially, and AWS throttles per API per
// account and region, so units seldom compete for one throttle: a scan is
// fastest when every unit of a wave runs at once (4 regions x 6 kinds = 24
// units; a smaller bound left regions waiting for a slot and made the first
// scan of the benchmark 1.29x its throttle bound). The bound only keeps a
// scan of many accounts x all regions from opening hundreds of connections.
const DefaultConcurrency = 64

// Scanner runs collectors over targets.
type Scanner struct {
	Collectors  []Collector
	Concurrency int
	Log         *slog.Logger
	// Progress, if set, is called after each unit of work finishes.
	Progress func(done, total int)
}

// DefaultCollectors lists every kind sagesaver inventories.
func DefaultCollectors() []Collector {
	return []Collector{notebooks{}, endpoints{}, studio{}, trainingJobs{}, processingJobs{}, transformJobs{}, mlflow{}, hyperPod{}}
}

// Scan runs every collector on every target, at most Concurrency at once.
func (s *Scanner) Scan(ctx context.Context, targets []Target, env *Env) *Result {
	res := &Result{ScannedAt: env.Now}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	n := s.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	g.SetLimit(n)
	total := len(targets) * len(s.Collectors)
	done := 0
	for _, t := range targets {
		for _, c := range s.Collectors {
			g.Go(func() error {
				found, err := c.Collect(ctx, t, env)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					cl := awsapi.Classify(err)
					res.Failures = append(res.Failures, Failure{Account: t.Account, Region: t.Region, Kind: c.Kind(), Class: cl, Reason: cl.String() + ": " + Reason(err), Err: err})
					if s.Log != nil {
						s.Log.Debug("collector failed", "account", t.Account, "region", t.Region, "kind", c.Kind(), "err", err)
					}
				}
				res.Resources = append(res.Resources, found...)
				done++
				if s.Progress != nil {
					s.Progress(done, total)
				}
				return nil // one target's failure never stops the others
			})
		}
	}
	_ = g.Wait()
	sort.Slice(res.Resources, func(i, j int) bool {
		a, b := &res.Resources[i], &res.Resources[j]
		if a.Stage() != b.Stage() {
			return stageIndex(a.Stage()) < stageIndex(b.Stage())
		}
		return a.LineID().String() < b.LineID().String()
	})
	sort.Slice(res.Failures, func(i, j int) bool {
		a, b := res.Failures[i], res.Failures[j]
		return a.Account+a.Region+string(a.Kind) < b.Account+b.Region+string(b.Kind)
	})
	return res
}

// Reason is an error's message for people: what the collector was doing
// and the AWS error code and message, without the SDK's transport details
// (request ids, status codes) that differ on every run.
func Reason(err error) string {
	msg := err.Error()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return msg
	}
	prefix := ""
	if i := strings.Index(msg, "operation error "); i >= 0 {
		prefix = msg[:i]
	}
	return prefix + ae.ErrorCode() + ": " + ae.ErrorMessage()
}

func stageIndex(s resource.Stage) int {
	for i, x := range resource.Stages {
		if x == s {
			return i
		}
	}
	return len(resource.Stages)
}
