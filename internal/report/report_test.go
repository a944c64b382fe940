package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

// lookback is the scan's default job lookback (inventory.DefaultJobLookback).
const lookback = 30 * 24 * time.Hour

// fixture is a small fleet with one of everything the renderers treat
// differently: exact, estimated, unknown and not applicable prices, a
// serverless endpoint, running and finished jobs, a failure.
func fixture() *Scan {
	const acct = "123456789012"
	rs := []resource.Resource{
		{Account: acct, Region: "us-east-1", Kind: resource.NotebookInstance, Name: "data-prep", Status: "InService", InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 5, Running: true, Created: ago(72 * time.Hour)},
		{Account: acct, Region: "us-east-1", Kind: resource.NotebookInstance, Name: "old-experiments", Status: "Stopped", InstanceType: "ml.g5.xlarge", InstanceCount: 1, VolumeGB: 50},
		{Account: acct, Region: "eu-west-1", Kind: resource.StudioDomain, Name: "d-abc123", Parent: "research", Status: "InService", IdleShutdown: aws(true)},
		{Account: acct, Region: "eu-west-1", Kind: resource.StudioApp, Name: "alice-space/JupyterLab/default", AppType: "JupyterLab", Parent: "d-abc123", Status: "InService", InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true},
		{Account: acct, Region: "us-east-1", Kind: resource.ProcessingJob, Name: "features-0301", Status: "InProgress", InstanceType: "ml.m5.xlarge", InstanceCount: 2, VolumeGB: 30, Running: true, TrainingSeconds: 1800, BillableSeconds: 1800},
		{Account: acct, Region: "us-east-1", Kind: resource.TrainingJob, Name: "bert-spot", Status: "Completed", InstanceType: "ml.g5.xlarge", InstanceCount: 1, VolumeGB: 30, Spot: true, TrainingSeconds: 7200, BillableSeconds: 2880},
		{Account: acct, Region: "us-east-1", Kind: resource.TuningJob, Name: "bert-hpo", Status: "Completed", InstanceType: "ml.g5.xlarge"},
		{Account: acct, Region: "us-east-1", Kind: resource.TransformJob, Name: "nightly-scoring", Status: "Completed", InstanceType: "ml.zz9.huge", InstanceCount: 1, TrainingSeconds: 600, BillableSeconds: 600},
		{Account: acct, Region: "us-east-1", Kind: resource.Endpoint, Name: "churn", Variant: "blue", Status: "InService", InstanceType: "ml.m5.large", InstanceCount: 2, Running: true},
		{Account: acct, Region: "us-east-1", Kind: resource.Endpoint, Name: "churn", Variant: "green", Status: "InService", InstanceType: "ml.g4dn.xlarge", InstanceCount: 1, Running: true},
		{Account: acct, Region: "us-east-1", Kind: resource.Endpoint, Name: "fraud-serverless", Variant: "AllTraffic", Status: "InService", Serverless: true, Running: true},
		{Account: acct, Region: "eu-west-1", Kind: resource.Endpoint, Name: "images-async", Variant: "AllTraffic", Status: "InService", Async: true, InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true},
		{Account: acct, Region: "eu-west-1", Kind: resource.Endpoint, Name: "mystery", Variant: "AllTraffic", Status: "InService", InstanceType: "ml.zz9.huge", InstanceCount: 1, Running: true},
	}
	res := Found{
		ScannedAt: now,
		Resources: rs,
		Failures: []Failure{{Account: "210987654321", Region: "ap-south-1", Kind: resource.NotebookInstance,
			Class: "access denied", Reason: "access denied: list notebook instances: AccessDeniedException: explicit deny"}},
	}
	return New(res, pricing.Embedded(), []string{acct, "210987654321"}, []string{"us-east-1", "eu-west-1", "ap-south-1"}, lookback)
}

func aws(b bool) *bool { return &b }

func TestGolden(t *testing.T) {
	for _, tt := range []struct{ format, file string }{
		{config.OutputTable, "scan.txt"},
		{config.OutputJSON, "scan.json"},
		{config.OutputCSV, "scan.csv"},
		{config.OutputMarkdown, "scan.md"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.format, fixture()); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", tt.file), b.String())
		})
	}
}

func TestEmptyTable(t *testing.T) {
	s := New(Found{ScannedAt: now}, pricing.Embedded(), []string{"123456789012"}, []string{"us-east-1"}, lookback)
	var b bytes.Buffer
	if err := WriteTable(&b, s); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "empty.txt"), b.String())
}

// TestJSONContract checks the documented fields that scripts rely on.
func TestJSONContract(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema    string           `json:"schema"`
		Resources []map[string]any `json:"resources"`
		Failures  []map[string]any `json:"failures"`
		Totals    struct {
			All struct {
				USDPerHour struct {
					Sum     json.Number `json:"sum"`
					Unknown int         `json:"unknown"`
				} `json:"usd_per_hour"`
			} `json:"all"`
		} `json:"totals"`
	}
	dec := json.NewDecoder(&b)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != SchemaVersion {
		t.Errorf("schema %q", doc.Schema)
	}
	required := []string{"account", "region", "kind", "name", "status", "instance_type", "instance_count", "usd_per_hour", "usd_per_month", "price_source"}
	byName := map[string]map[string]any{}
	for _, r := range doc.Resources {
		for _, k := range required {
			if _, ok := r[k]; !ok {
				t.Errorf("resource %v has no %q", r["name"], k)
			}
		}
		name := r["name"].(string)
		if v, ok := r["variant"]; ok {
			name += "/" + v.(string)
		}
		byName[name] = r
	}
	for _, name := range []string{"mystery/AllTraffic", "fraud-serverless/AllTraffic"} {
		r := byName[name]
		if r["usd_per_hour"] != nil || r["usd_per_month"] != nil {
			t.Errorf("%s: usd_per_hour %v, usd_per_month %v; want null (unknown is never 0)", name, r["usd_per_hour"], r["usd_per_month"])
		}
	}
	if got := byName["fraud-serverless/AllTraffic"]["price_source"]; got != "n/a (serverless)" {
		t.Errorf("serverless price_source %v", got)
	}
	if got := byName["old-experiments"]["usd_per_hour"]; got != json.Number("0") {
		t.Errorf("stopped notebook usd_per_hour %v, want 0", got)
	}
	// churn/blue 0.115 x 2 + churn/green 0.736 + images-async ~0.257 + data-prep 0.05
	// + alice's JupyterLab ~0.257 (eu-west-1 has no JupyterLab price) + features 0.23 x 2
	// (green is ~0.7364: us-east-1 has no hosting price for ml.g4dn.xlarge)
	if doc.Totals.All.USDPerHour.Sum != "1.9904" || doc.Totals.All.USDPerHour.Unknown != 2 {
		t.Errorf("all $/hour = %s with %d unknown, want 1.9904 with 2 unknown", doc.Totals.All.USDPerHour.Sum, doc.Totals.All.USDPerHour.Unknown)
	}
	if len(doc.Failures) != 1 || doc.Failures[0]["class"] != "access denied" {
		t.Errorf("failures %v", doc.Failures)
	}
}
