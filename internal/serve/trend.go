package serve

import (
	"context"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/store"
)

// monthToDate estimates what the fleet cost since the 1st of now's month
// (UTC) from the run-rate history: each point's rate until the next point
// (the last until now); before the first point of the month, that point's
// rate. An estimate at list prices, not the bill: ok is false without a
// history.
func monthToDate(hist []Point, now time.Time) (usd float64, ok bool) {
	start := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	rate := func(p Point) float64 {
		var r float64
		for _, v := range p.ByKind {
			r += v
		}
		return r
	}
	first := true
	for i, p := range hist {
		end := now
		if i+1 < len(hist) {
			end = hist[i+1].At
		}
		if !end.After(start) {
			continue
		}
		from := p.At
		if first || from.Before(start) {
			from = start
			first = false
		}
		if end.After(from) {
			usd += rate(p) * end.Sub(from).Hours()
			ok = true
		}
	}
	return usd, ok
}

// savingsChartPoints is how many points the realized-vs-estimated chart
// has.
const savingsChartPoints = 60

// savingsChart is realized vs estimated savings, cumulative, since the
// first saving period: realized is the ledger (hours a thing was really
// off x its price); estimated is what each action said it would save a
// month, from when it acted to now, as if nothing had been started again.
// The gap is what people undid.
func (s *Server) savingsChart(ctx context.Context, periods []store.SavingPeriod, now time.Time) *chartData {
	if len(periods) == 0 {
		return nil
	}
	first := periods[0].From
	for _, p := range periods {
		if p.From.Before(first) {
			first = p.From
		}
	}
	if !now.After(first) {
		return nil
	}
	type span struct {
		from, until    time.Time // until: zero while open
		real, estimate float64   // $/hour
	}
	spans := make([]span, 0, len(periods))
	for _, p := range periods {
		sp := span{from: p.From, real: toFloat(p.Hourly)}
		if p.Until != nil {
			sp.until = *p.Until
		}
		sp.estimate = sp.real
		if p.ActionID > 0 {
			if a, err := s.opts.Store.Action(ctx, p.ActionID); err == nil && a.MonthlySaved.Known {
				sp.estimate = toFloat(a.MonthlySaved.Amount) / pricing.HoursPerMonth
			}
		}
		spans = append(spans, sp)
	}
	c := &chartData{Title: "Savings, realized vs estimated", Unit: "$"}
	c.Series = []chartSeries{{Name: "realized"}, {Name: "estimated"}}
	step := now.Sub(first) / (savingsChartPoints - 1)
	for i := range savingsChartPoints {
		t := first.Add(time.Duration(i) * step)
		if i == savingsChartPoints-1 {
			t = now
		}
		var real, estd float64
		for _, sp := range spans {
			if !t.After(sp.from) {
				continue
			}
			estd += sp.estimate * t.Sub(sp.from).Hours()
			end := t
			if !sp.until.IsZero() && sp.until.Before(end) {
				end = sp.until
			}
			if end.After(sp.from) {
				real += sp.real * end.Sub(sp.from).Hours()
			}
		}
		c.X = append(c.X, t.Unix())
		c.Series[0].Values = append(c.Series[0].Values, &real)
		c.Series[1].Values = append(c.Series[1].Values, &estd)
	}
	return c
}
