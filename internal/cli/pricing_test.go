package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// runPricing runs sagesaver with a private config and cache directory.
func runPricing(t *testing.T, cache string, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", cache)
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT"} {
		t.Setenv(k, "")
	}
	return runCLI(t, args...)
}

// runCLI runs sagesaver with an empty stdin and returns its stdout, stderr
// and exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func TestPricingShowGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"show-eu-west-3-g4dn.txt", []string{"pricing", "show", "--region", "eu-west-3", "--family", "g4dn"}},
		{"show-eu-west-3-g4dn.csv", []string{"pricing", "show", "--region", "eu-west-3", "--family", "g4dn", "-o", "csv"}},
		{"show-eu-west-3-g4dn.md", []string{"pricing", "show", "--region", "eu-west-3", "--family", "g4dn", "-o", "markdown"}},
		{"show-t3-medium-us-east-1.json", []string{"pricing", "show", "--region", "us-east-1", "--instance-type", "ml.t3.medium", "-o", "json"}},
		{"show-t3-medium-us-east-1.txt", []string{"pricing", "show", "--region", "us-east-1", "--instance-type", "ml.t3.medium"}},
		{"show-unknown.txt", []string{"pricing", "show", "--region", "us-east-1", "--instance-type", "ml.zz9.huge", "--component", "hosting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runPricing(t, t.TempDir(), tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.Golden(t, filepath.Join("testdata", "pricing", tt.name), out)
			if strings.HasSuffix(tt.name, ".json") {
				checkSchema(t, "pricing-show", out)
			}
		})
	}
}

func TestPricingShowJSON(t *testing.T) {
	out, errOut, code := runPricing(t, t.TempDir(), "pricing", "show", "--region", "us-east-1", "--component", "training", "--instance-type", "ml.zz9.huge", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkSchema(t, "pricing-show", out)
	var doc struct{ Prices []map[string]any }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	lines := doc.Prices
	if len(lines) != 1 || lines[0]["usd_per_hour"] != nil || lines[0]["usd_per_month"] != nil {
		t.Errorf("unknown price = %v, want null amounts (never 0)", lines)
	}

	// All regions by default; every row is exact when no type is named.
	out, errOut, code = runPricing(t, t.TempDir(), "pricing", "show", "--component", "hosting", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var allDoc struct{ Prices []priceLine }
	if err := json.Unmarshal([]byte(out), &allDoc); err != nil {
		t.Fatal(err)
	}
	all := allDoc.Prices
	want := 0
	c := pricing.Embedded()
	for _, r := range c.Rows() {
		if r.Component == pricing.Hosting {
			want++
		}
	}
	if len(all) != want {
		t.Errorf("%d hosting rows, catalog has %d", len(all), want)
	}
	for _, l := range all {
		if l.Estimate || l.USDPerHour == nil || !l.USDPerMonth.Equal(l.USDPerHour.Mul(pricing.HoursPerMonth)) {
			t.Errorf("row %+v", l)
		}
	}
}

func TestPricingShowBadComponent(t *testing.T) {
	_, errOut, code := runPricing(t, t.TempDir(), "pricing", "show", "--component", "spot")
	if code != root.ExitUsage || !strings.Contains(errOut, "--component") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --component", code, errOut)
	}
}

func TestPricingInfo(t *testing.T) {
	cache := t.TempDir()
	out, errOut, code := runPricing(t, cache, "pricing", "info")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Regions (27)", "Local cache:    none in " + filepath.Join(cache, "sagesaver"),
		"2025-06-16T19:32:43Z", "AWS public pricing JSON", "December 2023",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}

	// With a refreshed cache the info says so and counts its rows.
	dir := filepath.Join(cache, "sagesaver")
	rows := []pricing.Row{{Region: "us-east-1", InstanceType: "ml.t3.medium", Component: pricing.Hosting,
		USDPerHour: pricing.MustParseMoney("0.05"), AsOf: "2026-11-02", Source: pricing.SourceRefresh}}
	if err := pricing.WriteCachePrices(dir, rows); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runPricing(t, cache, "pricing", "info", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkSchema(t, "pricing-info", out)
	var info pricingInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if !info.CacheInUse || info.Cache.Prices != 1 {
		t.Errorf("cache = %+v, in use %v", info.Cache, info.CacheInUse)
	}
	var refresh *pricing.Source
	for i, s := range info.Sources {
		if s.Letter == pricing.SourceRefresh {
			refresh = &info.Sources[i]
		}
	}
	if refresh == nil || refresh.Prices != 1 || refresh.Published != "2026-11-02" {
		t.Errorf("refresh source = %+v", refresh)
	}
	out, _, _ = runPricing(t, cache, "pricing", "show", "--region", "us-east-1", "--instance-type", "ml.t3.medium", "--component", "hosting", "-o", "csv")
	if !strings.Contains(out, "us-east-1,ml.t3.medium,hosting,0.05,36.5,false,false,,R,2026-11-02") {
		t.Errorf("cached price not shown:\n%s", out)
	}

	// A broken cache is an error with a hint, not a silent fallback.
	if err := os.WriteFile(filepath.Join(dir, pricing.CachePricesFile), []byte("region,instance_type\nx,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runPricing(t, cache, "pricing", "info")
	if code == 0 || !strings.Contains(errOut, "pricing refresh") {
		t.Errorf("broken cache: exit %d, stderr %q", code, errOut)
	}
}
