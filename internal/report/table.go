package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Columns of the resource table, shared by the table and Markdown.
var resourceHead = []string{"ACCOUNT", "REGION", "KIND", "NAME", "STATUS", "INSTANCE", "N", "$/HOUR", "$/MONTH", "SO FAR", "PRICE SOURCE"}

// rightAligned marks the numeric columns of resourceHead.
var rightAligned = map[int]bool{6: true, 7: true, 8: true, 9: true}

// hourly formats a run-rate: up to 4 decimal places, so that small rates
// such as $0.0464 are not shown as $0.05.
func hourly(p pricing.Price) string {
	if !p.Known {
		return "unknown"
	}
	s := p.Amount.Round(4).FormatRate()
	if p.Estimate {
		return "~" + s
	}
	return s
}

// money formats an amount in cents.
func money(p pricing.Price) string { return p.String() }

func resourceRow(l cost.Line) []string {
	r := &l.Resource
	n := strconv.Itoa(r.InstanceCount)
	h, m, so := hourly(l.Hourly), money(l.Monthly), "-"
	switch l.Basis {
	case cost.NotApplicable:
		h, m, n = "-", "-", "-"
	case cost.NotModelled:
		n = "-"
	}
	if l.IsJob() && l.Basis != cost.NotApplicable {
		so = money(l.SoFar)
	}
	it := r.InstanceType
	switch r.Kind {
	case resource.MLflowTrackingServer:
		it = r.Size // billed by its size, not an instance type
	case resource.SpaceStorage:
		it, n, h = strconv.Itoa(r.VolumeGB)+" GB", "-", "-" // a volume: GB-month, no hourly rate
	case resource.CanvasApp:
		it = "session" // billed per session-hour
	}
	if it == "" {
		it = "-"
	}
	return []string{r.Account, r.Region, string(r.Kind), displayName(r), r.Status, it, n, h, m, so, l.Source}
}

// totalCells formats a stage total for the $/HOUR, $/MONTH and SO FAR
// columns.
func totalCells(t cost.StageTotal) (h, m, so string) {
	h, m, so = t.Hourly.String(), t.Monthly.String(), "-"
	if t.SoFar.Items > 0 {
		so = t.SoFar.String()
	}
	return h, m, so
}

// table aligns rows of cells; lines that are not rows (titles, blank
// lines) pass through. Column widths are computed over every row, so that
// all sections line up.
type table struct {
	lines [][]string // nil cells: a raw line in raw[i]
	raw   []string
	right map[int]bool
}

func (t *table) row(cells ...string) { t.lines = append(t.lines, cells); t.raw = append(t.raw, "") }
func (t *table) text(s string)       { t.lines = append(t.lines, nil); t.raw = append(t.raw, s) }

func (t *table) write(w io.Writer, indent string) error {
	var width []int
	for _, cells := range t.lines {
		for i, c := range cells {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for i, cells := range t.lines {
		if cells == nil {
			b.WriteString(t.raw[i])
			b.WriteByte('\n')
			continue
		}
		var line strings.Builder
		line.WriteString(indent)
		for j, c := range cells {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j > 0 {
				line.WriteString("  ")
			}
			if t.right[j] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTable writes the scan for people: a line saying what was scanned,
// one section per stage that has resources (with the stage's total), the
// totals of every stage, and the failures.
func WriteTable(w io.Writer, s *Scan) error {
	fmt.Fprintf(w, "%s\n\n", headline(s))
	t := &table{right: rightAligned}
	groups := byStage(s)
	empty := true
	for i, lines := range groups {
		if len(lines) == 0 {
			continue
		}
		empty = false
		st := s.Summary.Stages[i]
		t.text(fmt.Sprintf("%s (%s, %d running)", stageTitle(st.Stage), plural(st.Resources, "resource", "resources"), st.Running))
		t.row(resourceHead...)
		for _, l := range lines {
			t.row(resourceRow(l)...)
		}
		h, m, so := totalCells(st)
		t.row("total", "", "", "", "", "", "", h, m, so, "")
		t.text("")
	}
	if empty {
		t.text("No SageMaker resources found.")
		t.text("")
	}
	if err := t.write(w, "  "); err != nil {
		return err
	}
	if err := writeTotals(w, s); err != nil {
		return err
	}
	writeLegend(w, s)
	writeFailures(w, s)
	return nil
}

func headline(s *Scan) string {
	return fmt.Sprintf("SageMaker resources in %s and %s, scanned %s; jobs from the last %s.",
		plural(len(s.Accounts), "account", "accounts"), plural(len(s.Regions), "region", "regions"),
		s.ScannedAt.UTC().Format("2006-01-02 15:04 UTC"), days(s.JobLookback))
}

func writeTotals(w io.Writer, s *Scan) error {
	fmt.Fprintln(w, "Totals by stage")
	t := &table{right: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true}}
	t.row("STAGE", "RESOURCES", "RUNNING", "$/HOUR", "$/MONTH", "JOBS SO FAR", "SPOT SAVED")
	add := func(name string, st cost.StageTotal) {
		h, m, so := totalCells(st)
		saved := "-"
		if st.SpotSavings.Items > 0 {
			saved = st.SpotSavings.String()
		}
		t.row(name, strconv.Itoa(st.Resources), strconv.Itoa(st.Running), h, m, so, saved)
	}
	for _, st := range s.Summary.Stages {
		add(string(st.Stage), st)
	}
	add("all", s.Summary.All)
	return t.write(w, "  ")
}

func writeLegend(w io.Writer, s *Scan) {
	all := s.Summary.All
	var notes []string
	notes = append(notes, "$/MONTH is the run-rate now over 730 hours plus ML storage volumes; SO FAR is what jobs have cost.")
	if all.Hourly.Estimated+all.Monthly.Estimated > 0 {
		notes = append(notes, "~ marks an estimate: the instance's price for another component in the same region.")
	}
	if all.Hourly.Unknown+all.Monthly.Unknown+all.SoFar.Unknown > 0 {
		notes = append(notes, "≥ marks a total with unknown terms (a price the catalog lacks, or serverless endpoints): the true cost is higher (`sagesaver pricing refresh` fetches prices the snapshot lacks).")
	}
	if l := sourceLegend(s); l != "" {
		notes = append(notes, l)
	}
	fmt.Fprintln(w)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

func writeFailures(w io.Writer, s *Scan) {
	if len(s.Failures) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFailed (%d): the rest of the scan completed without these.\n", len(s.Failures))
	t := &table{}
	for _, f := range s.Failures {
		t.row(f.Account, f.Region, string(f.Kind), f.Reason)
	}
	_ = t.write(w, "  ")
}
