package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// The emulator serves GetProducts from the embedded catalog, with the
// scenario's prices overriding rows, so a refresh must bring the changed
// price into the cache and `pricing show` must then use it.
const changedPrices = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
prices:
  - {region: us-east-1, instanceType: ml.m5.large, component: hosting, usdPerHour: "0.2"}
  - {region: eu-west-1, instanceType: ml.m5.large, component: hosting, usdPerHour: "0.3"}
`

func TestPricingRefresh(t *testing.T) {
	env := emulatortest.Start(t, changedPrices)
	cache := t.TempDir()
	out, errOut, code := runScanCLI(t, env, "AKIAANY", cache, "pricing", "refresh", "--region", "us-east-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Fetched") {
		t.Errorf("output %q", out)
	}
	dir := filepath.Join(cache, "sagesaver")
	rows, storage, info, err := pricing.ReadCache(dir)
	if err != nil || !info.Used() {
		t.Fatalf("cache: %v, %+v", err, info)
	}
	if len(storage) == 0 {
		t.Error("no storage prices refreshed")
	}
	for _, r := range rows {
		if r.Region != "us-east-1" || r.Source != pricing.SourceRefresh {
			t.Fatalf("row %+v: want us-east-1 only, source %s", r, pricing.SourceRefresh)
		}
	}

	show := func() (hour string, source string) {
		t.Helper()
		out, errOut, code := runScanCLI(t, env, "AKIAANY", cache, "pricing", "show", "--region", "us-east-1,eu-west-1", "--instance-type", "ml.m5.large", "--component", "hosting", "-o", "json")
		if code != 0 {
			t.Fatalf("show: exit %d: %s", code, errOut)
		}
		var doc struct{ Prices []priceLine }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		lines := doc.Prices
		var hs, ss []string
		for _, l := range lines {
			hs = append(hs, l.Region+"="+l.USDPerHour.Plain())
			ss = append(ss, l.Source)
		}
		return strings.Join(hs, " "), strings.Join(ss, " ")
	}
	// eu-west-1 was not refreshed: its embedded price stays.
	if h, s := show(); h != "us-east-1=0.2 eu-west-1=0.128" || s != pricing.SourceRefresh+" A" {
		t.Errorf("after refreshing us-east-1: %s (sources %s)", h, s)
	}

	// Refreshing eu-west-1 keeps us-east-1's refreshed prices.
	if _, errOut, code := runScanCLI(t, env, "AKIAANY", cache, "pricing", "refresh", "--region", "eu-west-1"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if h, _ := show(); h != "us-east-1=0.2 eu-west-1=0.3" {
		t.Errorf("after refreshing eu-west-1 too: %s", h)
	}
	if _, err := os.Stat(filepath.Join(dir, pricing.CachePricesFile)); err != nil {
		t.Error(err)
	}
}
