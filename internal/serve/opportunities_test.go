package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/ledger"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

func money(s string) pricing.Price {
	return pricing.Price{Known: true, Amount: pricing.MustParseMoney(s)}
}

// oppEnv is a server whose latest plan acts on two resources and whose
// snapshot carries two advise recommendations.
func oppEnv(t *testing.T, opts Options) *env {
	t.Helper()
	scan := report.New(report.Found{Resources: fleet(), ScannedAt: testNow.Add(-2 * time.Minute)}, pricing.Embedded(), nil, nil, 0)
	adv := &advise.Result{End: testNow, Recommendations: []advise.Recommendation{
		{Account: "111111111111", Region: "us-east-1", Kind: resource.Endpoint, Resource: "churn/AllTraffic", Rule: advise.EndpointFewer,
			Current: "ml.m5.xlarge x2", Proposed: "ml.m5.xlarge x1", Evidence: []string{"CPU p95 9% of 4 vCPUs"}, Confidence: advise.High, Saving: money("80")},
		{Account: "111111111111", Region: "eu-west-1", Kind: resource.NotebookInstance, Resource: "research", Rule: advise.NotebookAutoStop,
			Action: "attach the agent", Confidence: advise.Low, Saving: pricing.Unknown},
	}}
	opts.Addr = "127.0.0.1:0"
	opts.Source = staticSource{&Snapshot{Scan: scan, At: scan.ScannedAt, Advice: adv}}
	e := newEnv(t, opts)
	e.stClk.Reset(testNow.Add(-time.Hour)) // an earlier plan
	plan(t, e, []store.Finding{
		{Resource: "111111111111/us-east-1/notebook-instance/dev-alice", Kind: "notebook-instance", Rule: "stop-idle", Verdict: "idle", Action: "stop,notify", Monthly: money("30")},
	})
	e.stClk.Set(testNow)
	plan(t, e, []store.Finding{
		{Resource: "111111111111/us-east-1/endpoint/churn", Kind: "endpoint", Rule: "delete-idle", Verdict: "idle", Action: "delete,notify",
			Evidence: "no invocations for 30h", Monthly: money("100")},
		{Resource: "111111111111/us-east-1/endpoint/churn", Kind: "endpoint", Rule: "tell", Verdict: "idle", Action: "notify", Monthly: money("100")},
	})
	return e
}

