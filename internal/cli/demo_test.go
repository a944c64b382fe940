package cli

import (
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
)

func TestDemoShowsScan(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, errOut, code := runPricing(t, t.TempDir(), "demo")
	if code != 0 && code != root.ExitPartial {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"sagesaver demo:",            // the intro
		"Inference: endpoints",       // the table, by stage
		"churn-predictor/AllTraffic", // a demo endpoint, with its variant
		"eu-west-1",                  // both regions
		"n/a (serverless)",           // the serverless endpoint, not priced as an instance
		"Totals by stage",            // the totals
		"What next:",                 // what to do next
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The demo tells its story on stdout; info logs would interleave with it.
	if strings.Contains(errOut, "level=INFO") {
		t.Errorf("demo logged at info level by default:\n%s", errOut)
	}
}

// TestDemoJSON: `demo -o json` is the scan's document, and only that.
func TestDemoJSON(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, errOut, code := runPricing(t, t.TempDir(), "demo", "-o", "json")
	if code != 0 && code != root.ExitPartial {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkSchema(t, "scan", out)
}
