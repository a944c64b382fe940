package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// forgottenFleet is issue 17's costs beside what must not be billed: an
// idle Canvas session and a deleted one, a running and a stopped MLflow
// tracking server, a GPU HyperPod cluster in two instance groups, a space
// volume with no app running. Its prices are what `pricing refresh` gets
// from the emulator's Price List (the embedded snapshot has none of them).
const forgottenFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
prices:
  - {region: us-east-1, instanceType: ml.m5.xlarge, component: hyperpod-cluster, usdPerHour: "0.236"}
  - {region: us-east-1, instanceType: ml.g5.8xlarge, component: hyperpod-cluster, usdPerHour: "3.06"}
  - {region: us-east-1, item: canvas-session, usd: "1.9"}
  - {region: us-east-1, item: mlflow-tracking-server-small, usd: "0.6"}
  - {region: us-east-1, item: mlflow-tracking-server-large, usd: "2.4"}
  - {region: us-east-1, item: ml-storage-studio-space, usd: "0.112"}
accounts:
  - id: "123456789012"
    name: ml-dev
    accessKeys: [AKIAMLDEV]
    regions:
      us-east-1:
        domains:
          - {name: analytics, id: d-analytics01, age: 300d}
        userProfiles:
          - {domain: analytics, name: dan, age: 200d}
          - {domain: analytics, name: erin, age: 200d}
        spaces:
          - {domain: analytics, name: dan-lab, owner: dan, ebsVolumeSizeGB: 50, age: 100d}
        apps:
          - {domain: analytics, user: dan, type: Canvas, age: 27h, lastActive: 22h}
          - {domain: analytics, user: erin, type: Canvas, status: Deleted, age: 10d, deletedAge: 7d}
        mlflowTrackingServers:
          - {name: research-experiments, size: Small, status: Started, age: 45d, lastModified: 30d}
          - {name: old-experiments, size: Large, status: Stopped, age: 90d, lastModified: 20d}
        hyperPodClusters:
          - name: llm-finetune
            age: 6d
            instanceGroups:
              - {name: controller, instanceType: ml.m5.xlarge, count: 1}
              - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
`

// Before a refresh, each forgotten cost is listed with its price unknown
// and the usage type a refresh would fill it from; after, priced. A
// stopped MLflow server bills nothing either way; the deleted Canvas
// session is not listed.
func TestScanForgottenCosts(t *testing.T) {
	env := emulatortest.Start(t, forgottenFleet)
	cache := t.TempDir()
	scan := func(format string) string {
		t.Helper()
		out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", cache, "scan", "--region", "us-east-1", "-o", format)
		if code != 0 {
			t.Fatalf("scan: exit %d: %s", code, errOut)
		}
		return out
	}
	before := scan("table")
	testutil.Golden(t, filepath.Join("testdata", "scan", "forgotten-unpriced.txt"), before)
	for _, want := range []string{
		"unknown: no USE1-Canvas:Session-Hrs price (pricing refresh)",
		"unknown: no USE1-MLflow:TrackingServerCompute-Small price (pricing refresh)",
		"unknown: no USE1-Cluster:ml.g5.8xlarge price (pricing refresh)",
		"unknown: no USE1-Studio:VolumeUsage.gp3 price (pricing refresh)",
	} {
		if !strings.Contains(before, want) {
			t.Errorf("unpriced scan lacks %q", want)
		}
	}
	doc := decodeScan(t, scan("json"))
	for _, r := range doc.Resources {
		if r.Name == "erin/Canvas/default" {
			t.Errorf("deleted Canvas app listed: %+v", r)
		}
		if r.Name == "old-experiments" && (r.USDPerHour == nil || *r.USDPerHour != 0 || r.USDPerMonth == nil || *r.USDPerMonth != 0) {
			t.Errorf("stopped MLflow server: $/h %v, $/month %v; want a known 0 (not billed), price or none", r.USDPerHour, r.USDPerMonth)
		}
		if r.Kind == "canvas-app" && (r.USDPerHour != nil || r.USDPerMonth != nil) {
			t.Errorf("Canvas session priced %v without a price in the catalog", r.USDPerHour)
		}
	}

	if _, errOut, code := runScanCLI(t, env, "AKIAMLDEV", cache, "pricing", "refresh", "--region", "us-east-1"); code != 0 {
		t.Fatalf("pricing refresh: exit %d: %s", code, errOut)
	}
	after := scan("table")
	testutil.Golden(t, filepath.Join("testdata", "scan", "forgotten.txt"), after)
	if strings.Contains(after, "unknown") {
		t.Errorf("after a refresh, a price is still unknown:\n%s", after)
	}
	out := scan("json")
	testutil.Golden(t, filepath.Join("testdata", "scan", "forgotten.json"), out)
	checkSchema(t, "scan", out)
}
