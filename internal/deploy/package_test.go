package deploy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

const runYAML = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  regions: [us-east-1]
policies:
  - file: policies/idle.yaml
schedules:
  - file: schedules/office.yaml
mode: enforce
`

const (
	idlePolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: delete-idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: delete
`
	officeHours = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: office-hours
    timezone: Europe/Berlin
    periods: [{begin: "08:00", end: "19:00"}]
    targets: [{kind: notebook, namePrefix: dev-}]
`
)

// writeRun writes run as DIR/run/run.yaml with the files it names.
func writeRun(t *testing.T, run string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	for name, content := range map[string]string{"run.yaml": run, "policies/idle.yaml": idlePolicy, "schedules/office.yaml": officeHours} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "run.yaml")
}

// elfHeader is the smallest ELF executable header debug/elf reads: a
// stand-in for a Linux build of sagesaver (whose 50 MB would make the test
// slow) for machine (183 arm64, 62 x86-64).
func elfHeader(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1               // 64-bit, little-endian, version 1
	binary.LittleEndian.PutUint16(h[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // header size
	binary.LittleEndian.PutUint16(h[54:], 56) // program header entry size
	binary.LittleEndian.PutUint16(h[58:], 64) // section header entry size
	return h
}

func TestWritePackage(t *testing.T) {
	run := writeRun(t, runYAML)
	bin := elfHeader(183)
	var a, b bytes.Buffer
	p, err := WritePackage(&a, run, bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WritePackage(&b, run, bin); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same inputs made two different zips")
	}
	if p.Arch != "arm64" {
		t.Errorf("arch %s, want arm64", p.Arch)
	}
	if arch, err := BinaryArch(elfHeader(62)); err != nil || arch != "x86_64" {
		t.Errorf("x86-64 binary: %s, %v", arch, err)
	}
	if _, err := BinaryArch(elfHeader(40)); err == nil || !strings.Contains(err.Error(), "Lambda runs arm64 and x86_64") {
		t.Errorf("ARM 32-bit binary: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*zip.File{}
	for _, f := range zr.File {
		got[f.Name] = f
	}
	if len(got) != 4 {
		t.Errorf("zip holds %d files: %v", len(got), p.Files)
	}
	boot := got["bootstrap"]
	if boot == nil || boot.Mode().Perm() != 0o755 || !boot.Mode().IsRegular() {
		t.Fatalf("bootstrap: %+v", boot)
	}
	if read(t, boot) != string(bin) {
		t.Error("bootstrap is not the binary")
	}
	if read(t, got["run.yaml"]) != runYAML || read(t, got["policies/idle.yaml"]) != idlePolicy || got["schedules/office.yaml"] == nil {
		t.Errorf("configuration files: %v", p.Files)
	}
}

func read(t *testing.T, f *zip.File) string {
	t.Helper()
	if f == nil {
		t.Fatal("missing file")
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPackageRefuses(t *testing.T) {
	bin := elfHeader(183)
	for _, tt := range []struct {
		name, run string
		bin       []byte
		want      string
	}{
		{"escaping path", strings.Replace(runYAML, "policies/idle.yaml", "../run/policies/idle.yaml", 1), bin, `:6:`},
		{"missing file", strings.Replace(runYAML, "policies/idle.yaml", "policies/nope.yaml", 1), bin, "nope.yaml"},
		{"wrong kind", strings.Replace(runYAML, "kind: Run", "kind: Policy", 1), bin, `run.yaml:2:7: field "kind"`},
		{"bad yaml", "apiVersion: [\n", bin, "run.yaml:1"},
		{"not a binary", runYAML, []byte("#!/bin/sh\necho hi\n"), "not a Linux executable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := writeRun(t, tt.run)
			var buf bytes.Buffer
			_, err := WritePackage(&buf, run, tt.bin)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WritePackage = %v, want %q", err, tt.want)
			}
			var fe *config.FileError
			if tt.name != "not a binary" && !errors.As(err, &fe) {
				t.Errorf("%v is not a *config.FileError", err)
			}
		})
	}
}
