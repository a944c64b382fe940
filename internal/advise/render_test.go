package advise_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
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
