package cost

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// TestSaves works out each action's saving from the embedded catalog by
// hand: us-east-1 ml.t3.medium notebook 0.05 $/h, ml.m5.large hosting
// 0.115 $/h, notebook gp2 0.14 $/GB-month.
func TestSaves(t *testing.T) {
	c := pricing.Embedded()
	nb := resource.Resource{Region: "us-east-1", Kind: resource.NotebookInstance, InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 50, Running: true}
	ep := resource.Resource{Region: "us-east-1", Kind: resource.Endpoint, Variant: "AllTraffic", InstanceType: "ml.m5.large", InstanceCount: 3, Running: true}
	stopped := nb
	stopped.Running = false
	unpriced := nb
	unpriced.InstanceType = "ml.nonesuch.large"
	sls := ep
	sls.Serverless, sls.InstanceType, sls.InstanceCount = true, "", 0
	app := resource.Resource{Region: "us-east-1", Kind: resource.StudioApp, AppType: "JupyterLab", InstanceType: "ml.t3.medium", InstanceCount: 1, Running: true}
	sysApp := resource.Resource{Region: "us-east-1", Kind: resource.StudioApp, AppType: "JupyterServer", InstanceType: "system", Running: true}
	tests := []struct {
		name           string
		r              resource.Resource
		c              Change
		hourly, monthy string
	}{
		// The volume (50 GB x 0.14 = $7/month) still bills when stopped:
		// the saving is the instance-hours only, not Line.Monthly (37.5 + 7).
		{"stop notebook: instance-hours, not the volume", nb, Change{Verb: Stop}, "0.05", "36.5"},
		{"stop a stopped notebook: nothing", stopped, Change{Verb: Stop}, "0", "0"},
		{"stop an unpriced notebook: unknown, never $0", unpriced, Change{Verb: Stop}, "unknown", "unknown"},
		{"delete endpoint: every instance", ep, Change{Verb: Delete}, "0.345", "251.85"},
		{"delete serverless endpoint: not modelled", sls, Change{Verb: Delete}, "unknown", "unknown"},
		{"delete app: its instance", app, Change{Verb: DeleteApp}, "0.05", "36.5"},
		{"delete app on the free system instance", sysApp, Change{Verb: DeleteApp}, "0", "0"},
		{"scale in 3 -> 1: two instances", ep, Change{Verb: ScaleIn, To: 1}, "0.23", "167.9"},
		{"scale 'in' to more: nothing", ep, Change{Verb: ScaleIn, To: 3}, "0", "0"},
		{"notify saves nothing", nb, Change{Verb: "notify"}, "0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Saves(PriceOne(c, tt.r), tt.c)
			got := [2]string{amount(s.Hourly), amount(s.Monthly)}
			if diff := cmp.Diff([2]string{tt.hourly, tt.monthy}, got); diff != "" {
				t.Errorf("Saves (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSavesMonthlyIsHourlyTimes730 is the agreement the ledger relies on:
// the monthly saving a plan shows is exactly the ledger's hourly rate x
// 730, estimate flag included.
func TestSavesMonthlyIsHourlyTimes730(t *testing.T) {
	c := pricing.Embedded()
	// eu-west-1 async ml.m5.xlarge is an estimate (Studio rate).
	async := resource.Resource{Region: "eu-west-1", Kind: resource.Endpoint, Async: true, InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true}
	lines := Price(c, []resource.Resource{async, async})
	s := SavesAll(lines, Change{Verb: Delete})
	if !s.Hourly.Estimate || !s.Monthly.Estimate {
		t.Errorf("estimate flag lost: hourly %v monthly %v", s.Hourly, s.Monthly)
	}
	if got, want := s.Monthly.Amount, s.Hourly.Amount.Mul(pricing.HoursPerMonth); got.Cmp(want) != 0 {
		t.Errorf("monthly %s, want hourly x 730 = %s", got, want)
	}
	if got := amount(s.Hourly); got != "~0.514" {
		t.Errorf("hourly %s, want ~0.514", got)
	}
}
