package idle

import (
	"fmt"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// The Canvas activity metric, as AWS documents it for the Canvas
// auto-shutdown sample (aws-samples/sagemaker-canvas-auto-shutdown-on-idle):
// SageMaker publishes, while a Canvas app runs, the seconds since its user
// was last active, once a minute, per DomainId and UserProfileName.
const (
	CanvasNamespace = "/aws/sagemaker/Canvas/AppActivity"
	// MetricTimeSinceLastActive is read with Minimum per minute: the
	// smallest value of a minute is the one after any activity in it.
	MetricTimeSinceLastActive = "TimeSinceLastActive"
)

// Canvas evidence window: the last CanvasWindow, one datapoint a minute.
// The newest datapoint decides; it must be at most CanvasFresh older than
// the window's end, else the metric is not being published (the app is
// gone, or CloudWatch lags) and the verdict is Unknown.
const (
	CanvasWindow = 15 * time.Minute
	CanvasPeriod = time.Minute
	CanvasFresh  = 5 * time.Minute
	// CanvasActiveWithin: a user active this recently is Active, not idle
	// for a few minutes (the sample's own alarm granularity).
	CanvasActiveWithin = 5 * time.Minute
)

// CanvasUser returns the domain and user profile of a Canvas app from its
// inventory record (Parent is the domain; Name is USER/Canvas/NAME).
func CanvasUser(r resource.Resource) (domain, user string, ok bool) {
	user, _, _ = strings.Cut(r.Name, "/")
	return r.Parent, user, r.Parent != "" && user != ""
}

// CanvasQuery is the one query Canvas needs for a Canvas app, or false
// when the record lacks its domain or user.
func CanvasQuery(r resource.Resource) (Query, bool) {
	domain, user, ok := CanvasUser(r)
	if !ok {
		return Query{}, false
	}
	return Query{Namespace: CanvasNamespace, Metric: MetricTimeSinceLastActive, Stat: "Minimum",
		Dimensions: []Dimension{{Name: "DomainId", Value: domain}, {Name: "UserProfileName", Value: user}}}, true
}

// CanvasEvidence is what CloudWatch said about one Canvas app over
// [Start, End): the newest TimeSinceLastActive datapoint.
type CanvasEvidence struct {
	Start, End time.Time
	// Latest is the newest datapoint's timestamp (the start of its
	// minute) and Seconds its value; zero Latest when there is none.
	Latest  time.Time
	Seconds float64
	// Complete is CloudWatch's StatusCode Complete.
	Complete bool
	// Err is a CloudWatch error; it makes the verdict Unknown.
	Err error
}

// Canvas judges a Canvas app by TimeSinceLastActive: Idle since the
// user's last activity (newest datapoint's minute end minus its value: a
// later time than the exact one, so never idle longer than it was), Active
// within CanvasActiveWithin of it; Unknown without a fresh, complete
// datapoint (a missing metric is never idle). A deleted or failed app is
// Stopped. Always Actionable: deleting an idle Canvas app loses nothing
// saved in Canvas.
func Canvas(r resource.Resource, ev CanvasEvidence, now time.Time) Verdict {
	if !r.Running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + r.Status + ": not billed"}
	}
	switch {
	case ev.Err != nil:
		return Verdict{State: Unknown, Reason: ReasonMetricsError, Evidence: "CloudWatch error: " + ev.Err.Error()}
	case ev.Latest.IsZero() || !ev.Complete:
		return Verdict{State: Unknown, Reason: ReasonNoData,
			Evidence: fmt.Sprintf("no %s datapoint in the last %s", MetricTimeSinceLastActive, FormatDuration(ev.End.Sub(ev.Start)))}
	case ev.End.Sub(ev.Latest.Add(CanvasPeriod)) > CanvasFresh:
		return Verdict{State: Unknown, Reason: ReasonNoData,
			Evidence: fmt.Sprintf("newest %s datapoint is from %s, more than %s old", MetricTimeSinceLastActive,
				ev.Latest.UTC().Format(time.RFC3339), FormatDuration(CanvasFresh))}
	case ev.Seconds < 0:
		return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: fmt.Sprintf("%s is negative", MetricTimeSinceLastActive)}
	}
	last := ev.Latest.Add(CanvasPeriod).Add(-time.Duration(ev.Seconds * float64(time.Second))).Truncate(time.Second)
	if last.After(now) {
		last = now
	}
	stamp := last.UTC().Format(time.RFC3339)
	if now.Sub(last) <= CanvasActiveWithin {
		return Verdict{State: Active, Reason: ReasonCanvasActive, Since: last, Actionable: true,
			Evidence: "Canvas user active at " + stamp + " (" + MetricTimeSinceLastActive + ")"}
	}
	return Verdict{State: Idle, Reason: ReasonCanvasIdle, Since: last, Actionable: true,
		Evidence: fmt.Sprintf("no Canvas activity for %s (%s, last at %s)", FormatDuration(now.Sub(last)), MetricTimeSinceLastActive, stamp)}
}
