package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadStrict(t *testing.T) {
	tests := []struct {
		name, body             string
		wantLine, wantCol      int
		wantField, wantMsgPart string
	}{
		{
			name:     "unknown field",
			body:     "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: [us-east-1]\nregon: eu-west-1\n",
			wantLine: 4, wantCol: 1, wantField: "regon", wantMsgPart: "unknown field",
		},
		{
			name:     "bad output value",
			body:     "apiVersion: sagesaver.io/v1alpha1\nkind: Config\noutput: xml\n",
			wantLine: 3, wantField: "output", wantMsgPart: "must be one of table, json, csv, markdown",
		},
		{
			name:     "wrong version",
			body:     "apiVersion: v2\nkind: Config\n",
			wantLine: 1, wantField: "apiVersion", wantMsgPart: "must be",
		},
		{
			name:     "type mismatch",
			body:     "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: 5\n",
			wantLine: 3, wantField: "regions", wantMsgPart: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.body)
			_, err := Load(path)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load: %v, want a *FileError", err)
			}
			if fe.File != path || fe.Line != tt.wantLine || (tt.wantCol != 0 && fe.Column != tt.wantCol) || fe.Field != tt.wantField {
				t.Errorf("got %s:%d:%d field %q, want line %d col %d field %q", fe.File, fe.Line, fe.Column, fe.Field, tt.wantLine, tt.wantCol, tt.wantField)
			}
			if !strings.Contains(fe.Msg, tt.wantMsgPart) {
				t.Errorf("msg %q does not contain %q", fe.Msg, tt.wantMsgPart)
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestLayering(t *testing.T) {
	path := writeFile(t, "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: [us-east-1]\noutput: json\nlogLevel: debug\n")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvRegion: "eu-west-1, ap-south-1", EnvOutput: "csv"}
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Regions = []string{"eu-west-1", "ap-south-1"}
	want.Output = "csv"
	want.LogLevel = "debug"
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestMissingDefaultFileIsFine(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml")); err == nil {
		t.Error("a named config file that does not exist must be an error")
	}
}

// TestAWSTimeoutLayers: awsTimeout is read from the file in the one
// duration syntax and overridden by SAGESAVER_AWS_TIMEOUT.
func TestAWSTimeoutLayers(t *testing.T) {
	cfg, err := Load(writeFile(t, "apiVersion: sagesaver.io/v1alpha1\nkind: Config\nawsTimeout: 2m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AWSTimeout != 2*time.Minute {
		t.Errorf("awsTimeout = %v", cfg.AWSTimeout)
	}
	if err := cfg.ApplyEnv(func(k string) string { return map[string]string{EnvAWSTimeout: "1d"}[k] }); err != nil || cfg.AWSTimeout != 24*time.Hour {
		t.Errorf("env: %v, %v", cfg.AWSTimeout, err)
	}
	if err := cfg.ApplyEnv(func(k string) string { return map[string]string{EnvAWSTimeout: "soon"}[k] }); err == nil || !strings.Contains(err.Error(), EnvAWSTimeout) {
		t.Errorf("bad env value: %v", err)
	}
}

// TestFileValuesCheckedUpFront: a bad endpoint URL, region or timeout in
// the config file names its line and field.
func TestFileValuesCheckedUpFront(t *testing.T) {
	const head = "apiVersion: sagesaver.io/v1alpha1\nkind: Config\n"
	for _, tt := range []struct{ doc, want string }{
		{head + "endpointURL: file:///etc/passwd\n", `:3:14: field "endpointURL": "file:///etc/passwd": the scheme must be http or https`},
		{head + "regions: [us-east-1, US-WEST-2]\n", `:3:22: field "regions[1]": "US-WEST-2" is not a region`},
		{head + "awsTimeout: 1ns\n", `:3:13: field "awsTimeout": 1ns is too short`},
		{head + "awsTimeout: .nan\n", `field "awsTimeout"`},
	} {
		path := writeFile(t, tt.doc)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.doc, err, tt.want)
		}
	}
}
