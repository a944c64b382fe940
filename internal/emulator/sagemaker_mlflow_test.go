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

const mlflowScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      mlflowTrackingServers:
      - {name: team-tracking, size: Medium, age: 30d, tags: {team: ml}}
      - {name: old-tracking, status: Stopped, age: 60d, lastModified: 10d}
      - {name: big-tracking, size: Large, status: Started, mlflowVersion: "2.13.2", age: 2d}
`

func TestMlflowTrackingServerLifecycle(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	out, err := sm.CreateMlflowTrackingServer(ctx, &sagemaker.CreateMlflowTrackingServerInput{
		TrackingServerName: aws.String("exp"),
		ArtifactStoreUri:   aws.String("s3://bucket/mlflow"),
		RoleArn:            aws.String("arn:aws:iam::123456789012:role/R"),
		TrackingServerSize: smtypes.TrackingServerSizeM,
		Tags:               []smtypes.Tag{{Key: aws.String("owner"), Value: aws.String("ana")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TrackingServerArn)
	status := func() (smtypes.TrackingServerStatus, smtypes.IsTrackingServerActive) {
		t.Helper()
		d, err := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String("exp")})
		if err != nil {
			t.Fatal(err)
		}
		if d.TrackingServerSize != smtypes.TrackingServerSizeM || aws.ToString(d.TrackingServerArn) != arn {
			t.Fatalf("describe: size %s arn %s", d.TrackingServerSize, aws.ToString(d.TrackingServerArn))
		}
		return d.TrackingServerStatus, d.IsActive
	}
	if s, _ := status(); s != "Creating" {
		t.Fatalf("after create: %s, want Creating", s)
	}
	// Stopping a server that is still being created is a conflict.
	_, err = sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String("exp")})
	if c, _ := apiCode(t, err); c != "ConflictException" {
		t.Fatalf("stop while Creating: %s", c)
	}
	env.Emu.Advance(25 * time.Minute)
	if s, a := status(); s != "Created" || a != "Active" {
		t.Fatalf("after 25m: %s %s, want Created Active", s, a)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("tags: %v %v", tags, err)
	}

	if _, err := sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String("exp")}); err != nil {
		t.Fatal(err)
	}
	if s, _ := status(); s != "Stopping" {
		t.Fatalf("after stop: %s", s)
	}
	env.Emu.Advance(10 * time.Minute)
	if s, a := status(); s != "Stopped" || a != "Inactive" {
		t.Fatalf("after stop+10m: %s %s", s, a)
	}
	// Stopping a stopped server is a ConflictException, as on AWS.
	_, err = sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String("exp")})
	if c, _ := apiCode(t, err); c != "ConflictException" {
		t.Fatalf("stop a stopped server: %s", c)
	}
	if _, err := sm.StartMlflowTrackingServer(ctx, &sagemaker.StartMlflowTrackingServerInput{TrackingServerName: aws.String("exp")}); err != nil {
		t.Fatal(err)
	}
	if s, _ := status(); s != "Starting" {
		t.Fatalf("after start: %s", s)
	}
	_, err = sm.StartMlflowTrackingServer(ctx, &sagemaker.StartMlflowTrackingServerInput{TrackingServerName: aws.String("exp")})
	if c, _ := apiCode(t, err); c != "ConflictException" {
		t.Fatalf("start a starting server: %s", c)
	}
	env.Emu.Advance(15 * time.Minute)
	if s, _ := status(); s != "Started" {
		t.Fatalf("after start+15m: %s", s)
	}

	if _, err := sm.DeleteMlflowTrackingServer(ctx, &sagemaker.DeleteMlflowTrackingServerInput{TrackingServerName: aws.String("exp")}); err != nil {
		t.Fatal(err)
	}
	if s, _ := status(); s != "Deleting" {
		t.Fatalf("after delete: %s", s)
	}
	env.Emu.Advance(10 * time.Minute)
	_, err = sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String("exp")})
	var nf *smtypes.ResourceNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("describe a deleted server: %v, want ResourceNotFound", err)
	}
	_, err = sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err == nil {
		t.Fatal("a deleted server's tags are still listed")
	}
}

func TestMlflowTrackingServerErrors(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"stop": func() error {
			_, err := sm.StopMlflowTrackingServer(ctx, &sagemaker.StopMlflowTrackingServerInput{TrackingServerName: aws.String("nope")})
			return err
		},
		"start": func() error {
			_, err := sm.StartMlflowTrackingServer(ctx, &sagemaker.StartMlflowTrackingServerInput{TrackingServerName: aws.String("nope")})
			return err
		},
		"delete": func() error {
			_, err := sm.DeleteMlflowTrackingServer(ctx, &sagemaker.DeleteMlflowTrackingServerInput{TrackingServerName: aws.String("nope")})
			return err
		},
	} {
		var nf *smtypes.ResourceNotFound
		if err := call(); !errors.As(err, &nf) {
			t.Errorf("%s a missing server: %v, want ResourceNotFound", name, err)
		}
	}
	_, err := sm.CreateMlflowTrackingServer(ctx, &sagemaker.CreateMlflowTrackingServerInput{
		TrackingServerName: aws.String("x"), ArtifactStoreUri: aws.String("s3://b/m"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/R"), TrackingServerSize: "Huge",
	})
	if c, _ := apiCode(t, err); c != "ValidationException" {
		t.Fatalf("size Huge: %s", c)
	}
}

func TestMlflowTrackingServersScenarioAndListing(t *testing.T) {
	env := emulatortest.Start(t, mlflowScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	list := func(in *sagemaker.ListMlflowTrackingServersInput) []string {
		t.Helper()
		var got []string
		p := sagemaker.NewListMlflowTrackingServersPaginator(sm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range out.TrackingServerSummaries {
				got = append(got, aws.ToString(s.TrackingServerName)+"="+string(s.TrackingServerStatus)+"/"+string(s.IsActive))
			}
		}
		return got
	}
	// Default order: newest first; one per page.
	want := []string{"big-tracking=Started/Active", "team-tracking=Created/Active", "old-tracking=Stopped/Inactive"}
	if diff := cmp.Diff(want, list(&sagemaker.ListMlflowTrackingServersInput{MaxResults: aws.Int32(1)})); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"old-tracking=Stopped/Inactive"}, list(&sagemaker.ListMlflowTrackingServersInput{TrackingServerStatus: "Stopped"})); diff != "" {
		t.Errorf("status filter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"big-tracking=Started/Active"}, list(&sagemaker.ListMlflowTrackingServersInput{MlflowVersion: aws.String("2.13.2")})); diff != "" {
		t.Errorf("version filter (-want +got):\n%s", diff)
	}
	after := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if diff := cmp.Diff([]string{"old-tracking=Stopped/Inactive", "team-tracking=Created/Active"}, list(&sagemaker.ListMlflowTrackingServersInput{CreatedBefore: &after, SortBy: "CreationTime", SortOrder: "Ascending"})); diff != "" {
		t.Errorf("created-before filter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"big-tracking=Started/Active", "old-tracking=Stopped/Inactive", "team-tracking=Created/Active"}, list(&sagemaker.ListMlflowTrackingServersInput{SortBy: "Name", SortOrder: "Ascending"})); diff != "" {
		t.Errorf("by name (-want +got):\n%s", diff)
	}

	d, err := sm.DescribeMlflowTrackingServer(ctx, &sagemaker.DescribeMlflowTrackingServerInput{TrackingServerName: aws.String("old-tracking")})
	if err != nil {
		t.Fatal(err)
	}
	if d.TrackingServerSize != "Small" || !d.LastModifiedTime.Equal(time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)) || !d.CreationTime.Equal(time.Date(2026, 9, 26, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("old-tracking: size %s created %v modified %v", d.TrackingServerSize, d.CreationTime, d.LastModifiedTime)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team-tracking")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "ml" {
		t.Fatalf("team-tracking tags: %v %v", tags, err)
	}
}

// TestMlflowScenarioErrors: a bad tracking server in a scenario is one
// error naming the file, line and field.
func TestMlflowScenarioErrors(t *testing.T) {
	for _, tc := range []struct{ server, field string }{
		{"- name: a\n        size: Huge\n", "accounts[0].regions.us-east-1.mlflowTrackingServers[0].size"},
		{"- name: a\n        status: Deleted\n", "accounts[0].regions.us-east-1.mlflowTrackingServers[0].status"},
		{"- name: a\n        age: 3x\n", "accounts[0].regions.us-east-1.mlflowTrackingServers[0].age"},
	} {
		err := loadScenario(scenarioHead + "    us-east-1:\n      mlflowTrackingServers:\n      " + tc.server)
		var fe *config.FileError
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Line != 12 {
			t.Errorf("%q: %v, want s.yaml:12 naming %s", tc.server, err, tc.field)
		}
	}
}
