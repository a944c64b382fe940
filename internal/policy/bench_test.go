package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// BenchmarkEvaluate10k evaluates the warn-then-delete example over 10,000
// endpoints with two variants each, half of them idle and a tenth marked.
func BenchmarkEvaluate10k(b *testing.B) {
	p, err := policy.Read(examplesDir + "/endpoints-warn-then-delete.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var rs []resource.Resource
	verdicts := map[resource.ID]idle.Verdict{}
	var marks []policy.Mark
	for i := range 10000 {
		e := endpoint(fmt.Sprintf("ep-%05d", i), map[string]string{"A": "ml.g5.xlarge", "B": "ml.m5.xlarge"})
		rs = append(rs, e...)
		k := idle.SubjectKey(&e[0])
		if i%2 == 0 {
			verdicts[k] = idleFor(4*24*time.Hour, "0 invocations on 2 variants over 24h (no datapoints)")
		} else {
			verdicts[k] = idle.Verdict{State: idle.Active, Evidence: "busy", Actionable: true}
		}
		if i%10 == 0 {
			marks = append(marks, policy.Mark{Key: k, Rule: "delete-idle-endpoints", MarkedAt: now.Add(-96 * time.Hour), ActAfter: now.Add(-time.Hour)})
		}
	}
	in := policy.Input{Resources: rs, Verdicts: verdicts, Marks: marks, Price: monthly, Now: now}
	b.ReportAllocs()
	for b.Loop() {
		plan := policy.Evaluate(p, in)
		if len(plan.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// largePolicy is a valid policy of about size bytes: rules like the
// examples', each with a custom-decoded duration and tag list.
func largePolicy(size int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nmaxActions: 10\nrules:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `  - name: rule-%d
    resource: endpoint
    exclude:
      tags: [env=prod, team=ml]
    conditions:
      idleFor: 24h
    actions:
      - type: delete
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:x
`, i)
	}
	return []byte(b.String())
}

// BenchmarkDecode1MB decodes a 1 MB policy of about 6,000 rules and
// reports the peak heap (MB-peak) beside time and allocations (see
// BENCHMARKS.md). Before the YAML library's per-value reindexing was cut
// to the value's own rule it took minutes: each of the 6,000 durations
// indexed the whole file's tokens. The rules are decoded one at a time
// (config's streaming).
//
//	go test -run '^$' -bench Decode1MB -benchtime 5x ./internal/policy/
func BenchmarkDecode1MB(b *testing.B) {
	data := largePolicy(1 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	stop := testutil.PeakHeap()
	for b.Loop() {
		if _, err := policy.Decode("p.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "MB-peak")
}
