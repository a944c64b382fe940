package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/policy"
)

func bigPolicy(size int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Policy\nmaxActions: 10\nrules:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  - name: rule-%d\n    resource: endpoint\n    exclude:\n      tags: [env=prod, team=ml]\n    conditions:\n      idleFor: 24h\n    actions:\n      - type: delete\n      - type: notify\n        sns: arn:aws:sns:us-east-1:123456789012:x\n", i)
	}
	return []byte(b.String())
}

func BenchmarkScratch(b *testing.B) {
	data := bigPolicy(100 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.Decode("p.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
