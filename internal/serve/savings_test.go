package serve

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

// savingsEnv is a store whose ledger has three periods at testNow (Nov 20,
// 12:00 UTC): a policy's stop of growth's notebook since Oct 31, 20:00,
// 0.5 $/h (4 h in October, the rest in November), a schedule's stop of
// another of growth's notebooks, ended after 10 h, and a delete of an
// endpoint without a team tag, 2 $/h, since Nov 20, 00:00, its price an
// estimate.
func savingsEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, Options{})
	ctx := t.Context()
	run, err := e.st.StartRun(ctx, store.RunInfo{Command: "apply", OSUser: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	act := func(verb, res string, monthly string, details string) int64 {
		t.Helper()
		id, err := e.st.RecordAction(ctx, store.Action{RunID: run.ID, Actor: "alice", Resource: res, Verb: verb, Result: store.ResultOK,
			MonthlySaved: money(monthly), Details: json.RawMessage(details)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	save := func(res string, actionID int64, hourly string, estimate bool, from time.Time) {
		t.Helper()
		id, err := resource.ParseID(res)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.StartSaving(ctx, id, actionID, pricing.Price{Amount: pricing.MustParseMoney(hourly), Known: true, Estimate: estimate}, from); err != nil {
			t.Fatal(err)
		}
	}
	const nb1, nb2, ep = "111111111111/us-east-1/notebook-instance/dev-alice", "111111111111/us-east-1/notebook-instance/dev-bob", "111111111111/us-east-1/endpoint/churn"
	save(nb1, act("stop", nb1, "365", `{"rule":"stop-idle","team":"growth"}`), "0.5", false, time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC))
	save(nb2, act("stop", nb2, "73", `{"schedule":"office-hours","team":"growth"}`), "0.1", false, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC))
	if _, err := e.st.StopSaving(ctx, mustParseID(t, nb2), time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	save(ep, act("delete", ep, "1460", `{"rule":"delete-idle"}`), "2", true, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	return e
}

func mustParseID(t *testing.T, s string) resource.ID {
	t.Helper()
	id, err := resource.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// breakdown is the Savings page's breakdown table: each row's key and its
// cells' text.
func breakdown(t *testing.T, page string) map[string][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, body := range findAttr(doc, "data-testid", "breakdown") {
		for _, tr := range findTag(body, "tr") {
			var cells []string
			for c := tr.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					cells = append(cells, strings.Join(strings.Fields(textOf(c)), " "))
				}
			}
			out[attr(tr, "data-key")] = cells
		}
	}
	return out
}

// TestSavingsBreakdown: the Savings page sums the ledger by the grouping
// the query string names, a realized and an estimated column per
// calendar month (UTC) and in all, and keeps each period's hours × $/h =
// realized with its action, rule and team.
func TestSavingsBreakdown(t *testing.T) {
	e := savingsEnv(t)
	for _, c := range []struct {
		query string
		want  map[string][]string
	}{
		// growth: 0.5 $/h × (4 h in October + 468 h in November) and 0.1 $/h × 10 h;
		// estimated 365/730 = 0.5 $/h over the same hours, 73/730 = 0.1 $/h over 36 h.
		// (none): the endpoint's 12 h at ~2 $/h, estimated 1460/730 = 2 $/h.
		{"?group=team", map[string][]string{
			"growth": {"growth", "2 (1 open)", "$0.50/h", "$438.00", "$2.00", "$2.00", "$235.00", "$237.60", "$237.00", "$239.60"},
			"(none)": {"(none)", "1 (1 open)", "$2.00/h", "$1,460.00", "~$0.00", "$0.00", "~$24.00", "$24.00", "~$24.00", "$24.00"},
		}},
		{"?group=rule", map[string][]string{
			"stop-idle":             {"stop-idle", "1 (1 open)", "$0.50/h", "$365.00", "$2.00", "$2.00", "$234.00", "$234.00", "$236.00", "$236.00"},
			"schedule office-hours": {"schedule office-hours", "1", "—", "$73.00", "$0.00", "$0.00", "$1.00", "$3.60", "$1.00", "$3.60"},
			"delete-idle":           {"delete-idle", "1 (1 open)", "$2.00/h", "$1,460.00", "~$0.00", "$0.00", "~$24.00", "$24.00", "~$24.00", "$24.00"},
		}},
		// an unknown grouping is the default, by action
		{"?group=bogus", map[string][]string{
			"stop":   {"stop", "2 (1 open)", "$0.50/h", "$438.00", "$2.00", "$2.00", "$235.00", "$237.60", "$237.00", "$239.60"},
			"delete": {"delete", "1 (1 open)", "$2.00/h", "$1,460.00", "~$0.00", "$0.00", "~$24.00", "$24.00", "~$24.00", "$24.00"},
		}},
	} {
		t.Run(c.query, func(t *testing.T) {
			resp, page := e.get(t, "/savings"+c.query)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, page)
			}
			got := breakdown(t, page)
			if len(got) != len(c.want) {
				t.Errorf("breakdown rows %v, want %v", got, c.want)
			}
			for k, want := range c.want {
				if strings.Join(got[k], " | ") != strings.Join(want, " | ") {
					t.Errorf("row %q:\n got %q\nwant %q", k, got[k], want)
				}
			}
			for _, want := range []string{
				`<th scope="col" class="num">2026-10 realized</th>`, `<th scope="col" class="num">2026-11 estimated</th>`,
				`data-testid="realized-total">~$261.00<`, `data-testid="realized-month">~$259.00<`, `data-testid="estimated-total">$263.60<`,
				`data-testid="saving-now">$2.50<`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
	// The ledger keeps each period: hours × $/h = realized, its action, rule and team.
	_, page := e.get(t, "/savings")
	for _, want := range []string{
		`<td class="num">472.0 h</td>
      <td class="num">$0.50</td>
      <td class="num" data-testid="row-realized">$236.00</td>`,
		`<td class="num">10.0 h</td>
      <td class="num">$0.10</td>
      <td class="num" data-testid="row-realized">$1.00</td>`,
		`<td>stop <a class="muted small" href="/activity?run=1">#1</a> <span class="muted small">by alice</span></td>
      <td>stop-idle</td>
      <td>growth</td>`,
		`<td>schedule office-hours</td>`,
		// its resource page has the price row
		`<a href="/resource?id=111111111111%2fus-east-1%2fnotebook-instance%2fdev-alice" data-testid="ledger-resource">dev-alice</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("ledger lacks %q", want)
		}
	}
}
