package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"
)

// TestVendoredChecksums pins the vendored front-end files to the bytes of
// the npm packages named in static/vendor/VERSIONS: a change to one (an
// edit, a botched upgrade) fails here until VERSIONS and this table are
// updated together.
func TestVendoredChecksums(t *testing.T) {
	want := map[string]string{
		"htmx.min.js":       "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717", // htmx.org 2.0.11
		"uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f", // uplot 1.6.32
		"uPlot.min.css":     "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04", // uplot 1.6.32
	}
	for name, sum := range want {
		b, err := fs.ReadFile(staticFS, "static/vendor/"+name)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA-256 %x, want %s (see static/vendor/VERSIONS)", name, got, sum)
		}
	}
	for _, lic := range []string{"htmx.LICENSE", "uPlot.LICENSE", "VERSIONS"} {
		b, err := fs.ReadFile(staticFS, "static/vendor/"+lic)
		if err != nil || len(b) == 0 {
			t.Errorf("%s missing: %v", lic, err)
		}
	}
	v, _ := fs.ReadFile(staticFS, "static/vendor/VERSIONS")
	for _, pin := range []string{"htmx.org 2.0.11", "uplot 1.6.32"} {
		if !strings.Contains(string(v), pin) {
			t.Errorf("VERSIONS does not name %s", pin)
		}
	}
}
