// Package report renders a priced scan as a table for people, JSON (a
// documented, stable schema: docs/scan.md), CSV or Markdown. Renderers are
// pure and deterministic for a given input, and golden-tested.
//
// Money is shown exactly in JSON and CSV (plain decimals) and rounded to
// cents in the table and Markdown; an unknown amount is null in JSON, an
// empty cell in CSV and "unknown" in the table, never 0.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Scan is a priced scan, the input of every renderer.
type Scan struct {
	// ScannedAt is when the scan started.
	ScannedAt time.Time
	// Accounts and Regions are the targets scanned (sorted).
	Accounts []string
	Regions  []string
	// JobLookback is how far back finished jobs were listed.
	JobLookback time.Duration
	Lines       []cost.Line
	Summary     cost.Summary
	Failures    []Failure
	// Sources are the price sources the lines use (their rates' and
	// storage prices' letters), by letter: the legend of the PRICE SOURCE
	// column.
	Sources []pricing.Source
}

// Found is what a scan found, as the report needs it (the CLI fills it
// from an inventory.Result; report does not import inventory, which links
// the AWS SDK).
type Found struct {
	Resources []resource.Resource
	Failures  []Failure
	// ScannedAt is when the scan started.
	ScannedAt time.Time
}

// Failure is a part of the scan that could not be listed.
type Failure struct {
	Account string
	Region  string
	Kind    resource.Kind
	// Class is the kind of error, as people read it ("access denied").
	Class  string
	Reason string
}

// New prices a scan result. accounts and regions are the targets asked
// for (a target that failed entirely still counts as scanned).
func New(res Found, c *pricing.Catalog, accounts, regions []string, lookback time.Duration) *Scan {
	lines := cost.Price(c, res.Resources)
	return &Scan{
		ScannedAt: res.ScannedAt, Accounts: sortedUnique(accounts), Regions: sortedUnique(regions),
		JobLookback: lookback, Lines: lines, Summary: cost.Summarize(lines), Failures: res.Failures,
		Sources: sourcesUsed(c, lines),
	}
}

// sourcesUsed returns the catalog's sources that priced a line.
func sourcesUsed(c *pricing.Catalog, lines []cost.Line) []pricing.Source {
	used := map[string]bool{}
	for _, l := range lines {
		for _, p := range []pricing.Price{l.Rate, l.Storage} {
			if p.Known && p.Source != "" {
				used[p.Source] = true
			}
		}
	}
	var out []pricing.Source
	for _, src := range c.Sources() {
		if used[src.Letter] {
			out = append(out, src)
		}
	}
	return out
}

// sourceLegend is the one-line legend of the PRICE SOURCE column, or ""
// when no price was used: "Price sources: A AWS public pricing JSON
// (2025-06-16), C public research note (2026-09-24). ...".
func sourceLegend(s *Scan) string {
	if len(s.Sources) == 0 {
		return ""
	}
	parts := make([]string, len(s.Sources))
	for i, src := range s.Sources {
		parts[i] = fmt.Sprintf("%s %s (%s)", src.Letter, src.Title, publishedDate(src.Published))
	}
	return "Price sources: " + strings.Join(parts, ", ") + "; `sagesaver pricing info` describes them."
}

// publishedDate shortens an RFC 3339 publication time to its date;
// other forms ("December 2023") stay as they are.
func publishedDate(s string) string {
	if len(s) > 10 && s[4] == '-' && s[7] == '-' && s[10] == 'T' {
		return s[:10]
	}
	return s
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Write renders s in format (config.OutputTable, OutputJSON, OutputCSV or
// OutputMarkdown).
func Write(w io.Writer, format string, s *Scan) error {
	switch format {
	case config.OutputJSON:
		return WriteJSON(w, s)
	case config.OutputCSV:
		return WriteCSV(w, s)
	case config.OutputMarkdown:
		return WriteMarkdown(w, s)
	case config.OutputTable, "":
		return WriteTable(w, s)
	}
	return fmt.Errorf("unknown output format %q", format)
}

// stageTitles name the stages for people.
var stageTitles = map[resource.Stage]string{
	resource.StageBuild:      "Build: notebook instances, Studio, Canvas and MLflow",
	resource.StageProcessing: "Processing jobs",
	resource.StageTraining:   "Training, tuning and HyperPod",
	resource.StageTransform:  "Batch transform",
	resource.StageInference:  "Inference: endpoints",
}

func stageTitle(s resource.Stage) string {
	if t, ok := stageTitles[s]; ok {
		return t
	}
	return string(s)
}

// displayName is a resource's name with its endpoint variant.
func displayName(r *resource.Resource) string {
	if r.Variant != "" {
		return r.Name + "/" + r.Variant
	}
	return r.Name
}

// byStage groups lines by stage, in the summary's stage order.
func byStage(s *Scan) [][]cost.Line {
	idx := map[resource.Stage]int{}
	groups := make([][]cost.Line, len(s.Summary.Stages))
	for i, t := range s.Summary.Stages {
		idx[t.Stage] = i
	}
	for _, l := range s.Lines {
		i, ok := idx[l.Stage]
		if !ok {
			continue // Summarize adds every stage it sees
		}
		groups[i] = append(groups[i], l)
	}
	return groups
}

// days renders a lookback as a whole number of days when it is one.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
