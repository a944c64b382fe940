package cost

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// refreshed is the embedded catalog with what `pricing refresh` would
// fetch for the forgotten costs in us-east-1 (made-up figures).
func refreshed() *pricing.Catalog {
	const asOf = "2026-11-02"
	return pricing.Embedded().Overlay(
		[]pricing.Row{{Region: "us-east-1", InstanceType: "ml.g5.8xlarge", Component: pricing.HyperPodCluster, USDPerHour: pricing.MustParseMoney("3.06"), AsOf: asOf, Source: pricing.SourceRefresh}},
		[]pricing.StorageRow{
			{Region: "us-east-1", Item: "ml-storage-studio-space", Unit: "GB-Mo", USD: pricing.MustParseMoney("0.112"), AsOf: asOf, Source: pricing.SourceRefresh},
			{Region: "us-east-1", Item: string(pricing.CanvasSession), Unit: "Hrs", USD: pricing.MustParseMoney("1.9"), AsOf: asOf, Source: pricing.SourceRefresh},
			{Region: "us-east-1", Item: string(pricing.MLflowMedium), Unit: "Hrs", USD: pricing.MustParseMoney("1.2"), AsOf: asOf, Source: pricing.SourceRefresh},
		})
}

func TestPriceForgottenCosts(t *testing.T) {
	at := func(k resource.Kind, name string) resource.Resource {
		return resource.Resource{Account: "1", Region: "us-east-1", Kind: k, Name: name}
	}
	canvas := at(resource.CanvasApp, "dan/Canvas/default")
	canvas.Running, canvas.InstanceCount = true, 1
	mlflowOn := at(resource.MLflowTrackingServer, "on")
	mlflowOn.Size, mlflowOn.Running, mlflowOn.InstanceCount = "Medium", true, 1
	mlflowOff := mlflowOn
	mlflowOff.Running, mlflowOff.Status = false, "Stopped"
	gpu := at(resource.HyperPodCluster, "llm")
	gpu.Variant, gpu.InstanceType, gpu.InstanceCount, gpu.Running = "gpu-workers", "ml.g5.8xlarge", 2, true
	volume := at(resource.SpaceStorage, "dan-lab")
	volume.VolumeGB = 50

	tests := []struct {
		name string
		r    resource.Resource
		want want
	}{
		{"canvas session", canvas, want{Rate: "1.9", Hourly: "1.9", Storage: "0", Monthly: "1387", Source: "R 2026-11-02"}},
		{"running mlflow server", mlflowOn, want{Rate: "1.2", Hourly: "1.2", Storage: "0", Monthly: "876", Source: "R 2026-11-02"}},
		// Listed, not billed.
		{"stopped mlflow server", mlflowOff, want{Rate: "1.2", Hourly: "0", Storage: "0", Monthly: "0", Source: "R 2026-11-02"}},
		{"hyperpod group", gpu, want{Component: pricing.HyperPodCluster, Rate: "3.06", Hourly: "6.12", Storage: "0", Monthly: "4467.6", Source: "R 2026-11-02"}},
		// 50 GB x 0.112, billed with no app running.
		{"space volume", volume, want{Rate: "unknown", Hourly: "0", Storage: "5.6", Monthly: "5.6", Source: "R 2026-11-02"}},
	}
	c := refreshed()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := PriceOne(c, tt.r)
			got := want{Basis: l.Basis, Component: l.Component, Rate: amount(l.Rate), Hourly: amount(l.Hourly), Storage: amount(l.Storage),
				Monthly: amount(l.Monthly), SoFar: tt.want.SoFar, SpotSavings: tt.want.SpotSavings, Source: l.Source}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if l.Note != "" {
				t.Errorf("note %q on a priced line", l.Note)
			}
		})
	}

	// The embedded snapshot has none of these prices: unknown, never $0,
	// with the reason and the usage type a refresh would fill it from.
	unknown := []struct {
		r            resource.Resource
		usage, hourl string
	}{
		{canvas, "USE1-Canvas:Session-Hrs", "unknown"},
		{mlflowOn, "USE1-MLflow:TrackingServerCompute-Medium", "unknown"},
		{gpu, "USE1-Cluster:ml.g5.8xlarge", "unknown"},
		{volume, "USE1-Studio:VolumeUsage.gp3", "0"},
	}
	for _, u := range unknown {
		l := PriceOne(pricing.Embedded(), u.r)
		if l.Monthly.Known || amount(l.Hourly) != u.hourl {
			t.Errorf("%s: hourly %s, monthly %s; want %s and unknown", u.r.Kind, amount(l.Hourly), amount(l.Monthly), u.hourl)
		}
		if !strings.HasPrefix(l.Source, "unknown: ") || !strings.Contains(l.Source, u.usage) ||
			!strings.Contains(l.Note, u.usage) || !strings.Contains(l.Note, "pricing refresh") {
			t.Errorf("%s: source %q, note %q; want unknown with the usage type %s and how to fill it", u.r.Kind, l.Source, l.Note, u.usage)
		}
	}
	// A stopped server bills nothing, known even without a price.
	if l := PriceOne(pricing.Embedded(), mlflowOff); amount(l.Hourly) != "0" || amount(l.Monthly) != "0" {
		t.Errorf("stopped server without a price: hourly %s, monthly %s; want known $0", amount(l.Hourly), amount(l.Monthly))
	}

	// Totals: the training stage counts the unknown HyperPod group.
	s := Summarize(Price(pricing.Embedded(), []resource.Resource{gpu, canvas, volume, mlflowOff}))
	if tr := s.Stage(resource.StageTraining); tr.Hourly.Unknown != 1 || tr.Resources != 1 || tr.Running != 1 {
		t.Errorf("training total %+v, want the HyperPod group unknown", tr)
	}
	if b := s.Stage(resource.StageBuild); b.Monthly.Unknown != 2 || b.Resources != 3 || b.Monthly.Complete() {
		t.Errorf("build total %+v, want Canvas and the volume unknown, the stopped server known", b)
	}
	// What stopping or deleting saves is what the line bills now.
	if sv := Saves(PriceOne(c, mlflowOn), Change{Verb: Stop}); amount(sv.Hourly) != "1.2" {
		t.Errorf("stopping a Medium server saves %s/h, want 1.2", amount(sv.Hourly))
	}
	if sv := Saves(PriceOne(c, canvas), Change{Verb: DeleteApp}); amount(sv.Hourly) != "1.9" {
		t.Errorf("deleting the Canvas app saves %s/h, want 1.9", amount(sv.Hourly))
	}
}
