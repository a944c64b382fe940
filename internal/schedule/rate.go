package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxRate bounds a rate's period so that instants stay far inside what
// time.Time and int64 seconds represent; no useful schedule is rarer.
const maxRate = 100 * 365 * 24 * time.Hour

// Rate is an EventBridge rate expression: rate(value unit), unit minute(s),
// hour(s) or day(s), singular exactly when value is 1.
//
// EventBridge counts a rate from the moment the rule is created, which a
// file cannot know; sagesaver counts from 1970-01-01T00:00Z instead, so that
// preview and run agree: rate(1 hour) fires on every full UTC hour, rate(1
// day) at 00:00 UTC. Time zones and daylight saving do not affect a rate.
type Rate struct {
	src   string
	Every time.Duration
}

// ParseRate parses "rate(value unit)".
func ParseRate(s string) (*Rate, error) {
	src := strings.TrimSpace(s)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", src, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(src, "rate(") || !strings.HasSuffix(src, ")") {
		return nil, fail("expected rate(value unit)")
	}
	parts := strings.Fields(src[len("rate(") : len(src)-1])
	if len(parts) != 2 {
		return nil, fail("expected rate(value unit)")
	}
	value, err := strconv.Atoi(parts[0])
	if err != nil || value < 1 || strings.HasPrefix(parts[0], "+") {
		return nil, fail("value %q is not a positive integer", parts[0])
	}
	var unit time.Duration
	singular := strings.TrimSuffix(parts[1], "s")
	switch singular {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return nil, fail("unit %q must be minute(s), hour(s) or day(s)", parts[1])
	}
	if value == 1 && parts[1] != singular {
		return nil, fail("unit must be %q for a value of 1", singular)
	}
	if value != 1 && parts[1] == singular {
		return nil, fail("unit must be %q for a value other than 1", singular+"s")
	}
	if int64(value) > int64(maxRate/unit) {
		return nil, fail("%d %s is longer than 100 years", value, parts[1])
	}
	return &Rate{src: src, Every: time.Duration(value) * unit}, nil
}

// String returns the expression as written.
func (r *Rate) String() string { return r.src }

func (r *Rate) period() int64 { return int64(r.Every / time.Second) }

// Next returns the first multiple of the rate after after.
func (r *Rate) Next(after time.Time, _ *time.Location) time.Time {
	p := r.period()
	return time.Unix((floorDiv(after.Unix(), p)+1)*p, 0).UTC()
}

// Prev returns the last multiple of the rate before before.
func (r *Rate) Prev(before time.Time, _ *time.Location) time.Time {
	p := r.period()
	s := before.Unix()
	k := floorDiv(s, p)
	if k*p == s && before.Nanosecond() == 0 {
		k--
	}
	return time.Unix(k*p, 0).UTC()
}

// Matches reports whether t is a multiple of the rate.
func (r *Rate) Matches(t time.Time, _ *time.Location) bool {
	return t.Nanosecond() == 0 && t.Unix()%r.period() == 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
