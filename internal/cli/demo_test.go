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
		// The costs teams forget (issue 17), one of each, with why their
		// price is unknown and how to fill it.
		"canvas-app              dan/Canvas/default",
		"mlflow-tracking-server  research-experiments",
		"llm-finetune/gpu-workers",
		"space-storage           alice-jupyterlab",
		"unknown: no USE1-Canvas:Session-Hrs price (pricing refresh)",
		"The costs teams forget",
		"HyperPod cluster llm-finetune (us-east-1): 1 x ml.m5.xlarge (controller), 2 x ml.g5.8xlarge (gpu-workers)",
		"`sagesaver pricing refresh` fetches them",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "studio-app              dan/Canvas") {
		t.Error("the Canvas session is listed as a Studio app")
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
