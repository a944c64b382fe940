package config

import (
	"errors"
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
