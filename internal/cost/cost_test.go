package cost

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// amount renders a price for comparison: its exact amount, "~" before an
// estimate, "unknown".
func amount(p pricing.Price) string {
	if !p.Known {
		return "unknown"
	}
	if p.Estimate {
		return "~" + p.Amount.Plain()
	}
	return p.Amount.Plain()
}

type want struct {
	Basis                          Basis
	Component                      pricing.Component
	Rate, Hourly, Storage, Monthly string
	SoFar, SpotSavings             string
	Source                         string
}

// The expected figures are worked out by hand from the embedded catalog's
// rows (internal/pricing/data), e.g. us-east-1 ml.t3.medium
// notebook-instance 0.05 $/h (source C), notebook gp2 0.14 $/GB-month.
func TestPriceOne(t *testing.T) {
	c := pricing.Embedded()
	tests := []struct {
		name string
		r    resource.Resource
		want want
	}{
		{
			name: "running notebook: instance rate, volume per month",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.NotebookInstance, InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 5, Running: true},
			want: want{Component: pricing.NotebookInstance, Rate: "0.05", Hourly: "0.05", Storage: "0.7", Monthly: "37.2", SoFar: "unknown", SpotSavings: "unknown", Source: "C 2026-09-24"},
		},
		{
			name: "stopped notebook: no instance charge, the volume still bills",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.NotebookInstance, InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 5},
			want: want{Component: pricing.NotebookInstance, Rate: "0.05", Hourly: "0", Storage: "0.7", Monthly: "0.7", SoFar: "unknown", SpotSavings: "unknown", Source: "C 2026-09-24"},
		},
		{
			name: "endpoint variant: rate x current instance count",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.Endpoint, Variant: "AllTraffic", InstanceType: "ml.m5.large", InstanceCount: 3, Running: true},
			want: want{Component: pricing.Hosting, Rate: "0.115", Hourly: "0.345", Storage: "0", Monthly: "251.85", SoFar: "unknown", SpotSavings: "unknown", Source: "F 2026-07-30"},
		},
		{
			name: "async endpoint without an async price: estimate from Studio",
			r:    resource.Resource{Region: "eu-west-1", Kind: resource.Endpoint, Async: true, InstanceType: "ml.m5.xlarge", InstanceCount: 1, Running: true},
			want: want{Component: pricing.AsyncInference, Rate: "~0.257", Hourly: "~0.257", Storage: "0", Monthly: "~187.61", SoFar: "unknown", SpotSavings: "unknown", Source: "estimate: priced as the Studio rate of ml.m5.xlarge in eu-west-1, A 2025-06-16"},
		},
		{
			name: "serverless endpoint: not priced as an instance",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.Endpoint, Serverless: true, Running: true},
			want: want{Basis: NotModelled, Rate: "unknown", Hourly: "unknown", Storage: "unknown", Monthly: "unknown", SoFar: "unknown", SpotSavings: "unknown", Source: "n/a (serverless)"},
		},
		{
			name: "unknown instance type: unknown, never $0",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.Endpoint, InstanceType: "ml.zz9.huge", InstanceCount: 2, Running: true},
			want: want{Component: pricing.Hosting, Rate: "unknown", Hourly: "unknown", Storage: "0", Monthly: "unknown", SoFar: "unknown", SpotSavings: "unknown", Source: "unknown"},
		},
		{
			name: "finished spot training job: cost of billable time, volumes for the run, savings",
			r: resource.Resource{Region: "us-east-1", Kind: resource.TrainingJob, InstanceType: "ml.g5.xlarge", InstanceCount: 2, VolumeGB: 30,
				Spot: true, TrainingSeconds: 3600, BillableSeconds: 1800},
			// 1.408 x 2 x 0.5 h = 1.408; 30 GB x 2 x 0.14 x 3600/(730 x 3600) = 8.4/730 = 0.011506849315 (12 places)
			want: want{Component: pricing.Training, Rate: "1.408", Hourly: "0", Storage: "0", Monthly: "0", SoFar: "1.419506849315", SpotSavings: "1.408", Source: "C 2026-09-24"},
		},
		{
			name: "running processing job: run-rate, volume while running, cost so far",
			r: resource.Resource{Region: "us-east-1", Kind: resource.ProcessingJob, InstanceType: "ml.m5.xlarge", InstanceCount: 1, VolumeGB: 30,
				Running: true, TrainingSeconds: 1800, BillableSeconds: 1800},
			// 0.23/2 = 0.115; 30 x 0.10 x 1800/2628000 = 0.002054794521 (12 places)
			want: want{Component: pricing.Processing, Rate: "0.23", Hourly: "0.23", Storage: "3", Monthly: "170.9", SoFar: "0.117054794521", SpotSavings: "0", Source: "C 2026-09-24"},
		},
		{
			name: "transform job with an unknown type: cost so far unknown",
			r: resource.Resource{Region: "us-east-1", Kind: resource.TransformJob, InstanceType: "ml.zz9.huge", InstanceCount: 1,
				TrainingSeconds: 600, BillableSeconds: 600},
			want: want{Component: pricing.BatchTransform, Rate: "unknown", Hourly: "0", Storage: "0", Monthly: "0", SoFar: "unknown", SpotSavings: "0", Source: "unknown"},
		},
		{
			name: "JupyterLab app: studio-jupyterlab",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.StudioApp, AppType: "JupyterLab", InstanceType: "ml.g5.xlarge", InstanceCount: 1, Running: true},
			want: want{Component: pricing.StudioJupyterLab, Rate: "1.41", Hourly: "1.41", Storage: "0", Monthly: "1029.3", SoFar: "unknown", SpotSavings: "unknown", Source: "C 2026-09-24"},
		},
		{
			name: "KernelGateway app: studio-notebook",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.StudioApp, AppType: "KernelGateway", InstanceType: "ml.t3.medium", InstanceCount: 1, Running: true},
			want: want{Component: pricing.StudioNotebook, Rate: "0.05", Hourly: "0.05", Storage: "0", Monthly: "36.5", SoFar: "unknown", SpotSavings: "unknown", Source: "A 2025-06-16"},
		},
		{
			name: "JupyterServer app on the free system instance",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.StudioApp, AppType: "JupyterServer", InstanceType: "system", Running: true},
			want: want{Basis: NotApplicable, Rate: "unknown", Hourly: "unknown", Storage: "unknown", Monthly: "unknown", SoFar: "unknown", SpotSavings: "unknown", Source: "n/a (system instance)"},
		},
		{
			name: "tuning job: billed through its training jobs",
			r:    resource.Resource{Region: "us-east-1", Kind: resource.TuningJob, InstanceType: "ml.m5.xlarge", Running: true},
			want: want{Basis: NotApplicable, Rate: "unknown", Hourly: "unknown", Storage: "unknown", Monthly: "unknown", SoFar: "unknown", SpotSavings: "unknown", Source: "n/a (billed via training jobs)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := PriceOne(c, tt.r)
			got := want{Basis: l.Basis, Component: l.Component, Rate: amount(l.Rate), Hourly: amount(l.Hourly), Storage: amount(l.Storage),
				Monthly: amount(l.Monthly), SoFar: amount(l.SoFar), SpotSavings: amount(l.SpotSavings), Source: l.Source}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if l.Stage != tt.r.Stage() {
				t.Errorf("stage %s, want %s", l.Stage, tt.r.Stage())
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	c := pricing.Embedded()
	rs := []resource.Resource{
		{Region: "us-east-1", Kind: resource.NotebookInstance, InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 5, Running: true},
		{Region: "us-east-1", Kind: resource.NotebookInstance, InstanceType: "ml.t3.medium", InstanceCount: 1, VolumeGB: 10},
		{Region: "us-east-1", Kind: resource.StudioDomain},
		{Region: "us-east-1", Kind: resource.Endpoint, InstanceType: "ml.m5.large", InstanceCount: 2, Running: true},
		{Region: "us-east-1", Kind: resource.Endpoint, InstanceType: "ml.zz9.huge", InstanceCount: 1, Running: true},
		{Region: "us-east-1", Kind: resource.Endpoint, Serverless: true, Running: true},
		{Region: "us-east-1", Kind: resource.TrainingJob, InstanceType: "ml.g5.xlarge", InstanceCount: 1, Spot: true, TrainingSeconds: 7200, BillableSeconds: 3600},
		{Region: "us-east-1", Kind: resource.TuningJob, InstanceType: "ml.g5.xlarge"},
	}
	s := Summarize(Price(c, rs))
	type row struct {
		Stage                               resource.Stage
		Resources, Running                  int
		Hourly, Monthly, SoFar, SpotSavings string
	}
	conv := func(t StageTotal) row {
		return row{t.Stage, t.Resources, t.Running, t.Hourly.String(), t.Monthly.String(), t.SoFar.String(), t.SpotSavings.String()}
	}
	var got []row
	for _, t := range s.Stages {
		got = append(got, conv(t))
	}
	want := []row{
		// 0.05 x 730 + 0.7 + 1.4 (the stopped notebook's volume) = 38.6
		{resource.StageBuild, 3, 1, "$0.05", "$38.60", "$0.00", "$0.00"},
		{resource.StageProcessing, 0, 0, "$0.00", "$0.00", "$0.00", "$0.00"},
		// the tuning job is not counted; the training job: 1.408 so far, 1.408 saved
		{resource.StageTraining, 2, 0, "$0.00", "$0.00", "$1.41", "$1.41"},
		{resource.StageTransform, 0, 0, "$0.00", "$0.00", "$0.00", "$0.00"},
		// 0.115 x 2; the unknown type and the serverless endpoint are unknown
		{resource.StageInference, 3, 3, "≥ $0.23 (2 unknown)", "≥ $167.90 (2 unknown)", "$0.00", "$0.00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	all := conv(s.All)
	if all.Resources != len(rs) || all.Hourly != "≥ $0.28 (2 unknown)" || all.Monthly != "≥ $206.50 (2 unknown)" {
		t.Errorf("grand total %+v", all)
	}
	if !s.All.Hourly.Sum.Equal(pricing.MustParseMoney("0.28")) {
		t.Errorf("hourly sum %s, want exactly 0.28", s.All.Hourly.Sum.Plain())
	}
}

func TestKnown(t *testing.T) {
	if Known(pricing.Unknown) != nil {
		t.Error("unknown price has an amount")
	}
	if m := Known(pricing.Price{Known: true}); m == nil || !m.IsZero() {
		t.Errorf("known $0 = %v", m)
	}
}
