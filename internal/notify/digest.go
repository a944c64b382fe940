// Package notify tells people what a run did: one digest per run, sent to
// an SNS topic (a readable subject and plain-text list, like the seed's
// e-mail, with the same digest as JSON in a message attribute) and/or to a
// Slack-compatible incoming webhook. Failed actions are in the digest too.
//
// The digest is built by the caller (`schedule run`, `apply`) from what it
// did; this package only renders and sends it.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sagesaver/sagesaver/internal/pricing"
)

// Results of an item.
const (
	ResultOK      = "ok"      // the action was taken
	ResultFailed  = "failed"  // the action was tried and AWS refused or erred
	ResultDryRun  = "dry-run" // the action would be taken without --yes
	ResultSkipped = "skipped" // decided, then not taken (the re-check saw a change)
)

// Digest is what one run did, for people.
type Digest struct {
	// Command is the run's command, e.g. "schedule run" or "apply".
	Command string
	RunID   int64
	DryRun  bool
	At      time.Time
	// Actor is who ran it ("alice (arn:aws:iam::123456789012:user/alice)").
	Actor string
	// Items are the resources acted on (or that would be, or failed), in
	// the order the run handled them.
	Items []Item
}

// Item is one resource in a digest.
type Item struct {
	Account  string
	Region   string
	Kind     string // inventory kind: notebook-instance, studio-app, endpoint
	Name     string
	ARN      string
	Action   string // start, stop, delete, ...
	Result   string // one of the Result constants
	Reason   string // why the action was decided
	Error    string // for ResultFailed
	Schedule string // the schedule or rule that decided it, if any
	// Hourly is, for a stop, delete or delete-app, what it saves per hour
	// (cost.Saves: the instance-hours; the savings ledger records the same
	// rate), and otherwise the resource's price per hour (what a start
	// costs). Unknown when the catalog has no price; Estimate shows "~".
	Hourly pricing.Price
}

// Notifier sends a digest somewhere.
type Notifier interface {
	// Notify sends d once. It returns an error if the destination did not
	// accept it; it does not retry beyond what its transport does.
	Notify(ctx context.Context, d Digest) error
}

// Multi sends to every notifier and joins their errors: one destination
// failing does not keep the digest from the others.
type Multi []Notifier

