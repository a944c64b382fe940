package resource_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPurePackagesLinkNoSDK keeps the logic packages pure (STYLE.md, "Import
// direction"): they decide from values and are tested with plain tables, so
// they must not reach the AWS SDK, whose service packages alone cost
// megabytes and dozens of packages (before the resource model left
// inventory, each of them linked 34 SDK packages through it). An import that
// pulls one in fails here, naming the package and the path.
func TestPurePackagesLinkNoSDK(t *testing.T) {
	const mod = "github.com/sagesaver/sagesaver/internal/"
	pure := []string{"resource", "idle", "policy", "cost", "report", "schedule"}
	forbidden := []string{
		"github.com/aws/aws-sdk-go-v2",
		"github.com/aws/smithy-go",
		mod + "inventory",
		mod + "awsapi",
		mod + "store",
	}
	for _, p := range pure {
		out, err := exec.Command("go", "list", "-deps", mod+p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		for _, d := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("internal/%s links %s", p, d)
				}
			}
		}
	}
}
