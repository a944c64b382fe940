package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/schedule"
)

// Explanation is why a resource is in the state a schedule wants, or not.
type Explanation struct {
	Resource Resource
	// Schedule governs the resource: the first in the file that targets
	// it; nil when none does.
	Schedule *schedule.Schedule
	// Also are the other schedules that target it, ignored because an
	// earlier one governs.
	Also []string
	// At is the time the explanation is for.
	At      time.Time
	Desired schedule.Desired
	// Memory is what the scheduler remembers for it (nil: nothing yet).
	Memory *schedule.Memory
	// Decision is what a run at At would do.
	Decision schedule.Decision
}

// Explain finds the notebook instance called name (or the Studio app
// OWNER/TYPE/NAME, as schedule run names them) in every region and
// says, for each region where it exists, which schedule governs it and
// what a run now would do, and why. It changes nothing.
func (r *Runner) Explain(ctx context.Context, name string) ([]Explanation, error) {
	now := r.clock.Now()
	var out []Explanation
	for _, reg := range r.regions {
		if reg.Err != nil {
			continue // an account that could not be entered
		}
		res, err := find(ctx, reg, name)
		if awsapi.IsNotFound(err) || errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		e := Explanation{Resource: res, At: now}
		for _, s := range r.schedules {
			if !s.Matches(res.Kind, res.Name, res.Tags) {
				continue
			}
			if e.Schedule != nil {
				e.Also = append(e.Also, s.Name)
				continue
			}
			e.Schedule = s
		}
		if e.Schedule != nil {
			e.Desired = e.Schedule.Evaluate(now)
			if e.Memory, err = r.memory.Get(ctx, e.Schedule.Name, res.ID()); err != nil {
				return out, err
			}
			e.Decision = schedule.DecideWith(e.Schedule, e.Desired, res.observed(), e.Memory, now)
		}
		out = append(out, e)
	}
	return out, nil
}

// Text is the explanation for people, one fact a line.
func (e Explanation) Text() string {
	var b strings.Builder
	r := e.Resource
	fmt.Fprintf(&b, "%s (%s, %s %s): %s\n", r.Name, r.Region, inventoryKind[r.Kind], r.InstanceType, r.Status)
	s := e.Schedule
	if s == nil {
		b.WriteString("  no schedule in the file targets it: the scheduler leaves it alone\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  schedule:    %s (time zone %s, %s", s.Name, s.Location, s.Mode)
	if s.Enforced {
		b.WriteString(", enforced")
	}
	b.WriteString(")\n")
	if s.Start != nil {
		fmt.Fprintf(&b, "  start:       %s\n", s.Start)
	}
	if s.Stop != nil {
		fmt.Fprintf(&b, "  stop:        %s\n", s.Stop)
	}
	for _, p := range s.Periods {
		fmt.Fprintf(&b, "  period:      %s\n", p)
	}
	if len(e.Also) > 0 {
		fmt.Fprintf(&b, "  also matched by %s (ignored: the first schedule in the file that matches governs)\n", strings.Join(e.Also, ", "))
	}
	fmt.Fprintf(&b, "  now:         %s", s.FormatTime(e.At))
	if s.Holiday(e.At) {
		b.WriteString(" (a holiday or closed day: no starts)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  desired:     %s\n", e.Desired.Reason)
	if v, ok := r.Tags[s.SnoozeTag]; ok {
		state := "ended"
		if until, err := schedule.ParseSnooze(v); err != nil {
			state = "not a time: holds it up (fails closed)"
		} else if until.After(e.At) {
			state = "holds it up until " + s.FormatTime(until)
		}
		fmt.Fprintf(&b, "  snooze:      %s=%s (%s)\n", s.SnoozeTag, v, state)
	}
	if m := e.Memory; m != nil {
		fmt.Fprintf(&b, "  remembered:  %s applied at %s", m.Applied, s.FormatTime(m.At))
		if !m.For.IsZero() {
			fmt.Fprintf(&b, " for the transition at %s", s.FormatTime(m.For))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("  remembered:  nothing yet\n")
	}
	act := "nothing"
	if e.Decision.Action != schedule.ActionNone {
		act = string(e.Decision.Action)
	}
	fmt.Fprintf(&b, "  a run now:   %s: %s\n", act, e.Decision.Reason)
	if e.Desired.HasNext {
		fmt.Fprintf(&b, "  next:        %s at %s (%s)\n", e.Desired.Next.Action(), s.FormatTime(e.Desired.Next.At), e.Desired.Next.Cause)
	}
	return b.String()
}

// errNotFound is a Studio app that is not there (or deleted).
var errNotFound = errors.New("not found")

// find reads the notebook instance or Studio app called name.
func find(ctx context.Context, reg Region, name string) (Resource, error) {
	if strings.Count(name, "/") != 2 {
		r, err := describeNotebook(ctx, reg, name)
		if awsapi.IsNotFound(err) {
			// Not a notebook: an MLflow tracking server of that name?
			if m, merr := describeMLflow(ctx, reg, name); merr == nil {
				return m, nil
			}
		}
		return r, err
	}
	apps, err := listApps(ctx, reg)
	if err != nil {
		return Resource{}, err
	}
	for _, a := range apps {
		if a.Name == name {
			if a.Tags == nil {
				a.Tags = map[string]string{}
			}
			return a, nil
		}
	}
	return Resource{}, fmt.Errorf("Studio app %s: %w", name, errNotFound)
}
