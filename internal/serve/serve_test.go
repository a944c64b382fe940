package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// staticSource is a Source holding one snapshot.
type staticSource struct{ snap *Snapshot }

func (s staticSource) Latest() *Snapshot { return s.snap }
func (s staticSource) History() []Point {
	if s.snap == nil {
		return nil
	}
	return []Point{pointOf(s.snap)}
}

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func fleet() []resource.Resource {
	return []resource.Resource{
		{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Name: "churn", Variant: "AllTraffic", Status: "InService",
			InstanceType: "ml.m5.xlarge", InstanceCount: 2, Running: true, Tags: map[string]string{"team": "growth"}},
		{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "dev-alice", Status: "InService",
			InstanceType: "ml.t3.medium", InstanceCount: 1, Running: true, VolumeGB: 5, Tags: map[string]string{"owner": "alice"}},
		{Account: "111111111111", Region: "eu-west-1", Kind: resource.NotebookInstance, Name: "research", Status: "Stopped",
			InstanceType: "ml.g5.xlarge", InstanceCount: 1, VolumeGB: 50},
		{Account: "111111111111", Region: "eu-west-1", Kind: resource.Endpoint, Name: "mystery", Variant: "v1", Status: "InService",
			InstanceType: "ml.zz9.huge", InstanceCount: 1, Running: true},
	}
}

type env struct {
	srv   *Server
	st    *store.SQLite
	stClk *clock.Manual // the store's clock
	token string
	h     http.Handler
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	ctx := t.Context()
	stClock := clock.NewManual(testNow)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"), store.WithClock(stClock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat := pricing.Embedded()
	scan := report.New(report.Found{Resources: fleet(), ScannedAt: testNow.Add(-2 * time.Minute)}, cat, []string{"111111111111"}, []string{"us-east-1", "eu-west-1"}, 0)
	opts.Store, opts.Catalog, opts.Clock = st, cat, clock.NewManual(testNow)
	if opts.Source == nil {
		opts.Source = staticSource{&Snapshot{Scan: scan, At: scan.ScannedAt, Took: 3 * time.Second}}
	}
	const token = "s3cret-token"
	if opts.Auth == nil && !strings.Contains(t.Name(), "NoAuth") {
		opts.Auth = NewAuth(token)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: s, st: st, stClk: stClock, token: token, h: s.Handler()}
}

func (e *env) do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Result()
}

func (e *env) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp := e.do(t, req)
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestSecurityRefusals(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:8080"})
	t.Run("foreign host", func(t *testing.T) {
		req := httptest.NewRequest("GET", "http://evil.example:8080/", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		if resp := e.do(t, req); resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("foreign Host: status %d, want 421", resp.StatusCode)
		}
	})
	t.Run("cross-origin post", func(t *testing.T) {
		req := httptest.NewRequest("POST", "http://127.0.0.1:8080/login", strings.NewReader("token="+e.token))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if resp := e.do(t, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST: status %d, want 403", resp.StatusCode)
		}
		// The same POST from the page itself logs in.
		req = httptest.NewRequest("POST", "http://127.0.0.1:8080/login", strings.NewReader("token="+e.token))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp := e.do(t, req)
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
			t.Errorf("same-origin login: status %d, cookies %v", resp.StatusCode, resp.Cookies())
		}
	})
	t.Run("missing token", func(t *testing.T) {
		for _, p := range []string{"/", "/inventory", "/inventory.csv", "/metrics", "/resource?id=x", "/savings", "/activity"} {
			resp := e.do(t, httptest.NewRequest("GET", "http://127.0.0.1:8080"+p, nil))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s without token: status %d, want 401", p, resp.StatusCode)
			}
		}
		req := httptest.NewRequest("GET", "http://127.0.0.1:8080/", nil)
		req.Header.Set("Authorization", "Bearer wrong")
		if resp := e.do(t, req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong token: status %d, want 401", resp.StatusCode)
		}
		req = httptest.NewRequest("GET", "http://127.0.0.1:8080/inventory", nil)
		req.Header.Set("Accept", "text/html")
		resp := e.do(t, req)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("browser without cookie: status %d, Location %q, want a redirect to /login", resp.StatusCode, loc)
		}
		req = httptest.NewRequest("GET", "http://127.0.0.1:8080/inventory", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: e.token})
		if resp := e.do(t, req); resp.StatusCode != http.StatusOK {
			t.Errorf("login cookie: status %d, want 200", resp.StatusCode)
		}
	})
	t.Run("non-loopback bind without auth", func(t *testing.T) {
		for _, addr := range []string{"0.0.0.0:8080", "[::]:8080", "192.168.1.5:8080", "dashboard.example:80", ":8080"} {
			if _, err := New(Options{Addr: addr, Source: staticSource{}}); err == nil {
				t.Errorf("New(%s) without auth: no error", addr)
			}
			if _, err := New(Options{Addr: addr, Source: staticSource{}, Auth: NewAuth("x")}); err != nil {
				t.Errorf("New(%s) with auth: %v", addr, err)
			}
		}
		for _, addr := range []string{"127.0.0.1:8080", "[::1]:0", "localhost:9000"} {
			if _, err := New(Options{Addr: addr, Source: staticSource{}}); err != nil {
				t.Errorf("New(%s) without auth: %v", addr, err)
			}
		}
	})
	t.Run("headers", func(t *testing.T) {
		resp, _ := e.get(t, "/")
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		c := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
			if !strings.Contains(c, want) {
				t.Errorf("CSP %q lacks %q", c, want)
			}
		}
		if strings.Contains(c, "unsafe-inline") || strings.Contains(c, "unsafe-eval") {
			t.Errorf("CSP allows inline or eval: %q", c)
		}
	})
}

