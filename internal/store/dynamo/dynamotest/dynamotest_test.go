package dynamotest

import (
	"os"
	"strings"
	"testing"
)

// TestScriptInstallsThePinnedVersions: scripts/test.sh installs the
// versions the harness looks for.
func TestScriptInstallsThePinnedVersions(t *testing.T) {
	b, err := os.ReadFile("../../../../scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"npm_install dynalite dynalite " + DynaliteVersion + "\n",
		"npm_install dynamodb-local amplify-dynamodb-simulator " + SimulatorVersion + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scripts/test.sh lacks %q", want)
		}
	}
}