// Notify implements Notifier.
func (m Multi) Notify(ctx context.Context, d Digest) error {
	var errs []error
	for _, n := range m {
		if err := n.Notify(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Worth reports whether d says anything: a digest of a run that did
// nothing and found nothing to do is not sent (a scheduler running every
// five minutes would otherwise mail every five minutes).
func (d Digest) Worth() bool { return len(d.Items) > 0 }

// count returns how many items have each result.
func (d Digest) count() map[string]int {
	c := map[string]int{}
	for _, it := range d.Items {
		c[it.Result]++
	}
	return c
}

// maxSubject is SNS's limit on a subject: 100 characters, ASCII-ish
// printable, no line breaks.
const maxSubject = 100

// Subject is a one-line summary of at most 100 characters:
// "sagesaver schedule run: 2 stopped, 1 failed".
func (d Digest) Subject() string {
	c := d.count()
	var parts []string
	for _, it := range []struct {
		result string
		label  string
	}{{ResultOK, "done"}, {ResultDryRun, "to do (dry run)"}, {ResultFailed, "failed"}, {ResultSkipped, "skipped"}} {
		if n := c[it.result]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, it.label))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	cmd := d.Command
	if cmd == "" {
		cmd = "run"
	}
	return clip(oneLine("sagesaver "+cmd+": "+strings.Join(parts, ", ")), maxSubject)
}

// ActionList is the action of an item that reports a listing (of a kind
// in a region, or of a whole account) that failed.
const ActionList = "list"

// verbs says what was done, in the past tense, for ResultOK.
var verbs = map[string]string{"stop": "stopped", "start": "started", "delete": "deleted", "delete-app": "deleted app"}

// line is one item for the plain-text list.
func (it Item) line() string {
	var b strings.Builder
	var where []string
	for _, w := range []string{it.Region, it.Kind} {
		if w != "" && w != "*" {
			where = append(where, w)
		}
	}
	if it.Account != "" {
		where = append(where, "account "+it.Account)
	}
	fmt.Fprintf(&b, "%s (%s): ", it.Name, strings.Join(where, ", "))
	switch it.Result {
	case ResultOK:
		v, ok := verbs[it.Action]
		if !ok {
			v = it.Action + " done"
		}
		b.WriteString(v)
	case ResultDryRun:
		b.WriteString("would " + it.Action + " (dry run)")
	case ResultFailed:
		b.WriteString(it.Action + " FAILED: " + it.Error)
	case ResultSkipped:
		b.WriteString(it.Action + " skipped")
	default:
		b.WriteString(it.Action + " " + it.Result)
	}
	// A failed listing is about no one resource: it has no price.
	if m := it.monthly(); m != "" && it.Action != ActionList {
		b.WriteString("; " + m)
	}
	if it.Reason != "" {
		b.WriteString("; " + it.Reason)
	}
	return oneLine(b.String())
}

// monthly is "$36.50/month ($0.05/h)", "~$167.90/month (~$0.23/h)" for
// an estimated price, or "price unknown".
func (it Item) monthly() string {
	if !it.Hourly.Known {
		return "price unknown"
	}
	est := ""
	if it.Hourly.Estimate {
		est = "~"
	}
	return fmt.Sprintf("%s%s/month (%s%s/h)", est, it.Hourly.Monthly().Amount, est, it.Hourly.Amount.FormatRate())
}

// Text is the digest as a plain-text message, like the seed's e-mail: a
// sentence, then one line per resource, failures first.
func (d Digest) Text() string { return d.text(len(d.Items)) }

// text renders the first n items (in result order) and says how many more
// there are.
func (d Digest) text(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sagesaver %s at %s", d.Command, d.At.UTC().Format("2006-01-02 15:04 MST"))
	if d.Actor != "" {
		fmt.Fprintf(&b, " by %s", d.Actor)
	}
	if d.RunID != 0 {
		fmt.Fprintf(&b, " (run %d)", d.RunID)
	}
	b.WriteString(".\n")
	if d.DryRun {
		b.WriteString("Dry run: nothing was changed; run again with --yes to act.\n")
	}
	items := d.ordered()
	shown := 0
	for _, g := range groups {
		var lines []string
		for _, it := range items {
			if it.Result == g.result {
				lines = append(lines, it.line())
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d):\n", g.title, len(lines))
		for _, l := range lines {
			if shown >= n {
				break
			}
			b.WriteString("  - " + l + "\n")
			shown++
		}
	}
	if len(items) == 0 {
		b.WriteString("\nNothing to do.\n")
	}
	if shown < len(items) {
		fmt.Fprintf(&b, "\n... and %d more (see `sagesaver history`).\n", len(items)-shown)
	}
	return b.String()
}

// groups order the text: failures first, they need someone.
var groups = []struct{ result, title string }{
	{ResultFailed, "Failed"},
	{ResultOK, "Done"},
	{ResultDryRun, "Would do"},
	{ResultSkipped, "Skipped"},
}

// ordered returns the items grouped as the text shows them.
func (d Digest) ordered() []Item {
	out := make([]Item, 0, len(d.Items))
	for _, g := range groups {
		for _, it := range d.Items {
			if it.Result == g.result {
				out = append(out, it)
			}
		}
	}
	for _, it := range d.Items {
		known := false
		for _, g := range groups {
			known = known || it.Result == g.result
		}
		if !known {
			out = append(out, it)
		}
	}
	return out
}

// JSONVersion is the schema of the digest's JSON form.
const JSONVersion = "sagesaver.io/digest/v1"

type jsonDigest struct {
	Schema  string     `json:"schema"`
	Command string     `json:"command"`
	RunID   int64      `json:"runId,omitempty"`
	DryRun  bool       `json:"dryRun"`
	At      time.Time  `json:"at"`
	Actor   string     `json:"actor,omitempty"`
	Counts  jsonCounts `json:"counts"`
	Items   []jsonItem `json:"items"`
	// Omitted is how many items were left out to fit a size limit.
	Omitted int `json:"omitted,omitempty"`
}

type jsonCounts struct {
	OK      int `json:"ok"`
	DryRun  int `json:"dryRun"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

type jsonItem struct {
	Account  string `json:"account,omitempty"`
	Region   string `json:"region"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	ARN      string `json:"arn,omitempty"`
	Action   string `json:"action"`
	Result   string `json:"result"`
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	// Hourly and Monthly are exact decimal dollars; null when unknown.
	Hourly   *string `json:"hourly"`
	Monthly  *string `json:"monthly"`
	Estimate bool    `json:"estimate,omitempty"`
}

// JSON is the digest as JSON (schema sagesaver.io/digest/v1).
func (d Digest) JSON() []byte { return d.json(len(d.Items)) }

func (d Digest) json(n int) []byte {
	c := d.count()
	out := jsonDigest{
		Schema: JSONVersion, Command: d.Command, RunID: d.RunID, DryRun: d.DryRun, At: d.At.UTC(), Actor: d.Actor,
		Counts: jsonCounts{OK: c[ResultOK], DryRun: c[ResultDryRun], Failed: c[ResultFailed], Skipped: c[ResultSkipped]},
		Items:  []jsonItem{},
	}
	items := d.ordered()
	for i, it := range items {
		if i >= n {
			out.Omitted = len(items) - n
			break
		}
		ji := jsonItem{Account: it.Account, Region: it.Region, Kind: it.Kind, Name: it.Name, ARN: it.ARN,
			Action: it.Action, Result: it.Result, Reason: it.Reason, Error: it.Error, Schedule: it.Schedule}
		if it.Hourly.Known {
			h, m := it.Hourly.Amount.Plain(), it.Hourly.Monthly().Amount.Plain()
			ji.Hourly, ji.Monthly, ji.Estimate = &h, &m, it.Hourly.Estimate
		}
		out.Items = append(out.Items, ji)
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Only strings, numbers and times: Marshal cannot fail.
		panic(err)
	}
	return b
}

// fit returns the largest n <= len(items) for which size(n) <= limit
// (0 if none); size grows with n.
func fit(items int, limit int, size func(n int) int) int {
	lo, hi := 0, items
	if size(hi) <= limit {
		return hi
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if size(mid) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// oneLine replaces line breaks and tabs with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

// clip shortens s to at most max bytes on a rune boundary, ending in "..."
// when it had to cut.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
