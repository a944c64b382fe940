package serve

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// invCells is what the inventory table shows of a row in the columns
// schedule, policy and protected.
type invCells struct {
	Name, Schedule, Policy, Protected string
}

// inventoryTable reads the rows of an inventory page, in their order.
func inventoryTable(t *testing.T, page string) []invCells {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkDOM(t, doc)
	var out []invCells
	for _, tr := range findTag(doc, "tr") {
		link := findAttr(tr, "data-testid", "resource-link")
		if len(link) == 0 {
			continue
		}
		cell := func(id string) string {
			n := findAttr(tr, "data-testid", id)
			if len(n) != 1 {
				t.Fatalf("row %s: %d cells %s", textOf(link[0]), len(n), id)
			}
			return strings.Join(strings.Fields(textOf(n[0])), " ")
		}
		out = append(out, invCells{Name: textOf(link[0]), Schedule: cell("schedule"), Policy: cell("policy"), Protected: cell("protected")})
	}
	return out
}

// invColsEnv is the test fleet with research protected by the default
// tag and churn tagged "keep", the office-hours schedules (dev-alice is
// a dev- notebook) and a latest plan with two rules for churn and one
// for research that the protect tag skipped.
func invColsEnv(t *testing.T, policies []*policy.Policy) *env {
	t.Helper()
	ss, err := schedule.Load("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs := fleet()
	rs[0].Tags = map[string]string{"team": "growth", "keep": ""}
	rs[2].Tags = map[string]string{policy.DefaultProtectTag: "true"}
	scan := report.New(report.Found{Resources: rs, ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
	e := newEnv(t, Options{Addr: "127.0.0.1:0", Schedules: ss, Policies: policies, Source: staticSource{&Snapshot{Scan: scan, At: testNow}}})
	plan(t, e, []store.Finding{
		{Resource: "111111111111/us-east-1/endpoint/churn", Kind: "endpoint", Rule: "tell", Verdict: "idle", Action: "notify", Monthly: money("100")},
		{Resource: "111111111111/us-east-1/endpoint/churn", Kind: "endpoint", Rule: "delete-idle", Verdict: "idle", Action: "delete,notify",
			Evidence: "no invocations for 30h", Monthly: money("100")},
		{Resource: "111111111111/eu-west-1/notebook-instance/research", Kind: "notebook-instance", Rule: "stop-idle", Verdict: "unprotected",
			Evidence: "protected: tag sagesaver:protect", Monthly: money("0")},
	})
	return e
}

// The inventory shows each resource's schedules, the latest plan's rules
// and the protect tag, and its filters, sort and grouping read them.
func TestInventoryScheduleRuleProtected(t *testing.T) {
	e := invColsEnv(t, nil)
	_, page := e.get(t, "/inventory?sort=name&dir=asc")
	want := []invCells{
		{Name: "churn/AllTraffic", Policy: "delete-idle, tell"},
		{Name: "dev-alice", Schedule: "dev-notebooks-office-hours"},
		{Name: "mystery/v1"},
		{Name: "research", Policy: "stop-idle", Protected: "protected"},
	}
	if diff := cmp.Diff(want, inventoryTable(t, page)); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		`<span title="rule delete-idle: delete,notify">delete-idle</span>`,
		`<span title="rule stop-idle: no action (skipped)" class="muted">stop-idle</span>`,
		`title="tag sagesaver:protect: no policy rule acts on it"`,
		`<option >dev-notebooks-office-hours</option>`, `<option >delete-idle</option>`, `<option >tell</option>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("inventory lacks %s", s)
		}
	}
	if page := e.mustGet(t, "/inventory?schedule=dev-notebooks-office-hours"); !strings.Contains(page, `<option selected>dev-notebooks-office-hours</option>`) {
		t.Error("the schedule filter does not show its value")
	}

	names := func(q string) []string {
		t.Helper()
		_, page := e.get(t, "/inventory?"+q)
		var out []string
		for _, r := range inventoryTable(t, page) {
			out = append(out, r.Name)
		}
		return out
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"schedule=dev-notebooks-office-hours", []string{"dev-alice"}},
		{"schedule=" + url.QueryEscape(NoneValue) + "&sort=name", []string{"churn/AllTraffic", "mystery/v1", "research"}},
		{"schedule=studio-apps-evening-stop", nil},
		{"policy=tell", []string{"churn/AllTraffic"}},
		{"policy=stop-idle", []string{"research"}},
		{"policy=" + url.QueryEscape(NoneValue) + "&sort=name", []string{"dev-alice", "mystery/v1"}},
		{"protected=yes", []string{"research"}},
		{"protected=no&sort=name", []string{"churn/AllTraffic", "dev-alice", "mystery/v1"}},
		{"q=office-hours", []string{"dev-alice"}},
		{"q=delete-idle", []string{"churn/AllTraffic"}},
		// protected first, then by ID
		{"sort=protected", []string{"research", "mystery/v1", "churn/AllTraffic", "dev-alice"}},
		// rule lists sort as text, no rule first
		{"sort=policy&dir=asc", []string{"mystery/v1", "dev-alice", "churn/AllTraffic", "research"}},
		{"sort=schedule&dir=desc", []string{"dev-alice", "mystery/v1", "research", "churn/AllTraffic"}},
		{"group=schedule&sort=name", []string{"churn/AllTraffic", "mystery/v1", "research", "dev-alice"}},
	} {
		if got := names(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s: rows %q, want %q", c.q, got, c.want)
		}
	}
	if _, page := e.get(t, "/inventory?group=policy&sort=name"); !strings.Contains(page, "policy: delete-idle, tell") {
		t.Error("group=policy has no group of churn's rules")
	}
	if _, page := e.get(t, "/inventory?protected=maybe&schedule=x"); !strings.Contains(page, `"/inventory.csv?schedule=x&amp;sort=monthly&amp;dir=desc"`) {
		t.Error("the export link does not keep the schedule filter and drop the unknown protected value")
	}
}

func (e *env) mustGet(t *testing.T, path string) string {
	t.Helper()
	resp, page := e.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	return page
}

// A policy that names its own protect tag decides what is protected: the
// default tag no longer is.
func TestInventoryProtectTagOfThePolicies(t *testing.T) {
	e := invColsEnv(t, []*policy.Policy{{ProtectTag: "keep"}})
	var got []string
	for _, r := range inventoryTable(t, e.mustGet(t, "/inventory?protected=yes")) {
		got = append(got, r.Name)
	}
	if !slices.Equal(got, []string{"churn/AllTraffic"}) {
		t.Errorf("protected rows %q, want churn (tag keep) alone", got)
	}
	if page := e.mustGet(t, "/inventory?protected=yes"); !strings.Contains(page, `title="tag keep: no policy rule acts on it"`) {
		t.Error("the protected badge does not name the policy's tag")
	}
}

// The CSV and JSON exports have the table's schedule, policy and
// protected values, row for row, for every filter of them.
func TestInventoryExportsHaveTheNewColumns(t *testing.T) {
	e := invColsEnv(t, nil)
	for _, q := range []string{"sort=name&dir=asc", "sort=protected", "policy=" + url.QueryEscape(NoneValue), "schedule=dev-notebooks-office-hours", "group=policy&sort=policy"} {
		table := inventoryTable(t, e.mustGet(t, "/inventory?"+q))
		recs, err := csv.NewReader(strings.NewReader(e.mustGet(t, "/inventory.csv?"+q))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		var fromCSV []invCells
		for _, r := range recs[1:] {
			p := ""
			if r[col["protected"]] == "true" {
				p = "protected"
			}
			fromCSV = append(fromCSV, invCells{Name: r[col["name"]], Schedule: r[col["schedules"]], Policy: r[col["policy_rules"]], Protected: p})
		}
		if diff := cmp.Diff(table, fromCSV); diff != "" {
			t.Errorf("%s: CSV is not the table (-table +csv):\n%s", q, diff)
		}
		var doc struct {
			Rows []struct {
				Name        string   `json:"name"`
				Schedules   []string `json:"schedules"`
				PolicyRules []string `json:"policy_rules"`
				Protected   bool     `json:"protected"`
			} `json:"rows"`
		}
		text := e.mustGet(t, "/inventory.json?"+q)
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, `"schedules": null`) || strings.Contains(text, `"policy_rules": null`) {
			t.Errorf("%s: JSON has null for no schedule or rule, want []", q)
		}
		var fromJSON []invCells
		for _, r := range doc.Rows {
			p := ""
			if r.Protected {
				p = "protected"
			}
			fromJSON = append(fromJSON, invCells{Name: r.Name, Schedule: strings.Join(r.Schedules, ", "), Policy: strings.Join(r.PolicyRules, ", "), Protected: p})
		}
		if diff := cmp.Diff(table, fromJSON); diff != "" {
			t.Errorf("%s: JSON is not the table (-table +json):\n%s", q, diff)
		}
	}
}

// The row cache computes the schedules and the protect tag once per
// snapshot: a second page of the same snapshot reuses the base rows.
func TestInventoryBaseRowsOncePerSnapshot(t *testing.T) {
	e := invColsEnv(t, nil)
	e.mustGet(t, "/inventory")
	base := e.srv.rows.base
	plan(t, e, []store.Finding{{Resource: "111111111111/us-east-1/notebook-instance/dev-alice", Kind: "notebook-instance", Rule: "stop-idle",
		Verdict: "idle", Action: "stop", Monthly: money("30")}})
	table := inventoryTable(t, e.mustGet(t, "/inventory?sort=name&dir=asc"))
	if &e.srv.rows.base[0] != &base[0] {
		t.Error("a new plan rebuilt the base rows of the same snapshot")
	}
	if table[1].Name != "dev-alice" || table[1].Policy != "stop-idle" || table[1].Schedule != "dev-notebooks-office-hours" {
		t.Errorf("after a new plan, dev-alice reads %+v", table[1])
	}
	if r := e.srv.rows.base[1]; r.Name != "dev-alice" || len(r.Policy) != 0 {
		t.Errorf("the overlay changed the cached base row: %+v", r)
	}
}
