package advise_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

const goldenFleet = `      us-east-1:
        endpoints:
          - {name: oversized, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.m5.2xlarge}]}
          - {name: swinging, age: 60d, variants: [{name: AllTraffic, image: "x:1", instanceType: ml.c5.xlarge, count: 4}]}
          - {name: llm, age: 30d, variants: [{name: AllTraffic, image: "tgi:1", instanceType: ml.p3.2xlarge}]}
          - {name: scorer-a, age: 60d, variants: [{name: AllTraffic, image: "sklearn:1", instanceType: ml.m5.large}]}
          - {name: scorer-b, age: 60d, variants: [{name: AllTraffic, image: "sklearn:1", instanceType: ml.m5.large}]}
        metrics:
          - {endpoint: oversized, metric: CPUUtilization, value: 20}
          - {endpoint: oversized, metric: MemoryUtilization, value: 10}
          - {endpoint: oversized, metric: Invocations, value: 100}
          - {endpoint: swinging, metric: Invocations, value: 2000, swing: 0.8}
          - {endpoint: swinging, metric: CPUUtilization, value: 200}
          - {endpoint: llm, metric: CPUUtilization, value: 50}
          - {endpoint: llm, metric: MemoryUtilization, value: 10}
          - {endpoint: llm, metric: GPUUtilization, value: 20}
          - {endpoint: llm, metric: GPUMemoryUtilization, value: 40}
          - {endpoint: llm, metric: Invocations, value: 30}
          - {endpoint: scorer-a, metric: Invocations, value: 1, every: 10m}
          - {endpoint: scorer-b, metric: Invocations, value: 1, every: 20m}
          - {endpoint: scorer-a, metric: CPUUtilization, value: 3}
          - {endpoint: scorer-b, metric: CPUUtilization, value: 3}
        trainingJobs:
          - {name: sk-on-p3, instanceType: ml.p3.2xlarge, image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", age: 10h, duration: 2h, hostMetrics: {CPUUtilization: 90, MemoryUtilization: 30, GPUUtilization: 0}}
          - {name: spot-job, instanceType: ml.g5.xlarge, image: "torch:gpu", spot: true, spotSavings: 75, age: 2d, duration: 4h}
        notebooks:
          - {name: always-on, instanceType: ml.m5.xlarge, age: 10d, lastModified: 10d}
        domains:
          - {name: without-idle, id: d-without0idle1, age: 100d}
        spaces:
          - {domain: without-idle, name: b-lab, age: 50d}
        apps:
          - {domain: without-idle, space: b-lab, type: JupyterLab, instanceType: ml.t3.medium, age: 5d}
`

// Every output format is golden-tested on one fleet (go test
// ./internal/advise -run TestGolden -update rewrites testdata/advise.*).
func TestGolden(t *testing.T) {
	env := emulatortest.Start(t, scenario(goldenFleet))
	res := run(t, env, refreshed(t))
	for format, file := range map[string]string{
		config.OutputTable: "advise.txt", config.OutputJSON: "advise.json",
		config.OutputCSV: "advise.csv", config.OutputMarkdown: "advise.md",
	} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := advise.Write(&b, format, res); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", file), b.String())
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	if err := advise.Write(&bytes.Buffer{}, "yaml", &advise.Result{}); err == nil {
		t.Error("no error for an unknown format")
	}
}

// TestRunningJobSaysWhichCost: a running training job has two monthly
// figures, what the lookback's jobs cost a month (what advise saves on)
// and its run-rate (what `scan` shows); each output names which is which.
func TestRunningJobSaysWhichCost(t *testing.T) {
	env := emulatortest.Start(t, scenario(`      us-east-1:
        trainingJobs:
          - {name: sk-running, instanceType: ml.p3.2xlarge, image: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", age: 5h, duration: 8h, hostMetrics: {CPUUtilization: 97, MemoryUtilization: 34, GPUUtilization: 0}}
`))
	res := run(t, env, refreshed(t))
	if len(res.Recommendations) == 0 {
		t.Fatal("no recommendation for the running job")
	}
	rec := res.Recommendations[0]
	if rec.CurrentBasis != advise.LookbackJobs {
		t.Errorf("CurrentBasis = %q, want %q", rec.CurrentBasis, advise.LookbackJobs)
	}
	// ml.p3.2xlarge training in us-east-1 is ~$3.825/h (Studio's rate):
	// x 730 = ~$2,792.25, plus the job's ML storage volume while it runs.
	if !rec.RunRate.Known || rec.RunRate.Amount.Cmp(pricing.MustParseMoney("2792.25")) < 0 {
		t.Errorf("RunRate = %v, want the scan's run-rate (>= ~$2,792.25)", rec.RunRate)
	}
	if rec.CurrentMonthly.Amount.Cmp(rec.RunRate.Amount) >= 0 {
		t.Errorf("lookback cost %v not below the run-rate %v", rec.CurrentMonthly, rec.RunRate)
	}
	outs := map[string]string{}
	for _, format := range []string{config.OutputTable, config.OutputJSON, config.OutputCSV, config.OutputMarkdown} {
		var b bytes.Buffer
		if err := advise.Write(&b, format, res); err != nil {
			t.Fatal(err)
		}
		outs[format] = b.String()
	}
	for format, want := range map[string][]string{
		config.OutputTable:    {"its jobs of the last 30 days: ~$", "running now, run-rate ~$2,"},
		config.OutputMarkdown: {"its jobs of the last 30 days: ~$", "running now, run-rate ~$2,"},
		config.OutputJSON:     {`"current_basis": "lookback-jobs"`, `"run_rate_usd_per_month": 2`},
		config.OutputCSV:      {"current_usd_per_month,current_basis,run_rate_usd_per_month", ",lookback-jobs,2"},
	} {
		for _, w := range want {
			if !strings.Contains(outs[format], w) {
				t.Errorf("%s output lacks %q:\n%s", format, w, outs[format])
			}
		}
	}
	if strings.Contains(outs[config.OutputTable], "(now ") {
		t.Errorf("table says \"now\" without saying which cost:\n%s", outs[config.OutputTable])
	}
}

// ReadJSON reads back what WriteJSON wrote: the golden document written
// again from what it decodes to is the same document.
func TestReadJSONRoundTrip(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "advise.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := advise.ReadJSON(bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Recommendations) == 0 {
		t.Fatal("no recommendations read")
	}
	var b bytes.Buffer
	if err := advise.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	// The total is summed again from amounts in cents, so it may differ
	// from the one written by a cent per recommendation; all else is equal.
	var got, want map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden, &want); err != nil {
		t.Fatal(err)
	}
	const total = "total_saving_usd_per_month"
	if d := math.Abs(got[total].(float64) - want[total].(float64)); d > 0.01*float64(len(res.Recommendations)) {
		t.Errorf("total %v, want %v", got[total], want[total])
	}
	delete(got, total)
	delete(want, total)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("written again:\n%s\nwant:\n%s", b.String(), golden)
	}
	if _, err := advise.ReadJSON(strings.NewReader(`{"schema":"sagesaver.io/scan/v1"}`)); err == nil {
		t.Error("another schema read as advice")
	}
}
