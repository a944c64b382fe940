package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

// StatusScreen explains the state written by a running agent in one screen,
// as `sagesaver agent status` prints it. now is used to tell a stale state
// (no agent running) from a fresh one.
func StatusScreen(st State, c Config, now time.Time) string {
	var b strings.Builder
	v := st.Verdict
	fmt.Fprintln(&b, v.Summary())
	if v.Action != "" && len(v.Active) == 0 && !v.Idle {
		fmt.Fprintf(&b, "action: %s\n", v.Action)
	}
	fmt.Fprintf(&b, "\n%s\n", st.Resource.String())
	src := v.Source
	if src == "" {
		src = "unknown"
	}
	fmt.Fprintf(&b, "  last activity  %s (%s)\n", v.LastActivity.UTC().Format("2006-01-02 15:04:05 UTC"), src)
	fmt.Fprintf(&b, "  idle time      %s\n", c.IdleTime)
	fmt.Fprintf(&b, "  last poll      %s, %s ago (agent pid %d, every %s)\n", st.LastPoll.UTC().Format("15:04:05 UTC"), human(now.Sub(st.LastPoll)), st.PID, c.PollInterval)
	if !st.Stopped.IsZero() {
		what := "stop requested"
		if st.StopDryRun {
			what = "dry-run stop logged"
		}
		fmt.Fprintf(&b, "  %s at %s\n", what, st.Stopped.UTC().Format("15:04:05 UTC"))
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
