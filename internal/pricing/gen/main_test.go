package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sharedDir is shared/pricing beside the module root: the dev machines and
// CI have it; a bare clone does not.
const sharedDir = "../../../../shared/pricing"

func needShared(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sharedDir, "sagemaker-prices.csv")); err != nil {
		t.Skipf("no shared price snapshot at %s (only a bare clone lacks it): %v", sharedDir, err)
	}
}

// The committed catalog is what the generator makes of the shared snapshot:
// run `go generate ./internal/pricing` after the snapshot changes.
func TestCommittedDataIsCurrent(t *testing.T) {
	needShared(t)
	files, err := generate(sharedDir)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("../data/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range committed {
		names = append(names, filepath.Base(p))
	}
	var want []string
	for name := range files {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("committed files %v, generator writes %v", names, want)
	}
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join("..", "data", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("data/%s differs from the generator's output; run go generate ./internal/pricing", name)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	needShared(t)
	a, err := generate(sharedDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate(sharedDir)
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// The generator refuses input it cannot vouch for.
func TestGenerateRejects(t *testing.T) {
	needShared(t)
	readme, err := os.ReadFile(filepath.Join(sharedDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	types, err := os.ReadFile(filepath.Join(sharedDir, "instance-types.csv"))
	if err != nil {
		t.Fatal(err)
	}
	storage, err := os.ReadFile(filepath.Join(sharedDir, "sagemaker-storage-data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	head := "region,region_name,instance_type,component,usd_per_hour,vcpu,memory_gib,as_of,source,note\n"
	tests := map[string]string{
		"unknown component": head + "us-east-1,US East (N. Virginia),ml.t3.medium,spot,0.05,2,4,2026-09-24,C,\n",
		"bad price":         head + "us-east-1,US East (N. Virginia),ml.t3.medium,training,free,2,4,2026-09-24,C,\n",
		"undocumented src":  head + "us-east-1,US East (N. Virginia),ml.t3.medium,training,0.05,2,4,2026-09-24,Z,\n",
		"type without spec": head + "us-east-1,US East (N. Virginia),ml.zz9.huge,training,0.05,2,4,2026-09-24,C,\n",
		"two region names":  head + "us-east-1,A,ml.t3.medium,training,0.05,,,2026-09-24,C,\nus-east-1,B,ml.t3.large,training,0.05,,,2026-09-24,C,\n",
	}
	for name, prices := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, b := range map[string][]byte{
				"README.md": readme, "instance-types.csv": types, "sagemaker-storage-data.csv": storage,
				"sagemaker-prices.csv": []byte(prices),
			} {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := generate(dir); err == nil {
				t.Error("generate succeeded, want an error")
			}
		})
	}
}

func TestReadSources(t *testing.T) {
	needShared(t)
	got, err := readSources(filepath.Join(sharedDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	byLetter := map[string][]string{}
	for _, s := range got {
		byLetter[s[0]] = s
	}
	checks := map[string][2]string{
		"A": {"AWS public pricing JSON", "2025-06-16T19:32:43Z"},
		"H": {"billed rates", "December 2023"},
		"E": {"research note", "2026-09-04"},
	}
	for letter, want := range checks {
		s := byLetter[letter]
		if s == nil || s[1] != want[0] || s[2] != want[1] {
			t.Errorf("source %s = %q, want title %q published %q", letter, s, want[0], want[1])
		}
	}
}
