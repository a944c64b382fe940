package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sagesaver/sagesaver/internal/cli/root"
)

// runOffline runs sagesaver with a private environment in which any AWS
// call fails at once (the endpoint is a closed local port): a command that
// exits with the usage code here did so before calling AWS.
func runOffline(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "SAGESAVER_AGENT_CONFIG",
		"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("SAGESAVER_STATE", filepath.Join(t.TempDir(), "state.db"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDOFFLINE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "offline")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	var out, errb bytes.Buffer
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	code := run(context.Background(), a, append([]string{"--endpoint-url", "http://127.0.0.1:1"}, args...))
	return out.String(), errb.String(), code
}

// commands returns every command of the tree under c, c included, but
// cobra's own (help, completion).
func commands(c *cobra.Command) []*cobra.Command {
	all := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.Name() == "help" || sub.Name() == "completion" {
			continue
		}
		all = append(all, commands(sub)...)
	}
	return all
}

// cmdArgs is the command's path without the program name ("schedule run"),
// plus a positional argument when the command needs one.
func cmdArgs(c *cobra.Command) []string {
	args := strings.Fields(c.CommandPath())[1:]
	if c.Args != nil && c.Args(c, nil) != nil {
		args = append(args, "x")
	}
	return args
}

// inputFileFlags are the flags that name a user's input file: a missing
// or malformed one is the user's mistake, exit code 2, before any AWS call.
var inputFileFlags = []string{"file", "scenario", "agent-config"}

// TestExitCodeContract walks every command: an unknown flag and a missing
// or malformed input file exit with the usage code and, for a file, an
// error that names it.
func TestExitCodeContract(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "malformed.yaml")
	if err := os.WriteFile(malformed, []byte("apiVersion: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	for _, c := range commands(newRoot(&app{root.New(Stdio{})})) {
		if !c.Runnable() {
			args := append(cmdArgs(c), "no-such-command")
			if _, errOut, code := runOffline(t, args...); code != root.ExitUsage || !strings.Contains(errOut, `unknown command "no-such-command"`) {
				t.Errorf("%v: exit %d, want %d (usage); stderr:\n%s", args, code, root.ExitUsage, errOut)
			}
			continue
		}
		args := cmdArgs(c)
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			if _, errOut, code := runOffline(t, append(slices.Clone(args), "--no-such-flag")...); code != root.ExitUsage {
				t.Errorf("unknown flag: exit %d, want %d (usage); stderr:\n%s", code, root.ExitUsage, errOut)
			}
			if extra := []string{"x", "y"}; c.Args != nil && c.Args(c, extra) != nil {
				if _, errOut, code := runOffline(t, append(slices.Clone(args), extra...)...); code != root.ExitUsage {
					t.Errorf("unexpected arguments: exit %d, want %d (usage); stderr:\n%s", code, root.ExitUsage, errOut)
				}
			}
			required := false
			c.Flags().VisitAll(func(f *pflag.Flag) {
				if _, ok := f.Annotations[cobra.BashCompOneRequiredFlag]; ok {
					required = true
				}
			})
			if required {
				if _, errOut, code := runOffline(t, args...); code != root.ExitUsage {
					t.Errorf("required flag left out: exit %d, want %d (usage); stderr:\n%s", code, root.ExitUsage, errOut)
				}
			}
			for _, name := range inputFileFlags {
				if c.Flags().Lookup(name) == nil {
					continue
				}
				for _, tt := range []struct{ what, path, want string }{
					{"missing", missing, missing + ": "},
					{"malformed", malformed, malformed + ":1"},
				} {
					_, errOut, code := runOffline(t, append(slices.Clone(args), "--"+name, tt.path)...)
					if code != root.ExitUsage {
						t.Errorf("--%s %s file: exit %d, want %d (usage); stderr:\n%s", name, tt.what, code, root.ExitUsage, errOut)
					}
					if !strings.Contains(errOut, tt.want) {
						t.Errorf("--%s %s file: stderr does not name it (%q):\n%s", name, tt.what, tt.want, errOut)
					}
				}
			}
		})
	}
}

