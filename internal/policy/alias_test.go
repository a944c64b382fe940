package policy_test

import (
	"testing"

	"github.com/sagesaver/sagesaver/internal/policy"
)

// Anchors and aliases across rules decode as before the token list was
// cut at rules (config.unlinkEntries).
func TestDecodeAliasAcrossRules(t *testing.T) {
	p, err := policy.Decode("p.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: a
    resource: endpoint
    exclude:
      tags: &t [env=prod]
    conditions:
      idleFor: &d 24h
    actions:
      - type: delete
  - name: b
    resource: endpoint
    exclude:
      tags: *t
    conditions:
      idleFor: *d
    actions:
      - type: delete
`))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rules[1]
	if len(r.Exclude.Tags) != 1 || r.Exclude.Tags[0] != "env=prod" || r.Conditions.IdleFor.String() != "24h" {
		t.Fatalf("rule b: %+v", r)
	}
}
