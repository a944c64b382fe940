package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// CSVColumns are the columns of the CSV output, in order. Amounts are
// plain decimals in USD; an unknown (or not applicable) amount is an empty
// cell, never 0. Totals and failures are not part of the CSV: it is one row
// per resource, for spreadsheets.
var CSVColumns = []string{
	"account", "region", "stage", "kind", "name", "variant", "status", "running",
	"instance_type", "instance_count", "component",
	"usd_per_instance_hour", "usd_per_hour", "storage_usd_per_month", "usd_per_month",
	"cost_so_far_usd", "spot_savings_usd", "estimate", "price_source", "note",
}

func plain(p pricing.Price) string {
	if !p.Known {
		return ""
	}
	return p.Amount.Plain()
}

// WriteCSV writes one row per resource with CSVColumns.
func WriteCSV(w io.Writer, s *Scan) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVColumns)
	for _, l := range s.Lines {
		r := &l.Resource
		soFar, saved := "", ""
		if l.IsJob() {
			soFar, saved = plain(l.SoFar), plain(l.SpotSavings)
		}
		_ = cw.Write([]string{
			r.Account, r.Region, string(l.Stage), string(r.Kind), r.Name, r.Variant, r.Status, strconv.FormatBool(r.Running),
			r.InstanceType, strconv.Itoa(r.InstanceCount), string(l.Component),
			plain(l.Rate), plain(l.Hourly), plain(l.Storage), plain(l.Monthly),
			soFar, saved, strconv.FormatBool(l.Rate.Known && l.Rate.Estimate), l.Source, l.Note,
		})
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes the scan as Markdown: a section per stage with
// resources, the totals, and the failures.
func WriteMarkdown(w io.Writer, s *Scan) error {
	var b strings.Builder
	row := func(cells ...string) {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(esc, " | "))
	}
	sep := func(n int, right map[int]bool) {
		cells := make([]string, n)
		for i := range cells {
			cells[i] = "---"
			if right[i] {
				cells[i] = "---:"
			}
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(&b, "# SageMaker cost scan\n\n%s\n", headline(s))
	for i, lines := range byStage(s) {
		if len(lines) == 0 {
			continue
		}
		st := s.Summary.Stages[i]
		fmt.Fprintf(&b, "\n## %s\n\n", stageTitle(st.Stage))
		row(resourceHead...)
		sep(len(resourceHead), rightAligned)
		for _, l := range lines {
			row(resourceRow(l)...)
		}
		h, m, so := totalCells(st)
		row("**total**", "", "", "", "", "", "", "**"+h+"**", "**"+m+"**", so, "")
	}
	fmt.Fprintf(&b, "\n## Totals by stage\n\n")
	head := []string{"STAGE", "RESOURCES", "RUNNING", "$/HOUR", "$/MONTH", "JOBS SO FAR", "SPOT SAVED"}
	row(head...)
	sep(len(head), map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true})
	add := func(name string, st cost.StageTotal) {
		h, m, so := totalCells(st)
		saved := "-"
		if st.SpotSavings.Items > 0 {
			saved = st.SpotSavings.String()
		}
		row(name, strconv.Itoa(st.Resources), strconv.Itoa(st.Running), h, m, so, saved)
	}
	for _, st := range s.Summary.Stages {
		add(string(st.Stage), st)
	}
	add("**all**", s.Summary.All)
	if l := sourceLegend(s); l != "" {
		fmt.Fprintf(&b, "\n%s\n", l)
	}
	if len(s.Failures) > 0 {
		fmt.Fprintf(&b, "\n## Failures\n\nThe rest of the scan completed without these:\n\n")
		for _, f := range s.Failures {
			fmt.Fprintf(&b, "- `%s` %s %s: %s\n", f.Account, f.Region, f.Kind, f.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
