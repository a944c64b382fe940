package emulator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const hyperPodScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      hyperPodClusters:
      - name: llm-pretrain
        age: 12d
        tags: {team: research}
        instanceGroups:
        - {name: controller, instanceType: ml.m5.xlarge, count: 1}
        - {name: gpu-workers, instanceType: ml.p5.48xlarge, count: 2}
      - name: small-gpu
        age: 3d
        instanceGroups:
        - {name: workers, instanceType: ml.g5.xlarge, count: 2}
`

func TestHyperPodClusterLifecycle(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	out, err := sm.CreateCluster(ctx, &sagemaker.CreateClusterInput{
		ClusterName: aws.String("train"),
		InstanceGroups: []smtypes.ClusterInstanceGroupSpecification{{
			InstanceGroupName: aws.String("workers"),
			InstanceType:      smtypes.ClusterInstanceTypeMlG5Xlarge,
			InstanceCount:     aws.Int32(3),
			ExecutionRole:     aws.String("arn:aws:iam::123456789012:role/HyperPod"),
			LifeCycleConfig:   &smtypes.ClusterLifeCycleConfig{SourceS3Uri: aws.String("s3://b/lc/"), OnCreate: aws.String("on_create.sh")},
		}},
		Tags: []smtypes.Tag{{Key: aws.String("owner"), Value: aws.String("ana")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ClusterArn)
	describe := func(name string) *sagemaker.DescribeClusterOutput {
		t.Helper()
		d, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := describe("train")
	if d.ClusterStatus != "Creating" || len(d.InstanceGroups) != 1 || aws.ToInt32(d.InstanceGroups[0].CurrentCount) != 0 || aws.ToInt32(d.InstanceGroups[0].TargetCount) != 3 {
		t.Fatalf("after create: %s %+v", d.ClusterStatus, d.InstanceGroups)
	}
	env.Emu.Advance(20 * time.Minute)
	d = describe(arn) // by ARN, as AWS accepts
	g := d.InstanceGroups[0]
	if d.ClusterStatus != "InService" || aws.ToInt32(g.CurrentCount) != 3 || g.InstanceType != "ml.g5.xlarge" || aws.ToString(g.InstanceGroupName) != "workers" {
		t.Fatalf("after 20m: %s %+v", d.ClusterStatus, g)
	}
	nodes, err := sm.ListClusterNodes(ctx, &sagemaker.ListClusterNodesInput{ClusterName: aws.String("train")})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.ClusterNodeSummaries) != 3 {
		t.Fatalf("nodes: %d, want 3", len(nodes.ClusterNodeSummaries))
	}
	for _, n := range nodes.ClusterNodeSummaries {
		if n.InstanceStatus.Status != "Running" || n.InstanceType != "ml.g5.xlarge" {
			t.Errorf("node %s: %s %s", aws.ToString(n.InstanceId), n.InstanceStatus.Status, n.InstanceType)
		}
	}

	if _, err := sm.DeleteCluster(ctx, &sagemaker.DeleteClusterInput{ClusterName: aws.String("train")}); err != nil {
		t.Fatal(err)
	}
	if d := describe("train"); d.ClusterStatus != "Deleting" {
		t.Fatalf("after delete: %s", d.ClusterStatus)
	}
	_, err = sm.DeleteCluster(ctx, &sagemaker.DeleteClusterInput{ClusterName: aws.String("train")})
	if c, _ := apiCode(t, err); c != "ConflictException" {
		t.Fatalf("delete a deleting cluster: %s", c)
	}
	env.Emu.Advance(15 * time.Minute)
	var nf *smtypes.ResourceNotFound
	if _, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String("train")}); !errors.As(err, &nf) {
		t.Fatalf("describe a deleted cluster: %v, want ResourceNotFound", err)
	}
	if _, err := sm.ListClusterNodes(ctx, &sagemaker.ListClusterNodesInput{ClusterName: aws.String("train")}); !errors.As(err, &nf) {
		t.Fatalf("nodes of a deleted cluster: %v, want ResourceNotFound", err)
	}
	if _, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)}); err == nil {
		t.Fatal("a deleted cluster's tags are still listed")
	}
}

func TestHyperPodCreateErrors(t *testing.T) {
	env := emulatortest.Start(t, hyperPodScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	group := smtypes.ClusterInstanceGroupSpecification{
		InstanceGroupName: aws.String("workers"), InstanceType: smtypes.ClusterInstanceTypeMlG5Xlarge,
		InstanceCount: aws.Int32(1), ExecutionRole: aws.String("arn:aws:iam::123456789012:role/HyperPod"),
	}
	_, err := sm.CreateCluster(ctx, &sagemaker.CreateClusterInput{ClusterName: aws.String("small-gpu"), InstanceGroups: []smtypes.ClusterInstanceGroupSpecification{group}})
	var inUse *smtypes.ResourceInUse
	if !errors.As(err, &inUse) {
		t.Errorf("duplicate cluster: %v, want ResourceInUse", err)
	}
	_, err = sm.CreateCluster(ctx, &sagemaker.CreateClusterInput{ClusterName: aws.String("x"), InstanceGroups: []smtypes.ClusterInstanceGroupSpecification{group, group}})
	if c, _ := apiCode(t, err); c != "ValidationException" {
		t.Errorf("two groups of one name: %s", c)
	}
	var nf *smtypes.ResourceNotFound
	if _, err := sm.DeleteCluster(ctx, &sagemaker.DeleteClusterInput{ClusterName: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("delete a missing cluster: %v, want ResourceNotFound", err)
	}
}

func TestHyperPodScenarioAndListing(t *testing.T) {
	env := emulatortest.Start(t, hyperPodScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	var names []string
	p := sagemaker.NewListClustersPaginator(sm, &sagemaker.ListClustersInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.ClusterSummaries {
			names = append(names, aws.ToString(c.ClusterName)+"="+string(c.ClusterStatus))
		}
	}
	// Default order: CREATION_TIME, Ascending (oldest first).
	if diff := cmp.Diff([]string{"llm-pretrain=InService", "small-gpu=InService"}, names); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	out, err := sm.ListClusters(ctx, &sagemaker.ListClustersInput{NameContains: aws.String("gpu"), SortBy: "NAME", SortOrder: "Descending"})
	if err != nil || len(out.ClusterSummaries) != 1 || aws.ToString(out.ClusterSummaries[0].ClusterName) != "small-gpu" {
		t.Fatalf("NameContains gpu: %+v %v", out, err)
	}

	d, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String("llm-pretrain")})
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range d.InstanceGroups {
		groups = append(groups, aws.ToString(g.InstanceGroupName)+" "+string(g.InstanceType)+" x"+string(rune('0'+aws.ToInt32(g.CurrentCount))))
	}
	if diff := cmp.Diff([]string{"controller ml.m5.xlarge x1", "gpu-workers ml.p5.48xlarge x2"}, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if !d.CreationTime.Equal(time.Date(2026, 11, 13, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("created %v", d.CreationTime)
	}

	var nodes []string
	np := sagemaker.NewListClusterNodesPaginator(sm, &sagemaker.ListClusterNodesInput{ClusterName: aws.String("llm-pretrain"), MaxResults: aws.Int32(2)})
	for np.HasMorePages() {
		out, err := np.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.ClusterNodeSummaries {
			nodes = append(nodes, aws.ToString(n.InstanceGroupName))
		}
	}
	if diff := cmp.Diff([]string{"controller", "gpu-workers", "gpu-workers"}, nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	f, err := sm.ListClusterNodes(ctx, &sagemaker.ListClusterNodesInput{ClusterName: aws.String("llm-pretrain"), InstanceGroupNameContains: aws.String("gpu")})
	if err != nil || len(f.ClusterNodeSummaries) != 2 {
		t.Fatalf("InstanceGroupNameContains gpu: %+v %v", f, err)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.ClusterArn})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("tags: %+v %v", tags, err)
	}
}

// TestHyperPodScenarioErrors: a bad cluster in a scenario is one error
// naming the file, line and field.
func TestHyperPodScenarioErrors(t *testing.T) {
	for _, tc := range []struct{ cluster, field string }{
		{"- name: a\n        status: Stopped\n", "accounts[0].regions.us-east-1.hyperPodClusters[0].status"},
		{"- name: a\n        instanceGroups:\n        - {name: w, count: 2}\n", "accounts[0].regions.us-east-1.hyperPodClusters[0].instanceGroups[0].instanceType"},
		{"- name: a\n        age: 3x\n", "accounts[0].regions.us-east-1.hyperPodClusters[0].age"},
	} {
		err := loadScenario(scenarioHead + "    us-east-1:\n      hyperPodClusters:\n      " + tc.cluster)
		var fe *config.FileError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%q: %v, want an error naming %s", tc.cluster, err, tc.field)
		}
	}
}
