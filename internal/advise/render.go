package advise

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
)

// Write renders a result in format (config.OutputTable, OutputJSON,
// OutputCSV or OutputMarkdown). Renderers are deterministic for a given
// result. Amounts are rounded to cents everywhere (they are projections);
// an unknown amount is "unknown" in text, null in JSON and empty in CSV.
func Write(w io.Writer, format string, res *Result) error {
	switch format {
	case config.OutputJSON:
		return WriteJSON(w, res)
	case config.OutputCSV:
		return WriteCSV(w, res)
	case config.OutputMarkdown:
		return WriteMarkdown(w, res)
	case config.OutputTable, "":
		return WriteTable(w, res)
	}
	return fmt.Errorf("unknown output format %q", format)
}

// saving formats a recommendation's monthly saving.
func saving(r *Recommendation) string {
	s := r.Saving.String()
	if r.UpTo && r.Saving.Known {
		s = "up to " + s
	}
	return s
}

func totalText(t pricing.Total) string {
	s := t.Sum.String()
	if t.Estimated > 0 {
		s = "~" + s
	}
	if t.Unknown > 0 {
		s += fmt.Sprintf(" + %d unknown", t.Unknown)
	}
	return s
}

// groups returns the recommendations in runs of the same resource.
func groups(res *Result) [][]Recommendation {
	var out [][]Recommendation
	for i, r := range res.Recommendations {
		if i > 0 && r.key() == res.Recommendations[i-1].key() {
			out[len(out)-1] = append(out[len(out)-1], r)
			continue
		}
		out = append(out, []Recommendation{r})
	}
	return out
}

func (res *Result) headline() string {
	if len(res.Recommendations) == 0 {
		if len(res.Failures) > 0 {
			// Unread evidence is not evidence of a good fit.
			return fmt.Sprintf("Evidence unreadable: %s failed (listed below), so the resources it covers could not be judged.",
				plural(len(res.Failures), "evidence read"))
		}
		return "No right-sizing recommendations: every running resource with enough evidence looks sized to its use."
	}
	g := groups(res)
	s := fmt.Sprintf("%s for %s: %s/month if each takes its best one.",
		plural(len(res.Recommendations), "recommendation"), plural(len(g), "resource"), totalText(res.Total()))
	if len(res.Failures) > 0 {
		s += fmt.Sprintf(" %s failed (listed below): the resources it covers are not judged.", plural(len(res.Failures), "evidence read"))
	}
	return s
}

func (res *Result) windowLine() string {
	if res.Start.IsZero() {
		return fmt.Sprintf("Jobs: the last %s, scaled to a month.", duration(res.JobLookback))
	}
	return fmt.Sprintf("Metrics: %s to %s (hourly). Jobs: the last %s, scaled to a month.",
		duration(res.End.Sub(res.Start)), res.End.UTC().Format("2006-01-02 15:04 UTC"), duration(res.JobLookback))
}

