package serve

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/net/html"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// fleetMetrics is CloudWatch for fleet(): churn (ml.m5.xlarge, 4 vCPUs)
// at 9% of its CPUs and 22% memory, no GPU; mystery (a type the price
// catalog does not know) at 250% CPU, a sum over its cores, and 64% of its
// memory.
const fleetMetrics = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-20T12:00:00Z
accounts:
  - id: "111111111111"
    name: serve-test
    accessKeys: [AKIASERVE]
    regions:
      us-east-1:
        metrics:
          - {endpoint: churn, metric: Invocations, value: 40, swing: 0.5}
          - {endpoint: churn, metric: CPUUtilization, value: 36}
          - {endpoint: churn, metric: MemoryUtilization, value: 22}
      eu-west-1:
        metrics:
          - {endpoint: mystery, variant: v1, metric: CPUUtilization, value: 250}
          - {endpoint: mystery, variant: v1, metric: MemoryUtilization, value: 64}
`

// emuEvidence reads the emulator as internal/cli's cloudWatch reads
// CloudWatch: one Fetch of metrics.UtilizationQueries for every variant.
type emuEvidence struct{ cfg aws.Config }

func (e emuEvidence) fetcher(region string) *metrics.Fetcher {
	return metrics.New(awsapi.NewClients(e.cfg, region, false).CloudWatch)
}

func (e emuEvidence) Invocations(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error) {
	var qs []metrics.Query
	for _, v := range variants {
		qs = append(qs, metrics.Query{Namespace: "AWS/SageMaker", Metric: "Invocations", Stat: "Sum",
			Dimensions: []metrics.Dimension{{Name: "EndpointName", Value: ep.Name}, {Name: "VariantName", Value: v}}})
	}
	return e.fetcher(ep.Region).Fetch(ctx, w, qs), nil
}

func (e emuEvidence) Utilization(ctx context.Context, ep resource.ID, variants []string, w metrics.Window) ([]metrics.Result, error) {
	var qs []metrics.Query
	for _, v := range variants {
		qs = append(qs, metrics.UtilizationQueries(ep.Name, v, "Average")...)
	}
	return e.fetcher(ep.Region).Fetch(ctx, w, qs), nil
}

func fleetEvidence(t *testing.T) (emuEvidence, *emulatortest.Env) {
	env := emulatortest.Start(t, fleetMetrics)
	return emuEvidence{emulatortest.Config(t, env.URL, "AKIASERVE")}, env
}

// TestUtilizationChartScales: CPU of a type the price catalog knows is a
// percentage of the instance (churn: 36% over 4 vCPUs is 9%), beside the
// right-sizing advice; of a type it does not know, CloudWatch's sum over
// cores, and the series and caption say so (memory is of the instance
// either way).
func TestUtilizationChartScales(t *testing.T) {
	ev, _ := fleetEvidence(t)
	e := oppEnv(t, Options{Evidence: ev})
	for _, c := range []struct {
		id, series, caption string
	}{
		{"111111111111/us-east-1/endpoint/churn/AllTraffic", `"name":"CPU","values":[9,`, "AllTraffic: ml.m5.xlarge, CPU ÷ 4 vCPUs"},
		{"111111111111/eu-west-1/endpoint/mystery/v1", `"name":"CPU (sum over cores)","values":[250,`, "v1: ml.zz9.huge is not in the price catalog"},
		{"111111111111/eu-west-1/endpoint/mystery/v1", `"name":"memory","values":[64,`, "v1: ml.zz9.huge is not in the price catalog"},
	} {
		resp, page := e.get(t, "/resource?id="+c.id)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", c.id, resp.StatusCode)
		}
		doc, err := html.Parse(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		fig := findAttr(doc, "data-chart", "utilization")
		if len(fig) != 1 {
			t.Fatalf("%s: %d utilization charts", c.id, len(fig))
		}
		data := textOf(findAttr(fig[0], "class", "chart-data")[0])
		if !strings.Contains(data, c.series) || strings.Contains(data, "GPU") {
			t.Errorf("%s: chart data %s, want %s… and no GPU series", c.id, data, c.series)
		}
		if got := textOf(findTag(fig[0], "figcaption")[0]); !strings.Contains(got, c.caption) {
			t.Errorf("%s: caption %q lacks %q", c.id, got, c.caption)
		}
	}
	_, page := e.get(t, "/resource?id=111111111111/us-east-1/endpoint/churn/AllTraffic")
	if i, j := strings.Index(page, `data-chart="utilization"`), strings.Index(page, `data-testid="advice"`); i < 0 || j < 0 {
		t.Errorf("churn's page lacks the utilization chart (%d) or the right-sizing advice (%d)", i, j)
	}
}

// TestUtilizationChartCloudWatchError: a CloudWatch error is said on the
// page, never drawn as idle machines.
func TestUtilizationChartCloudWatchError(t *testing.T) {
	ev, env := fleetEvidence(t)
	env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "not authorized", Status: 403},
	}})
	e := oppEnv(t, Options{Evidence: ev})
	resp, page := e.get(t, "/resource?id=111111111111/us-east-1/endpoint/churn/AllTraffic")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(findAttr(doc, "data-chart", "utilization")) != 0 || len(findAttr(doc, "data-testid", "utilization-none")) != 0 {
		t.Error("a chart or \"no utilization\" for an answer CloudWatch refused")
	}
	if !strings.Contains(page, "variant AllTraffic CPUUtilization: ") || !strings.Contains(page, "AccessDenied") {
		t.Errorf("the page does not say CloudWatch refused:\n%s", page)
	}
}
