package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
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
		"Savings: $",
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
