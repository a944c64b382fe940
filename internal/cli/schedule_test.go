package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// runSchedule runs sagesaver like runPricing, with a fresh price cache.
func runSchedule(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runPricing(t, t.TempDir(), args...)
}

const officeHours = "../../examples/schedules/dev-notebooks-office-hours.yaml"

func TestSchedulePreviewGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"office-hours-december.txt", []string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-01", "--to", "2026-12-31", "--instance-type", "ml.t3.medium", "--region", "us-east-1"}},
		{"office-hours-week.json", []string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-07", "--to", "2026-12-08", "--schedule", "dev-notebooks-office-hours", "--instance-type", "ml.t3.medium", "--region", "us-east-1", "-o", "json"}},
		{"overnight-dst.txt", []string{"schedule", "preview", "-f", "../../examples/schedules/overnight-training.yaml", "--from", "2026-10-23", "--to", "2026-10-26"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runSchedule(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.Golden(t, filepath.Join("testdata", "schedule", tt.name), out)
			if strings.HasSuffix(tt.name, ".json") {
				checkSchema(t, "schedule-preview", out)
			}
		})
	}
}

// TestSchedulePreviewSavings checks the numbers behind the golden file: the
// seed's schedule in December 2026 (23 weekdays, minus Christmas Day and the
// closed 28th-31st: 18 days of 14 hours) against the catalog's own price.
func TestSchedulePreviewSavings(t *testing.T) {
	out, errOut, code := runSchedule(t, "schedule", "preview", "-f", officeHours, "--schedule", "dev-notebooks-office-hours",
		"--from", "2026-12-01", "--to", "2026-12-31", "--instance-type", "ml.t3.medium", "--region", "us-east-1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Schedules []previewRow `json:"schedules"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	r := got.Schedules[0]
	const window, running = 31 * 24 * 3600, 18 * 14 * 3600
	if r.WindowSeconds != window || r.RunningSeconds != running || r.SavedSeconds != window-running {
		t.Errorf("window %d running %d saved %d; want %d %d %d", r.WindowSeconds, r.RunningSeconds, r.SavedSeconds, window, running, window-running)
	}
	c, err := (&app{root.New(Stdio{})}).priceCatalog()
	if err != nil {
		t.Fatal(err)
	}
	p := c.Lookup("us-east-1", "ml.t3.medium", "notebook-instance")
	if !p.Known {
		t.Fatal("the catalog has no ml.t3.medium notebook price in us-east-1")
	}
	if want := p.Mul((window - running) / 3600).Amount.Plain(); r.Money == nil || r.Money.Saved != want {
		t.Errorf("saved money = %+v, want %s", r.Money, want)
	}
}

func TestSchedulePreviewErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: sagesaver.io/v1alpha1\nkind: ScheduleSet\nschedules:\n  - name: a\n    timezone: UTC\n    start: cron(0 7 ? * MON-FRI)\n    targets: [{kind: notebook, namePrefix: dev-}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"schedule", "preview"}, 2, "-f FILE is required"},
		{[]string{"schedule", "preview", "-f", bad, "--from", "2026-12-01"}, 2, "bad.yaml:6:12: field \"schedules[0].start\": cron(0 7 ? * MON-FRI): expected 6 fields, got 5"},
		{[]string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-31", "--to", "2026-12-01"}, 2, "to 2026-12-01 is before from 2026-12-31"},
		{[]string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-01", "--instance-type", "ml.t3.medium"}, 2, "--instance-type needs exactly one --region"},
		{[]string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-01", "--schedule", "nope"}, 2, `--schedule "nope": no such schedule`},
		{[]string{"schedule", "preview", "-f", officeHours, "--from", "2026-12-01", "-o", "csv"}, 2, "-o csv is not supported"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[2:], " "), func(t *testing.T) {
			_, errOut, code := runSchedule(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}
