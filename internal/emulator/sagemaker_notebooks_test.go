package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

func apiCode(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func TestNotebookLifecycleOnVirtualClock(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	out, err := sm.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("dev-alice"),
		InstanceType:         smtypes.InstanceTypeMlT3Medium,
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/x"),
		Tags:                 []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-alice"; aws.ToString(out.NotebookInstanceArn) != want {
		t.Errorf("arn = %s, want %s", aws.ToString(out.NotebookInstanceArn), want)
	}
	status := func() smtypes.NotebookInstanceStatus {
		d, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")})
		if err != nil {
			t.Fatal(err)
		}
		return d.NotebookInstanceStatus
	}
	if got := status(); got != smtypes.NotebookInstanceStatusPending {
		t.Fatalf("after create: %s, want Pending", got)
	}
	// Stop is only allowed from InService: AWS's own message.
	_, err = sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")})
	code, msg := apiCode(t, err)
	if code != "ValidationException" || !strings.Contains(msg, "Status (Pending) not in ([InService]). Unable to transition to (Stopping)") {
		t.Errorf("stop while pending: %s: %s", code, msg)
	}
	if awsapi.Classify(err) != awsapi.InvalidState {
		t.Errorf("classified as %v, want invalid state", awsapi.Classify(err))
	}
	env.Emu.Advance(5 * time.Minute)
	if got := status(); got != smtypes.NotebookInstanceStatusInService {
		t.Fatalf("after 5 min: %s, want InService", got)
	}
	if _, err := sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")}); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != smtypes.NotebookInstanceStatusStopping {
		t.Fatalf("after stop: %s, want Stopping", got)
	}
	// The SDK's own waiter rides the virtual clock forward.
	go func() {
		for i := 0; i < 50; i++ {
			time.Sleep(20 * time.Millisecond)
			env.Emu.Advance(30 * time.Second)
		}
	}()
	w := sagemaker.NewNotebookInstanceStoppedWaiter(sm, func(o *sagemaker.NotebookInstanceStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := w.Wait(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-alice")}, 10*time.Second); err != nil {
		t.Fatalf("waiter: %v", err)
	}
	_, err = sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("missing")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("start missing: %v, want not found", err)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: out.NotebookInstanceArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Errorf("tags = %+v", tags.Tags)
	}
}

func TestListNotebookInstancesFiltersSortsAndPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      notebooks:\n")
	for i := 0; i < 25; i++ {
		status := "InService"
		if i%5 == 0 {
			status = "Stopped"
		}
		prefix := "dev"
		if i%2 == 1 {
			prefix = "prod"
		}
		fmt.Fprintf(&b, "      - {name: %s-%02d, instanceType: ml.t3.medium, status: %s, age: %dh}\n", prefix, i, status, 100-i)
	}
	env := emulatortest.Start(t, b.String())
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	var names []string
	p := sagemaker.NewListNotebookInstancesPaginator(sm, &sagemaker.ListNotebookInstancesInput{
		NameContains: aws.String("dev-"),
		SortBy:       smtypes.NotebookInstanceSortKeyName,
		SortOrder:    smtypes.NotebookInstanceSortOrderAscending,
		MaxResults:   aws.Int32(4),
	})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, n := range out.NotebookInstances {
			names = append(names, aws.ToString(n.NotebookInstanceName))
		}
	}
	want := []string{"dev-00", "dev-02", "dev-04", "dev-06", "dev-08", "dev-10", "dev-12", "dev-14", "dev-16", "dev-18", "dev-20", "dev-22", "dev-24"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if pages != 4 {
		t.Errorf("pages = %d, want 4", pages)
	}
	out, err := sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{StatusEquals: smtypes.NotebookInstanceStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	var stopped []string
	for _, n := range out.NotebookInstances {
		stopped = append(stopped, aws.ToString(n.NotebookInstanceName))
	}
	// default order: CreationTime descending (newest first)
	if diff := cmp.Diff([]string{"dev-20", "prod-15", "dev-10", "prod-05", "dev-00"}, stopped); diff != "" {
		t.Errorf("stopped (-want +got):\n%s", diff)
	}
	_, err = sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(101)})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("MaxResults 101: %s", code)
	}
}

// TestSimulatedAgentKeepsItsHeartbeat: a notebook the scenario gives an
// agent (agentLastActivity) has an agent that goes on checking while the
// instance runs: its sagesaver:heartbeat moves on the agent's 10-minute
// grid as the virtual clock does, and stops moving once the instance is
// stopped. Without it, every run longer than the freshness window (the
// demo's apply waits on endpoint deletions) judged the agent dead.
func TestSimulatedAgentKeepsItsHeartbeat(t *testing.T) {
	env := emulatortest.Start(t, `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - {name: dev-bob, instanceType: ml.t3.medium, agentLastActivity: 5h}
          - {name: dev-live, instanceType: ml.t3.medium, tags: {"sagesaver:heartbeat": "2026-11-25T11:58:00Z"}}
          - {name: dev-dead, instanceType: ml.t3.medium, tags: {"sagesaver:heartbeat": "2026-11-25T10:00:00Z"}}
`)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	heartbeatOf := func(name string) time.Time {
		t.Helper()
		d, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.NotebookInstanceArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range tags.Tags {
			if aws.ToString(tg.Key) == "sagesaver:heartbeat" {
				hb, err := time.Parse(time.RFC3339, aws.ToString(tg.Value))
				if err != nil {
					t.Fatal(err)
				}
				return hb
			}
		}
		t.Fatal("no heartbeat tag")
		return time.Time{}
	}
	heartbeat := func() time.Time { t.Helper(); return heartbeatOf("dev-bob") }
	start := heartbeat()
	// A scenario heartbeat fresh at the start is a running agent too; an
	// older one is an agent that died, and stays as it was.
	live, dead := heartbeatOf("dev-live"), heartbeatOf("dev-dead")
	env.Emu.Advance(35 * time.Minute)
	if got, want := heartbeat(), start.Add(30*time.Minute); !got.Equal(want) {
		t.Errorf("heartbeat after 35 min: %s, want %s (the 10-minute grid)", got, want)
	}
	if got, want := heartbeatOf("dev-live"), live.Add(30*time.Minute); !got.Equal(want) {
		t.Errorf("scenario heartbeat fresh at the start, after 35 min: %s, want %s", got, want)
	}
	if got := heartbeatOf("dev-dead"); !got.Equal(dead) {
		t.Errorf("a dead agent's heartbeat moved from %s to %s", dead, got)
	}
	if _, err := sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")}); err != nil {
		t.Fatal(err)
	}
	stopped := heartbeat()
	env.Emu.Advance(2 * time.Hour)
	if got := heartbeat(); !got.Equal(stopped) {
		t.Errorf("heartbeat of a stopped instance moved from %s to %s", stopped, got)
	}
}