func TestNoAuthOnLoopbackServes(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	resp := e.do(t, httptest.NewRequest("GET", "http://localhost/inventory", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestTokenStoredHashed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	a, tok, err := LoadOrCreateToken(dir)
	if err != nil || tok == "" || len(tok) < 64 {
		t.Fatalf("first start: token %q, err %v", tok, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tok))
	if strings.TrimSpace(string(b)) != hex.EncodeToString(sum[:]) || strings.Contains(string(b), tok) {
		t.Errorf("token file holds %q, want only the SHA-256 of the token", b)
	}
	fi, _ := os.Stat(filepath.Join(dir, TokenFile))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	a2, tok2, err := LoadOrCreateToken(dir)
	if err != nil || tok2 != "" {
		t.Fatalf("second start: token %q (want none shown), err %v", tok2, err)
	}
	if !a.Valid(tok) || !a2.Valid(tok) || a2.Valid(tok+"x") || a2.Valid("") {
		t.Error("validation of the stored token is wrong")
	}
}

func TestReadyz(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0", Source: staticSource{}})
	if resp, _ := e.get(t, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz before the first inventory: %d, want 503", resp.StatusCode)
	}
	if resp, _ := e.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	e = newEnv(t, Options{Addr: "127.0.0.1:0"})
	if resp, _ := e.get(t, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz after: %d, want 200", resp.StatusCode)
	}
}

func TestMetricsLint(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	ctx := context.WithoutCancel(t.Context())
	problems, err := testutil.GatherAndLint(e.srv.Registry(ctx))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sagesaver_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
	_, body := e.get(t, "/metrics")
	for _, want := range []string{
		`sagesaver_resource_cost_usd_per_hour{account="111111111111",instance_type="ml.m5.xlarge",kind="endpoint",name="churn/AllTraffic",region="us-east-1"}`,
		`sagesaver_build_info{goversion=`, `sagesaver_unpriced_resources 1`, `sagesaver_realized_savings_usd_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `name="mystery/v1"`) {
		t.Error("an unpriced resource is reported with a price")
	}
}

// The tick metrics are the latest finished tick's record in the store:
// its duration, each target's failure and AWS calls; the last successful
// tick is the newest that did not fail.
func TestMetricsOfTheLatestTick(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	ctx := t.Context()
	record := func(at time.Time, took time.Duration, trs []store.TargetResult, fail bool) {
		t.Helper()
		run, err := e.st.StartRun(ctx, store.RunInfo{Command: tick.Command, Tick: at})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trs {
			if err := e.st.RecordTarget(ctx, run.ID, tr); err != nil {
				t.Fatal(err)
			}
		}
		e.stClk.Advance(took)
		var runErr error
		if fail {
			runErr = errors.New("some targets or the digest failed")
		}
		if err := e.st.FinishRun(ctx, run.ID, runErr); err != nil {
			t.Fatal(err)
		}
	}
	ok := testNow.Add(-10 * time.Minute)
	record(ok, 40*time.Second, []store.TargetResult{{Account: "111111111111", Region: "us-east-1", Status: store.TargetOK,
		Calls: map[string]int{"sagemaker:ListEndpoints": 9}}}, false)
	latest := testNow.Add(-5 * time.Minute)
	record(latest, 90*time.Second, []store.TargetResult{
		{Account: "111111111111", Region: "us-east-1", Status: store.TargetOK,
			Calls: map[string]int{"sagemaker:ListEndpoints": 2, "monitoring:GetMetricData": 3}},
		{Account: "111111111111", Region: "eu-west-1", Status: store.TargetFailed, Error: "scan endpoint: AccessDenied",
			Calls: map[string]int{"sagemaker:ListEndpoints": 1}},
	}, true)
	// A tick still running is not the latest finished one.
	if _, err := e.st.StartRun(ctx, store.RunInfo{Command: tick.Command, Tick: testNow}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`
# HELP sagesaver_last_tick_duration_seconds How long the latest finished tick (sagesaver run, serve -f) took.
# TYPE sagesaver_last_tick_duration_seconds gauge
sagesaver_last_tick_duration_seconds 90
# HELP sagesaver_last_tick_target_failed 1 when the latest finished tick's work in this account and region failed, 0 when it did not.
# TYPE sagesaver_last_tick_target_failed gauge
sagesaver_last_tick_target_failed{account="111111111111",region="eu-west-1"} 1
sagesaver_last_tick_target_failed{account="111111111111",region="us-east-1"} 0
# HELP sagesaver_last_tick_aws_calls AWS calls the latest finished tick made in this account and region, by operation (service:Operation).
# TYPE sagesaver_last_tick_aws_calls gauge
sagesaver_last_tick_aws_calls{account="111111111111",operation="monitoring:GetMetricData",region="us-east-1"} 3
sagesaver_last_tick_aws_calls{account="111111111111",operation="sagemaker:ListEndpoints",region="eu-west-1"} 1
sagesaver_last_tick_aws_calls{account="111111111111",operation="sagemaker:ListEndpoints",region="us-east-1"} 2
# HELP sagesaver_last_successful_tick_timestamp_seconds When the latest tick that finished without a failure started (its scheduled time), in Unix seconds.
# TYPE sagesaver_last_successful_tick_timestamp_seconds gauge
sagesaver_last_successful_tick_timestamp_seconds %d
`, ok.Unix())
	reg := e.srv.Registry(context.WithoutCancel(ctx))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sagesaver_last_tick_duration_seconds",
		"sagesaver_last_tick_target_failed", "sagesaver_last_tick_aws_calls", "sagesaver_last_successful_tick_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sagesaver_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}

// TestMetricsSkipATickClaimedElsewhere: two hosts tick at the same time
// on one SQLite store; the one that lost the tick's claim finished its
// run after the one that ran the tick, doing nothing. The tick metrics
// are the tick that really ran (its duration, failed target and AWS
// calls), and the lost claim is no successful tick.
func TestMetricsSkipATickClaimedElsewhere(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	ctx := t.Context()
	// Each target's work takes 90 seconds of the store's clock and makes
	// two AssumeRole calls.
	count := func(ctx context.Context) (context.Context, func() (map[string]int, int)) {
		e.stClk.Advance(90 * time.Second)
		return ctx, func() (map[string]int, int) { return map[string]int{"sts:AssumeRole": 2}, 0 }
	}
	tickAt := func(at time.Time, targets ...tick.Target) *tick.Result {
		t.Helper()
		res, err := tick.Run(ctx, tick.Options{Run: &runconfig.Run{}, At: at, Targets: targets, Store: e.st, Count: count})
		if err != nil {
			t.Fatal(err)
		}
		e.stClk.Advance(time.Second)
		return res
	}
	ok := testNow.Add(-10 * time.Minute)
	tickAt(ok) // nothing to do: a successful tick
	latest := testNow.Add(-5 * time.Minute)
	ran := tickAt(latest, tick.Target{Account: "111111111111", Region: "eu-west-1", Err: errors.New("assume role: AccessDenied")})
	lost := tickAt(latest, tick.Target{Account: "111111111111", Region: "eu-west-1", Err: errors.New("assume role: AccessDenied")})
	if ran.Claimed != nil || lost.Claimed == nil || lost.Claimed.RunID != ran.RunID {
		t.Fatalf("ticks: ran claimed by %v, lost claimed by %v; want the second to lose to run %d", ran.Claimed, lost.Claimed, ran.RunID)
	}
	want := fmt.Sprintf(`
# HELP sagesaver_last_tick_duration_seconds How long the latest finished tick (sagesaver run, serve -f) took.
# TYPE sagesaver_last_tick_duration_seconds gauge
sagesaver_last_tick_duration_seconds 90
# HELP sagesaver_last_tick_target_failed 1 when the latest finished tick's work in this account and region failed, 0 when it did not.
# TYPE sagesaver_last_tick_target_failed gauge
sagesaver_last_tick_target_failed{account="111111111111",region="eu-west-1"} 1
# HELP sagesaver_last_tick_aws_calls AWS calls the latest finished tick made in this account and region, by operation (service:Operation).
# TYPE sagesaver_last_tick_aws_calls gauge
sagesaver_last_tick_aws_calls{account="111111111111",operation="sts:AssumeRole",region="eu-west-1"} 2
# HELP sagesaver_last_successful_tick_timestamp_seconds When the latest tick that finished without a failure started (its scheduled time), in Unix seconds.
# TYPE sagesaver_last_successful_tick_timestamp_seconds gauge
sagesaver_last_successful_tick_timestamp_seconds %d
`, ok.Unix())
	if err := testutil.GatherAndCompare(e.srv.Registry(context.WithoutCancel(ctx)), strings.NewReader(want), "sagesaver_last_tick_duration_seconds",
		"sagesaver_last_tick_target_failed", "sagesaver_last_tick_aws_calls", "sagesaver_last_successful_tick_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

func TestInventoryExportsAreTheView(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	q := "?kind=notebook-instance&sort=name&dir=asc&bogus=1&state=sideways"
	resp, page := e.get(t, "/inventory"+q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	tableRows := strings.Count(page, `data-testid="resource-link"`)
	_, csvText := e.get(t, "/inventory.csv"+q)
	_, jsonText := e.get(t, "/inventory.json"+q)
	lines := strings.Split(strings.TrimSpace(csvText), "\n")
	if tableRows != 2 || len(lines)-1 != tableRows {
		t.Fatalf("table %d rows, CSV %d, want 2 notebooks:\n%s", tableRows, len(lines)-1, csvText)
	}
	if !strings.Contains(lines[1], ",dev-alice,") || !strings.Contains(lines[2], ",research,") {
		t.Errorf("CSV not sorted by name: %q", lines[1:])
	}
	var doc struct {
		Schema string `json:"schema"`
		Query  string `json:"query"`
		Rows   []struct {
			Name       string   `json:"name"`
			USDPerHour *float64 `json:"usd_per_hour"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(jsonText), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != SchemaInventory || len(doc.Rows) != 2 || doc.Rows[0].Name != "dev-alice" {
		t.Errorf("JSON export: %+v", doc)
	}
	if doc.Query != "kind=notebook-instance&sort=name&dir=asc" {
		t.Errorf("JSON query %q: the unknown state value should be dropped", doc.Query)
	}
	// An unknown price is empty in CSV, never 0.
	_, all := e.get(t, "/inventory.csv?q=mystery")
	if !strings.Contains(all, "ml.zz9.huge,1,InService,,,") {
		t.Errorf("unpriced row: %s", all)
	}
}

func TestOpenSavingsCountEachResourceOnce(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	ctx := t.Context()
	run, err := e.st.StartRun(ctx, store.RunInfo{Command: "plan", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	ep := "111111111111/us-east-1/endpoint/churn"
	m := func(s string) pricing.Price { return pricing.Price{Known: true, Amount: pricing.MustParseMoney(s)} }
	if err := e.st.AddFindings(ctx, run.ID, []store.Finding{
		{Resource: ep, Kind: "endpoint", Rule: "delete-idle", Verdict: "idle", Action: "delete", Monthly: m("100")},
		{Resource: ep, Kind: "endpoint", Rule: "scale-in", Verdict: "idle", Action: "update-endpoint", Monthly: m("40")},
		{Resource: ep, Kind: "endpoint", Rule: "tell", Verdict: "idle", Action: "notify", Monthly: m("0")},
		{Resource: "111111111111/us-east-1/notebook-instance/dev-alice", Kind: "notebook-instance", Rule: "stop", Verdict: "idle", Action: "stop", Monthly: m("25.5")},
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, run.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, page := e.get(t, "/")
	for _, want := range []string{`data-testid="open-savings">$125.50<`, `2 resource(s) the latest plan acts on`, `churn/AllTraffic</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
}

func TestInventoryPagesAndFullExport(t *testing.T) {
	scan := report.New(report.Found{Resources: bigFleet()[:1000], ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
	e := newEnv(t, Options{Addr: "127.0.0.1:0", Source: staticSource{&Snapshot{Scan: scan, At: testNow}}})
	_, page := e.get(t, "/inventory?kind=notebook-instance&sort=name&page=1")
	if n := strings.Count(page, `data-testid="resource-link"`); n != 133 {
		t.Errorf("page 2 of 333 notebooks shows %d rows, want 133", n)
	}
	for _, want := range []string{"rows 201–333 of 333", `rel="prev"`, `href="/inventory.csv?kind=notebook-instance&amp;sort=name&amp;dir=asc"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, `rel="next"`) {
		t.Error("the last page links a next page")
	}
	_, csvText := e.get(t, "/inventory.csv?kind=notebook-instance&sort=name&page=1")
	if n := strings.Count(strings.TrimSpace(csvText), "\n"); n != 333 {
		t.Errorf("CSV export has %d rows, want every row of the view (333)", n)
	}
}
