package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/ledger"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

func newHistoryCmd(a *app) *cobra.Command {
	var limit int
	var runs bool
	cmd := &cobra.Command{
		Use: "history",
		Example: `  sagesaver history
  sagesaver history --limit 0 -o json
  sagesaver history --runs --limit 12`,
		Short: "Show the audit log (who, when, what, dry run or real, result) and the savings realized",
		Long: `Show what sagesaver did, newest first, from the state database: who ran it
(local user and AWS principal), when, the action and resource, whether it
was a dry run, and the result. Then the savings ledger: a stopped notebook
or Studio app saves its price until it runs again (plan and apply notice
restarts), a deleted endpoint until it is restored.

With --runs: the ticks of 'sagesaver run' instead, newest first, each with
its targets' results (status, what was done, AWS calls, duration, error).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runs {
				return runHistoryRuns(cmd.Context(), a, limit)
			}
			return runHistory(cmd.Context(), a, limit)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "audit log entries (with --runs: ticks) to show (0 = all)")
	cmd.Flags().BoolVar(&runs, "runs", false, "list the ticks of 'sagesaver run' with each target's result")
	return cmd
}

type historyAction struct {
	ID       int64     `json:"id"`
	RunID    int64     `json:"run_id"`
	When     time.Time `json:"when"`
	Who      string    `json:"who"`
	Action   string    `json:"action"`
	Resource string    `json:"resource"`
	DryRun   bool      `json:"dry_run"`
	Result   string    `json:"result"`
	Error    string    `json:"error,omitempty"`
	Saves    string    `json:"saves_monthly,omitempty"`
}

type historySaving struct {
	Resource string        `json:"resource"`
	From     time.Time     `json:"from"`
	Until    *time.Time    `json:"until,omitempty"`
	Hourly   pricing.Money `json:"hourly"`
	Realized pricing.Money `json:"realized"`
	// Estimate is true when Hourly (and so Realized) is an estimated
	// price ("~" in the table).
	Estimate bool `json:"estimate"`
	// ActionID is the audit entry that opened the period (0: none), with
	// its verb, policy rule (or "schedule NAME") and team tag.
	ActionID int64  `json:"action_id,omitempty"`
	Action   string `json:"action,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Team     string `json:"team,omitempty"`
	// Hours is how long it saved up to at: Realized = Hours x Hourly.
	Hours float64 `json:"hours"`
	// EstimatedMonthly is what the action said it saves per month;
	// Estimated is that over the hours since From (ledger.Entry).
	EstimatedMonthly pricing.Money  `json:"estimated_monthly"`
	Estimated        pricing.Money  `json:"estimated"`
	Months           []ledger.Month `json:"months"`
}

type historyDoc struct {
	Schema   string          `json:"schema"`
	At       time.Time       `json:"at"`
	Actions  []historyAction `json:"actions"`
	Savings  []historySaving `json:"savings"`
	Realized pricing.Money   `json:"realized_total"`
	// Estimated is the sum of the periods' Estimated.
	Estimated pricing.Money `json:"estimated_total"`
	// ByAction, ByRule and ByTeam are the periods summed by action verb,
	// policy rule and team tag, each month beside the total.
	ByAction []ledger.Group `json:"by_action"`
	ByRule   []ledger.Group `json:"by_rule"`
	ByTeam   []ledger.Group `json:"by_team"`
	// Saving is the hourly rate of the periods still open.
	Saving pricing.Money `json:"saving_hourly"`
	// RealizedEstimate and SavingEstimate are true when a term of
	// Realized or Saving is an estimate.
	RealizedEstimate bool `json:"realized_estimate"`
	SavingEstimate   bool `json:"saving_estimate"`
	// UnsentNotices counts the notices not delivered yet (the next apply
	// or schedule run sends them); LastNoticeError is the latest reason.
	UnsentNotices   int    `json:"unsent_notices"`
	LastNoticeError string `json:"last_notice_error,omitempty"`
}

func runHistory(ctx context.Context, a *app, limit int) error {
	st, err := a.openStore(ctx, "")
	if err != nil {
		return err
	}
	defer st.Close()
	doc, err := readHistory(ctx, st, limit, a.now())
	if err != nil {
		return err
	}
	if a.Cfg.Output == config.OutputJSON {
		return report.EncodeJSON(a.Stdio.Out, doc)
	}
	return writeHistoryTable(a.Stdio.Out, doc)
}

// readHistory reads the audit log (limit entries, 0 = all) and the savings
// ledger as of now.
func readHistory(ctx context.Context, st store.Store, limit int, now time.Time) (historyDoc, error) {
	acts, err := st.Actions(ctx, store.ActionFilter{Limit: limit})
	if err != nil {
		return historyDoc{}, err
	}
	periods, err := st.Savings(ctx)
	if err != nil {
		return historyDoc{}, err
	}
	unsent, err := st.UnsentNotices(ctx)
	if err != nil {
		return historyDoc{}, err
	}
	doc := historyDoc{Schema: report.SchemaHistory, At: now.UTC(), Actions: []historyAction{}, Savings: []historySaving{}, UnsentNotices: len(unsent)}
	for _, n := range unsent {
		if n.LastError != "" {
			doc.LastNoticeError = n.LastError
		}
	}
	for _, x := range acts {
		h := historyAction{ID: x.ID, RunID: x.RunID, When: x.Started.UTC(), Who: x.Actor, Action: x.Verb, Resource: x.Resource,
			DryRun: x.DryRun, Result: string(x.Result), Error: x.Error}
		if x.MonthlySaved.Known && !x.MonthlySaved.Amount.IsZero() {
			h.Saves = x.MonthlySaved.String()
		}
		doc.Actions = append(doc.Actions, h)
	}
	entries, err := ledger.Read(ctx, st, periods, now)
	if err != nil {
		return historyDoc{}, err
	}
	for _, e := range entries {
		p, r := e.Period, e.Realized
		doc.Savings = append(doc.Savings, historySaving{Resource: p.Resource.String(), From: p.From.UTC(), Until: p.Until, Hourly: p.Hourly,
			Realized: r, Estimate: p.Estimate, ActionID: p.ActionID, Action: e.Verb, Rule: e.Rule, Team: e.Team, Hours: e.Hours(),
			EstimatedMonthly: e.EstimatedMonthly, Estimated: e.Estimated, Months: e.Months})
	}
	t := ledger.Sum(entries, now)
	doc.Realized, doc.Estimated, doc.Saving = t.Realized, t.Estimated, t.Saving
	doc.RealizedEstimate, doc.SavingEstimate = t.RealizedEstimate, t.SavingEstimate
	doc.ByAction, doc.ByRule, doc.ByTeam = ledger.GroupBy(entries, "action"), ledger.GroupBy(entries, "rule"), ledger.GroupBy(entries, "team")
	return doc, nil
}

func writeHistoryTable(w io.Writer, doc historyDoc) error {
	fmt.Fprintln(w, "Audit log (newest first):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tRESOURCE\tMODE\tRESULT\tDETAIL")
	for _, x := range doc.Actions {
		mode := "real"
		if x.DryRun {
			mode = "dry-run"
		}
		detail := x.Error
		if detail == "" && x.Saves != "" {
			detail = "saves " + x.Saves + "/month"
		}
		who := x.Who
		if who == "" {
			who = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.When.Format("2006-01-02 15:04:05Z"), who, x.Action, x.Resource, mode, x.Result, oneLineText(detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSavings ledger:")
	return writeLedger(w, doc)
}

// writeLedger writes the savings ledger of doc and what it realized.
func writeLedger(w io.Writer, doc historyDoc) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tFROM\tUNTIL\t$/HOUR\tREALIZED")
	for _, s := range doc.Savings {
		until := "still saving"
		if s.Until != nil {
			until = s.Until.UTC().Format("2006-01-02 15:04Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Resource, s.From.Format("2006-01-02 15:04Z"), until,
			tilde(s.Estimate)+s.Hourly.Round(4).FormatRate(), tilde(s.Estimate)+s.Realized.String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nRealized savings: %s%s; saving now %s%s/hour (%s%s/month)\n", tilde(doc.RealizedEstimate), doc.Realized,
		tilde(doc.SavingEstimate), doc.Saving.Round(4).FormatRate(), tilde(doc.SavingEstimate), doc.Saving.Mul(pricing.HoursPerMonth)); err != nil {
		return err
	}
	if doc.RealizedEstimate || doc.SavingEstimate {
		if _, err := fmt.Fprintln(w, "~ estimate: priced from another component's rate for the same instance type (see `sagesaver scan`)"); err != nil {
			return err
		}
	}
	if doc.UnsentNotices > 0 {
		msg := ""
		if doc.LastNoticeError != "" {
			msg = " (last error: " + oneLineText(doc.LastNoticeError) + ")"
		}
		if _, err := fmt.Fprintf(w, "\n%d notice(s) not delivered yet%s; the next apply --yes or schedule run --yes sends them.\n", doc.UnsentNotices, msg); err != nil {
			return err
		}
	}
	return nil
}

// tilde is "~" for an estimated amount, as pricing.Price.String writes it.
func tilde(estimate bool) string {
	if estimate {
		return "~"
	}
	return ""
}

func oneLineText(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// historyRun is one tick in `history --runs`.
type historyRun struct {
	RunID    int64        `json:"run_id"`
	Tick     time.Time    `json:"tick"`
	Started  time.Time    `json:"started"`
	Finished *time.Time   `json:"finished"`
	Status   string       `json:"status"`
	DryRun   bool         `json:"dry_run"`
	Host     string       `json:"host"`
	Who      string       `json:"who"`
	Error    string       `json:"error,omitempty"`
	Targets  []tickTarget `json:"targets"`
}

type historyRunsDoc struct {
	Schema string       `json:"schema"`
	Runs   []historyRun `json:"runs"`
}

// runHistoryRuns lists the ticks, newest first (limit of them, 0 = all).
func runHistoryRuns(ctx context.Context, a *app, limit int) error {
	st, err := a.openStore(ctx, "")
	if err != nil {
		return err
	}
	defer st.Close()
	all, err := st.Runs(ctx, 0)
	if err != nil {
		return err
	}
	doc := historyRunsDoc{Schema: report.SchemaHistoryRuns, Runs: []historyRun{}}
	for _, r := range all {
		if r.Command != tick.Command || r.Tick.IsZero() {
			continue
		}
		if limit > 0 && len(doc.Runs) == limit {
			break
		}
		trs, err := st.TargetResults(ctx, r.ID)
		if err != nil {
			return err
		}
		h := historyRun{RunID: r.ID, Tick: r.Tick.UTC(), Started: r.Started.UTC(), Status: string(r.Status), DryRun: r.DryRun,
			Host: r.Host, Who: r.Actor(), Error: r.Error, Targets: newTickTargets(trs)}
		if r.Finished != nil {
			f := r.Finished.UTC()
			h.Finished = &f
		}
		doc.Runs = append(doc.Runs, h)
	}
	if a.Cfg.Output == config.OutputJSON {
		return report.EncodeJSON(a.Stdio.Out, doc)
	}
	w := a.Stdio.Out
	if len(doc.Runs) == 0 {
		_, err := fmt.Fprintln(w, "no ticks recorded (sagesaver run -f RUN.yaml records them)")
		return err
	}
	for i, r := range doc.Runs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		mode := "enforce"
		if r.DryRun {
			mode = "dry run"
		}
		fmt.Fprintf(w, "tick %s  run %d  %s  %s  on %s\n", r.Tick.Format(time.RFC3339), r.RunID, r.Status, mode, r.Host)
		if r.Error != "" {
			fmt.Fprintf(w, "  %s\n", oneLineText(r.Error))
		}
		if len(r.Targets) == 0 {
			fmt.Fprintln(w, "  no target worked on (the tick was claimed by another run)")
			continue
		}
		if err := writeTickTargets(w, r.Targets, "  "); err != nil {
			return err
		}
	}
	return nil
}
