package serve

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// TestPagesGolden renders every view of a fixed fleet, store and clock,
// compares the HTML with testdata/pages/*.html (go test ./internal/serve
// -run TestPagesGolden -update rewrites them), and checks each page's DOM:
// one h1 and one main, every form control labelled, no inline script
// (the CSP forbids it), every figure labelled for screen readers, and the
// figures the page must show.
func TestPagesGolden(t *testing.T) {
	ss, err := schedule.Load("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := fleetEvidence(t)
	e := oppEnv(t, Options{Actions: true, Schedules: ss, Evidence: ev})
	all := e.srv.opts.Source.Latest().Scan.Summary.All
	ledgerEnv := savingsEnv(t)
	for _, c := range []struct {
		name, path string
		testids    map[string]string
		env        *env // nil: e
	}{
		{"overview", "/", map[string]string{"hourly": fmtTotal(all.Hourly) + "/h", "monthly": fmtTotal(all.Monthly), "unpriced": "1"}, nil},
		{"inventory", "/inventory?kind=notebook-instance&sort=name&dir=asc", nil, nil},
		{"opportunities", "/opportunities", map[string]string{"opp-total": "≥ $100.00/month", "opp-open": "3", "opp-delete": "$100.00/month"}, nil},
		{"resource", "/resource?id=111111111111/us-east-1/notebook-instance/dev-alice", map[string]string{"schedule-preview": "stop Fri 2026-11-20 21:00 UTC start Mon 2026-11-23 07:00 UTC stop Mon 2026-11-23 21:00 UTC start Tue 2026-11-24 07:00 UTC stop Tue 2026-11-24 21:00 UTC start Wed 2026-11-25 07:00 UTC"}, nil},
		{"endpoint", "/resource?id=111111111111/us-east-1/endpoint/churn/AllTraffic", map[string]string{"advice": "ml.m5.xlarge x2 → ml.m5.xlarge x1 endpoint-fewer high confidence · saves $80.00/month CPU p95 9% of 4 vCPUs"}, nil},
		{"schedules", "/schedules", map[string]string{"managed": "1"}, nil},
		{"savings", "/savings", map[string]string{"realized-total": "$0.00"}, nil},
		{"savings-ledger", "/savings?group=team", map[string]string{"realized-total": "~$261.00", "estimated-total": "$263.60"}, ledgerEnv},
		{"activity", "/activity", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ce := e
			if c.env != nil {
				ce = c.env
			}
			resp, page := ce.get(t, c.path)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			testutil.Golden(t, filepath.Join("testdata", "pages", c.name+".html"), page)
			doc, err := html.Parse(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			checkDOM(t, doc)
			for id, want := range c.testids {
				n := findAttr(doc, "data-testid", id)
				if len(n) == 0 {
					t.Errorf("no element data-testid=%q", id)
					continue
				}
				if got := strings.Join(strings.Fields(textOf(n[0])), " "); got != want {
					t.Errorf("data-testid=%q reads %q, want %q", id, got, want)
				}
			}
		})
	}
}

// checkDOM asserts what every page must be, whatever it shows.
func checkDOM(t *testing.T, doc *html.Node) {
	t.Helper()
	if n := len(findTag(doc, "h1")); n != 1 {
		t.Errorf("%d h1 elements, want 1", n)
	}
	if n := len(findTag(doc, "main")); n != 1 {
		t.Errorf("%d main elements, want 1", n)
	}
	labelled := map[string]bool{}
	for _, l := range findTag(doc, "label") {
		if f := attr(l, "for"); f != "" {
			labelled[f] = true
		}
	}
	for _, tag := range []string{"input", "select", "textarea"} {
		for _, n := range findTag(doc, tag) {
			if attr(n, "type") == "hidden" || attr(n, "type") == "submit" {
				continue
			}
			if !labelled[attr(n, "id")] && attr(n, "aria-label") == "" && !inside(n, "label") {
				t.Errorf("<%s name=%q> has no label", tag, attr(n, "name"))
			}
		}
	}
	for _, s := range findTag(doc, "script") {
		if attr(s, "src") == "" && attr(s, "type") != "application/json" {
			t.Errorf("inline script: %q", textOf(s))
		}
	}
	for _, f := range findTag(doc, "figure") {
		if attr(f, "aria-label") == "" {
			t.Error("a figure without aria-label")
		}
	}
	for _, b := range findTag(doc, "button") {
		if strings.TrimSpace(textOf(b)) == "" && attr(b, "aria-label") == "" {
			t.Error("a button without text")
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func findTag(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func findAttr(doc *html.Node, key, val string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, key) == val {
			out = append(out, n)
		}
	})
	return out
}

func inside(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b bytes.Buffer
	walk(n, func(c *html.Node) {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(c.Data)
		case c.Type == html.ElementNode && (c.Data == "li" || c.Data == "td" || c.Data == "p"):
			b.WriteString(" ") // a block's text is a word of its own
		}
	})
	return b.String()
}
