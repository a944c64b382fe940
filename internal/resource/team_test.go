package resource

import "testing"

func TestTeam(t *testing.T) {
	for _, c := range []struct {
		tags map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"owner": "bob"}, ""},
		{map[string]string{"Team": "growth"}, "growth"},
		{map[string]string{"project": "churn", "TEAM": "growth"}, "growth"}, // team before project
		{map[string]string{"Project": "churn"}, "churn"},
	} {
		if got := Team(c.tags); got != c.want {
			t.Errorf("Team(%v) = %q, want %q", c.tags, got, c.want)
		}
	}
}
