package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// artifactDir is where the browser tests keep their screenshots: $ARTIFACTS
// (CI keeps it) or the test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("ARTIFACTS"); d != "" {
		dir := filepath.Join(d, "serve")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// chromium is Debian's chromium (scripts/test.sh installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: scripts/test.sh installs Debian's chromium package")
	return ""
}

type scanTotals struct {
	Totals struct {
		All struct {
			PerHour struct {
				Sum       pricing.Money `json:"sum"`
				Unknown   int           `json:"unknown"`
				Estimated int           `json:"estimated"`
			} `json:"usd_per_hour"`
			PerMonth struct {
				Sum       pricing.Money `json:"sum"`
				Unknown   int           `json:"unknown"`
				Estimated int           `json:"estimated"`
			} `json:"usd_per_month"`
			Resources int `json:"resources"`
		} `json:"all"`
	} `json:"totals"`
}

// shown is a total as the dashboard shows it (internal/serve's fmtTotal).
func shown(sum pricing.Money, unknown, estimated int) string {
	switch {
	case unknown > 0:
		return "≥ " + sum.String()
	case estimated > 0:
		return "~" + sum.String()
	}
	return sum.String()
}

// TestServeDemoInBrowser runs `serve --demo` (its clock standing still, so
// that a scan run beside it sees the same fleet, and one inventory an hour,
// so that no second inventory's plan adds to the audit log while the pages
// are compared with `history`, however slow the machine) and drives Debian's
// Chromium through the views: the overview's run-rate equals `scan`'s
// totals, a resource page draws its invocations chart, the CSV export is
// the table's rows; any console error, exception or CSP violation fails.
func TestServeDemoInBrowser(t *testing.T) {
	exe := chromium(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	// The demo's state is the one --state names; scan and plan beside it
	// keep theirs apart.
	state := filepath.Join(t.TempDir(), "state.db")
	t.Setenv("SAGESAVER_STATE", filepath.Join(t.TempDir(), "state.db"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIADEMO")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "demo")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	type started struct{ url, token, emu string }
	ch := make(chan started, 1)
	serveStarted = func(url, token, emu string) { ch <- started{url, token, emu} }
	t.Cleanup(func() { serveStarted = nil })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var serveErr bytes.Buffer
	wg.Add(1)
	go func() {
		defer wg.Done()
		a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &lockedBuffer{b: &serveErr}})}
		if code := run(ctx, a, []string{"serve", "--demo", "--actions", "--schedules", "../../examples/schedules/dev-notebooks-office-hours.yaml", "--demo-speed", "0", "--interval", "1h", "--state", state, "--addr", "127.0.0.1:0", "--log-level", "warn"}); code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	var s started
	select {
	case s = <-ch:
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not start")
	}

	shots := artifactDir(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1440, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	var mu sync.Mutex
	var problems []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text+" "+e.ExceptionDetails.URL)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning || e.Entry.Source == log.EntrySourceSecurity {
				problems = append(problems, fmt.Sprintf("log %s/%s: %s %s", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		}
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(listen))
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 90*time.Second)
	defer tcancel()
	ready := chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		}
	}
	enableLog := func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, log.Enable, cdp.Empty{})
		return chromedp.Void{}, err
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}

	// Log in with the printed link; the overview is where it lands.
	if err := chromedp.Do(bctx, enableLog,
		chromedp.Navigate(s.url+"/login?token="+s.token), ready,
		shot("overview"),
	); err != nil {
		t.Fatalf("overview: %v\n%s", err, serveErr.String())
	}
	hourly, monthly := text(`[data-testid="hourly"]`), text(`[data-testid="monthly"]`)

	// `scan` of the same emulator, as a user would run it.
	var out, errb bytes.Buffer
	sa := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	if code := run(ctx, sa, []string{"--region", "us-east-1,eu-west-1", "--endpoint-url", s.emu, "scan", "-o", "json", "--no-cache"}); code != 0 {
		t.Fatalf("scan exited %d: %s", code, errb.String())
	}
	var doc scanTotals
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	all := doc.Totals.All
	if want := shown(all.PerHour.Sum, all.PerHour.Unknown, all.PerHour.Estimated) + "/h"; hourly != want {
		t.Errorf("overview run-rate %q, scan says %q", hourly, want)
	}
	if want := shown(all.PerMonth.Sum, all.PerMonth.Unknown, all.PerMonth.Estimated); monthly != want {
		t.Errorf("overview month %q, scan says %q", monthly, want)
	}

	// Inventory of endpoints, its CSV export, and a drill to a resource
	// page whose invocations chart is drawn.
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/inventory?kind=endpoint&q=fraud&sort=name&dir=asc"), ready, shot("inventory")); err != nil {
		t.Fatalf("inventory: %v", err)
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="inventory"] a[data-testid="resource-link"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	csvText, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="export-csv"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	jsonText, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="export-json"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, "serve-inventory", jsonText)
	name := text(`a[data-testid="resource-link"]`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`a[data-testid="resource-link"]`)), ready,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invocations-chart"][data-drawn="true"] canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="utilization-chart"][data-drawn="true"] canvas`)),
		shot("resource")); err != nil {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("resource page: %v\nbrowser: %s", err, strings.Join(problems, "\n"))
	}
	// Its utilization chart draws what the demo's CPU endpoint publishes,
	// in percent of the instance, and no GPU line.
	legend, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-chart="utilization"] .u-legend .u-series .u-label')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"time (UTC)", "CPU", "memory", "disk", "right-sizing threshold"}; !slices.Equal(legend, want) {
		t.Errorf("%s's utilization legend %q, want %q", name, legend, want)
	}
	recs, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v", err)
	}
	if rows == 0 || len(recs)-1 != rows {
		t.Errorf("CSV export has %d rows, the table %d", len(recs)-1, rows)
	}
	for _, r := range recs[1:] {
		if r[2] != "endpoint" {
			t.Errorf("CSV export of kind=endpoint has a %s row", r[2])
		}
	}
	if rows > 0 && recs[1][1] != name {
		t.Errorf("CSV's first row %q, the table's %q", recs[1][1], name)
	}

	// Savings, activity, and the overview in the dark theme.
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/savings"), ready, shot("savings")); err != nil {
		t.Fatalf("savings: %v", err)
	}
	// The Savings page's numbers are `history -o json`'s for the same
	// state at the emulator's time (it stands still), and Activity lists
	// its entries.
	hist := demoHistory(t, s.emu, state)
	realized := hist.Realized.String()
	if hist.RealizedEstimate {
		realized = "~" + realized
	}
	if got := text(`[data-testid="realized-total"]`); got != realized || hist.Realized.IsZero() {
		t.Errorf("realized savings %q, history says %q (it must not be zero: the demo deletes)", got, realized)
	}
	if got, want := text(`[data-testid="saving-now"]`), hist.Saving.String()+"/h"; got != want {
		t.Errorf("saving now %q, history says %q", got, want)
	}
	if n := count(`[data-testid="ledger"] > tr`); n != len(hist.Savings) {
		t.Errorf("ledger has %d rows, history %d savings", n, len(hist.Savings))
	}
	// Its breakdown by team: the first row is history's first by_team
	// group, realized and estimated, in all and in each month.
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/savings?group=team"), ready, shot("savings-team")); err != nil {
		t.Fatalf("savings by team: %v", err)
	}
	if len(hist.ByTeam) == 0 {
		t.Fatal("history has no savings by team")
	}
	g := hist.ByTeam[0]
	tilde := ""
	if g.Estimate {
		tilde = "~"
	}
	row := `[data-testid="breakdown"] > tr:first-child `
	if got := text(row + `[data-testid="group-key"]`); got != g.Key {
		t.Errorf("first team %q, history's %q", got, g.Key)
	}
	if got, want := text(row+`[data-testid="group-realized"]`), tilde+g.Realized.String(); got != want || g.Realized.IsZero() {
		t.Errorf("team %s realized %q, history says %q (not zero)", g.Key, got, want)
	}
	if got, want := text(row+`[data-testid="group-estimated"]`), g.Estimated.String(); got != want {
		t.Errorf("team %s estimated %q, history says %q", g.Key, got, want)
	}
	for _, m := range g.Months {
		if got, want := text(row+`[data-testid="month-realized"][data-month="`+m.Month+`"]`), tilde+m.Realized.String(); got != want {
			t.Errorf("team %s realized in %s %q, history says %q", g.Key, m.Month, got, want)
		}
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(s.url+"/activity"), ready, shot("activity")); err != nil {
		t.Fatalf("activity: %v", err)
	}
	if n := count(`[data-testid="actions"] > tr`); n != len(hist.Actions) || n == 0 {
		t.Errorf("activity lists %d actions, history %d", n, len(hist.Actions))
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(s.url+"/"), ready,
		chromedp.SetValue(chromedp.CSS(`#theme`), "dark"),
	); err != nil {
		t.Fatalf("activity: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById('theme').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	// The demo keeps the fleet before its first apply as the history's
	// first point: the run-rate chart is drawn from the start.
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`html[data-theme="dark"] body`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-chart="cost"] .chart-box[data-drawn="true"] canvas`)), shot("overview-dark")); err != nil {
		t.Fatalf("dark theme, run-rate chart: %v", err)
	}
	// Opportunities, then apply one of them with actions enabled: the dry
	// run first, then for real; then restore the endpoint it deleted.
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS(`#theme`), "light")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById('theme').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/schedules"), ready, shot("schedules")); err != nil {
		t.Fatalf("schedules: %v", err)
	}
	if n := text(`[data-schedule="dev-notebooks-office-hours"] [data-testid="managed"]`); n == "0" {
		t.Error("the office-hours schedule manages none of the demo's dev- notebooks")
	}
	// Its chart over time is drawn, and shows the demo's first apply
	// stopping a dev- notebook the schedule manages (dev-bob): one
	// running fewer, one stopped more, as many managed.
	const schedChart = `[data-schedule="dev-notebooks-office-hours"] [data-chart="schedule"]`
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(schedChart+` .chart-box[data-drawn="true"] canvas`))); err != nil {
		t.Fatalf("schedule chart: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).textContent", schedChart+" script.chart-data")))
	if err != nil {
		t.Fatal(err)
	}
	var sc struct {
		X      []int64 `json:"x"`
		Series []struct {
			Name   string     `json:"name"`
			Values []*float64 `json:"values"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil || len(sc.Series) != 3 || len(sc.X) < 2 {
		t.Fatalf("schedule chart data %s: %v", raw, err)
	}
	end := func(i, at int) float64 {
		if v := sc.Series[i].Values[at]; v != nil {
			return *v
		}
		return -1
	}
	last := len(sc.X) - 1
	if end(0, 0) != end(0, last) || end(1, last) != end(1, 0)-1 || end(2, last) != end(2, 0)+1 {
		t.Errorf("schedule chart from %v to %v (managed, running, stopped), want one notebook stopped by the first apply: %s",
			[]float64{end(0, 0), end(1, 0), end(2, 0)}, []float64{end(0, last), end(1, last), end(2, last)}, raw)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/opportunities"), ready, shot("opportunities")); err != nil {
		t.Fatalf("opportunities: %v", err)
	}
	if n := text(`[data-testid="opp-open"]`); n == "0" {
		t.Fatal("the demo has no open opportunity")
	}
	// The delete group's endpoints are what `plan -o json` of the same
	// policy, against the same emulator, would delete. (The group also
	// holds the Canvas session's delete-app while the page shows the plan
	// made before the demo deleted it: its presence depends on which plan
	// is the latest, so only endpoints are compared.)
	pageDeletes, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-group="delete"] tr[data-key]')).map(r => r.dataset.key.split('/').slice(2).join('/')).filter(k => k.split('/')[2] === 'endpoint').sort()`))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, sa, []string{"--region", "us-east-1,eu-west-1", "--endpoint-url", s.emu, "plan", "-f", "../../examples/policies/demo.yaml", "-o", "json"}); code != 0 {
		t.Fatalf("plan exited %d: %s", code, errb.String())
	}
	var planDoc struct {
		Steps []struct{ Account, Region, Kind, Name, Action string } `json:"steps"`
	}
	if err := json.Unmarshal(out.Bytes(), &planDoc); err != nil {
		t.Fatal(err)
	}
	var planDeletes []string
	for _, st := range planDoc.Steps {
		if st.Action == "delete" && st.Kind == "endpoint" {
			planDeletes = append(planDeletes, st.Account+"/"+st.Region+"/"+st.Kind+"/"+st.Name)
		}
	}
	slices.Sort(planDeletes)
	if !slices.Equal(pageDeletes, planDeletes) {
		t.Errorf("the page's delete group %v, plan -o json deletes %v", pageDeletes, planDeletes)
	}
	target, err := chromedp.Run(bctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-group="delete"] tr[data-key]')).map(r => r.dataset.key).find(k => k.split('/')[4] === 'endpoint')`))
	if err != nil {
		t.Fatalf("no delete opportunity: %v", err)
	}
	ep := target[strings.Index(target, "/")+1:]
	ep = ep[strings.Index(ep, "/")+1:] // policy/RULE/ACCOUNT/REGION/endpoint/NAME -> the resource ID
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`[data-group="delete"] tr[data-key="`+target+`"] a.button`)), ready,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-plan"]`)), shot("apply-plan")); err != nil {
		t.Fatalf("apply dry run: %v", err)
	}
	if plan := text(`[data-testid="act-plan"]`); !strings.Contains(plan, "delete endpoint") || !strings.Contains(plan, "dry-run") {
		t.Errorf("apply's dry run says %q", plan)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm"]`)), ready,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-result"]`)), shot("apply-done")); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res := text(`[data-testid="act-result"]`); !strings.Contains(res, "delete endpoint") || !strings.Contains(res, ": ok") {
		t.Errorf("apply did %q", res)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/resource?id="+ep), ready,
		chromedp.Click(chromedp.CSS(`[data-testid="restore"]`)), ready,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-plan"]`)), shot("restore-plan"),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm"]`)), ready,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-result"]`)), shot("restore-done")); err != nil {
		t.Fatalf("restore of %s: %v\n%s", ep, err, serveErr.String())
	}
	if res := text(`[data-testid="act-result"]`); strings.Contains(res, "rror") || !strings.Contains(strings.ToLower(res), "create") {
		t.Errorf("restore did %q", res)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/activity"), ready); err != nil {
		t.Fatal(err)
	}
	if act := text(`main`); strings.Count(act, "dashboard:token") < 2 {
		t.Errorf("activity does not name the dashboard user for the apply and the restore:\n%s", act)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
	t.Logf("screenshots in %s", shots)
}

// lockedBuffer is an io.Writer safe for the serve goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// demoHistory is `history --limit 0 -o json` on state at the time of the
// demo's emulator (at emu).
func demoHistory(t *testing.T, emu, state string) historyDoc {
	t.Helper()
	resp, err := http.Get(emu + "/_emulator/clock")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ Now time.Time }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = clock.NewManual(c.Now)
	if code := run(t.Context(), a, []string{"history", "--state", state, "--limit", "0", "-o", "json"}); code != 0 {
		t.Fatalf("history exit %d: %s", code, errb.String())
	}
	var doc historyDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("history: %v\n%s", err, out.String())
	}
	return doc
}
