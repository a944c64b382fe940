package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/config"
)

// FileKind is the kind of a schedules file.
const FileKind = "ScheduleSet"

// File is a schedules file:
//
//	apiVersion: sagesaver.io/v1alpha1
//	kind: ScheduleSet
//	schedules:
//	  - name: dev-notebooks-office-hours
//	    timezone: Europe/Berlin
//	    start: cron(0 7 ? * MON-FRI *)
//	    stop: cron(0 21 ? * MON-FRI *)
//	    targets:
//	      - kind: notebook
//	        namePrefix: dev-
//
// One kind, ScheduleSet, holds one schedule or many, so that a file never
// changes kind when a second schedule is added.
type File struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Schedules  []Spec `yaml:"schedules" json:"schedules"`
	// Notify is where `schedule run` sends its digests (run_notify.go).
	Notify *Notify `yaml:"notify,omitempty" json:"notify,omitempty"`
}

// Spec is one schedule as written.
type Spec struct {
	// Name identifies the schedule in output, state and audit records.
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Timezone is an IANA zone name ("Europe/Berlin", "UTC"); required.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Start and Stop are cron(...) or rate(...) expressions evaluated in
	// Timezone. A schedule has Start and/or Stop, or Periods, not both.
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	Stop  string `yaml:"stop,omitempty" json:"stop,omitempty"`
	// Periods: running while inside any of them.
	Periods []PeriodSpec `yaml:"periods,omitempty" json:"periods,omitempty"`
	// Mode is start-stop (default for periods and for start+stop),
	// start-only or stop-only. With expressions it follows from which of
	// Start and Stop are set and need not be written.
	Mode Mode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Holidays are dates (YYYY-MM-DD, in Timezone) on which nothing is
	// started; stops still happen.
	Holidays []string `yaml:"holidays,omitempty" json:"holidays,omitempty"`
	// Closed are inclusive date ranges on which nothing is started.
	Closed []DateRange `yaml:"closed,omitempty" json:"closed,omitempty"`
	// Enforced acts on every run, undoing manual starts and stops; by
	// default a manual change is respected until the next transition.
	Enforced bool `yaml:"enforced,omitempty" json:"enforced,omitempty"`
	// SnoozeTag is the resource tag that holds a resource up until the
	// time it holds; default sagesaver:snooze-until.
	SnoozeTag string `yaml:"snoozeTag,omitempty" json:"snoozeTag,omitempty"`
	// Targets select the resources the schedule acts on.
	Targets []Target `yaml:"targets" json:"targets"`
}

