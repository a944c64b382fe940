package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlyWhatTheAgentNeeds guards the agent build's memory budget
// (BENCHMARKS.md): every package linked into a Go binary runs its
// initialization at start, whether or not it is used, and the packages
// below cost megabytes (the SDK's sagemaker package alone builds 3.8 MB of
// schemas). An import that pulls one of them in fails here, naming it.
func TestLinksOnlyWhatTheAgentNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	forbidden := []string{
		"github.com/aws/aws-sdk-go-v2/service/sagemaker", // and its schemas
		"github.com/aws/aws-sdk-go-v2/service/cloudwatch",
		"github.com/aws/aws-sdk-go-v2/service/sns",
		"github.com/aws/aws-sdk-go-v2/service/pricing",
		"github.com/aws/aws-sdk-go-v2/service/organizations",
		"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling",
		"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi",
		"modernc.org/sqlite",
		"github.com/sagesaver/sagesaver/internal/awsapi",
		"github.com/sagesaver/sagesaver/internal/emulator",
		"github.com/sagesaver/sagesaver/internal/store",
		"github.com/sagesaver/sagesaver/internal/pricing",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("the agent build links %s (as %s)", f, d)
			}
		}
	}
	// The full CLI's package, but not its shared root and agent commands.
	if slices.Contains(deps, "github.com/sagesaver/sagesaver/internal/cli") {
		t.Error("the agent build links internal/cli (the full CLI)")
	}
	if !slices.Contains(deps, "github.com/sagesaver/sagesaver/internal/agent") {
		t.Errorf("the agent build does not link internal/agent: %v", deps)
	}
}
