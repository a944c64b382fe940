package config

import (
	"strings"
	"testing"
)

func TestCheckRegion(t *testing.T) {
	for _, tt := range []struct {
		name, wantErr, wantWarn string
	}{
		{name: "us-east-1"},
		{name: "eu-central-2"},
		{name: "cn-north-1"},
		{name: "us-gov-west-1"},
		{name: "ap-southeast-9", wantWarn: "not one this build knows"}, // a region newer than the build
		{name: "US-EAST-1", wantErr: "did you mean us-east-1?"},
		{name: "mars-north-1", wantErr: `"mars-north-1" is not an AWS region; did you mean eu-north-1?`},
		{name: "us-esat-1", wantWarn: "not one this build knows"}, // matches the pattern: warned, not guessed
		{name: "nowhere", wantErr: "is not an AWS region"},
		{name: "", wantErr: "is not an AWS region"},
	} {
		warn, err := CheckRegion(tt.name)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckRegion(%q) = %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("CheckRegion(%q) = %v, want %q", tt.name, err, tt.wantErr)
		case !strings.Contains(warn, tt.wantWarn) || (tt.wantWarn == "" && warn != ""):
			t.Errorf("CheckRegion(%q) warns %q, want %q", tt.name, warn, tt.wantWarn)
		}
	}
}

func TestCheckEndpointURL(t *testing.T) {
	for _, good := range []string{"http://127.0.0.1:4566", "https://sagemaker.us-east-1.amazonaws.com", "http://localhost:8080/base"} {
		if err := CheckEndpointURL(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for in, want := range map[string]string{
		"file:///etc/passwd":    "scheme must be http or https",
		"ftp://x":               "scheme must be http or https",
		"not a url":             "not a URL",
		"localhost:4566":        "not a URL",
		"http://":               "no host",
		"http://:4566":          "no host",
		"http://u:p@host":       "credentials",
		"http://host:99999":     "out of range",
		"https://host/?x=1":     "query",
		"127.0.0.1:4566":        "not a URL",
		"http//127.0.0.1:4566/": "not a URL",
	} {
		if err := CheckEndpointURL(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckEndpointURL(%q) = %v, want %q", in, err, want)
		}
	}
}
