package idle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// MLflowEvidence is what is known about an MLflow tracking server besides
// its inventory record.
type MLflowEvidence struct {
	// Schedule names a schedule that stops the server ("" when none does).
	Schedule string
}

// MLflow judges an MLflow tracking server. AWS publishes no activity
// metric for tracking servers, so it is never Idle: a running server is
// Managed when a schedule stops it and Unprotected otherwise (nothing
// will stop it; a policy stops it on runningFor, and `sagesaver restore`
// starts it again with its data). A server that is not running (Stopped,
// Creating, Stopping, ...) is Stopped: not billed.
func MLflow(r resource.Resource, ev MLflowEvidence, now time.Time) Verdict {
	if !r.Running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + r.Status + ": not billed"}
	}
	if ev.Schedule != "" {
		return Verdict{State: Managed, Reason: ReasonScheduled, Actionable: true,
			Evidence: "stopped by schedule " + ev.Schedule}
	}
	return Verdict{State: Unprotected, Reason: ReasonNoSchedule, Actionable: true,
		Evidence: "unprotected: no schedule stops it (MLflow publishes no activity metric)" + runningFor(r, now)}
}

// HyperPod judges a HyperPod cluster from its instance groups (the
// inventory lists one resource per group, all with the cluster's Name).
// A running cluster is Unprotected: every node bills by the hour and
// nothing stops it; sagesaver reports it and never acts on it (deleting a
// cluster is not reversible). Whether its nodes are idle is advise's
// question. A cluster that is not running is Stopped.
func HyperPod(rs []resource.Resource, now time.Time) Verdict {
	if len(rs) == 0 {
		return Verdict{State: Unknown, Reason: ReasonNoData, Evidence: "no instance groups in the inventory"}
	}
	nodes := map[string]int{}
	running := false
	for _, r := range rs {
		running = running || r.Running
		if r.Running && r.InstanceCount > 0 {
			nodes[r.InstanceType] += r.InstanceCount
		}
	}
	if !running {
		return Verdict{State: Stopped, Reason: ReasonNotRunning, Evidence: "status " + rs[0].Status + ": not billed"}
	}
	types := make([]string, 0, len(nodes))
	total := 0
	for t, n := range nodes {
		types = append(types, fmt.Sprintf("%d x %s", n, t))
		total += n
	}
	sort.Strings(types)
	return Verdict{State: Unprotected, Reason: ReasonNoAutoAction, Actionable: true,
		Evidence: fmt.Sprintf("%d node(s) billing (%s)%s; reported, never acted on (deleting a cluster is not reversible)",
			total, strings.Join(types, ", "), runningFor(rs[0], now))}
}
