package resource_test

import (
	"slices"
	"testing"

	"github.com/sagesaver/sagesaver/internal/resource"
)

func TestIDRoundTrip(t *testing.T) {
	tests := []struct {
		id   resource.ID
		want string
	}{
		{resource.ID{Account: "123456789012", Region: "us-east-1", Kind: resource.NotebookInstance, Name: "Dev-Bob"},
			"123456789012/us-east-1/notebook-instance/Dev-Bob"},
		{resource.ID{Account: "123456789012", Region: "eu-west-1", Kind: resource.Endpoint, Name: "ep", Variant: "AllTraffic"},
			"123456789012/eu-west-1/endpoint/ep/AllTraffic"},
		{resource.ID{Account: "123456789012", Region: "eu-west-1", Kind: resource.StudioApp, Name: "alice-lab/JupyterLab/default"},
			"123456789012/eu-west-1/studio-app/alice-lab/JupyterLab/default"},
		{resource.ID{Account: "123456789012", Region: "us-east-1", Kind: resource.HyperPodCluster, Name: "llm-finetune", Variant: "gpu-workers"},
			"123456789012/us-east-1/hyperpod-cluster/llm-finetune/gpu-workers"},
		{resource.ID{Account: "123456789012", Region: "us-east-1", Kind: resource.CanvasApp, Name: "dan/Canvas/default"},
			"123456789012/us-east-1/canvas-app/dan/Canvas/default"},
		{resource.TargetID("123456789012", "eu-west-1"), "123456789012/eu-west-1/target/all"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		back, err := resource.ParseID(tt.want)
		if err != nil || back != tt.id {
			t.Errorf("ParseID(%q) = %+v, %v; want %+v", tt.want, back, err, tt.id)
		}
	}
}

func TestParseIDRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-bob", // an ARN is not an ID
		"123456789012/us-east-1/notebook-instance",
		"123456789012/us-east-1/notebook-instance/",
		"123456789012/us-east-1/bucket/x",
		"123456789012/us-east-1/endpoint/ep/",
		"123456789012/us-east-1/endpoint/ep/A/B",
		"123456789012/us-east-1/hyperpod-cluster/c/",
		"123456789012/us-east-1/hyperpod-cluster/c/g/h",
		"/us-east-1/notebook-instance/x",
		"123456789012/us-east-1/target/other",
		"123456789012/us-east-1/target/all/x",
	} {
		if id, err := resource.ParseID(s); err == nil {
			t.Errorf("ParseID(%q) = %+v, want an error", s, id)
		}
	}
}

// An endpoint's variants are lines of a scan but one resource to act on.
func TestEndpointVariantsShareTheirEndpointsID(t *testing.T) {
	a := resource.Resource{Account: "1", Region: "r", Kind: resource.Endpoint, Name: "ep", Variant: "A"}
	b := a
	b.Variant = "B"
	if a.ID() != b.ID() || a.ID().Variant != "" {
		t.Errorf("IDs %v and %v, want one endpoint ID", a.ID(), b.ID())
	}
	if a.LineID() == b.LineID() || a.LineID().Whole() != a.ID() {
		t.Errorf("line IDs %v and %v, want one per variant", a.LineID(), b.LineID())
	}
}

// A HyperPod cluster lists one scan line per instance group, and is one
// resource to act on, as an endpoint is.
func TestHyperPodGroupsShareTheirClustersID(t *testing.T) {
	a := resource.Resource{Account: "1", Region: "r", Kind: resource.HyperPodCluster, Name: "c", Variant: "controller"}
	b := a
	b.Variant = "gpu-workers"
	if a.ID() != b.ID() || a.ID().Variant != "" {
		t.Errorf("IDs %v and %v, want one cluster ID", a.ID(), b.ID())
	}
	if a.LineID() == b.LineID() || a.LineID().Whole() != a.ID() || a.LineID().Variant != "controller" {
		t.Errorf("line IDs %v and %v, want one per instance group", a.LineID(), b.LineID())
	}
}

// A target is an ID (a tick leases it in the store) but not a kind of
// resource: scans and policies, which range over Kinds, never see it.
func TestTargetIsAnIDNotAKind(t *testing.T) {
	id := resource.TargetID("111111111111", "us-east-1")
	if id.Kind != resource.Target || id.Account != "111111111111" || id.Region != "us-east-1" {
		t.Errorf("TargetID = %+v", id)
	}
	if id == resource.TargetID("111111111111", "us-east-2") || id == resource.TargetID("222222222222", "us-east-1") {
		t.Error("two targets share an ID")
	}
	if slices.Contains(resource.Kinds, resource.Target) {
		t.Error("Kinds holds Target")
	}
}
