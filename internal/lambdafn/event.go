// Package lambdafn is sagesaver as an AWS Lambda function: the events it
// accepts (an EventBridge Scheduler invocation, a worker payload from the
// orchestrator, a manual invoke), their strict decoding, and the handler
// that turns one event into one tick. The runtime loop itself is
// github.com/aws/aws-lambda-go; cmd/sagesaver starts it when
// AWS_LAMBDA_RUNTIME_API is set.
package lambdafn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/config"
)

// Kind is what invoked the function.
type Kind string

const (
	// Scheduled is an EventBridge Scheduler invocation: the orchestrator's
	// tick.
	Scheduled Kind = "scheduled"
	// Worker is the orchestrator handing one account and region of a tick
	// to a worker invocation.
	Worker Kind = "worker"
	// Manual is an operator's `aws lambda invoke`.
	Manual Kind = "manual"
)

// Event is a decoded invocation.
type Event struct {
	Kind Kind
	// Tick is the scheduled time of the tick, UTC, to the second: the
	// schedule's scheduled time, the orchestrator's (for every worker of a
	// tick), or for a manual invoke the time given or the time received.
	Tick time.Time
	// Attempt is EventBridge Scheduler's attempt number (1 for the first
	// delivery, more for its retries); 0 when the event does not say.
	Attempt int
	// Schedule is the ARN of the schedule that invoked, if known.
	Schedule string
	// Account and Region are a worker's target.
	Account, Region string
	// Run is, for a worker, the orchestrator's run: the one that claimed
	// Tick, under which the worker records its target's result.
	Run int64
}

// MaxPayload bounds an event: Lambda's own limit for an asynchronous
// invocation is 256 KiB (1 MiB since 2025), and every event sagesaver
// accepts is well under 1 KiB.
const MaxPayload = 16 << 10

// Marker is the member that names sagesaver's own payloads.
const Marker = "sagesaver"

// DecodeError is a refused event: nothing was done.
type DecodeError struct{ Reason string }

func (e *DecodeError) Error() string { return "refused event: " + e.Reason + " (nothing was done)" }

// ErrRefused matches every DecodeError.
var ErrRefused = errors.New("refused event")

func (e *DecodeError) Is(target error) bool { return target == ErrRefused }

func refuse(format string, args ...any) error {
	return &DecodeError{Reason: fmt.Sprintf(format, args...)}
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// Decode decodes one invocation payload. received is when it arrived (the
// tick of a manual invoke that names none). Anything that is not exactly
// one of the accepted events is refused with a *DecodeError.
//
// Accepted:
//
//   - EventBridge Scheduler's default payload for a Lambda target, whose
//     "detail" is the string "{}", not an object: {"version":"0",
//     "id":..., "detail-type":"Scheduled Event", "source":"aws.scheduler",
//     "account":..., "time":"2026-12-03T10:05:00Z", "region":...,
//     "resources":[schedule ARN], "detail":"{}"}. An EventBridge rule's
//     event (source "aws.events", detail {}) is accepted the same way.
//   - The schedule's Input as the hub template sets it: {"sagesaver":
//     "scheduled", "scheduledTime":"<aws.scheduler.scheduled-time>",
//     "attempt":"<aws.scheduler.attempt-number>", "schedule":
//     "<aws.scheduler.schedule-arn>"} (attempt as a string or a number).
//   - A worker payload: {"sagesaver":"worker", "account":"111122223333",
//     "region":"eu-west-1", "tick":"2026-12-03T10:05:00Z", "run":42}
//     (WorkerPayload).
//   - A manual invoke: an empty payload, {}, or {"sagesaver":"manual"}
//     with an optional "tick".
func Decode(payload []byte, received time.Time) (Event, error) {
	if len(payload) > MaxPayload {
		return Event{}, refuse("payload of %d bytes, more than any sagesaver event (%d)", len(payload), MaxPayload)
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || string(trimmed) == "null" || string(trimmed) == "{}" {
		return Event{Kind: Manual, Tick: received.UTC().Truncate(time.Second)}, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return Event{}, refuse("not a JSON object: %v", err)
	}
	if m, ok := probe[Marker]; ok {
		var kind string
		if err := json.Unmarshal(m, &kind); err != nil {
			return Event{}, refuse("%q: want a string, have %s", Marker, m)
		}
		switch Kind(kind) {
		case Scheduled:
			return decodeInput(trimmed)
		case Worker:
			return decodeWorker(trimmed)
		case Manual:
			return decodeManual(trimmed, received)
		}
		return Event{}, refuse("%q: unknown kind %q (want scheduled, worker or manual)", Marker, kind)
	}
	if _, ok := probe["detail-type"]; ok {
		return decodeScheduler(trimmed)
	}
	return Event{}, refuse("neither an EventBridge Scheduler event nor a sagesaver payload (no %q or \"detail-type\" member)", Marker)
}

// strict decodes data into v, refusing unknown members and trailing data.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

func parseTick(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, refuse("%s: missing", field)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, refuse("%s: %q is not an RFC 3339 time", field, s)
	}
	if t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, refuse("%s: %q is out of range", field, s)
	}
	return t.UTC().Truncate(time.Second), nil
}

type schedulerEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func decodeScheduler(data []byte) (Event, error) {
	// Not strict: AWS may add members to its own events.
	var e schedulerEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return Event{}, refuse("EventBridge event: %v", err)
	}
	switch {
	case e.Source == "aws.scheduler" && e.DetailType == "Scheduled Event":
		// Scheduler's detail is the string "{}".
		var s string
		if err := json.Unmarshal(e.Detail, &s); err != nil || strings.TrimSpace(s) != "{}" {
			return Event{}, refuse(`EventBridge Scheduler event: detail: want the string "{}", have %s`, e.Detail)
		}
	case e.Source == "aws.events" && e.DetailType == "Scheduled Event":
		// An EventBridge rule's detail is the object {}.
		if strings.Join(strings.Fields(string(e.Detail)), "") != "{}" {
			return Event{}, refuse("EventBridge rule event: detail: want {}, have %s", e.Detail)
		}
	default:
		return Event{}, refuse("EventBridge event: source %q, detail-type %q: not a schedule", e.Source, e.DetailType)
	}
	tick, err := parseTick("time", e.Time)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Kind: Scheduled, Tick: tick}
	if len(e.Resources) > 0 {
		ev.Schedule = e.Resources[0]
	}
	return ev, nil
}

type inputEvent struct {
	Sagesaver     string          `json:"sagesaver"`
	ScheduledTime string          `json:"scheduledTime"`
	Attempt       json.RawMessage `json:"attempt"`
	Schedule      string          `json:"schedule"`
	ExecutionID   string          `json:"executionId"`
}

func decodeInput(data []byte) (Event, error) {
	var e inputEvent
	if err := strict(data, &e); err != nil {
		return Event{}, refuse("scheduled payload: %v", err)
	}
	tick, err := parseTick("scheduledTime", e.ScheduledTime)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Kind: Scheduled, Tick: tick, Schedule: e.Schedule}
	if len(e.Attempt) > 0 {
		raw := strings.Trim(string(e.Attempt), `"`)
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			return Event{}, refuse("attempt: %s is not an attempt number (1 and up)", e.Attempt)
		}
		ev.Attempt = n
	}
	return ev, nil
}

type workerEvent struct {
	Sagesaver string `json:"sagesaver"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	Tick      string `json:"tick"`
	Run       int64  `json:"run"`
}

// WorkerPayload is the payload the orchestrator of run, which claimed
// tick, sends a worker for account and region (about 120 bytes).
func WorkerPayload(account, region string, tick time.Time, run int64) any {
	return workerEvent{Sagesaver: string(Worker), Account: account, Region: region, Tick: tick.UTC().Format(time.RFC3339), Run: run}
}

func decodeWorker(data []byte) (Event, error) {
	var e workerEvent
	if err := strict(data, &e); err != nil {
		return Event{}, refuse("worker payload: %v", err)
	}
	if !accountID.MatchString(e.Account) {
		return Event{}, refuse("worker payload: account: %q is not a 12-digit AWS account id", e.Account)
	}
	if _, err := config.CheckRegion(e.Region); err != nil {
		return Event{}, refuse("worker payload: region: %v", err)
	}
	tick, err := parseTick("tick", e.Tick)
	if err != nil {
		return Event{}, err
	}
	if e.Run < 1 {
		return Event{}, refuse("worker payload: run: want the orchestrator's run id (1 and up), have %d", e.Run)
	}
	return Event{Kind: Worker, Tick: tick, Account: e.Account, Region: e.Region, Run: e.Run}, nil
}

type manualEvent struct {
	Sagesaver string `json:"sagesaver"`
	Tick      string `json:"tick"`
}

func decodeManual(data []byte, received time.Time) (Event, error) {
	var e manualEvent
	if err := strict(data, &e); err != nil {
		return Event{}, refuse("manual payload: %v", err)
	}
	if e.Tick == "" {
		return Event{Kind: Manual, Tick: received.UTC().Truncate(time.Second)}, nil
	}
	tick, err := parseTick("tick", e.Tick)
	if err != nil {
		return Event{}, err
	}
	return Event{Kind: Manual, Tick: tick}, nil
}