// WriteTable writes the recommendations grouped by resource, the groups
// sorted by their best saving, each with its evidence and how to act.
func WriteTable(w io.Writer, res *Result) error {
	var b strings.Builder
	b.WriteString(res.headline() + "\n")
	b.WriteString(res.windowLine() + "\n")
	rows := [][]string{}
	for _, r := range res.Recommendations {
		rows = append(rows, []string{string(r.Rule), r.Current + " -> " + r.Proposed, string(r.Confidence), saving(&r)})
	}
	widths := make([]int, 4)
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	i := 0
	for _, g := range groups(res) {
		f := g[0]
		fmt.Fprintf(&b, "\n%s %s %s %s (%s)\n", f.Account, f.Region, f.Kind, f.Resource, f.CurrentText(res.JobLookback))
		for _, r := range g {
			row := rows[i]
			i++
			b.WriteString("  ")
			for j, c := range row {
				pad := widths[j] - utf8.RuneCountInString(c)
				if j == 3 {
					b.WriteString(strings.Repeat(" ", pad) + c)
					continue
				}
				b.WriteString(c + strings.Repeat(" ", pad) + "  ")
			}
			b.WriteString("\n")
			for _, e := range r.Evidence {
				b.WriteString("      - " + e + "\n")
			}
			for k, line := range strings.Split(r.Action, "\n") {
				if k == 0 {
					b.WriteString("      how: " + line + "\n")
				} else {
					b.WriteString("           " + line + "\n")
				}
			}
		}
	}
	if len(res.Skipped) > 0 {
		b.WriteString("\nNot recommended (a rule applied but the change cannot be priced or is not safe):\n")
		for _, s := range res.Skipped {
			fmt.Fprintf(&b, "  %s %s %s %s: %s\n", s.Account, s.Region, s.Resource, s.Rule, s.Reason)
		}
	}
	if len(res.Failures) > 0 {
		b.WriteString("\nEvidence not read (the rules that need it said nothing):\n")
		for _, f := range res.Failures {
			b.WriteString("  " + f + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cents returns an amount rounded to cents, or nil when unknown.
func cents(p pricing.Price) *pricing.Money {
	if !p.Known {
		return nil
	}
	m := p.Amount.Round(2)
	return &m
}

type jsonRec struct {
	Recommendation
	CurrentMonthly *pricing.Money `json:"current_usd_per_month"`
	RunRate        *pricing.Money `json:"run_rate_usd_per_month"`
	Saving         *pricing.Money `json:"saving_usd_per_month"`
	Estimate       bool           `json:"estimate"`
}

type jsonResult struct {
	Schema          string         `json:"schema"`
	Start           *time.Time     `json:"metrics_start,omitempty"`
	End             *time.Time     `json:"metrics_end,omitempty"`
	JobLookbackDays float64        `json:"job_lookback_days"`
	Total           *pricing.Money `json:"total_saving_usd_per_month"`
	TotalUnknown    int            `json:"total_unknown_terms"`
	Recommendations []jsonRec      `json:"recommendations"`
	Skipped         []Skip         `json:"skipped"`
	Failures        []string       `json:"failures"`
}

// WriteJSON writes the result as one JSON document (schema in
// docs/advise.md).
func WriteJSON(w io.Writer, res *Result) error {
	t := res.Total()
	total := t.Sum.Round(2)
	out := jsonResult{
		Schema: report.SchemaAdvise, JobLookbackDays: res.JobLookback.Hours() / 24, Total: &total, TotalUnknown: t.Unknown,
		Recommendations: []jsonRec{}, Skipped: res.Skipped,
	}
	out.Failures = append([]string{}, res.Failures...)
	if out.Skipped == nil {
		out.Skipped = []Skip{}
	}
	if !res.Start.IsZero() {
		s, e := res.Start.UTC(), res.End.UTC()
		out.Start, out.End = &s, &e
	}
	for _, r := range res.Recommendations {
		if r.Evidence == nil {
			r.Evidence = []string{}
		}
		out.Recommendations = append(out.Recommendations, jsonRec{
			Recommendation: r, CurrentMonthly: cents(r.CurrentMonthly), RunRate: cents(r.RunRate), Saving: cents(r.Saving),
			Estimate: r.Saving.Known && r.Saving.Estimate,
		})
	}
	return report.EncodeJSON(w, out)
}

// ReadJSON decodes what WriteJSON wrote back into a Result (the tick
// keeps advice in the store that way; serve reads it): amounts come back
// rounded to cents, with their price rows' sources lost; a null amount is
// unknown.
func ReadJSON(r io.Reader) (*Result, error) {
	var in jsonResult
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("read advice: %w", err)
	}
	if in.Schema != report.SchemaAdvise {
		return nil, fmt.Errorf("read advice: schema %q, want %q", in.Schema, report.SchemaAdvise)
	}
	res := &Result{JobLookback: time.Duration(in.JobLookbackDays * 24 * float64(time.Hour)), Skipped: in.Skipped, Failures: in.Failures}
	if in.Start != nil && in.End != nil {
		res.Start, res.End = *in.Start, *in.End
	}
	price := func(m *pricing.Money, estimate bool) pricing.Price {
		if m == nil {
			return pricing.Unknown
		}
		return pricing.Price{Amount: *m, Known: true, Estimate: estimate}
	}
	for _, jr := range in.Recommendations {
		rec := jr.Recommendation
		rec.CurrentMonthly = price(jr.CurrentMonthly, false)
		rec.RunRate = price(jr.RunRate, false)
		rec.Saving = price(jr.Saving, jr.Estimate)
		res.Recommendations = append(res.Recommendations, rec)
	}
	return res, nil
}

// CSVColumns are the columns of the CSV output: one row per
// recommendation; evidence lines are joined with "; ".
var CSVColumns = []string{
	"account", "region", "kind", "resource", "rule", "current", "proposed", "confidence",
	"current_usd_per_month", "current_basis", "run_rate_usd_per_month", "saving_usd_per_month", "estimate", "up_to", "evidence", "action",
}

// WriteCSV writes one row per recommendation with CSVColumns.
func WriteCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVColumns)
	str := func(m *pricing.Money) string {
		if m == nil {
			return ""
		}
		return m.Plain()
	}
	for _, r := range res.Recommendations {
		_ = cw.Write([]string{
			r.Account, r.Region, string(r.Kind), r.Resource, string(r.Rule), r.Current, r.Proposed, string(r.Confidence),
			str(cents(r.CurrentMonthly)), string(r.CurrentBasis), str(cents(r.RunRate)), str(cents(r.Saving)), strconv.FormatBool(r.Saving.Known && r.Saving.Estimate),
			strconv.FormatBool(r.UpTo), strings.Join(r.Evidence, "; "), r.Action,
		})
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes the result for pasting into a ticket: a summary
// table, then each recommendation with its evidence and how to act.
func WriteMarkdown(w io.Writer, res *Result) error {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("## SageMaker right-sizing\n\n")
	b.WriteString(res.headline() + " " + res.windowLine() + "\n")
	if len(res.Recommendations) > 0 {
		b.WriteString("\n| # | Resource | Account / region | Change | Confidence | Saved / month |\n|---|---|---|---|---|---:|\n")
		for i, r := range res.Recommendations {
			fmt.Fprintf(&b, "| %d | %s `%s` | %s / %s | %s: %s → %s | %s | %s |\n", i+1, r.Kind, esc(r.Resource), r.Account, r.Region,
				r.Rule, esc(r.Current), esc(r.Proposed), r.Confidence, saving(&r))
		}
		for i, r := range res.Recommendations {
			fmt.Fprintf(&b, "\n### %d. %s `%s`: %s\n\n", i+1, r.Kind, r.Resource, r.Rule)
			fmt.Fprintf(&b, "%s → %s, saves %s/month (%s confidence; %s).\n\n", r.Current, r.Proposed, saving(&r), r.Confidence, r.CurrentText(res.JobLookback))
			for _, e := range r.Evidence {
				b.WriteString("- " + e + "\n")
			}
			if strings.HasPrefix(r.Action, "aws ") {
				b.WriteString("\n```sh\n" + r.Action + "\n```\n")
			} else {
				b.WriteString("\nHow: " + r.Action + "\n")
			}
		}
	}
	if len(res.Skipped) > 0 {
		b.WriteString("\n### Not recommended\n\n")
		for _, s := range res.Skipped {
			fmt.Fprintf(&b, "- `%s` (%s / %s) %s: %s\n", s.Resource, s.Account, s.Region, s.Rule, s.Reason)
		}
	}
	if len(res.Failures) > 0 {
		b.WriteString("\n### Evidence not read\n\n")
		for _, f := range res.Failures {
			b.WriteString("- " + f + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
