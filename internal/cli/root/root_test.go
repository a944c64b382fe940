package root

import (
	"context"
	"strings"
	"testing"
)

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

func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, ExitOK},
		{[]string{"version", "--no-such-flag"}, ExitUsage},
		{[]string{"--log-level", "loud", "version"}, ExitUsage},
	} {
		var out, errb strings.Builder
		a := New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
		a.Getenv = func(string) string { return "" }
		if got := a.Execute(context.Background(), a.Command("short", "long"), tt.args); got != tt.want {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, got, tt.want, errb.String())
		}
	}
}
