package agent

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

// TestConfigBadValueNamesLineAndField: every bad value in the agent's file
// is one error "FILE:LINE:COL: field "NAME": ...".
func TestConfigBadValueNamesLineAndField(t *testing.T) {
	const head = "apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: 1h\n"
	tests := []struct {
		name, body string
		line       int
		field, msg string
	}{
		{"idleTime not a duration", "apiVersion: sagesaver.io/v1alpha1\nkind: AgentConfig\nidleTime: soon\n", 3, "idleTime", `"soon" is not a duration`},
		{"pollInterval with a space", head + "pollInterval: 2 minutes\n", 4, "pollInterval", `"2 minutes" is not a duration`},
		{"grace a word", head + "jupyterURL: https://localhost:8443/\ngrace: none\n", 5, "grace", `"none" is not a duration`},
		{"stuckAfter under idleTime", head + "stuckAfter: 30m\n", 4, "stuckAfter", "must be at least idleTime (1h0m0s)"},
		{"cpuThreshold a word", head + "cpuThreshold: high\n", 4, "cpuThreshold", ""},
		{"gpuThreshold over 100", head + "gpuThreshold: 101\n", 4, "gpuThreshold", "must be between 0 (off) and 100"},
		{"dryRun not a boolean", head + "dryRun: maybe\n", 4, "dryRun", ""},
		{"negative grace", head + "grace: -5m\n", 4, "grace", "must not be negative"},
		{"pollInterval too long for the heartbeat", head + "pollInterval: 10m\n", 4, "pollInterval", "must not exceed 5m0s with publishTag"},
		{"endpointURL not http", head + "endpointURL: file:///etc/passwd\n", 4, "endpointURL", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.yaml")
			if err := writeFile(path, tt.body); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("LoadConfig: %v, want a *config.FileError", err)
			}
			if fe.Line != tt.line || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("got %v\nwant line %d, field %q, message containing %q", err, tt.line, tt.field, tt.msg)
			}
			if want := path + ":" + strconv.Itoa(tt.line) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}
