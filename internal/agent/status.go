package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

// Live is the resource's status as SageMaker reports it now
// (DescribeNotebookInstance or DescribeApp), for the status screen.
type Live struct {
	Status string // "" when not read
	Err    error  // why it was not read
}

// stoppedStatus reports whether a notebook instance or app status means it
// is stopping or gone.
func stoppedStatus(s string) bool {
	switch s {
	case "Stopping", "Stopped", "Deleting", "Deleted", "Failed":
		return true
	}
	return false
}

// StatusScreen explains the state written by a running agent in one screen,
// as `sagesaver agent status` prints it. now is used to tell a stale state
// (no agent running) from a fresh one; live is what SageMaker says about
// the resource now, when it could be read. The first line always agrees
// with what the agent did (the state's stop) and will do: after a stop it
// never says "stops at", and a stop made by someone else is not the
// agent's.
func StatusScreen(st State, c Config, now time.Time, live Live) string {
	var b strings.Builder
	v := st.Verdict
	if note := st.StopNote(); note != "" && v.Action != note {
		// A state written before the stop note was part of the verdict.
		v.Action, v.StopDone = note, true
	}
	switch {
	case stoppedStatus(live.Status) && st.Stopped.IsZero():
		fmt.Fprintf(&b, "%s is %s: stopped by someone else, not by the agent\n", st.Resource.String(), live.Status)
	case stoppedStatus(live.Status):
		fmt.Fprintf(&b, "%s (%s is %s now)\n", v.Summary(), st.Resource.String(), live.Status)
	default:
		fmt.Fprintln(&b, v.Summary())
	}
	fmt.Fprintf(&b, "\n%s\n", st.Resource.String())
	switch {
	case live.Status != "":
		fmt.Fprintf(&b, "  status         %s (read from SageMaker now)\n", live.Status)
	case live.Err != nil:
		fmt.Fprintf(&b, "  status         not read from SageMaker (%v)\n", live.Err)
	}
	src := v.Source
	if src == "" {
		src = "unknown"
	}
	fmt.Fprintf(&b, "  last activity  %s (%s)\n", v.LastActivity.UTC().Format("2006-01-02 15:04:05 UTC"), src)
	fmt.Fprintf(&b, "  idle time      %s\n", c.IdleTime)
	fmt.Fprintf(&b, "  last poll      %s, %s ago (agent pid %d, every %s)\n", st.LastPoll.UTC().Format("15:04:05 UTC"), human(now.Sub(st.LastPoll)), st.PID, c.PollInterval)
	if note := st.StopNote(); note != "" {
		fmt.Fprintf(&b, "  stop           %s\n", note)
	}
	if u := st.Usage.UsageSummary; u.Hours > 0 {
		gpu := "no GPU read"
		if u.GPUs > 0 {
			gpu = fmt.Sprintf("GPU peak %d%%", u.GPUPeak)
		}
		fmt.Fprintf(&b, "  usage          %d h watched since %s: CPU peak %.1f cores, %s (busiest hour's average)\n",
			u.Hours, u.Since.UTC().Format("2006-01-02 15:04 UTC"), u.CPUPeak, gpu)
	}
	if st.TagValue != "" {
		fmt.Fprintf(&b, "  tag            %s=%s, %s at %s (next by %s)\n", agenttag.LastActivity, st.TagValue,
			agenttag.Heartbeat, st.TagAt.UTC().Format("15:04:05 UTC"), st.TagAt.Add(agenttag.Interval).UTC().Format("15:04 UTC"))
	}
	if len(v.Notes) > 0 {
		fmt.Fprintln(&b, "\nnotes:")
		for _, n := range v.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	if now.Sub(st.LastPoll) > maxGap(c) {
		fmt.Fprintf(&b, "\nwarning: no poll for %s: is the agent running? (systemctl status sagesaver-agent, or /var/log/sagesaver-agent.log)\n", human(now.Sub(st.LastPoll)))
	}
	return b.String()
}
