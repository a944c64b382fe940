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

// TestFlagErrorsWithoutGoInternals: a number flag given a word says so in
// the user's words, not strconv's.
func TestFlagErrorsWithoutGoInternals(t *testing.T) {
	var out, errb strings.Builder
	a := New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	a.Getenv = func(string) string { return "" }
	root := a.Command("short", "long")
	var n int
	var b bool
	root.PersistentFlags().IntVar(&n, "concurrency", 1, "")
	root.PersistentFlags().BoolVar(&b, "yes", false, "")
	for args, want := range map[string]string{
		"--concurrency many":                 `invalid argument "many" for "--concurrency" flag: "many" is not a whole number`,
		"--concurrency 1e99":                 `"1e99" is not a whole number`,
		"--yes=perhaps":                      `"perhaps" is not true or false`,
		"--concurrency 99999999999999999999": `"99999999999999999999" is out of range for a whole number`,
	} {
		errb.Reset()
		if code := a.Execute(context.Background(), root, append(strings.Fields(args), "version")); code != ExitUsage {
			t.Errorf("%s: exit %d", args, code)
		}
		if !strings.Contains(errb.String(), want) || strings.Contains(errb.String(), "strconv") {
			t.Errorf("%s: %q, want %q", args, errb.String(), want)
		}
	}
}

// TestExitCodeTable: the table has every exit code once, and the help and
// README renderings have a row for each.
func TestExitCodeTable(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range ExitCodes {
		if seen[c.Code] {
			t.Errorf("code %d twice", c.Code)
		}
		seen[c.Code] = true
		if !strings.Contains(ExitCodeTable(), c.Meaning) || !strings.Contains(ExitCodeMarkdown(), "| "+c.Name+" |") {
			t.Errorf("code %d missing from a rendering", c.Code)
		}
	}
	for _, code := range []int{ExitOK, ExitFailed, ExitUsage, ExitPartial, ExitInterrupted} {
		if !seen[code] {
			t.Errorf("exit code %d is not in ExitCodes", code)
		}
	}
}
