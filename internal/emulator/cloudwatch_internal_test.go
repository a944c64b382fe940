package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// BenchmarkGetMetricDataHandler measures the emulator's own work for the
// collector's worst case, 500 queries over a day at 1-minute granularity
// (720,000 datapoints from generated histories), without HTTP and wire
// encoding (BenchmarkGetMetricData500x24h in cloudwatch_test.go measures
// the whole round trip through the SDK).
func BenchmarkGetMetricDataHandler(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      metrics:\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&sb, "      - {endpoint: ep-%d, metric: CPUUtilization, value: 30, swing: 0.5, noise: 0.2}\n", i)
	}
	sc, err := ParseScenario("bench.yaml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	emu := New(Options{})
	if err := emu.Load(sc); err != nil {
		b.Fatal(err)
	}
	acct := emu.accounts[DefaultAccount]
	c := &Call{s: emu, Account: acct, Region: acct.region("us-east-1"), Now: emu.Now()}
	qs := make([]cwtypes.MetricDataQuery, 500)
	for i := range qs {
		qs[i] = cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprintf("q%d", i)), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("/aws/sagemaker/Endpoints"), MetricName: aws.String("CPUUtilization"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("EndpointName"), Value: aws.String(fmt.Sprintf("ep-%d", i))}, {Name: aws.String("VariantName"), Value: aws.String("AllTraffic")}}},
			Period: aws.Int32(60), Stat: aws.String("Average"),
		}}
	}
	now := emu.Now()
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-24 * time.Hour)), EndTime: aws.Time(now), MetricDataQueries: qs, MaxDatapoints: aws.Int32(500 * 1440)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := getMetricData(c, in)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(out.MetricDataResults[499].Values); n != 1440 {
			b.Fatalf("%d values", n)
		}
	}
}
