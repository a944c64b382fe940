package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a length of time in sagesaver's one duration syntax,
// the same in every flag and every YAML field: Go's ("90s", "15m",
// "1h30m") with whole days in front ("3d", "2d12h"). The result must fit
// a time.Duration (about 292 years).
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration: want e.g. 90s, 15m, 36h or 3d", s)
	if t == "" {
		return 0, bad
	}
	neg := strings.HasPrefix(t, "-")
	body := strings.TrimPrefix(strings.TrimPrefix(t, "-"), "+")
	var days int64
	if i := strings.IndexByte(body, 'd'); i >= 0 {
		n, err := strconv.ParseUint(body[:i], 10, 63)
		if err != nil {
			return 0, bad
		}
		if n > uint64(maxDays) {
			return 0, &tooLongError{s}
		}
		days, body = int64(n), body[i+1:]
	}
	var rest time.Duration
	if body != "" {
		var err error
		if rest, err = time.ParseDuration(body); err != nil || rest < 0 || strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
			return 0, bad
		}
	}
	d := time.Duration(days) * 24 * time.Hour
	if d > math.MaxInt64-rest {
		return 0, &tooLongError{s}
	}
	d += rest
	if neg {
		d = -d
	}
	return d, nil
}

// tooLongError is a duration longer than a time.Duration holds.
type tooLongError struct{ s string }

func (e *tooLongError) Error() string {
	return fmt.Sprintf("%q is too long: at most %dd", e.s, maxDays)
}

// maxDays is the most days a time.Duration holds (106751).
const maxDays = math.MaxInt64 / int64(24*time.Hour)

// FormatDuration writes d in the syntax ParseDuration reads, with whole
// days as "d": "3d", "2d12h", "90m" as "1h30m".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	day := 24 * time.Hour
	days := d / day
	rest := d % day
	switch {
	case days == 0:
		return trimZeroUnits(rest.String())
	case rest == 0:
		return strconv.FormatInt(int64(days), 10) + "d"
	}
	return strconv.FormatInt(int64(days), 10) + "d" + trimZeroUnits(rest.String())
}

// trimZeroUnits turns time.Duration's "1h0m0s" into "1h", "1h30m0s" into
// "1h30m".
func trimZeroUnits(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// DurationFlag is a pflag.Value for a time.Duration flag in the syntax
// ParseDuration reads, at least Min (when Min is set): every command's
// duration flags are of this type, so that they read "3d" alike and their
// errors name the flag (pflag prefixes them with it).
type DurationFlag struct {
	D *time.Duration
	// Min, when positive, is the shortest value accepted; a negative
	// value is refused always.
	Min time.Duration
	// Max, when positive, is the longest value accepted.
	Max time.Duration
}

// NewDurationFlag returns a DurationFlag writing to d, whose default is def.
func NewDurationFlag(d *time.Duration, def time.Duration) *DurationFlag {
	*d = def
	return &DurationFlag{D: d}
}

// AtLeast sets the shortest value accepted.
func (f *DurationFlag) AtLeast(min time.Duration) *DurationFlag { f.Min = min; return f }

// AtMost sets the longest value accepted.
func (f *DurationFlag) AtMost(max time.Duration) *DurationFlag { f.Max = max; return f }

// Set implements pflag.Value.
func (f *DurationFlag) Set(s string) error {
	d, err := ParseDuration(s)
	var tl *tooLongError
	if errors.As(err, &tl) && f.Max > 0 {
		return fmt.Errorf("%q is too long: at most %s", s, FormatDuration(f.Max))
	}
	if err != nil {
		return err
	}
	switch {
	case d < 0:
		return fmt.Errorf("%q is negative", s)
	case f.Min > 0 && d < f.Min:
		return fmt.Errorf("%q is too short: at least %s", s, FormatDuration(f.Min))
	case f.Max > 0 && d > f.Max:
		return fmt.Errorf("%q is too long: at most %s", s, FormatDuration(f.Max))
	}
	*f.D = d
	return nil
}

// String implements pflag.Value.
func (f *DurationFlag) String() string {
	if f == nil || f.D == nil {
		return ""
	}
	return FormatDuration(*f.D)
}

// Type implements pflag.Value.
func (f *DurationFlag) Type() string { return "duration" }

// CheckFloat refuses NaN and the infinities, which strconv.ParseFloat and
// the YAML decoder both read as numbers ("NaN", ".nan", "+Inf", ".inf").
func CheckFloat(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%v is not a finite number", v)
	}
	return nil
}

// FloatFlag is a pflag.Value for a float64 flag that refuses NaN and the
// infinities (pflag's own Float64Var accepts them).
type FloatFlag struct{ V *float64 }

// NewFloatFlag returns a FloatFlag writing to v, whose default is def.
func NewFloatFlag(v *float64, def float64) *FloatFlag {
	*v = def
	return &FloatFlag{V: v}
}

// Set implements pflag.Value.
func (f *FloatFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if CheckFloat(v) != nil {
		return fmt.Errorf("%q is not a finite number", s)
	}
	*f.V = v
	return nil
}

// String implements pflag.Value.
func (f *FloatFlag) String() string {
	if f == nil || f.V == nil {
		return ""
	}
	return strconv.FormatFloat(*f.V, 'g', -1, 64)
}

// Type implements pflag.Value.
func (f *FloatFlag) Type() string { return "float" }
