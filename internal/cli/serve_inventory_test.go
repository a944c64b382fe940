package cli

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestServeInventoryColumnsFromTheRunFile: with `serve -f`, the
// inventory's protected flag follows the run file's policy's protectTag
// (not the default tag), its policy column the tick's plan, and its
// schedule column the run file's schedules.
func TestServeInventoryColumnsFromTheRunFile(t *testing.T) {
	const fleet = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-12-01T10:00:00Z
accounts:
  - id: "111111111111"
    accessKeys: [AKIAMGMT]
    regions:
      us-east-1:
        endpoints:
          - {name: idle-ep, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
          - {name: kept-ep, tags: {keep-me: "yes"}, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
          - {name: default-tag-ep, tags: {"sagesaver:protect": "true"}, variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}], age: 30d, lastModified: 30d}
        notebooks:
          - {name: dev-carol, instanceType: ml.t3.medium, age: 10d}
`
	const runFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  accounts: [{id: "111111111111"}]
  regions: [us-east-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      protectTag: keep-me
      rules:
        - name: idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: delete}]
schedules:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: ScheduleSet
      schedules:
        - name: office-hours
          timezone: UTC
          start: cron(0 7 ? * MON-FRI *)
          stop: cron(0 21 ? * MON-FRI *)
          targets:
            - kind: notebook
              namePrefix: dev-
mode: dry-run
state: sqlite:state/sagesaver.db
`
	get, stop := startServeRunFile(t, fleet, runFile)
	defer func() {
		if code, out := stop(); code != 0 {
			t.Errorf("serve exit %d after its context ended, want 0: %s", code, out)
		}
	}()
	_, body := get("/inventory.json")
	checkSchema(t, "serve-inventory", body)
	var doc struct {
		Rows []struct {
			Name        string   `json:"name"`
			Schedules   []string `json:"schedules"`
			PolicyRules []string `json:"policy_rules"`
			Protected   bool     `json:"protected"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	type cols struct {
		schedules, rules []string
		protected        bool
	}
	got := map[string]cols{}
	for _, r := range doc.Rows {
		got[r.Name] = cols{r.Schedules, r.PolicyRules, r.Protected}
	}
	for name, want := range map[string]cols{
		"idle-ep/AllTraffic":        {schedules: []string{}, rules: []string{"idle-endpoints"}},
		"kept-ep/AllTraffic":        {schedules: []string{}, rules: []string{"idle-endpoints"}, protected: true},
		"default-tag-ep/AllTraffic": {schedules: []string{}, rules: []string{"idle-endpoints"}},
		"dev-carol":                 {schedules: []string{"office-hours"}, rules: []string{}},
	} {
		g, ok := got[name]
		if !ok {
			t.Errorf("no row %s in %s", name, body)
			continue
		}
		if !slices.Equal(g.schedules, want.schedules) || !slices.Equal(g.rules, want.rules) || g.protected != want.protected {
			t.Errorf("%s: schedules %q, rules %q, protected %v; want %q, %q, %v", name, g.schedules, g.rules, g.protected,
				want.schedules, want.rules, want.protected)
		}
	}
}
