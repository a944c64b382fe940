// Package inventory finds every billable SageMaker resource in a set of
// accounts and regions: one collector per kind, one bounded fan-out over
// account x region x kind, and per-target failures that never stop the rest.
//
// Collectors fetch in bulk where AWS allows it (SageMaker Search returns
// endpoints with their variants and tags 100 at a time; endpoint configs are
// immutable and described once, then cached; a notebook is described again
// only when its LastModifiedTime changes), because SageMaker throttles
// bursts and the obvious List + Describe + ListTags plan costs about three
// calls per resource.
package inventory

import (
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

func tagMap[T any](tags []T, kv func(T) (string, string)) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		m[k] = v
	}
	return m
}

// AgentUsageOf is the agent's usage summary in tags, or nil when the tag
// is absent or unreadable.
func AgentUsageOf(tags map[string]string) *agenttag.UsageSummary {
	v, ok := tags[agenttag.Usage]
	if !ok {
		return nil
	}
	u, err := agenttag.ParseUsage(v)
	if err != nil {
		return nil
	}
	return &u
}

// AgentActivity is the time in the agent's tag (agenttag.LastActivity, RFC 3339), or nil
// when the tag is absent or unreadable.
func AgentActivity(tags map[string]string) *time.Time {
	v, ok := tags[agenttag.LastActivity]
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil
	}
	return &t
}