// DateRange is an inclusive range of dates, YYYY-MM-DD.
type DateRange struct {
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate checks the file; errors are *config.FileError naming the field
// ("schedules[1].start").
func (f *File) Validate() error {
	_, err := f.Compile()
	return err
}

// Compile checks the file and returns its schedules.
func (f *File) Compile() ([]*Schedule, error) {
	if f.APIVersion != config.APIVersion {
		return nil, &config.FileError{Field: "apiVersion", Msg: fmt.Sprintf("must be %q, got %q", config.APIVersion, f.APIVersion)}
	}
	if f.Kind != FileKind {
		return nil, &config.FileError{Field: "kind", Msg: fmt.Sprintf("must be %q, got %q", FileKind, f.Kind)}
	}
	if len(f.Schedules) == 0 {
		return nil, &config.FileError{Field: "schedules", Msg: "no schedules"}
	}
	if f.Notify != nil {
		if field, msg := f.Notify.validate(); msg != "" {
			return nil, &config.FileError{Field: join("notify", field), Msg: msg}
		}
	}
	seen := map[string]int{}
	var out []*Schedule
	for i := range f.Schedules {
		sp := &f.Schedules[i]
		s, field, msg := sp.compile()
		if msg != "" {
			return nil, &config.FileError{Field: join(fmt.Sprintf("schedules[%d]", i), field), Msg: msg}
		}
		if j, dup := seen[s.Name]; dup {
			return nil, &config.FileError{Field: fmt.Sprintf("schedules[%d].name", i), Msg: fmt.Sprintf("%q is also the name of schedules[%d]", s.Name, j)}
		}
		seen[s.Name] = i
		out = append(out, s)
	}
	return out, nil
}

func join(prefix, field string) string {
	switch {
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

func (sp *Spec) compile() (_ *Schedule, field, msg string) {
	if sp.Name == "" {
		return nil, "name", "required"
	}
	if !nameRE.MatchString(sp.Name) {
		return nil, "name", fmt.Sprintf("%q: use letters, digits, '.', '_' and '-'", sp.Name)
	}
	if sp.Timezone == "" {
		return nil, "timezone", "required: an IANA zone such as UTC or Europe/Berlin"
	}
	if sp.Timezone == "Local" {
		return nil, "timezone", "\"Local\" depends on the host; name the zone"
	}
	loc, err := time.LoadLocation(sp.Timezone)
	if err != nil {
		return nil, "timezone", fmt.Sprintf("unknown time zone %q", sp.Timezone)
	}
	s := &Schedule{
		Name:        sp.Name,
		Description: sp.Description,
		Location:    loc,
		Enforced:    sp.Enforced,
		SnoozeTag:   sp.SnoozeTag,
		holidays:    map[date]bool{},
	}
	if s.SnoozeTag == "" {
		s.SnoozeTag = DefaultSnoozeTag
	}

	hasExpr := sp.Start != "" || sp.Stop != ""
	switch {
	case hasExpr && len(sp.Periods) > 0:
		return nil, "periods", "use start/stop expressions or periods, not both"
	case !hasExpr && len(sp.Periods) == 0:
		return nil, "start", "set start and/or stop (cron or rate expressions), or periods"
	}
	for _, e := range []struct {
		field, text string
		dst         *Expr
	}{{"start", sp.Start, &s.Start}, {"stop", sp.Stop, &s.Stop}} {
		if e.text == "" {
			continue
		}
		x, err := ParseExpr(e.text)
		if err != nil {
			return nil, e.field, err.Error()
		}
		*e.dst = x
	}
	for j, ps := range sp.Periods {
		p, err := ParsePeriod(ps)
		if err != nil {
			f := fmt.Sprintf("periods[%d]", j)
			var pe *PeriodError
			if errors.As(err, &pe) && pe.Field != "" {
				return nil, f + "." + pe.Field, pe.Msg
			}
			return nil, f, err.Error()
		}
		s.Periods = append(s.Periods, p)
	}

	switch sp.Mode {
	case "":
		s.Mode = ModeStartStop
		if hasExpr && sp.Stop == "" {
			s.Mode = ModeStartOnly
		} else if hasExpr && sp.Start == "" {
			s.Mode = ModeStopOnly
		}
	case ModeStartStop, ModeStartOnly, ModeStopOnly:
		s.Mode = sp.Mode
	default:
		return nil, "mode", fmt.Sprintf("must be start-stop, start-only or stop-only; got %q", sp.Mode)
	}
	if hasExpr {
		switch {
		case s.Mode != ModeStopOnly && sp.Start == "":
			return nil, "start", fmt.Sprintf("required by mode %s", s.Mode)
		case s.Mode != ModeStartOnly && sp.Stop == "":
			return nil, "stop", fmt.Sprintf("required by mode %s", s.Mode)
		case s.Mode == ModeStartOnly && sp.Stop != "":
			return nil, "stop", "a start-only schedule has no stop"
		case s.Mode == ModeStopOnly && sp.Start != "":
			return nil, "start", "a stop-only schedule has no start"
		}
	}

	for j, h := range sp.Holidays {
		d, err := parseDate(h)
		if err != nil {
			return nil, fmt.Sprintf("holidays[%d]", j), err.Error()
		}
		s.holidays[d] = true
	}
	for j, r := range sp.Closed {
		from, err := parseDate(r.From)
		if err != nil {
			return nil, fmt.Sprintf("closed[%d].from", j), err.Error()
		}
		to, err := parseDate(r.To)
		if err != nil {
			return nil, fmt.Sprintf("closed[%d].to", j), err.Error()
		}
		if to.before(from) {
			return nil, fmt.Sprintf("closed[%d].to", j), fmt.Sprintf("%s is before from %s", to, from)
		}
		s.closed = append(s.closed, dateRange{from, to})
	}
	if strings.TrimSpace(s.SnoozeTag) != s.SnoozeTag {
		return nil, "snoozeTag", "must not start or end with spaces"
	}

	if len(sp.Targets) == 0 {
		return nil, "targets", "required: which resources the schedule acts on"
	}
	for j := range sp.Targets {
		t := sp.Targets[j] // a copy: the compiled regexp stays with the Schedule
		if f, m := t.compile(); m != "" {
			return nil, join(fmt.Sprintf("targets[%d]", j), f), m
		}
		s.Targets = append(s.Targets, t)
	}
	return s, "", ""
}

func parseDate(s string) (date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return date{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return dateOf(t), nil
}

// Decode reads a schedules file's contents (name is for errors) and
// compiles its schedules.
func Decode(name string, data []byte) ([]*Schedule, error) {
	var f File
	if err := config.DecodeStrict(name, data, &f); err != nil {
		return nil, err
	}
	return f.Compile()
}

// Load reads and compiles a schedules file.
func Load(path string) ([]*Schedule, error) {
	var f File
	if err := config.ReadStrict(path, &f); err != nil {
		return nil, err
	}
	return f.Compile()
}
