package root

import "testing"

func TestFlagName(t *testing.T) {
	for field, want := range map[string]string{
		"logLevel":           "log-level",
		"endpointURL":        "endpoint-url",
		"cloudwatchProtocol": "cloudwatch-protocol",
		"state":              "state",
	} {
		if got := FlagName(field); got != want {
			t.Errorf("FlagName(%q) = %q, want %q", field, got, want)
		}
	}
}