func plan(t *testing.T, e *env, fs []store.Finding) {
	t.Helper()
	ctx := t.Context()
	run, err := e.st.StartRun(ctx, store.RunInfo{Command: "plan", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddFindings(ctx, run.ID, fs); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, run.ID, nil); err != nil {
		t.Fatal(err)
	}
}

func (e *env) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp := e.do(t, req)
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestOpportunitiesGroupsPlanAndAdvice(t *testing.T) {
	e := oppEnv(t, Options{})
	resp, page := e.get(t, "/opportunities")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
	for _, want := range []string{
		// the latest plan's delete (the notify-only finding is no opportunity; the older plan's stop is fixed)
		`data-testid="opp-delete">$100.00<`, `data-key="policy/delete-idle/111111111111/us-east-1/endpoint/churn"`,
		`data-testid="opp-stop">—<`,
		// advise: scale-in with its evidence, idle shutdown with an unknown saving
		`data-testid="opp-scale-in">$80.00<`, `CPU p95 9% of 4 vCPUs`, `ml.m5.xlarge x2 → ml.m5.xlarge x1`,
		`data-testid="opp-idle-shutdown">unknown<`,
		// total: churn once at its largest ($100, not $180), research unknown
		`data-testid="opp-total">≥ $100.00<`, `data-testid="opp-open">3<`,
		// read-only: no decision buttons
		`Read-only: start`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if testing.Verbose() {
		t.Log(page)
	}
	if strings.Contains(page, "Dismiss…") {
		t.Error("a read-only dashboard offers to dismiss")
	}
	// The trend: the first plan's stop is new, the second plan fixed it
	// and brought the delete.
	for _, want := range []string{`<td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">1</td>`,
		`<td class="num">1</td><td class="num">1</td><td class="num">0</td><td class="num">1</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("trend lacks row %s", want)
		}
	}
}

func TestDismissNeedsActionsAndKeepsReason(t *testing.T) {
	key := "policy/delete-idle/111111111111/us-east-1/endpoint/churn"
	t.Run("read-only", func(t *testing.T) {
		e := oppEnv(t, Options{})
		resp, _ := e.post(t, "/opportunities/dismiss", url.Values{"key": {key}, "reason": {"x"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("dismiss on a read-only dashboard: %d, want 403", resp.StatusCode)
		}
		if keys, _ := e.st.BlobKeys(t.Context(), BlobDismissal, ""); len(keys) != 0 {
			t.Errorf("dismissals stored: %v", keys)
		}
	})
	e := oppEnv(t, Options{Actions: true})
	if resp, _ := e.post(t, "/opportunities/dismiss", url.Values{"key": {key}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("dismiss without a reason: %d, want 400", resp.StatusCode)
	}
	if resp, _ := e.post(t, "/opportunities/dismiss", url.Values{"key": {key}, "reason": {"r"}, "snooze": {"2y"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("snooze 2y: %d, want 400", resp.StatusCode)
	}
	resp, _ := e.post(t, "/opportunities/dismiss", url.Values{"key": {key}, "reason": {"customer demo on Friday"}, "snooze": {"7d"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", resp.StatusCode)
	}
	b, _, err := e.st.Blob(t.Context(), BlobDismissal, key)
	if err != nil {
		t.Fatal(err)
	}
	var d Dismissal
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Reason != "customer demo on Friday" || d.By != "dashboard:token" || d.Until == nil || !d.Until.Equal(testNow.AddDate(0, 0, 7)) {
		t.Errorf("stored dismissal %+v", d)
	}
	_, page := e.get(t, "/opportunities")
	for _, want := range []string{`data-testid="opp-delete">—<`, `data-testid="opp-total">≥ $80.00<`, `data-testid="opp-dismissed">1<`, "Dismiss…"} {
		if !strings.Contains(page, want) {
			t.Errorf("after the snooze, page lacks %s", want)
		}
	}
	_, page = e.get(t, "/opportunities?show=dismissed")
	for _, want := range []string{"snoozed until 2026-11-27 12:00 UTC", "customer demo on Friday", "dashboard:token"} {
		if !strings.Contains(page, want) {
			t.Errorf("dismissed tab lacks %s", want)
		}
	}
	// The snooze ends: it is open again.
	e.srv.opts.Clock = clock.NewManual(testNow.AddDate(0, 0, 8))
	if _, page = e.get(t, "/opportunities"); !strings.Contains(page, `data-testid="opp-delete">$100.00<`) {
		t.Error("an expired snooze still hides the opportunity")
	}
	// Reopen removes it from the store.
	if resp, _ := e.post(t, "/opportunities/dismiss", url.Values{"key": {key}, "undo": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", resp.StatusCode)
	}
	if keys, _ := e.st.BlobKeys(t.Context(), BlobDismissal, ""); len(keys) != 0 {
		t.Errorf("after undo, dismissals %v", keys)
	}
}

func TestTrustedProxyHeader(t *testing.T) {
	e := newEnv(t, Options{Addr: "0.0.0.0:8080", ProxyHeader: "X-Forwarded-Email",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.7/32")}, Actions: true})
	req := func(remote, user string) *http.Response {
		r := httptest.NewRequest("GET", "http://127.0.0.1:8080/inventory", nil)
		r.RemoteAddr = remote
		if user != "" {
			r.Header.Set("X-Forwarded-Email", user)
		}
		r.Header.Set("X-Forwarded-For", "10.0.0.7")
		return e.do(t, r)
	}
	if resp := req("10.0.0.7:40000", "alice@example.com"); resp.StatusCode != http.StatusOK {
		t.Errorf("trusted proxy with a user: %d, want 200", resp.StatusCode)
	}
	if resp := req("[::ffff:10.0.0.7]:40000", "alice@example.com"); resp.StatusCode != http.StatusOK {
		t.Errorf("trusted proxy (IPv4-mapped) with a user: %d, want 200", resp.StatusCode)
	}
	for _, c := range []struct{ remote, user string }{
		{"10.0.0.8:40000", "alice@example.com"}, // another address, whatever X-Forwarded-For says
		{"127.0.0.1:40000", "alice@example.com"},
		{"10.0.0.7:40000", ""}, // the proxy without a user
	} {
		if resp := req(c.remote, c.user); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("header %q from %s: %d, want 401", c.user, c.remote, resp.StatusCode)
		}
	}
	// The proxy's user is who acts.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.7:1"
	r.Header.Set("X-Forwarded-Email", "alice@example.com")
	if got := e.srv.user(r); got != "dashboard:alice@example.com" {
		t.Errorf("user = %q", got)
	}
	r.RemoteAddr = "10.0.0.9:1"
	if got := e.srv.user(r); got != "dashboard:token" {
		t.Errorf("user from an untrusted address = %q, want the token's", got)
	}
}

func TestMonthToDate(t *testing.T) {
	now := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	pt := func(at time.Time, rate float64) Point {
		return Point{At: at, ByKind: map[resource.Kind]float64{resource.Endpoint: rate}}
	}
	// Oct 31 12:00 at $1/h (counts from Nov 1 only), Nov 2 00:00 at $3/h until now.
	hist := []Point{pt(time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC), 1), pt(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 3)}
	if got, ok := monthToDate(hist, now); !ok || got != 24*1+24*3 {
		t.Errorf("month to date %v (ok %v), want 96", got, ok)
	}
	// A history that starts mid-month counts its first rate from the 1st.
	hist = []Point{pt(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 2)}
	if got, _ := monthToDate(hist, now); got != 48*2 {
		t.Errorf("month to date %v, want 96", got)
	}
	if _, ok := monthToDate(nil, now); ok {
		t.Error("no history: a month to date")
	}
}

// A notebook stopped 10 hours ago, estimated at $73/month ($0.10/h),
// started again after 4 hours: realized $0.40, estimated $1.00; the
// overview draws both.
func TestSavingsRealizedVsEstimated(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	ctx := t.Context()
	run, err := e.st.StartRun(ctx, store.RunInfo{Command: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	nb := resource.ID{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "dev-alice"}
	id, err := e.st.BeginAction(ctx, store.Action{RunID: run.ID, Resource: nb.String(), Kind: string(nb.Kind), Verb: "stop", MonthlySaved: money("73")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishAction(ctx, id, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.StartSaving(ctx, nb, id, money("0.1"), testNow.Add(-10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.StopSaving(ctx, nb, testNow.Add(-6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	periods, err := e.st.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ledger.Read(ctx, e.st, periods, testNow)
	if err != nil {
		t.Fatal(err)
	}
	c := savingsChart(entries, testNow)
	if c == nil || len(c.Series) != 2 {
		t.Fatalf("chart %+v", c)
	}
	last := len(c.X) - 1
	realized, estimated := *c.Series[0].Values[last], *c.Series[1].Values[last]
	if fmt.Sprintf("%.2f", realized) != "0.40" || fmt.Sprintf("%.2f", estimated) != "1.00" {
		t.Errorf("realized %v, estimated %v; want 0.40 and 1.00", realized, estimated)
	}
	if _, page := e.get(t, "/"); !strings.Contains(page, `data-chart="savings"`) {
		t.Error("overview lacks the savings chart")
	}
}

func TestSchedulesAndPreview(t *testing.T) {
	ss, err := schedule.Load("../../examples/schedules/dev-notebooks-office-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs := fleet()
	rs[1].Tags = map[string]string{"owner": "alice", schedule.DefaultSnoozeTag: "2026-11-20T23:00Z"}
	rs = append(rs, resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "dev-bob",
		Status: "Stopped", InstanceType: "ml.t3.medium", InstanceCount: 1})
	scan := report.New(report.Found{Resources: rs, ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
	e := newEnv(t, Options{Addr: "127.0.0.1:0", Schedules: ss, Source: staticSource{&Snapshot{Scan: scan, At: testNow}}})
	_, page := e.get(t, "/schedules")
	for _, want := range []string{
		`data-schedule="dev-notebooks-office-hours"`, `wants running`,
		`<li>stop Fri 2026-11-20 21:00 UTC</li><li>start Mon 2026-11-23 07:00 UTC</li>`,
		`data-testid="managed">2<`, `1 running`, `1 stopped`,
		`dev-alice</a> until 2026-11-20 23:00 UTC`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("schedules page lacks %s", want)
		}
	}
	_, page = e.get(t, "/resource?id=111111111111/us-east-1/notebook-instance/dev-alice")
	if !strings.Contains(page, `data-testid="schedule-preview"><li>stop Fri 2026-11-20 21:00 UTC</li>`) {
		t.Error("resource page lacks the schedule preview")
	}
	_, page = e.get(t, "/resource?id=111111111111/eu-west-1/notebook-instance/research")
	if strings.Contains(page, "schedule-preview") {
		t.Error("a notebook no schedule manages shows a preview")
	}
}

// A tick plans each target in a run of its own: the latest plan is all
// of them (runs within planSpan), not the last target's alone.
func TestLatestPlanSpansATicksRuns(t *testing.T) {
	e := newEnv(t, Options{Addr: "127.0.0.1:0"})
	plan(t, e, []store.Finding{{Resource: "111111111111/us-east-1/endpoint/churn", Kind: "endpoint", Rule: "delete-idle", Verdict: "idle",
		Action: "delete", Monthly: money("100")}})
	e.stClk.Advance(2 * time.Minute)
	plan(t, e, []store.Finding{{Resource: "111111111111/eu-west-1/endpoint/mystery", Kind: "endpoint", Rule: "delete-idle", Verdict: "idle",
		Action: "delete", Monthly: money("50")}})
	_, page := e.get(t, "/opportunities")
	for _, want := range []string{`data-testid="opp-open">2<`, `data-testid="opp-delete">$150.00<`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if _, page = e.get(t, "/"); !strings.Contains(page, `data-testid="open-savings">$150.00<`) {
		t.Error("the overview's open savings are the last target's alone")
	}
}

// The resource page shows a notebook's machine use from the agent's usage
// tag and advise's right-sizing of an endpoint with its evidence.
func TestResourceUsageAndAdvice(t *testing.T) {
	e := oppEnv(t, Options{})
	_, page := e.get(t, "/resource?id=111111111111/us-east-1/endpoint/churn/AllTraffic")
	for _, want := range []string{`data-testid="advice"`, "ml.m5.xlarge x2 → ml.m5.xlarge x1", "<li>CPU p95 9% of 4 vCPUs</li>", "saves $80.00/month"} {
		if !strings.Contains(page, want) {
			t.Errorf("endpoint page lacks %s", want)
		}
	}
	rs := fleet()
	rs[1].Tags = map[string]string{agenttag.Usage: "v1 since=2026-11-19T09:00Z hours=27 cpu-peak=0.4 mem-peak=2.1 gpu-peak=0 gpus=0"}
	rs[2].Tags = map[string]string{agenttag.Usage: "v2 nonsense"}
	scan := report.New(report.Found{Resources: rs, ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
	e = newEnv(t, Options{Addr: "127.0.0.1:0", Source: staticSource{&Snapshot{Scan: scan, At: testNow}}})
	_, page = e.get(t, "/resource?id=111111111111/us-east-1/notebook-instance/dev-alice")
	for _, want := range []string{`data-testid="usage"`, "0.4 cores", "2.1 GiB", "no GPU read", "27 whole hours since 2026-11-19 09:00 UTC"} {
		if !strings.Contains(page, want) {
			t.Errorf("notebook page lacks %s", want)
		}
	}
	if _, page = e.get(t, "/resource?id=111111111111/eu-west-1/notebook-instance/research"); !strings.Contains(page, "not v1") {
		t.Error("a usage tag that cannot be read is not said so")
	}
}

// Mutations are refused on a read-only dashboard, and a cross-site POST
// is refused even with actions enabled (before any executor is reached).
func TestMutationsRefused(t *testing.T) {
	e := oppEnv(t, Options{})
	for _, p := range []string{"/apply?rule=delete-idle&resource=111111111111/us-east-1/endpoint/churn", "/restore?id=111111111111/us-east-1/endpoint/churn"} {
		if resp, _ := e.get(t, p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s read-only: %d, want 403", p, resp.StatusCode)
		}
		if resp, _ := e.post(t, p, url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s read-only: %d, want 403", p, resp.StatusCode)
		}
	}
	e = oppEnv(t, Options{Actions: true})
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080/opportunities/dismiss",
		strings.NewReader(url.Values{"key": {"policy/delete-idle/111111111111/us-east-1/endpoint/churn"}, "reason": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if resp := e.do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site dismiss: %d, want 403", resp.StatusCode)
	}
	if keys, _ := e.st.BlobKeys(t.Context(), BlobDismissal, ""); len(keys) != 0 {
		t.Errorf("a cross-site POST stored %v", keys)
	}
}

// A schedule of MLflow tracking servers manages them on the Schedules
// page and their resource pages, as `schedule run` acts on them.
func TestSchedulesManageMLflow(t *testing.T) {
	ss, err := schedule.Decode("mlflow.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: mlflow-office-hours
    timezone: UTC
    start: cron(0 7 ? * MON-FRI *)
    stop: cron(0 19 ? * MON-FRI *)
    targets: [{kind: mlflow-tracking-server, namePrefix: research-}]
`))
	if err != nil {
		t.Fatal(err)
	}
	rs := append(fleet(), resource.Resource{Account: "111111111111", Region: "us-east-1", Kind: resource.MLflowTrackingServer,
		Name: "research-experiments", Status: "Started", InstanceType: "Small", InstanceCount: 1, Running: true})
	scan := report.New(report.Found{Resources: rs, ScannedAt: testNow}, pricing.Embedded(), nil, nil, 0)
	e := newEnv(t, Options{Addr: "127.0.0.1:0", Schedules: ss, Source: staticSource{&Snapshot{Scan: scan, At: testNow}}})
	if _, page := e.get(t, "/schedules"); !strings.Contains(page, `data-testid="managed">1<`) || !strings.Contains(page, "research-experiments") {
		t.Error("the MLflow schedule manages no tracking server on the Schedules page")
	}
	if _, page := e.get(t, "/resource?id=111111111111/us-east-1/mlflow-tracking-server/research-experiments"); !strings.Contains(page, "schedule-preview") {
		t.Error("the tracking server's page lacks the schedule preview")
	}
}
