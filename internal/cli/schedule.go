package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/scheduler"
	"github.com/sagesaver/sagesaver/internal/store"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use: "schedule",
		Example: `  sagesaver schedule preview -f examples/schedules/dev-notebooks-office-hours.yaml
  sagesaver schedule run -f examples/schedules/dev-notebooks-office-hours.yaml --region us-east-1 --yes
  sagesaver schedule explain dev-alice -f examples/schedules/dev-notebooks-office-hours.yaml`,
		Short: "Start and stop resources on office hours, in your time zone",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSchedulePreviewCmd(a, clock.Real{}), newScheduleRunCmd(a), newScheduleExplainCmd(a))
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
				return root.UsageError("schedule preview: -f FILE is required")
			}
			if a.Cfg.Output != config.OutputTable && a.Cfg.Output != config.OutputJSON {
				return root.UsageError("schedule preview: -o %s is not supported; use table or json", a.Cfg.Output)
			}
			today := clk.Now().UTC()
			if from == "" {
				from = today.Format(time.DateOnly)
			}
			if to == "" {
				f, err := time.Parse(time.DateOnly, from)
				if err != nil {
					return root.UsageError("--from %q is not a date YYYY-MM-DD", from)
				}
				to = f.AddDate(0, 0, 30).Format(time.DateOnly)
			}
			var pr *previewPrice
			if instanceType != "" {
				if len(a.Cfg.Regions) != 1 || a.Cfg.Regions[0] == "all" {
					return root.UsageError("--instance-type needs exactly one --region to price it in")
				}
				c, err := a.priceCatalog()
				if err != nil {
					return err
				}
				pr = &previewPrice{pricer: c, region: a.Cfg.Regions[0], instanceType: instanceType}
			}
			ss, err := schedule.Load(file)
			if err != nil {
				return err
			}
			if name != "" {
				i := slices.IndexFunc(ss, func(s *schedule.Schedule) bool { return s.Name == name })
				if i < 0 {
					return root.UsageError("--schedule %q: no such schedule in %s", name, file)
				}
				ss = ss[i : i+1]
			}
			var rows []previewRow
			for _, s := range ss {
				sum, err := schedule.Summarize(s, from, to)
				if err != nil {
					return root.UsageError("%v", err)
				}
				rows = append(rows, newPreviewRow(sum, pr))
			}
			if a.Cfg.Output == config.OutputJSON {
				return writePreviewJSON(a.Stdio.Out, rows)
			}
			return writePreviewTable(a.Stdio.Out, rows)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "schedules file (kind ScheduleSet)")
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD in each schedule's zone (default today, UTC)")
	f.StringVar(&to, "to", "", "last day, included (default 30 days after --from)")
	f.StringVar(&instanceType, "instance-type", "", "price the saved hours at this instance type (e.g. ml.t3.medium) in --region")
	f.StringVar(&name, "schedule", "", "preview only the schedule with this name")
	// --name was --schedule's name; lifecycle install's --name is a
	// lifecycle configuration.
	f.StringVar(&name, "name", "", "")
	_ = f.MarkDeprecated("name", "use --schedule")
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
	InstanceType string `json:"instance_type"`
	Region       string `json:"region"`
	Component    string `json:"component"`
	Hourly       string `json:"hourly"`
	Source       string `json:"source"`
	// AlwaysOn and Saved are exact decimal dollars; empty when the price
	// or the running hours are unknown.
	AlwaysOn string `json:"always_on,omitempty"`
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
	WindowSeconds  int64 `json:"window_seconds"`
	RunningSeconds int64 `json:"running_seconds,omitempty"`
	SavedSeconds   int64 `json:"saved_seconds,omitempty"`
	// RunningKnown is false for start-only and stop-only schedules.
	RunningKnown bool          `json:"running_known"`
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
		m := &previewMoney{InstanceType: pr.instanceType, Region: pr.region, Component: string(comp), Source: p.Describe(pr.region, pr.instanceType), price: p}
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
			fmt.Fprintf(&b, "  Price:    %s %s in %s: %s/h (%s)\n", m.InstanceType, m.Component, m.Region, m.price.Rate(), m.Source)
			if m.Saved != "" {
				fmt.Fprintf(&b, "  Saves:    %s of %s always on\n", m.saved, m.alwaysOn)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writePreviewJSON(w io.Writer, rows []previewRow) error {
	return report.EncodeJSON(w, struct {
		Schema    string       `json:"schema"`
		Schedules []previewRow `json:"schedules"`
	}{report.SchemaSchedulePreview, rows})
}

// scheduleRunFlags are the flags run and explain share.
type scheduleRunFlags struct {
	targets       targetFlags
	file          string
	snsTopic      string
	webhookURLEnv string
}

func (f *scheduleRunFlags) register(cmd *cobra.Command, notifications bool) {
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "schedules file (kind ScheduleSet)")
	f.targets.register(fl)
	if notifications {
		fl.StringVar(&f.snsTopic, "sns-topic", "", "publish each run's digest to this SNS topic ARN (overrides notify.snsTopicArn)")
		fl.StringVar(&f.webhookURLEnv, "webhook-url-env", "", "post each run's digest to the Slack-compatible webhook URL in this environment variable (overrides notify.webhookUrlEnv)")
	}
}

