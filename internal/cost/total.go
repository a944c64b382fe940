package cost

import (
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// StageTotal sums the lines of one billing stage (or of all stages).
// Unknown terms are counted, not dropped: a total with unknowns reads as
// "at least" (see pricing.Total).
type StageTotal struct {
	// Stage is "" for the grand total.
	Stage resource.Stage
	// Resources counts every line of the stage, priced or not.
	Resources int
	// Running counts the lines that accrue instance charges now.
	Running int
	// Hourly and Monthly sum the run-rate now and the projected month.
	Hourly, Monthly pricing.Total
	// SoFar sums the cost so far of jobs.
	SoFar pricing.Total
	// SpotSavings sums what managed spot training saved.
	SpotSavings pricing.Total
}

func (t *StageTotal) add(l *Line) {
	t.Resources++
	if l.Resource.Running {
		t.Running++
	}
	if l.Basis == NotApplicable {
		return
	}
	t.Hourly.Add(l.Hourly)
	t.Monthly.Add(l.Monthly)
	if l.IsJob() {
		t.SoFar.Add(l.SoFar)
		t.SpotSavings.Add(l.SpotSavings)
	}
}

func (t *StageTotal) merge(o StageTotal) {
	t.Resources += o.Resources
	t.Running += o.Running
	t.Hourly.Merge(o.Hourly)
	t.Monthly.Merge(o.Monthly)
	t.SoFar.Merge(o.SoFar)
	t.SpotSavings.Merge(o.SpotSavings)
}

// Summary is the totals of a scan: one per stage, in resource.Stages
// order (stages without resources included, with zero totals), and the
// grand total.
type Summary struct {
	Stages []StageTotal
	All    StageTotal
}

// Summarize totals lines per stage.
func Summarize(lines []Line) Summary {
	by := map[resource.Stage]*StageTotal{}
	s := Summary{Stages: make([]StageTotal, len(resource.Stages))}
	for i, st := range resource.Stages {
		s.Stages[i].Stage = st
		by[st] = &s.Stages[i]
	}
	for i := range lines {
		t := by[lines[i].Stage]
		if t == nil { // a stage this build does not know; keep it visible
			s.Stages = append(s.Stages, StageTotal{Stage: lines[i].Stage})
			for j := range s.Stages {
				by[s.Stages[j].Stage] = &s.Stages[j]
			}
			t = by[lines[i].Stage]
		}
		t.add(&lines[i])
	}
	for _, t := range s.Stages {
		s.All.merge(t)
	}
	return s
}

// Stage returns the total of one stage (zero if absent).
func (s Summary) Stage(st resource.Stage) StageTotal {
	for _, t := range s.Stages {
		if t.Stage == st {
			return t
		}
	}
	return StageTotal{Stage: st}
}

// Known returns the amount of a price, or nil when it is unknown; the form
// for JSON ("null, never 0") and CSV (empty cell).
func Known(p pricing.Price) *pricing.Money {
	if !p.Known {
		return nil
	}
	m := p.Amount
	return &m
}