// TestExitCodeGlobalInputFiles: --config, --accounts and --binary files
// follow the same contract as -f.
func TestExitCodeGlobalInputFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, args := range [][]string{
		{"scan", "--config", missing},
		{"scan", "--accounts", missing},
		{"lifecycle", "render", "--binary-url", "s3://bucket/sagesaver-agent", "--binary", missing},
	} {
		_, errOut, code := runOffline(t, args...)
		if code != root.ExitUsage || !strings.Contains(errOut, missing+": ") {
			t.Errorf("%v: exit %d, want %d naming the file; stderr:\n%s", args, code, root.ExitUsage, errOut)
		}
	}
}

// TestExitCodeInterrupted: a command stopped by a signal (its context
// cancelled) exits 130, not 1.
func TestExitCodeInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("SAGESAVER_CONFIG", "")
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	if code := run(ctx, a, []string{"scan", "--endpoint-url", "http://127.0.0.1:1", "--region", "us-east-1"}); code != root.ExitInterrupted || !strings.Contains(errb.String(), "sagesaver: interrupted: ") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, root.ExitInterrupted, errb.String())
	}
}

// TestExitCodesInHelpAndReadme: the root --help and the README print the
// exit code table from root.ExitCodes.
func TestExitCodesInHelpAndReadme(t *testing.T) {
	out, errOut, code := runOffline(t, "--help")
	if code != root.ExitOK {
		t.Fatalf("--help: exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, root.ExitCodeTable()) {
		t.Errorf("--help lacks the exit code table:\n%s\nwant:\n%s", out, root.ExitCodeTable())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), root.ExitCodeMarkdown()) {
		t.Errorf("README.md lacks the exit code table; put this in it:\n%s", root.ExitCodeMarkdown())
	}
}

// TestHelpExamples: the --help of every command has an example.
func TestHelpExamples(t *testing.T) {
	for _, c := range commands(newRoot(&app{root.New(Stdio{})})) {
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no Example", c.CommandPath())
		}
	}
}

// sameMeaning are flags that more than one command has, with usage texts
// worded for each command but one meaning.
var sameMeaning = map[string]string{
	"file": "the command's input file (a policy or a schedules file)",
	"yes":  "act; without it the command changes nothing (or asks)",
	// The agent's and run's: change nothing whatever else says to act.
	"dry-run": "change nothing; say what would be done",
	// The window of finished jobs scan lists and advise counts.
	"job-lookback": "how long ago a finished job may have ended and still count",
	// The type listed (pricing show) or priced (schedule preview).
	"instance-type": "an ML instance type, e.g. ml.m5.xlarge",
	// The cycle of a long-running command (schedule run --daemon, serve,
	// the agent): how often, and one cycle only.
	"interval": "time between the cycles of a long-running command",
	"once":     "one cycle, then exit",
}

// TestFlagNamesMeanOneThing: a flag name that two commands use has the
// same usage text in both (or is one of sameMeaning).
func TestFlagNamesMeanOneThing(t *testing.T) {
	usage := map[string]string{}
	where := map[string]string{}
	for _, c := range commands(newRoot(&app{root.New(Stdio{})})) {
		visit := func(f *pflag.Flag) {
			if _, ok := sameMeaning[f.Name]; ok || f.Hidden {
				return
			}
			if u, ok := usage[f.Name]; ok && u != f.Usage {
				t.Errorf("--%s means two things:\n  %s: %s\n  %s: %s", f.Name, where[f.Name], u, c.CommandPath(), f.Usage)
				return
			}
			usage[f.Name], where[f.Name] = f.Usage, c.CommandPath()
		}
		c.LocalNonPersistentFlags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
	}
}
