package config_test

import (
	"errors"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzDecodeStrict decodes any document into the config file's type: no
// input panics, and one CheckBounds refuses is never handed to the YAML
// library (the decoder returns that same error).
func FuzzDecodeStrict(f *testing.F) {
	f.Add([]byte("apiVersion: sagesaver.io/v1alpha1\nkind: Config\nregions: [us-east-1]\n"))
	f.Add([]byte("a: &x {k: [1, 2]}\nb: *x\nc: |\n  [[[\n"))
	for _, s := range testutil.HostileYAML(config.DefaultMaxBytes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		bound := config.CheckBounds("f.yaml", data, config.DefaultLimits)
		var c config.Config
		err := config.DecodeStrict("f.yaml", data, &c)
		if bound != nil {
			var fe *config.FileError
			if !errors.As(err, &fe) || err.Error() != bound.Error() {
				t.Fatalf("CheckBounds: %v; DecodeStrict: %v", bound, err)
			}
		}
	})
}
