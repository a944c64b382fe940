package serve

import (
	"net/http"
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
			if seen[id] || !managedBy(sc, row) {
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
		if !managedBy(sc, r) {
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
