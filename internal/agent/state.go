package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// State is the agent's memory, kept on disk so that a restarted agent
// neither resets nor fakes idleness, and read by `sagesaver agent status`.
// It belongs to one resource and one boot of its machine (Key): a stopped
// and restarted notebook instance starts a fresh idle clock.
type State struct {
	Key      string    `json:"key"`
	Resource Resource  `json:"resource"`
	Boot     time.Time `json:"boot"`
	PID      int       `json:"pid"`

	// LastActivity is the idle clock: the latest time any signal was active.
	LastActivity       time.Time `json:"lastActivity"`
	LastActivitySource string    `json:"lastActivitySource,omitempty"`
	// LastPoll is when the agent last looked; a gap after it is time
	// nobody watched, which does not count as idle.
	LastPoll time.Time `json:"lastPoll"`
	// BusySince is when each kernel was first seen busy or starting.
	BusySince map[string]time.Time `json:"busySince,omitempty"`

	// Stopped is when the stop was made (or, with DryRun, logged): it is
	// made once per Key.
	Stopped    time.Time `json:"stopped,omitzero"`
	StopDryRun bool      `json:"stopDryRun,omitempty"`
	// StoppedBy is StoppedByAgent, or StoppedElsewhere when the resource
	// was already stopping when the agent went to stop it.
	StoppedBy string `json:"stoppedBy,omitempty"`

	// CPU is the last CPU sample, so that the next run (an `agent --once`
	// from cron, a restarted agent) measures CPU use since it.
	CPU *CPUSample `json:"cpu,omitempty"`

	// TagValue and TagAt are the last published sagesaver:last-activity,
	// UsageTagValue the last published usage summary.
	TagValue      string    `json:"tagValue,omitempty"`
	UsageTagValue string    `json:"usageTagValue,omitempty"`
	TagAt         time.Time `json:"tagAt,omitzero"`

	// Usage is the usage summary and the hour being measured.
	Usage Usage `json:"usage"`

	// Verdict is the last poll's verdict.
	Verdict Verdict `json:"verdict"`
}

// Who stopped the resource (State.StoppedBy).
const (
	StoppedByAgent   = "agent"
	StoppedElsewhere = "elsewhere"
)

// CPUSample is the aggregate line of /proc/stat, in clock ticks.
type CPUSample struct {
	Busy  uint64    `json:"busy"`
	Total uint64    `json:"total"`
	At    time.Time `json:"at"`
}

// StopNote says what the agent did about stopping the resource this boot,
// "" when nothing: "stop requested at 14:05 UTC".
func (s *State) StopNote() string {
	switch {
	case s.Stopped.IsZero():
		return ""
	case s.StopDryRun:
		return "dry-run: stop logged at " + clockTime(s.Stopped) + " (not stopped; logged once per boot)"
	case s.StoppedBy == StoppedElsewhere:
		return "already stopping at " + clockTime(s.Stopped) + ": stopped by someone else, not by the agent"
	}
	return "stop requested at " + clockTime(s.Stopped)
}

// StateKey identifies a resource's run: its ARN (or name) and boot time.
func StateKey(r Resource, boot time.Time) string {
	id := r.ARN
	if id == "" {
		id = r.Name
	}
	return id + "@" + boot.UTC().Format(time.RFC3339)
}

// ReadState reads the state file; a missing file is fs.ErrNotExist.
func ReadState(path string) (State, error) {
	var s State
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("agent state %s: %w", path, err)
	}
	return s, nil
}

// writeState replaces the state file atomically.
func writeState(path string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("agent state: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("agent state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	return nil
}

// maxKeepAlive is as much of the keep-alive file as is read: an RFC 3339
// time and a newline, with room to spare.
const maxKeepAlive = 256

// Forever is the keep-alive of a keep-alive file with no time in it.
var Forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ReadKeepAlive returns until when the keep-alive file at path keeps the
// resource active: zero when there is no file, Forever when the file
// exists without a time (touched by hand), else the time it holds.
//
// The agent runs as root and the file is the notebook user's, in a
// directory the user can write: it is opened without following a symbolic
// link, must be a regular file with one link, owned by the reader, by the
// directory's owner, or by anyone in a sticky directory (as /tmp), and
// only its first maxKeepAlive bytes are read. Anything else is refused
// with an error (and so keeps nothing alive).
func ReadKeepAlive(path string) (time.Time, error) {
	f, err := openKeepAlive(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("keep-alive %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeepAlive))
	if err != nil {
		return time.Time{}, fmt.Errorf("keep-alive %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return Forever, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// Unreadable content still means someone wants the machine up.
		return Forever, nil
	}
	return t, nil
}

// WriteKeepAlive keeps the resource active until until; a zero until
// removes the keep-alive.
func WriteKeepAlive(path string, until time.Time) error {
	if until.IsZero() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keep-alive: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(path, []byte(until.UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fmt.Errorf("keep-alive: %w", err)
	}
	return nil
}