// newScheduler loads the schedules file and builds a scheduler over the
// configured regions (default: the AWS configuration's region; "all": every
// SageMaker region) of the caller's account, or of the accounts that
// --accounts or --organization name (an account whose role cannot be
// assumed is a failure of the run, the others go ahead), with the
// store, the schedule memory beside it, the price catalog and the
// notifiers. It returns the store to close (nil for explain).
func (a *app) newScheduler(ctx context.Context, f *scheduleRunFlags, run bool) (*scheduler.Runner, store.Store, error) {
	if f.file == "" {
		return nil, nil, root.UsageError("-f FILE is required")
	}
	file, ss, err := schedule.LoadFile(f.file)
	if err != nil {
		return nil, nil, err
	}
	// A schedule whose cron years are all past would never act again: a
	// mistake (a typo in the year), not a schedule; refuse it before any
	// AWS call.
	for i, s := range ss {
		if field, last, ended := s.Ended(a.now()); ended {
			line, col := 0, 0
			if data, err := os.ReadFile(f.file); err == nil {
				line, col = config.Locate(data, fmt.Sprintf("schedules[%d].%s", i, field))
			}
			return nil, nil, &config.FileError{File: f.file, Line: line, Column: col, Field: fmt.Sprintf("schedules[%d].%s", i, field),
				Msg: fmt.Sprintf("never fires again: its last time was %s", last.Format("2006-01-02 15:04 MST"))}
		}
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return nil, nil, err
	}
	// The accounts file is checked before any AWS call (buildTargets).
	set, err := a.buildTargets(ctx, f.targets, catalog)
	if err != nil {
		return nil, nil, err
	}
	var targets []scheduler.Region
	for _, fail := range set.Failures {
		targets = append(targets, scheduler.Region{Account: fail.Account, Region: fail.Region, Err: errors.New(fail.Reason)})
	}
	for _, t := range set.Targets {
		c := set.Clients[t.Account+"/"+t.Region]
		targets = append(targets, scheduler.Region{Account: t.Account, Region: t.Region, SageMaker: c.SageMaker, Tagging: c.Tagging})
	}
	loc, err := a.stateLocation("")
	if err != nil {
		return nil, nil, err
	}
	opts := []scheduler.Option{scheduler.WithLogger(a.Log), scheduler.WithClock(a.clk())}
	var st store.Store
	var memory scheduler.Memory = noMemory{}
	if !run {
		// explain reads what runs remembered, if any run has been recorded
		// (a SQLite file that does not exist is not created for it).
		if _, err := os.Stat(loc.Path); loc.Backend != store.BackendSQLite || err == nil {
			ro, err := a.openStore(ctx, "")
			if err != nil {
				return nil, nil, err
			}
			memory = scheduler.NewStoreMemory(ro)
			st = ro
		}
		return scheduler.New(ss, targets, memory, nil, catalog, opts...), st, nil
	}
	{
		data, err := os.ReadFile(f.file)
		if err != nil {
			return nil, nil, err
		}
		sum := sha256.Sum256(data)
		opts = append(opts, scheduler.WithRunInfo(store.RunInfo{
			OSUser: osUser(a.Getenv), CallerARN: set.CallerARN, PolicyFile: f.file, PolicyHash: hex.EncodeToString(sum[:]),
		}))
		n, err := a.scheduleNotifier(set.Base, file, f)
		if err != nil {
			return nil, nil, err
		}
		if n != nil {
			opts = append(opts, scheduler.WithNotifier(n))
		}
		if st, err = a.openStore(ctx, ""); err != nil {
			return nil, nil, err
		}
		memory = scheduler.NewStoreMemory(st)
	}
	return scheduler.New(ss, targets, memory, st, catalog, opts...), st, nil
}

// noMemory is the memory of a scheduler that has never run here.
type noMemory struct{}

func (noMemory) Get(context.Context, string, resource.ID) (*schedule.Memory, error) { return nil, nil }
func (noMemory) Put(context.Context, string, resource.ID, schedule.Memory) error {
	return fmt.Errorf("schedule memory: no state database")
}

