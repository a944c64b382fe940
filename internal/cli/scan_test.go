package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// smallFleet is the golden files' scenario: a little of every stage in
// us-east-1, and eu-west-1 denied by an SCP.
const smallFleet = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
accounts:
  - id: "123456789012"
    name: ml-dev
    accessKeys: [AKIAMLDEV]
    deniedRegions: [eu-west-1]
    regions:
      us-east-1:
        notebooks:
          - {name: data-prep, instanceType: ml.t3.medium, volumeSizeGB: 20, age: 10d, lastModified: 2h}
          - {name: old-experiments, instanceType: ml.g5.xlarge, status: Stopped, age: 90d, lastModified: 30d}
        endpoints:
          - name: churn
            variants:
              - {name: blue, image: "111.dkr.ecr.us-east-1.amazonaws.com/churn:1", instanceType: ml.m5.large, count: 2}
              - {name: green, image: "111.dkr.ecr.us-east-1.amazonaws.com/churn:2", instanceType: ml.m5.xlarge, count: 1}
          - name: fraud-serverless
            variants:
              - {name: AllTraffic, image: "111.dkr.ecr.us-east-1.amazonaws.com/fraud:1", serverless: {memoryMB: 2048, maxConcurrency: 5}}
          - name: mystery
            variants:
              - {name: AllTraffic, image: "111.dkr.ecr.us-east-1.amazonaws.com/x:1", instanceType: ml.zz9.huge}
        domains:
          - {name: research, id: d-research01, idleShutdown: {enabled: true, timeout: 60m}}
        userProfiles:
          - {domain: research, name: alice}
        spaces:
          - {domain: research, name: alice-space, owner: alice}
        apps:
          - {domain: research, space: alice-space, type: JupyterLab, instanceType: ml.g5.xlarge}
          - {domain: research, user: alice, type: KernelGateway, name: old-kernel, instanceType: ml.g5.xlarge, status: Deleted, age: 3d, deletedAge: 1d}
        processingJobs:
          - {name: features-0301, instanceType: ml.m5.xlarge, instanceCount: 2, age: 1h, duration: 3h}
        transformJobs:
          - {name: nightly-scoring, instanceType: ml.m5.xlarge, age: 1d, duration: 20m}
