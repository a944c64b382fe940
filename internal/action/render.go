package action

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Row is one step of one finding, as plan and apply print it.
type Row struct {
	Rule    string `json:"rule"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	// Action is the step's action type ("" for a finding without steps).
	Action string `json:"action"`
	// Status is what happens or happened: "would act" (plan, dry run),
	// "skip" (the policy does not act; Reason says why), or the result of
	// apply: ok, failed, skipped (at the re-check or claimed).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Why is the evidence and the conditions that held.
	Why string `json:"why"`
	// SavesMonthly is the step's monthly saving ("" when it saves
	// nothing; "unknown" when the price is not known).
	SavesMonthly string `json:"saves_monthly,omitempty"`
}

// Status values of a Row besides the notify results.
const (
	StatusWouldAct = "would act"
	StatusSkip     = "skip"
)

// Rows lists the report's steps in plan order.
func (r *Report) Rows() []Row {
	type k struct {
		key        resource.ID
		rule, verb string
	}
	out := map[k]Outcome{}
	for _, o := range r.Outcomes {
		out[k{o.Key, o.Rule, o.Verb}] = o
	}
	var rows []Row
	for _, f := range r.Plan.Findings {
		base := Row{Rule: f.Rule, Account: f.Account, Region: f.Region, Kind: string(f.Kind), Name: f.Name,
			Verdict: string(f.Verdict.State), Why: f.Why}
		if len(f.Steps) == 0 {
			rows = append(rows, base)
			continue
		}
		for _, s := range f.Steps {
			row := base
			row.Action = string(s.Action.Type)
			row.Reason = s.Reason
			if s.Status == policy.Skip {
				row.Status = StatusSkip
			} else {
				row.Status = StatusWouldAct
				if o, ok := out[k{f.Key, f.Rule, verb(s)}]; ok && o.Result != notify.ResultDryRun {
					row.Status = o.Result
					if o.Err != nil {
						row.Reason = o.Err.Error()
					}
				}
				if s.Action.Type.Changes() && s.Action.Type != policy.MarkAction && s.Action.Type != policy.Unmark && s.Action.Type != policy.Tag {
					row.SavesMonthly = savesText(s.Saves)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func savesText(p pricing.Price) string {
	if !p.Known {
		return "unknown"
	}
	if p.Amount.IsZero() {
		return ""
	}
	return p.String()
}

// Totals is the report's summary line.
type Totals struct {
	Findings int `json:"findings"`
	// Acting is how many steps run (or would run, in a dry run);
	// Failed and Skipped count apply's failures and re-check skips.
	Acting  int `json:"acting"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Monthly is the monthly saving of those steps (ok, or would act),
	// UnknownPrices how many have no known price.
	Monthly       pricing.Money `json:"saves_monthly"`
	UnknownPrices int           `json:"unknown_prices"`
	// MonthlyEstimate is true when a term of Monthly is an estimated
	// price (shown "~").
	MonthlyEstimate bool `json:"saves_monthly_estimate"`
}

// Totals sums the report.
func (r *Report) Totals() Totals {
	t := Totals{Findings: len(r.Plan.Findings)}
	for _, row := range r.Rows() {
		switch row.Status {
		case StatusWouldAct, notify.ResultOK:
			t.Acting++
		case notify.ResultFailed:
			t.Failed++
		case notify.ResultSkipped:
			t.Skipped++
		}
	}
	t.Monthly, t.UnknownPrices = r.Saved()
	for _, o := range r.Outcomes {
		if (o.Result == notify.ResultOK || o.Result == notify.ResultDryRun) && o.Saves.Known && o.Saves.Estimate {
			t.MonthlyEstimate = true
		}
	}
	if r.DryRun {
		t.Monthly, t.UnknownPrices = r.Plan.Savings()
		t.MonthlyEstimate = false
		for i := range r.Plan.Findings {
			f := &r.Plan.Findings[i]
			if s := f.Saves(); f.Acting() && s.Known && s.Estimate {
				t.MonthlyEstimate = true
			}
		}
	}
	return t
}

// MonthlyText is Totals.Monthly as a reader sees it: "~" before an estimate.
func (t Totals) MonthlyText() string {
	return pricing.Price{Amount: t.Monthly, Known: true, Estimate: t.MonthlyEstimate}.String()
}

// Write renders the report as table, json, csv or markdown.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return r.writeJSON(w)
	case "csv":
		return r.writeCSV(w)
	case "markdown":
		return r.writeMarkdown(w)
	case "table", "":
		return r.writeTable(w)
	}
	return fmt.Errorf("unknown output format %q", format)
}

var head = []string{"RULE", "RESOURCE", "VERDICT", "ACTION", "STATUS", "SAVES/MONTH", "WHY"}

func (row Row) cells() []string {
	res := fmt.Sprintf("%s %s (%s)", row.Kind, row.Name, row.Region)
	why := row.Why
	if row.Reason != "" {
		why = row.Reason + " | " + why
	}
	act := row.Action
	if act == "" {
		act = "-"
	}
	saves := row.SavesMonthly
	if saves == "" {
		saves = "-"
	}
	return []string{row.Rule, res, row.Verdict, act, row.Status, saves, why}
}

