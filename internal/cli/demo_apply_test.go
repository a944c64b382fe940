package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

func TestDemoPolicyIsTheExample(t *testing.T) {
	ex, err := os.ReadFile(filepath.Join("..", "..", demoPolicyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ex, demoPolicy) {
		t.Errorf("internal/cli/demo_policy.yaml differs from %s: copy one over the other", demoPolicyFile)
	}
}

func TestDemoPlansAppliesAndSaves(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, errOut, code := runPricing(t, t.TempDir(), "demo")
	if code != 0 && code != root.ExitPartial {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	i := strings.Index(out, "sagesaver plan -f examples/policies/demo.yaml")
	if i < 0 {
		t.Fatalf("demo does not show the plan:\n%s", out)
	}
	out = out[i:]
	for _, want := range []string{
		"would act", // the plan
		"endpoint churn-predictor (us-east-1)",
		"0 invocations on 1 variant over 25h",
		"sagesaver apply -f examples/policies/demo.yaml --yes",
		"apply: ",                    // the apply summary
		"Subject: sagesaver apply: ", // the SNS digest
		"churn-predictor (us-east-1, endpoint, account 123456789012): deleted",
		"Savings: ~$",
		// One of each of the costs teams forget: the idle Canvas session
		// deleted (nothing saved in Canvas lost), the MLflow server running
		// around the clock stopped, the HyperPod cluster reported only.
		"dan/Canvas/default (us-east-1, canvas-app, account 123456789012): deleted app",
		"the user loses nothing saved in Canvas",
		"research-experiments (us-east-1, mlflow-tracking-server, account 123456789012): stopped",
		"llm-finetune (us-east-1, hyperpod-cluster, account 123456789012): notice done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, busy := range []string{"endpoint fraud-detector", "endpoint recs-ab-test", "endpoint translate-async"} {
		if strings.Contains(out, busy) {
			t.Errorf("demo plan/apply selects busy %s:\n%s", busy, out)
		}
	}
	if strings.Contains(out, " failed ") || strings.Contains(out, "FAILED") {
		t.Errorf("demo apply has failures:\n%s", out)
	}
}

// TestDemoNumbersAgree: the demo's saving of each action is one figure in
// the plan, the apply, the SNS digest and the savings ledger that
// `sagesaver history` shows, and so are the totals. dev-bob's is its
// instance-hours, $0.736/h x 730 = $537.28: its 50 GB volume ($7/month)
// still bills when it is stopped (the plan used to say $544.28).
func TestDemoNumbersAgree(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, errOut, code := runPricing(t, t.TempDir(), "demo")
	if code != 0 && code != root.ExitPartial {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	applyAt := strings.Index(out, "Then `sagesaver apply")
	digestAt := strings.Index(out, "The SNS digest")
	historyAt := strings.Index(out, "And `sagesaver history`")
	if applyAt < 0 || digestAt < applyAt || historyAt < digestAt {
		t.Fatalf("demo output lacks plan, apply, digest or history:\n%s", out)
	}
	planOut, applyOut, digestOut, historyOut := out[:applyAt], out[applyAt:digestAt], out[digestAt:historyAt], out[historyAt:]

	row := regexp.MustCompile(`(?m)^\S+\s+[a-z-]+ (\S+) \(\S+\)\s+\S+\s+(?:stop|delete|delete-app)\s+(?:would act|ok)\s+(\S+)`)
	rows := func(s string) map[string]string {
		m := map[string]string{}
		for _, g := range row.FindAllStringSubmatch(s, -1) {
			m[g[1]] = g[2]
		}
		return m
	}
	digest := map[string]string{}
	for _, g := range regexp.MustCompile(`- (\S+) \([^)]*\): (?:stopped|deleted|deleted app); (~?\$[\d,.]+/month|price unknown)`).FindAllStringSubmatch(digestOut, -1) {
		digest[g[1]] = strings.TrimSuffix(strings.TrimPrefix(g[2], "price "), "/month")
	}
	ledger := map[string]string{}
	for _, g := range regexp.MustCompile(`(?m)^\d+/[a-z0-9-]+/[a-z-]+/(\S+)\s+\S+ \S+\s+still saving\s+(~?)\$([\d.]+)`).FindAllStringSubmatch(historyOut, -1) {
		h := pricing.Price{Amount: pricing.MustParseMoney(g[3]), Known: true, Estimate: g[2] == "~"}
		ledger[g[1]] = h.Monthly().String()
	}
	plan := rows(planOut)
	if plan["dev-bob"] != "$537.28" {
		t.Errorf("plan: dev-bob saves %q, want $537.28 (instance-hours only)", plan["dev-bob"])
	}
	if len(plan) < 4 {
		t.Fatalf("plan shows %d savings, want dev-bob and the three idle endpoints:\n%s", len(plan), planOut)
	}
	// An unknown saving (the Canvas session and the MLflow server: their
	// prices are not in the embedded snapshot) is unknown everywhere, never
	// $0, and the ledger, which records money, has no period for it.
	known := map[string]string{}
	unknown := 0
	for name, v := range plan {
		if v == "unknown" {
			unknown++
			continue
		}
		known[name] = v
	}
	if plan["dan/Canvas/default"] == "" || plan["research-experiments"] == "" {
		t.Errorf("plan lacks the Canvas session's deletion or the MLflow server's stop:\n%s", planOut)
	}
	if !strings.Contains(historyOut, fmt.Sprintf("(+%d action(s) with unknown price)", unknown)) {
		t.Errorf("closing line does not count the %d unknown savings:\n%s", unknown, historyOut)
	}
	for name, got := range map[string]map[string]string{"apply": rows(applyOut), "digest": digest, "ledger (history)": ledger} {
		want := plan
		if name == "ledger (history)" {
			want = known
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s disagrees with the plan (-plan +%s):\n%s", name, name, d)
		}
	}

	total := regexp.MustCompile(`saves (~?\$[\d,.]+)/month`)
	planTotal, applyTotal := total.FindStringSubmatch(planOut), total.FindStringSubmatch(applyOut)
	ledgerTotal := regexp.MustCompile(`saving now \S+/hour \((~?\$[\d,.]+)/month\)`).FindStringSubmatch(historyOut)
	final := regexp.MustCompile(`Savings: (~?\$[\d,.]+)/month`).FindStringSubmatch(historyOut)
	if planTotal == nil || applyTotal == nil || ledgerTotal == nil || final == nil {
		t.Fatalf("demo output lacks a total:\n%s", out)
	}
	for name, got := range map[string]string{"apply": applyTotal[1], "ledger": ledgerTotal[1], "closing line": final[1]} {
		if got != planTotal[1] {
			t.Errorf("%s total %s, plan total %s", name, got, planTotal[1])
		}
	}
}
