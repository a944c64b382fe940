package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"15m", 15 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"3d", 72 * time.Hour},
		{"2d12h", 60 * time.Hour},
		{" 1d ", 24 * time.Hour},
		{"-5m", -5 * time.Minute},
		{"0", 0},
	} {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "d", "1w", "soon", "3dd", "1.5d", "-d", "d3", "1d-5h", "999999d", "106751d24h", "NaN"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
	if _, err := ParseDuration("999999d"); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("999999d: %v, want \"too long\"", err)
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, 90 * time.Minute, 72 * time.Hour, 60 * time.Hour, 1500 * time.Millisecond} {
		s := FormatDuration(d)
		back, err := ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q, read back as %v, %v", d, s, back, err)
		}
	}
	if got := FormatDuration(72 * time.Hour); got != "3d" {
		t.Errorf("FormatDuration(72h) = %q, want 3d", got)
	}
}

func TestDurationFlag(t *testing.T) {
	var d time.Duration
	f := NewDurationFlag(&d, time.Hour).AtLeast(time.Second)
	if f.String() != "1h" {
		t.Errorf("default shown as %q", f.String())
	}
	if err := f.Set("1d"); err != nil || d != 24*time.Hour {
		t.Errorf("Set(1d): %v, %v", d, err)
	}
	for in, want := range map[string]string{
		"-5m":  "negative",
		"1ns":  "at least 1s",
		"soon": "not a duration",
	} {
		if err := f.Set(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%q) = %v, want %q", in, err, want)
		}
	}
	if err := NewDurationFlag(&d, 0).AtMost(455 * 24 * time.Hour).Set("999999d"); err == nil || strings.Contains(err.Error(), "at least") {
		t.Errorf("Set(999999d) = %v, want a too-long error", err)
	}
}

func TestFloatFlagRefusesNonFinite(t *testing.T) {
	var v float64
	f := NewFloatFlag(&v, 5)
	for _, in := range []string{"NaN", "nan", "Inf", "+Inf", "-inf", "infinity", "1e999", "x"} {
		if err := f.Set(in); err == nil {
			t.Errorf("Set(%q) accepted: %v", in, v)
		}
	}
	if err := f.Set("2.5"); err != nil || v != 2.5 {
		t.Errorf("Set(2.5) = %v, %v", v, err)
	}
	if CheckFloat(math.NaN()) == nil || CheckFloat(math.Inf(-1)) == nil || CheckFloat(1) != nil {
		t.Error("CheckFloat")
	}
}

// TestDecodeDurationsAndFloats: every YAML duration reads days, a bad one
// or a unitless number names its line, and NaN or infinity in a float
// field is refused.
func TestDecodeDurationsAndFloats(t *testing.T) {
	type doc struct {
		Idle  time.Duration  `yaml:"idle"`
		Poll  *time.Duration `yaml:"poll"`
		Ratio float64        `yaml:"ratio"`
	}
	var v doc
	if err := DecodeStrict("f.yaml", []byte("idle: 3d\npoll: 1d12h\nratio: 0.5\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.Idle != 72*time.Hour || *v.Poll != 36*time.Hour {
		t.Errorf("decoded %v %v", v.Idle, *v.Poll)
	}
	for _, tt := range []struct{ doc, want string }{
		{"idle: 1h\nratio: .nan\n", `f.yaml:2:8: field "ratio": .nan is not a finite number`},
		{"idle: 1h\nratio: -.inf\n", `f.yaml:2:8: field "ratio": -.inf is not a finite number`},
		{"idle: 1h\npoll: 90\n", `f.yaml:2:7: field "poll": 90 is not a duration`},
		{"idle: 1w\n", `f.yaml:1:7: field "idle": "1w" is not a duration`},
	} {
		var v doc
		err := DecodeStrict("f.yaml", []byte(tt.doc), &v)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.doc, err, tt.want)
		}
	}
}

// TestTypeErrorsSpeakYAML: a value of the wrong type is described in YAML
// terms with its line and field, never with Go's type names.
func TestTypeErrorsSpeakYAML(t *testing.T) {
	type rule struct {
		Name  string `yaml:"name"`
		Count int    `yaml:"count"`
	}
	type policy struct {
		Description string `yaml:"description"`
		Rules       []rule `yaml:"rules"`
		Enabled     bool   `yaml:"enabled"`
		Small       int8   `yaml:"small"`
	}
	for _, tt := range []struct{ doc, want string }{
		{"description:\n  - a\n  - b\n", `p.yaml:2:3: field "description": want a string, got a list`},
		{"rules: {a: b}\n", `p.yaml:1:8: field "rules": want a list, got a mapping (key: value)`},
		{"rules:\n  - name: x\n    count: many\n", `p.yaml:3:12: field "rules[0].count": want a whole number, got a string`},
		{"enabled: [x]\n", `field "enabled": want true or false, got a list`},
		{"small: 1000\n", `field "small": 1000 is out of range for a whole number`},
	} {
		var p policy
		err := DecodeStrict("p.yaml", []byte(tt.doc), &p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.doc, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "interface")) {
			t.Errorf("%q: Go internals in %q", tt.doc, err)
		}
	}
}

// FuzzParseDuration: any input either parses to a duration that
// FormatDuration writes back to the same value, or is an error; never a
// panic or an overflow.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"3d", "2d12h", "90s", "-5m", "106751d", "106751d23h", "1d-5h", "9223372036854775807ns", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Errorf("%q = %v, written %q, read back %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