`

// runScanCLI runs sagesaver against the emulator with a private config and
// cache, the access key of a scenario account, and the scenario's clock.
func runScanCLI(t *testing.T, env *emulatortest.Env, key, cacheDir string, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", cacheDir)
	for _, k := range []string{"SAGESAVER_CONFIG", "SAGESAVER_REGION", "SAGESAVER_OUTPUT", "SAGESAVER_ENDPOINT_URL", "SAGESAVER_STATE", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	var out, errb bytes.Buffer
	a := &app{root.New(Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})}
	a.Clock = clock.NewManual(env.Emu.Now())
	code := run(context.Background(), a, append(args, "--endpoint-url", env.URL))
	return out.String(), errb.String(), code
}

func TestScanGolden(t *testing.T) {
	for _, tt := range []struct{ file, format string }{
		{"small.txt", "table"}, {"small.json", "json"}, {"small.csv", "csv"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			env := emulatortest.Start(t, smallFleet)
			out, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "scan", "--region", "us-east-1,eu-west-1", "-o", tt.format)
			if code != root.ExitPartial {
				t.Errorf("exit %d, want %d (eu-west-1 is denied); stderr:\n%s", code, root.ExitPartial, errOut)
			}
			if !strings.Contains(errOut, "failed") {
				t.Errorf("stderr does not summarise the failures: %q", errOut)
			}
			testutil.Golden(t, filepath.Join("testdata", "scan", tt.file), out)
			if tt.format == "json" {
				checkSchema(t, "scan", out)
			}
		})
	}
}

// scanDoc is the part of the JSON output the tests read.
type scanDoc struct {
	Accounts  []string `json:"accounts"`
	Regions   []string `json:"regions"`
	Resources []struct {
		Account, Region, Kind, Name, Variant string
		Status                               string
		InstanceType                         string   `json:"instance_type"`
		InstanceCount                        int      `json:"instance_count"`
		USDPerHour                           *float64 `json:"usd_per_hour"`
		USDPerMonth                          *float64 `json:"usd_per_month"`
		PriceSource                          string   `json:"price_source"`
	} `json:"resources"`
	Failures []struct {
		Account, Region, Kind, Class, Reason string
	} `json:"failures"`
}

func decodeScan(t *testing.T, out string) scanDoc {
	t.Helper()
	var d scanDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	return d
}

func TestScanPricesFleet(t *testing.T) {
	env := emulatortest.Start(t, smallFleet)
	out, errOut, _ := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), "scan", "--region", "us-east-1,eu-west-1", "-o", "json")
	d := decodeScan(t, out)
	type row struct {
		Hour, Month *float64
		Source      string
	}
	got := map[string]row{}
	for _, r := range d.Resources {
		got[r.Kind+"/"+r.Name+"/"+r.Variant] = row{r.USDPerHour, r.USDPerMonth, r.PriceSource}
	}
	f := func(v float64) *float64 { return &v }
	for key, want := range map[string]row{
		// Each variant priced on its own: ml.m5.large 0.115 x 2, ml.m5.xlarge ~0.23 (Studio's price: us-east-1 has no hosting price for it).
		"endpoint/churn/blue":  {f(0.23), f(167.9), "F 2026-07-30"},
		"endpoint/churn/green": {f(0.23), f(167.9), "estimate: priced as the Studio rate of ml.m5.xlarge in us-east-1, A 2025-06-16"},
		// Serverless: not an instance; unknown instance type: unknown, never $0.
		"endpoint/fraud-serverless/AllTraffic":       {nil, nil, "n/a (serverless)"},
		"endpoint/mystery/AllTraffic":                {nil, nil, "unknown"},
		"studio-app/alice-space/JupyterLab/default/": {f(1.41), f(1029.3), "C 2026-09-24"},
	} {
		if diff := cmp.Diff(want, got[key]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	if _, ok := got["studio-app/alice/KernelGateway/old-kernel/"]; ok {
		t.Error("a Deleted Studio app is listed")
	}
	// The denied region is reported, per kind, while us-east-1 completed.
	denied := 0
	for _, f := range d.Failures {
		if f.Region == "eu-west-1" && f.Class == "access denied" {
			denied++
		}
	}
	if denied == 0 {
		t.Errorf("no access-denied failure for eu-west-1: %+v\n%s", d.Failures, errOut)
	}
}

// multiAccount has a management account (the caller), two member accounts
// that let sagesaver in, one whose role does not exist, and a suspended
// one.
const multiAccount = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-03-02T12:00:00Z
accounts:
  - id: "111111111111"
    name: management
    accessKeys: [AKIAMGMT]
    regions:
      us-east-1:
        notebooks: [{name: mgmt-nb, instanceType: ml.t3.medium}]
  - id: "222222222222"
    name: ml-prod
    roles: [OrganizationAccountAccessRole, SageSaverReadOnly]
    regions:
      us-east-1:
        notebooks: [{name: prod-nb, instanceType: ml.m5.xlarge}]
      eu-west-1:
        notebooks: [{name: prod-eu-nb, instanceType: ml.t3.medium}]
  - id: "333333333333"
    name: ml-dev
    roles: [OrganizationAccountAccessRole]
    regions:
      us-east-1:
        notebooks: [{name: dev-nb, instanceType: ml.t3.medium}]
  - id: "444444444444"
    name: locked
    roles: [SomethingElse]
  - id: "555555555555"
    name: closed
    organizationState: SUSPENDED
`

func resourceNames(d scanDoc) []string {
	var names []string
	for _, r := range d.Resources {
		names = append(names, r.Account+"/"+r.Region+"/"+r.Name)
	}
	slices.Sort(names)
	return names
}

