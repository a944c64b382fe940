package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type timed struct {
	Name  string        `yaml:"name"`
	Every time.Duration `yaml:"every,omitempty"`
	At    *time.Time    `yaml:"at,omitempty"`
	Jobs  []struct {
		Name    string                   `yaml:"name"`
		Count   int32                    `yaml:"count,omitempty"`
		Timeout time.Duration            `yaml:"timeout,omitempty"`
		Latency map[string]time.Duration `yaml:"latency,omitempty"`
	} `yaml:"jobs,omitempty"`
	Inline `yaml:",inline"`
}

type Inline struct {
	Wait time.Duration `yaml:"wait,omitempty"`
}

// TestTimeValues: the YAML decoder reports a bad duration with no
// position and reads a bad time as the zero time; DecodeStrict names the
// line and field of both.
func TestTimeValues(t *testing.T) {
	tests := []struct {
		name, body string
		wantLine   int
		wantField  string
		wantMsg    string
	}{
		{name: "top-level duration", body: "name: a\nevery: soon\n", wantLine: 2, wantField: "every", wantMsg: `"soon" is not a duration`},
		{name: "duration in a list", body: "name: a\njobs:\n  - name: x\n    timeout: 1m\n  - name: y\n    timeout: 5 minutes\n", wantLine: 6, wantField: "jobs[1].timeout", wantMsg: `"5 minutes" is not a duration`},
		{name: "duration in a map", body: "name: a\njobs:\n  - name: x\n    latency:\n      ListEndpoints: 10ms\n      DescribeEndpoint: slow\n", wantLine: 6, wantField: "jobs[0].latency.DescribeEndpoint", wantMsg: `"slow" is not a duration`},
		{name: "inline duration", body: "name: a\nwait: forever\n", wantLine: 2, wantField: "wait", wantMsg: `"forever" is not a duration`},
		{name: "time", body: "name: a\nat: tomorrow\n", wantLine: 2, wantField: "at", wantMsg: `"tomorrow" is not a time`},
		{name: "duration a number", body: "name: a\nevery: 5\n", wantLine: 2, wantField: "every"},
		{name: "fraction for a count", body: "name: a\njobs:\n  - name: x\n    count: 2.5\n", wantLine: 4, wantField: "jobs[0].count", wantMsg: "2.5 is not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v timed
			err := DecodeStrict("t.yaml", []byte(tt.body), &v)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("DecodeStrict: %v, want a *FileError", err)
			}
			if fe.File != "t.yaml" || fe.Line != tt.wantLine || fe.Field != tt.wantField || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("got %v, want t.yaml:%d field %q containing %q", err, tt.wantLine, tt.wantField, tt.wantMsg)
			}
		})
	}

	var v timed
	body := "name: a\nevery: 90s\nat: 2026-01-02T15:04:05Z\nwait: 1h\njobs: [{name: x, count: 3.0, timeout: 2m, latency: {A: 5ms}}]\n"
	if err := DecodeStrict("t.yaml", []byte(body), &v); err != nil {
		t.Fatalf("good document: %v", err)
	}
	if v.Every != 90*time.Second || v.At == nil || !v.At.Equal(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)) || v.Wait != time.Hour || v.Jobs[0].Latency["A"] != 5*time.Millisecond || v.Jobs[0].Count != 3 {
		t.Errorf("good document decoded as %+v", v)
	}
}

// money is a value type that decodes itself from JSON, as policy durations
// and rates do; its errors carry no position.
type money string

func (m *money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil || !strings.HasPrefix(s, "$") {
		return fmt.Errorf("money %s: want e.g. $5", b)
	}
	*m = money(s)
	return nil
}

// TestCustomUnmarshalerErrorIsLocated: a custom unmarshaler's plain error
// is reported at the value that gave it, and anchors, aliases and tags
// still decode as the YAML decoder decodes them.
func TestCustomUnmarshalerErrorIsLocated(t *testing.T) {
	type doc struct {
		Limit *money `yaml:"limit,omitempty"`
		Items []struct {
			Name string           `yaml:"name"`
			Cost money            `yaml:"cost,omitempty"`
			By   map[string]money `yaml:"by,omitempty"`
		} `yaml:"items"`
	}
	tests := []struct {
		name, body string
		wantLine   int
		wantField  string
	}{
		{"in a list", "limit: $1\nitems:\n  - name: a\n    cost: $2\n  - name: b\n    cost: 3\n", 6, "items[1].cost"},
		{"in a map", "items:\n  - name: a\n    by:\n      x: $1\n      y: lots\n", 5, "items[0].by.y"},
		{"same bad value twice: the first", "limit: nope\nitems:\n  - name: a\n    cost: nope\n", 1, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v doc
			err := DecodeStrict("m.yaml", []byte(tt.body), &v)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("DecodeStrict: %v, want a *FileError", err)
			}
			if fe.Line != tt.wantLine || fe.Field != tt.wantField || !strings.HasPrefix(fe.Msg, "money ") {
				t.Errorf("got %v, want m.yaml:%d field %q and the unmarshaler's message", err, tt.wantLine, tt.wantField)
			}
		})
	}

	var v doc
	if err := DecodeStrict("m.yaml", []byte("limit: &l $9\nitems:\n  - name: a\n    cost: *l\n    by: {x: !!str $3}\n"), &v); err != nil {
		t.Fatalf("anchor, alias and tag: %v", err)
	}
	if *v.Limit != "$9" || v.Items[0].Cost != "$9" || v.Items[0].By["x"] != "$3" {
		t.Errorf("decoded %+v", v)
	}
}