func (r *Report) summary() string {
	t := r.Totals()
	mode := "apply"
	verb := "acted on"
	if r.DryRun {
		mode, verb = "plan (dry run, nothing changed)", "would act on"
	}
	s := fmt.Sprintf("%s: %d finding(s); %s %d; saves %s/month", mode, t.Findings, verb, t.Acting, t.MonthlyText())
	if t.UnknownPrices > 0 {
		s += fmt.Sprintf(" (+%d with unknown price)", t.UnknownPrices)
	}
	if t.Failed > 0 {
		s += fmt.Sprintf("; %d FAILED", t.Failed)
	}
	if t.Skipped > 0 {
		s += fmt.Sprintf("; %d skipped at the re-check", t.Skipped)
	}
	s += fmt.Sprintf("; evidence window %s to %s", r.Window.Start.UTC().Format(time.RFC3339), r.Window.End.UTC().Format(time.RFC3339))
	return s
}

func (r *Report) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, row := range r.Rows() {
		fmt.Fprintln(tw, strings.Join(row.cells(), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, o := range r.Recovered {
		fmt.Fprintf(w, "recovered: %s %s: %s\n", o.Verb, o.Key, o.Result+" ("+o.Reason+")")
	}
	r.writeEvidenceErrors(w)
	_, err := fmt.Fprintln(w, "\n"+r.summary())
	return err
}

func (r *Report) writeEvidenceErrors(w io.Writer) {
	for _, f := range r.ScanFailures {
		fmt.Fprintf(w, "scan failed: %s %s %s (not in this plan): %s\n", f.Account, f.Region, f.Kind, f.Reason)
	}
	for _, e := range r.EvidenceErrors {
		what := fmt.Sprintf("%d endpoint(s)", e.Endpoints)
		switch {
		case e.CanvasApps > 0 && e.Endpoints == 0:
			what = fmt.Sprintf("%d Canvas app(s)", e.CanvasApps)
		case e.CanvasApps > 0:
			what += fmt.Sprintf(" and %d Canvas app(s)", e.CanvasApps)
		}
		fmt.Fprintf(w, "CloudWatch evidence unknown for %s in %s/%s (not acted on): %s\n", what, e.Account, e.Region, e.Err)
	}
}

func (r *Report) writeMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
	for _, row := range r.Rows() {
		cells := row.cells()
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	r.writeEvidenceErrors(w)
	_, err := fmt.Fprintf(w, "%s\n", r.summary())
	return err
}

func (r *Report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"rule", "account", "region", "kind", "name", "verdict", "action", "status", "reason", "why", "saves_monthly"})
	for _, row := range r.Rows() {
		_ = cw.Write([]string{row.Rule, row.Account, row.Region, row.Kind, row.Name, row.Verdict, row.Action, row.Status, row.Reason, row.Why, row.SavesMonthly})
	}
	cw.Flush()
	return cw.Error()
}

type jsonReport struct {
	Schema string    `json:"schema"`
	RunID  int64     `json:"run_id"`
	DryRun bool      `json:"dry_run"`
	At     time.Time `json:"at"`
	Window struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"evidence_window"`
	Rows      []Row    `json:"steps"`
	Totals    Totals   `json:"totals"`
	Recovered []string `json:"recovered,omitempty"`
	// EvidenceErrors: where CloudWatch failed (endpoints unknown).
	EvidenceErrors []EvidenceError `json:"evidence_errors,omitempty"`
	// ScanFailures: the parts of the scan that failed (not in the plan).
	ScanFailures []scanFailure `json:"scan_failures,omitempty"`
	Notified     bool          `json:"notified"`
	NotifyErr    string        `json:"notify_error,omitempty"`
}

// scanFailure is one failed part of the scan in the JSON report.
type scanFailure struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Kind    string `json:"kind"`
	Error   string `json:"error"`
}

func (r *Report) writeJSON(w io.Writer) error {
	j := jsonReport{Schema: report.SchemaPlan, RunID: r.RunID, DryRun: r.DryRun, At: r.At.UTC(), Rows: r.Rows(), Totals: r.Totals(), Notified: r.Notified,
		EvidenceErrors: r.EvidenceErrors}
	j.Window.Start, j.Window.End = r.Window.Start.UTC(), r.Window.End.UTC()
	if j.Rows == nil {
		j.Rows = []Row{}
	}
	for _, o := range r.Recovered {
		j.Recovered = append(j.Recovered, o.Verb+" "+o.Key.String()+": "+o.Result)
	}
	for _, f := range r.ScanFailures {
		j.ScanFailures = append(j.ScanFailures, scanFailure{Account: f.Account, Region: f.Region, Kind: string(f.Kind), Error: f.Reason})
	}
	if r.NotifyErr != nil {
		j.NotifyErr = r.NotifyErr.Error()
	}
	return report.EncodeJSON(w, j)
}
