package emulator

import "time"

// STUB: replaced by the CloudWatch implementation.

type cloudWatchState struct{}

func newCloudWatchState() *cloudWatchState { return &cloudWatchState{} }

func cloudWatchService() *service {
	return &service{
		name:            "cloudwatch",
		signingName:     "monitoring",
		cborName:        "GraniteServiceVersion20100801",
		queryVersion:    "2010-08-01",
		queryNamespace:  "http://monitoring.amazonaws.com/doc/2010-08-01/",
		queryCompatible: true,
		ops:             map[string]handler{},
	}
}

// MetricScenario: STUB.
type MetricScenario struct{}

func loadMetrics(r *Region, rs RegionScenario, now time.Time, path string) error { return nil }
