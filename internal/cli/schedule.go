package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/schedule"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Start and stop resources on office hours, in your time zone",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSchedulePreviewCmd(a, clock.Real{}))
	return cmd
}

// hourlyPricer is what preview needs of a price catalog: the price of one
// hour of an instance type billed as a component in a region.
// *pricing.Catalog implements it; Lookup returns pricing.Unknown, never $0,
// when it knows nothing.
type hourlyPricer interface {
	Lookup(region, instanceType string, component pricing.Component) pricing.Price
}

// componentOf is how a schedule's target kind is billed.
var componentOf = map[schedule.Kind]pricing.Component{
	schedule.KindNotebook:  pricing.NotebookInstance,
	schedule.KindStudioApp: pricing.StudioJupyterLab,
	schedule.KindEndpoint:  pricing.Hosting,
}

func newSchedulePreviewCmd(a *app, clk clock.Clock) *cobra.Command {
	var file, from, to, instanceType, name string
	cmd := &cobra.Command{
		Use:   "preview -f schedules.yaml [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
		Short: "List each schedule's starts and stops in a window of days, the hours it runs and what it saves",
		Long: `preview reads a schedules file (kind ScheduleSet) and, for each schedule,
lists its transitions in the schedule's own time zone between --from and --to
(both days included, default: today and the 30 days after), the hours it keeps
resources running and the hours (and, with --instance-type, the money) saved
against running always. It reads no AWS account.`,
		Example: `  sagesaver schedule preview -f examples/schedules/dev-notebooks-office-hours.yaml \
    --from 2026-12-01 --to 2026-12-31 --instance-type ml.t3.medium --region us-east-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageError("schedule preview: -f FILE is required")
			}
			if a.cfg.Output != config.OutputTable && a.cfg.Output != config.OutputJSON {
				return usageError("schedule preview: -o %s is not supported; use table or json", a.cfg.Output)
			}
			today := clk.Now().UTC()
			if from == "" {
				from = today.Format(time.DateOnly)
			}
			if to == "" {
				f, err := time.Parse(time.DateOnly, from)
				if err != nil {
					return usageError("--from %q is not a date YYYY-MM-DD", from)
				}
				to = f.AddDate(0, 0, 30).Format(time.DateOnly)
			}
			var pr *previewPrice
			if instanceType != "" {
				if len(a.cfg.Regions) != 1 || a.cfg.Regions[0] == "all" {
					return usageError("--instance-type needs exactly one --region to price it in")
				}
				c, err := a.priceCatalog()
				if err != nil {
					return err
				}
				pr = &previewPrice{pricer: c, region: a.cfg.Regions[0], instanceType: instanceType}
			}
			ss, err := schedule.Load(file)
			if err != nil {
				return err
			}
			if name != "" {
				i := slices.IndexFunc(ss, func(s *schedule.Schedule) bool { return s.Name == name })
				if i < 0 {
					return usageError("--name %q: no such schedule in %s", name, file)
				}
				ss = ss[i : i+1]
			}
			var rows []previewRow
			for _, s := range ss {
				sum, err := schedule.Summarize(s, from, to)
				if err != nil {
					return usageError("%v", err)
				}
				rows = append(rows, newPreviewRow(sum, pr))
			}
			if a.cfg.Output == config.OutputJSON {
				return writePreviewJSON(a.stdio.Out, rows)
			}
			return writePreviewTable(a.stdio.Out, rows)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "schedules file (kind ScheduleSet)")
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD in each schedule's zone (default today, UTC)")
	f.StringVar(&to, "to", "", "last day, included (default 30 days after --from)")
	f.StringVar(&instanceType, "instance-type", "", "price the saved hours at this instance type (e.g. ml.t3.medium) in --region")
	f.StringVar(&name, "name", "", "preview only the schedule with this name")
	return cmd
}

// previewPrice is the price lookup preview was asked for.
type previewPrice struct {
	pricer       hourlyPricer
	region       string
	instanceType string
}

type previewTransition struct {
	At     string `json:"at"` // RFC 3339 in the schedule's zone
	Action string `json:"action"`
	Cause  string `json:"cause"`

	when string // for people: "Tue 2026-12-01 07:00 CET"
}

type previewMoney struct {
	InstanceType string `json:"instanceType"`
	Region       string `json:"region"`
	Component    string `json:"component"`
	Hourly       string `json:"hourly"`
	Source       string `json:"source"`
	// AlwaysOn and Saved are exact decimal dollars; empty when the price
	// or the running hours are unknown.
	AlwaysOn string `json:"alwaysOn,omitempty"`
	Saved    string `json:"saved,omitempty"`

	price, alwaysOn, saved pricing.Price
}

type previewRow struct {
	Name        string              `json:"name"`
	Timezone    string              `json:"timezone"`
	Mode        string              `json:"mode"`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Transitions []previewTransition `json:"transitions"`
	// Seconds are exact; the hours in the table are derived from them.
	WindowSeconds  int64 `json:"windowSeconds"`
	RunningSeconds int64 `json:"runningSeconds,omitempty"`
	SavedSeconds   int64 `json:"savedSeconds,omitempty"`
	// RunningKnown is false for start-only and stop-only schedules.
	RunningKnown bool          `json:"runningKnown"`
	Money        *previewMoney `json:"money,omitempty"`
}

func newPreviewRow(sum schedule.Summary, pr *previewPrice) previewRow {
	s := sum.Schedule
	row := previewRow{
		Name:          s.Name,
		Timezone:      s.Location.String(),
		Mode:          string(s.Mode),
		From:          sum.From.In(s.Location).Format(time.RFC3339),
		To:            sum.To.In(s.Location).Format(time.RFC3339),
		Transitions:   []previewTransition{},
		WindowSeconds: int64(sum.Window / time.Second),
		RunningKnown:  sum.RunningKnown,
	}
	for _, tr := range sum.Transitions {
		row.Transitions = append(row.Transitions, previewTransition{
			At: tr.At.In(s.Location).Format(time.RFC3339), Action: tr.Action(), Cause: tr.Cause, when: s.FormatTime(tr.At),
		})
	}
	if sum.RunningKnown {
		row.RunningSeconds = int64(sum.Running / time.Second)
		row.SavedSeconds = int64(sum.Saved() / time.Second)
	}
	if pr != nil {
		comp := pricing.NotebookInstance
		if len(s.Targets) > 0 {
			comp = componentOf[s.Targets[0].Kind]
		}
		p := pr.pricer.Lookup(pr.region, pr.instanceType, comp)
		m := &previewMoney{InstanceType: pr.instanceType, Region: pr.region, Component: string(comp), Source: p.Label(), price: p}
		if p.Known {
			m.Hourly = p.Amount.Plain()
			if sum.RunningKnown {
				m.alwaysOn = p.ForSeconds(row.WindowSeconds)
				m.saved = p.ForSeconds(row.SavedSeconds)
				m.AlwaysOn, m.Saved = m.alwaysOn.Amount.Plain(), m.saved.Amount.Plain()
			}
		}
		row.Money = m
	}
	return row
}

// hours formats whole seconds as hours and minutes: "308h", "12h30m".
func hours(sec int64) string {
	h, m := sec/3600, (sec%3600)/60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// percent formats part/whole with one decimal, rounded half up.
func percent(part, whole int64) string {
	if whole == 0 {
		return "0.0%"
	}
	pm := (part*1000 + whole/2) / whole
	return fmt.Sprintf("%d.%d%%", pm/10, pm%10)
}

func writePreviewTable(w io.Writer, rows []previewRow) error {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		from, _ := time.Parse(time.RFC3339, r.From)
		to, _ := time.Parse(time.RFC3339, r.To)
		fmt.Fprintf(&b, "Schedule %s (%s, %s), %s to %s\n\n", r.Name, r.Timezone, r.Mode,
			from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
		if len(r.Transitions) == 0 {
			b.WriteString("  no starts or stops in this window\n")
		} else {
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  WHEN\tACTION\tBY")
			for _, t := range r.Transitions {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.when, t.Action, t.Cause)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		b.WriteString("\n")
		if !r.RunningKnown {
			fmt.Fprintf(&b, "  Running hours: not set by a %s schedule (they depend on manual starts and stops)\n", r.Mode)
		} else {
			fmt.Fprintf(&b, "  Running:  %s of %s\n", hours(r.RunningSeconds), hours(r.WindowSeconds))
			fmt.Fprintf(&b, "  Saved:    %s (%s) against running always\n", hours(r.SavedSeconds), percent(r.SavedSeconds, r.WindowSeconds))
		}
		if m := r.Money; m != nil {
			fmt.Fprintf(&b, "  Price:    %s %s in %s: %s/h (%s)\n", m.InstanceType, m.Component, m.Region, rate(m.price), m.price.Label())
			if m.Saved != "" {
				fmt.Fprintf(&b, "  Saves:    %s of %s always on\n", m.saved, m.alwaysOn)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rate formats an hourly price without rounding it, or "unknown".
func rate(p pricing.Price) string {
	if !p.Known {
		return "unknown"
	}
	s := p.Amount.FormatRate()
	if p.Estimate {
		return "~" + s
	}
	return s
}

func writePreviewJSON(w io.Writer, rows []previewRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schedules []previewRow `json:"schedules"`
	}{rows})
}
