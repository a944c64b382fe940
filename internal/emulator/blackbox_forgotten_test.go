package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator"
)

// The forgotten costs (MLflow tracking servers, HyperPod clusters, Canvas
// sessions and Studio space storage) driven by the AWS CLI (botocore), a
// client that is not Go, as AWS would answer it.

const forgottenBlackboxScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      mlflowTrackingServers:
      - {name: research-experiments, size: Medium, status: Started, age: 45d}
      hyperPodClusters:
      - name: llm-finetune
        age: 6d
        instanceGroups:
        - {name: controller, instanceType: ml.m5.xlarge, count: 1}
        - {name: gpu-workers, instanceType: ml.g5.8xlarge, count: 2}
      domains:
      - {name: analytics, id: d-analytics001, age: 90d}
      userProfiles:
      - {domain: analytics, name: dan, age: 60d}
      spaces:
      - {domain: analytics, name: dan-lab, owner: dan, ebsVolumeSizeGB: 50, age: 30d}
      apps:
      - {domain: analytics, user: dan, type: Canvas, age: 27h, lastActive: 22h}
`

func TestBlackBoxForgottenCosts(t *testing.T) {
	bin := awsCLI(t)
	srv := httptest.NewServer(emulator.New(emulator.Options{}))
	t.Cleanup(srv.Close)
	url := srv.URL
	var ok map[string]any
	if st := admin(t, url, http.MethodPost, "scenario", forgottenBlackboxScenario, &ok); st != 200 || ok["ok"] != true {
		t.Fatalf("load scenario: %d %v", st, ok)
	}

	// MLflow: list, describe, stop on the virtual clock, stop again (a
	// ConflictException, as AWS answers).
	list := runAWS(t, bin, url, "sagemaker", "list-mlflow-tracking-servers")
	servers, _ := list["TrackingServerSummaries"].([]any)
	if len(servers) != 1 || servers[0].(map[string]any)["TrackingServerStatus"] != "Started" || servers[0].(map[string]any)["IsActive"] != "Active" {
		t.Fatalf("list-mlflow-tracking-servers: %v", list)
	}
	d := runAWS(t, bin, url, "sagemaker", "describe-mlflow-tracking-server", "--tracking-server-name", "research-experiments")
	if d["TrackingServerSize"] != "Medium" || d["TrackingServerStatus"] != "Started" {
		t.Fatalf("describe-mlflow-tracking-server: %v", d)
	}
	stop := runAWS(t, bin, url, "sagemaker", "stop-mlflow-tracking-server", "--tracking-server-name", "research-experiments")
	if !strings.HasSuffix(stop["TrackingServerArn"].(string), ":mlflow-tracking-server/research-experiments") {
		t.Fatalf("stop-mlflow-tracking-server: %v", stop)
	}
	admin(t, url, http.MethodPost, "clock/advance", `{"duration":"10m"}`, nil)
	d = runAWS(t, bin, url, "sagemaker", "describe-mlflow-tracking-server", "--tracking-server-name", "research-experiments")
	if d["TrackingServerStatus"] != "Stopped" || d["IsActive"] != "Inactive" {
		t.Fatalf("after stop + 10m: %v", d)
	}
	if msg := runAWSFail(t, bin, url, "sagemaker", "stop-mlflow-tracking-server", "--tracking-server-name", "research-experiments"); !strings.Contains(msg, "ConflictException") {
		t.Errorf("stop a stopped server: %s", msg)
	}
	if msg := runAWSFail(t, bin, url, "sagemaker", "describe-mlflow-tracking-server", "--tracking-server-name", "nope"); !strings.Contains(msg, "ResourceNotFound") {
		t.Errorf("describe a missing server: %s", msg)
	}

	// HyperPod: the cluster, its instance groups and nodes.
	clusters := runAWS(t, bin, url, "sagemaker", "list-clusters")
	cs, _ := clusters["ClusterSummaries"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["ClusterStatus"] != "InService" {
		t.Fatalf("list-clusters: %v", clusters)
	}
	dc := runAWS(t, bin, url, "sagemaker", "describe-cluster", "--cluster-name", "llm-finetune")
	groups, _ := dc["InstanceGroups"].([]any)
	if len(groups) != 2 {
		t.Fatalf("describe-cluster: %v", dc)
	}
	gw := groups[1].(map[string]any)
	if gw["InstanceGroupName"] != "gpu-workers" || gw["InstanceType"] != "ml.g5.8xlarge" || gw["CurrentCount"] != 2.0 {
		t.Errorf("gpu-workers: %v", gw)
	}
	nodes := runAWS(t, bin, url, "sagemaker", "list-cluster-nodes", "--cluster-name", "llm-finetune", "--instance-group-name-contains", "gpu")
	if ns, _ := nodes["ClusterNodeSummaries"].([]any); len(ns) != 2 {
		t.Errorf("list-cluster-nodes: %v", nodes)
	}
	if msg := runAWSFail(t, bin, url, "sagemaker", "describe-cluster", "--cluster-name", "nope"); !strings.Contains(msg, "ResourceNotFound") {
		t.Errorf("describe a missing cluster: %s", msg)
	}

	// Space storage.
	sp := runAWS(t, bin, url, "sagemaker", "describe-space", "--domain-id", "d-analytics001", "--space-name", "dan-lab")
	ebs := sp["SpaceSettings"].(map[string]any)["SpaceStorageSettings"].(map[string]any)["EbsStorageSettings"].(map[string]any)
	if ebs["EbsVolumeSizeInGb"] != 50.0 {
		t.Errorf("describe-space: %v", sp)
	}

	// Canvas: the app and its TimeSinceLastActive as the AWS sample reads
	// it (22 hours and the 10 minutes the clock moved, in seconds).
	app := runAWS(t, bin, url, "sagemaker", "describe-app", "--domain-id", "d-analytics001", "--user-profile-name", "dan", "--app-type", "Canvas", "--app-name", "default")
	if app["Status"] != "InService" {
		t.Fatalf("describe-app Canvas: %v", app)
	}
	stats := runAWS(t, bin, url, "cloudwatch", "get-metric-statistics",
		"--namespace", "/aws/sagemaker/Canvas/AppActivity", "--metric-name", "TimeSinceLastActive",
		"--dimensions", "Name=DomainId,Value=d-analytics001", "Name=UserProfileName,Value=dan",
		"--start-time", "2026-11-25T12:05:00Z", "--end-time", "2026-11-25T12:10:00Z",
		"--period", "300", "--statistics", "Maximum")
	dps, _ := stats["Datapoints"].([]any)
	if len(dps) != 1 || dps[0].(map[string]any)["Maximum"] != (22*3600+9*60)*1.0 || dps[0].(map[string]any)["Unit"] != "Seconds" {
		t.Errorf("TimeSinceLastActive: %v", stats)
	}
}