func TestScanAccountsFile(t *testing.T) {
	env := emulatortest.Start(t, multiAccount)
	file := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Accounts
accounts:
  - id: "222222222222"
    name: ml-prod
    roleArn: arn:aws:iam::222222222222:role/SageSaverReadOnly
  - id: "333333333333"
  - id: "444444444444"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runScanCLI(t, env, "AKIAMGMT", t.TempDir(), "scan", "--accounts", file, "--region", "us-east-1,eu-west-1", "-o", "json")
	if code != root.ExitPartial {
		t.Errorf("exit %d, want %d (444444444444's role cannot be assumed): %s", code, root.ExitPartial, errOut)
	}
	d := decodeScan(t, out)
	want := []string{"222222222222/eu-west-1/prod-eu-nb", "222222222222/us-east-1/prod-nb", "333333333333/us-east-1/dev-nb"}
	if diff := cmp.Diff(want, resourceNames(d)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if len(d.Failures) != 1 || d.Failures[0].Account != "444444444444" || d.Failures[0].Class != "access denied" ||
		!strings.Contains(d.Failures[0].Reason, "assume role arn:aws:iam::444444444444:role/OrganizationAccountAccessRole") {
		t.Errorf("failures %+v, want one: 444444444444's role not assumable", d.Failures)
	}
	if diff := cmp.Diff([]string{"222222222222", "333333333333", "444444444444"}, d.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
}

func TestScanOrganization(t *testing.T) {
	env := emulatortest.Start(t, multiAccount)
	out, errOut, code := runScanCLI(t, env, "AKIAMGMT", t.TempDir(), "scan", "--organization", "--region", "us-east-1", "-o", "json")
	if code != root.ExitPartial {
		t.Errorf("exit %d, want %d (the locked account): %s", code, root.ExitPartial, errOut)
	}
	d := decodeScan(t, out)
	// The management account is scanned with the caller's own credentials,
	// the others through OrganizationAccountAccessRole; the suspended
	// account is skipped.
	if diff := cmp.Diff([]string{"111111111111", "222222222222", "333333333333", "444444444444"}, d.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	want := []string{"111111111111/us-east-1/mgmt-nb", "222222222222/us-east-1/prod-nb", "333333333333/us-east-1/dev-nb"}
	if diff := cmp.Diff(want, resourceNames(d)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}

	// A member account cannot list the organization: an error, not a scan.
	_, errOut, code = runScanCLI(t, env, "AKIAOTHER", t.TempDir(), "scan", "--organization", "--accounts", "x.yaml")
	if code != root.ExitUsage {
		t.Errorf("--organization with --accounts: exit %d, want usage error; %s", code, errOut)
	}
}

func TestScanAccountsFileInvalid(t *testing.T) {
	env := emulatortest.Start(t, multiAccount)
	file := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Accounts
accounts:
  - id: "222222222222"
    roleArn: arn:aws:iam::999999999999:role/X
`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runScanCLI(t, env, "AKIAMGMT", t.TempDir(), "scan", "--accounts", file)
	if code != root.ExitUsage || !strings.Contains(errOut, "accounts[0].roleArn") || !strings.Contains(errOut, ":5") {
		t.Errorf("exit %d, stderr %q; want a usage error naming accounts[0].roleArn at line 5", code, errOut)
	}
}

func TestScanRepeatUsesCache(t *testing.T) {
	env := emulatortest.Start(t, smallFleet)
	cache := t.TempDir()
	scan := func() int64 {
		env.Emu.ResetCounters()
		if _, errOut, code := runScanCLI(t, env, "AKIAMLDEV", cache, "scan", "--region", "us-east-1", "-o", "json"); code == root.ExitFailed || code == root.ExitUsage {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		c := env.Emu.Counters().Calls
		return c["sagemaker:DescribeEndpointConfig"] + c["sagemaker:DescribeNotebookInstance"] + c["sagemaker:DescribeSpace"]
	}
	if n := scan(); n == 0 {
		t.Fatal("first scan described nothing")
	}
	if _, err := os.Stat(filepath.Join(cache, "sagesaver", "inventory.json")); err != nil {
		t.Errorf("inventory cache not saved: %v", err)
	}
	if n := scan(); n != 0 {
		t.Errorf("repeat scan made %d describe calls, want 0 (cached)", n)
	}
}

func TestScanFlags(t *testing.T) {
	env := emulatortest.Start(t, smallFleet)
	for _, args := range [][]string{
		{"scan", "--job-lookback", "soon"},
		{"scan", "--job-lookback", "-3d"},
		{"scan", "--concurrency", "0"},
	} {
		_, errOut, code := runScanCLI(t, env, "AKIAMLDEV", t.TempDir(), args...)
		if code != root.ExitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errOut, root.ExitUsage)
		}
	}
}

func TestResolveRegions(t *testing.T) {
	c := mustCatalog(t)
	if got := resolveRegions(nil, "eu-west-1", c); !slices.Equal(got, []string{"eu-west-1"}) {
		t.Errorf("no --region: %v", got)
	}
	if got := resolveRegions([]string{"us-east-1", "eu-west-1", "us-east-1"}, "x", c); !slices.Equal(got, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("list: %v", got)
	}
	all := resolveRegions([]string{"all"}, "x", c)
	if len(all) != len(c.Regions()) || !slices.Contains(all, "ap-south-1") {
		t.Errorf("all: %v", all)
	}
}

func mustCatalog(t *testing.T) *pricing.Catalog {
	t.Helper()
	return pricing.Embedded()
}
