package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/resource"
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
