package serve

import (
	"net/http"
	"slices"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
)

// scheduleKind is the schedule kind of a resource kind ("" when
// schedules do not act on it).
func scheduleKind(k resource.Kind) schedule.Kind {
	switch k {
	case resource.NotebookInstance:
		return schedule.KindNotebook
	case resource.Endpoint:
		return schedule.KindEndpoint
	case resource.StudioApp:
		return schedule.KindStudioApp
	case resource.MLflowTrackingServer:
		return schedule.KindMLflow
	}
	return ""
}

// previewTransitions is how many next transitions a schedule shows.
const previewTransitions = 6

// scheduleRow is one schedule on the Schedules page.
type scheduleRow struct {
	S         *schedule.Schedule
	Wants     string // "running" or "stopped" now
	Reason    string
	Next      []string // the next transitions, in the schedule's zone
	Managed   int
	Running   int
	Stopped   int
	Snoozed   []snoozed
	Resources []*Row
	// Chart is managed, running and stopped over the history (nil before
	// two points).
	Chart *chartData
}

type snoozed struct {
	Row   *Row
	Until time.Time
}

type schedulesView struct {
	Schedules []scheduleRow
	Loaded    bool
}

// next is s's next transitions after now, in words.
func next(s *schedule.Schedule, now time.Time, n int) []string {
	var out []string
	t := now
	for range n {
		tr, ok := s.Next(t)
		if !ok {
			break
		}
		out = append(out, tr.Action()+" "+s.FormatTime(tr.At))
		t = tr.At
	}
	return out
}

// managedBy reports whether s manages the row's resource.
func managedBy(s *schedule.Schedule, r *Row) bool {
	k := scheduleKind(r.Kind)
	return k != "" && s.Matches(k, r.Line.Resource.Name, r.Tags)
}

func (s *Server) schedulesPage(w http.ResponseWriter, r *http.Request) {
	snap, f, ok := s.snapshot(w, r, "schedules", "Schedules")
	if !ok {
		return
	}
	now := s.opts.Clock.Now()
	rows := s.rows.get(snap, f)
	v := &schedulesView{Loaded: s.opts.Schedules != nil}
	var hist []Point
	if len(s.opts.Schedules) > 0 {
		hist = thinned(s.opts.Source.History(), maxChartPoints)
	}
	for _, sc := range s.opts.Schedules {
		running, reason, _ := schedule.DesiredState(sc, now)
		sr := scheduleRow{S: sc, Wants: "stopped", Reason: reason, Next: next(sc, now, previewTransitions)}
		if running {
			sr.Wants = "running"
		}
		seen := map[resource.ID]bool{}
		for i := range rows {
			row := &rows[i]
			id := row.Line.Resource.ID()
			if seen[id] || !slices.Contains(row.Schedules, sc.Name) {
				continue
			}
			seen[id] = true
			sr.Managed++
			if row.Running {
				sr.Running++
			} else {
				sr.Stopped++
			}
			sr.Resources = append(sr.Resources, row)
			if v, ok := row.Tags[sc.SnoozeTag]; ok {
				if until, err := schedule.ParseSnooze(v); err == nil && until.After(now) {
					sr.Snoozed = append(sr.Snoozed, snoozed{Row: row, Until: until})
				}
			}
		}
		sr.Chart = scheduleChart(sc.Name, hist)
		v.Schedules = append(v.Schedules, sr)
	}
	s.render(w, r, "schedules", s.page("schedules", "Schedules", v))
}

// resourceSchedule is a schedule that manages a resource, for its page.
type resourceSchedule struct {
	Name   string
	Wants  string
	Reason string
	Next   []string
}

func (s *Server) resourceSchedules(r *Row, now time.Time) []resourceSchedule {
	var out []resourceSchedule
	for _, sc := range s.opts.Schedules {
		if !slices.Contains(r.Schedules, sc.Name) {
			continue
		}
		running, reason, _ := schedule.DesiredState(sc, now)
		rs := resourceSchedule{Name: sc.Name, Wants: "stopped", Reason: reason, Next: next(sc, now, previewTransitions)}
		if running {
			rs.Wants = "running"
		}
		out = append(out, rs)
	}
	return out
}

// scheduleChart is the resources schedule name managed, running and
// stopped at each point of hist since the first that counted them (a gap
// where it was not loaded); nil before two such points. A point whose
// counts equal both its neighbours' is left out: the line through it is
// the same, and counts change at a schedule's transitions only, so a
// week's chart is a few dozen points instead of two thousand.
func scheduleChart(name string, hist []Point) *chartData {
	first := slices.IndexFunc(hist, func(p Point) bool { _, ok := p.Schedules[name]; return ok })
	if first < 0 || first == len(hist)-1 {
		return nil
	}
	hist = hist[first:]
	count := func(i int) (ScheduleCount, bool) {
		c, ok := hist[i].Schedules[name]
		return c, ok
	}
	same := func(i, j int) bool {
		a, aok := count(i)
		b, bok := count(j)
		return a == b && aok == bok
	}
	c := &chartData{Title: "Resources of " + name, Unit: "resources", Stepped: true}
	c.Series = []chartSeries{{Name: "managed"}, {Name: "running"}, {Name: "stopped"}}
	for i := range hist {
		if i > 0 && i < len(hist)-1 && same(i, i-1) && same(i, i+1) {
			continue
		}
		c.X = append(c.X, hist[i].At.Unix())
		sc, ok := count(i)
		for k, v := range []int{sc.Managed, sc.Running, sc.Stopped} {
			var f *float64
			if ok {
				x := float64(v)
				f = &x
			}
			c.Series[k].Values = append(c.Series[k].Values, f)
		}
	}
	return c
}