// scheduleNotifier builds the notifiers the flags or the file name.
func (a *app) scheduleNotifier(cfg aws.Config, file *schedule.File, f *scheduleRunFlags) (notify.Notifier, error) {
	topic, hookEnv := f.snsTopic, f.webhookURLEnv
	if file.Notify != nil {
		if topic == "" {
			topic = file.Notify.SNSTopicARN
		}
		if hookEnv == "" {
			hookEnv = file.Notify.WebhookURLEnv
		}
	}
	var ns notify.Multi
	if topic != "" {
		region, err := notify.TopicRegion(topic)
		if err != nil {
			return nil, root.UsageError("--sns-topic: %v", err)
		}
		ns = append(ns, notify.NewSNS(awsapi.NewClients(cfg, region, false).SNS, topic))
	}
	if hookEnv != "" {
		url := a.Getenv(hookEnv)
		if url == "" {
			return nil, root.UsageError("webhook: environment variable %s is empty or not set", hookEnv)
		}
		ns = append(ns, notify.NewWebhook(url, nil))
	}
	if len(ns) == 0 {
		return nil, nil
	}
	return ns, nil
}

// osUser is the local user for the audit log's "who".
func osUser(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// minInterval keeps a daemon from calling SageMaker's List and Describe
// APIs in a tight loop: schedules have minute resolution.
const minInterval = time.Minute

func newScheduleRunCmd(a *app) *cobra.Command {
	var f scheduleRunFlags
	var yes, daemon bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "run -f schedules.yaml [--yes]",
		Short: "Start and stop the scheduled resources as the schedules say now (dry run without --yes)",
		Long: `run evaluates every schedule in the file now and acts on the resources its
targets select (notebook instances, started and stopped, and Studio apps,
stopped only, by name prefix, glob, regex or tag), in
each --region (default: the AWS configuration's region) of the caller's
account, or of each account --accounts or --organization names (entered
through STS AssumeRole, as for scan). Without --yes it
only says what it would do. Run it from cron, EventBridge + Lambda, or with
--daemon.

It acts only on a transition it has not acted on yet: a run missed at 07:00
is caught up by the next one, and a notebook started by hand in the evening
is left alone until the next transition (enforced: true acts on every run).
A notebook tagged sagesaver:snooze-until=2026-12-01T23:00Z is not stopped
before then. Each resource is re-checked just before acting. Every action is
in the audit log (--state), and one digest per run that did something goes to
the SNS topic and/or webhook the file's notify block or the flags name.`,
		Example: `  sagesaver schedule run -f examples/schedules/dev-notebooks-office-hours.yaml --region us-east-1
  sagesaver schedule run -f schedules.yaml --yes --sns-topic arn:aws:sns:us-east-1:123456789012:ops
  sagesaver schedule run -f schedules.yaml --yes --daemon --interval 5m
  sagesaver schedule run -f schedules.yaml --region all --accounts accounts.yaml --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.Cfg.Output != config.OutputTable && a.Cfg.Output != config.OutputJSON {
				return root.UsageError("schedule run: -o %s is not supported; use table or json", a.Cfg.Output)
			}
			ctx := cmd.Context()
			runner, st, err := a.newScheduler(ctx, &f, true)
			if err != nil {
				return err
			}
			defer st.Close()
			for {
				rep, err := runner.Run(ctx, !yes)
				if err != nil {
					if daemon && ctx.Err() != nil {
						return nil // interrupted
					}
					return err
				}
				// A daemon reports runs that did something, not every tick.
				if !daemon || eventful(rep) {
					if err := writeScheduleRun(a.Stdio.Out, a.Cfg.Output, rep); err != nil {
						return err
					}
				}
				if !daemon {
					if rep.Failed() {
						return &root.ExitError{Code: root.ExitPartial, Err: errors.New("schedule run: some actions, listings or the notification failed (see above and sagesaver history)")}
					}
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVar(&yes, "yes", false, "act (without it, a dry run: nothing changes)")
	fl.BoolVar(&daemon, "daemon", false, "keep running, one run every --interval, until interrupted")
	fl.Var(config.NewDurationFlag(&interval, 5*time.Minute).AtLeast(minInterval), "interval", "time between runs with --daemon, at least 1m")
	return cmd
}

// eventful reports whether a run did, or tried, something, or failed.
func eventful(rep *scheduler.Report) bool {
	if rep.Failed() || len(rep.Warnings) > 0 {
		return true
	}
	return slices.ContainsFunc(rep.Outcomes, func(o scheduler.Outcome) bool { return o.Result != "" })
}

type scheduleRunRow struct {
	Schedule string `json:"schedule"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	ARN      string `json:"arn"`
	Status   string `json:"status"`
	Action   string `json:"action"`
	Result   string `json:"result,omitempty"`
	Reason   string `json:"reason"`
	Error    string `json:"error,omitempty"`
	Hourly   string `json:"hourly,omitempty"`
}

type scheduleRunJSON struct {
	Schema   string           `json:"schema"`
	RunID    int64            `json:"run_id"`
	At       time.Time        `json:"at"`
	DryRun   bool             `json:"dry_run"`
	Outcomes []scheduleRunRow `json:"outcomes"`
	Errors   []string         `json:"errors,omitempty"`
	Warnings []string         `json:"warnings,omitempty"`
	Notified bool             `json:"notified"`
	Notify   string           `json:"notify_error,omitempty"`
}

func writeScheduleRun(w io.Writer, output string, rep *scheduler.Report) error {
	out := scheduleRunJSON{Schema: report.SchemaScheduleRun, RunID: rep.RunID, At: rep.At.UTC(), DryRun: rep.DryRun, Outcomes: []scheduleRunRow{}, Notified: rep.Notified}
	for _, o := range rep.Outcomes {
		row := scheduleRunRow{Schedule: o.Schedule, Account: o.Account, Region: o.Region, Kind: string(o.Kind), Name: o.Name, ARN: o.ARN,
			Status: o.Status, Action: string(o.Decision.Action), Result: o.Result, Reason: o.Decision.Reason}
		if o.Err != nil {
			row.Error = o.Err.Error()
		}
		if o.Hourly.Known {
			row.Hourly = o.Hourly.Amount.Plain()
		}
		out.Outcomes = append(out.Outcomes, row)
	}
	for _, err := range rep.Errors {
		out.Errors = append(out.Errors, err.Error())
	}
	out.Warnings = rep.Warnings
	if rep.NotifyErr != nil {
		out.Notify = rep.NotifyErr.Error()
	}
	if output == config.OutputJSON {
		return report.EncodeJSON(w, out)
	}
	mode := "acting"
	if rep.DryRun {
		mode = "dry run: nothing changed; --yes to act"
	}
	fmt.Fprintf(w, "schedule run %d at %s (%s)\n", rep.RunID, rep.At.UTC().Format("2006-01-02 15:04:05 MST"), mode)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEDULE\tACCOUNT\tREGION\tNAME\tSTATUS\tACTION\tRESULT\t$/H\tREASON")
	for _, r := range out.Outcomes {
		result := r.Result
		if result == "" {
			result = "-"
		}
		if r.Error != "" {
			result += ": " + r.Error
		}
		hourly := "unknown"
		if r.Hourly != "" {
			hourly = pricing.MustParseMoney(r.Hourly).FormatRate()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Schedule, r.Account, r.Region, r.Name, r.Status, r.Action, result, hourly, r.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out.Outcomes) == 0 {
		fmt.Fprintln(w, "no resource matches the schedules' targets")
	}
	for _, e := range out.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	for _, e := range out.Warnings {
		fmt.Fprintf(w, "warning: %s\n", e)
	}
	switch {
	case out.Notify != "":
		fmt.Fprintf(w, "notification failed: %s\n", out.Notify)
	case out.Notified:
		fmt.Fprintln(w, "digest sent")
	}
	return nil
}

func newScheduleExplainCmd(a *app) *cobra.Command {
	var f scheduleRunFlags
	cmd := &cobra.Command{
		Use:   "explain NAME -f schedules.yaml",
		Short: "Say why a notebook instance is (or should be) running or stopped now",
		Long: `explain finds the notebook instance NAME in each --region and says which
schedule governs it (the first in the file whose targets match), the
schedule's expressions and time zone, whether today is a holiday, its snooze
tag, what the scheduler remembers applying, what a run now would do and why,
and the next transition. It changes nothing.`,
		Example: `  sagesaver schedule explain dev-alice -f examples/schedules/dev-notebooks-office-hours.yaml --region us-east-1`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runner, _, err := a.newScheduler(cmd.Context(), &f, false)
			if err != nil {
				return err
			}
			ex, err := runner.Explain(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if len(ex) == 0 {
				return &root.ExitError{Code: root.ExitFailed, Err: fmt.Errorf("no notebook instance %q in %s", args[0], strings.Join(a.regionsOr("the default region"), ", "))}
			}
			for i, e := range ex {
				if i > 0 {
					fmt.Fprintln(a.Stdio.Out)
				}
				fmt.Fprint(a.Stdio.Out, e.Text())
			}
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

func (a *app) regionsOr(def string) []string {
	if len(a.Cfg.Regions) == 0 {
		return []string{def}
	}
	return a.Cfg.Regions
}
