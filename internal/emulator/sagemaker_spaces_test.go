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

const spaceStorageScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      domains:
      - {name: research, id: d-research0001, age: 90d}
      userProfiles:
      - {domain: research, name: alice, age: 60d}
      spaces:
      - {domain: research, name: big-data, owner: alice, ebsVolumeSizeGB: 80, age: 20d}
      - {domain: research, name: team, age: 10d}
      apps:
      - {domain: research, space: big-data, type: JupyterLab, age: 2h}
`

func ebsOf(s *smtypes.SpaceStorageSettings) int32 {
	if s == nil || s.EbsStorageSettings == nil {
		return -1
	}
	return aws.ToInt32(s.EbsStorageSettings.EbsVolumeSizeInGb)
}

func TestSpaceStorage(t *testing.T) {
	env := emulatortest.Start(t, spaceStorageScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	dom := aws.String("d-research0001")

	sizes := func() map[string]int32 {
		t.Helper()
		out, err := sm.ListSpaces(ctx, &sagemaker.ListSpacesInput{DomainIdEquals: dom})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int32{}
		for _, sp := range out.Spaces {
			got[aws.ToString(sp.SpaceName)+"/"+string(sp.Status)] = ebsOf(sp.SpaceSettingsSummary.SpaceStorageSettings)
		}
		return got
	}
	if diff := cmp.Diff(map[string]int32{"big-data/InService": 80, "team/InService": 5}, sizes()); diff != "" {
		t.Errorf("ListSpaces volumes (-want +got):\n%s", diff)
	}
	d, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: dom, SpaceName: aws.String("big-data")})
	if err != nil || ebsOf(d.SpaceSettings.SpaceStorageSettings) != 80 {
		t.Fatalf("DescribeSpace big-data: %v %v", d, err)
	}

	// CreateSpace with a volume; Pending, then InService.
	if _, err := sm.CreateSpace(ctx, &sagemaker.CreateSpaceInput{
		DomainId: dom, SpaceName: aws.String("scratch"),
		SpaceSettings: &smtypes.SpaceSettings{AppType: smtypes.AppTypeCodeEditor, SpaceStorageSettings: &smtypes.SpaceStorageSettings{EbsStorageSettings: &smtypes.EbsStorageSettings{EbsVolumeSizeInGb: aws.Int32(40)}}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := sizes()["scratch/Pending"]; got != 40 {
		t.Fatalf("scratch after create: %v", sizes())
	}
	env.Emu.Advance(2 * time.Minute)
	if got := sizes()["scratch/InService"]; got != 40 {
		t.Fatalf("scratch after 2m: %v", sizes())
	}
	_, err = sm.CreateSpace(ctx, &sagemaker.CreateSpaceInput{DomainId: dom, SpaceName: aws.String("scratch")})
	var inUse *smtypes.ResourceInUse
	if !errors.As(err, &inUse) {
		t.Errorf("duplicate space: %v, want ResourceInUse", err)
	}
	_, err = sm.CreateSpace(ctx, &sagemaker.CreateSpaceInput{DomainId: dom, SpaceName: aws.String("huge"),
		SpaceSettings: &smtypes.SpaceSettings{SpaceStorageSettings: &smtypes.SpaceStorageSettings{EbsStorageSettings: &smtypes.EbsStorageSettings{EbsVolumeSizeInGb: aws.Int32(500)}}}})
	if c, _ := apiCode(t, err); c != "ValidationException" {
		t.Errorf("500 GB over the domain's 100 GB maximum: %s", c)
	}

	// UpdateSpace grows a volume, never shrinks it.
	grow := func(gb int32) error {
		_, err := sm.UpdateSpace(ctx, &sagemaker.UpdateSpaceInput{DomainId: dom, SpaceName: aws.String("team"),
			SpaceSettings: &smtypes.SpaceSettings{SpaceStorageSettings: &smtypes.SpaceStorageSettings{EbsStorageSettings: &smtypes.EbsStorageSettings{EbsVolumeSizeInGb: aws.Int32(gb)}}}})
		return err
	}
	if err := grow(20); err != nil {
		t.Fatal(err)
	}
	if c, _ := apiCode(t, grow(10)); c != "ValidationException" {
		t.Errorf("shrinking a volume: %s", c)
	}
	if got := sizes()["team/InService"]; got != 20 {
		t.Errorf("team after growing: %v", sizes())
	}

	// A space with a running app cannot be deleted; once its app is gone
	// it can, and its volume goes with it.
	_, err = sm.DeleteSpace(ctx, &sagemaker.DeleteSpaceInput{DomainId: dom, SpaceName: aws.String("big-data")})
	if !errors.As(err, &inUse) {
		t.Fatalf("delete a space with a running app: %v, want ResourceInUse", err)
	}
	if _, err := sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: dom, SpaceName: aws.String("big-data"), AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(3 * time.Minute)
	if _, err := sm.DeleteSpace(ctx, &sagemaker.DeleteSpaceInput{DomainId: dom, SpaceName: aws.String("big-data")}); err != nil {
		t.Fatal(err)
	}
	if got := sizes()["big-data/Deleting"]; got != 80 {
		t.Fatalf("big-data while deleting: %v", sizes())
	}
	env.Emu.Advance(3 * time.Minute)
	if diff := cmp.Diff(map[string]int32{"scratch/InService": 40, "team/InService": 20}, sizes()); diff != "" {
		t.Errorf("after deleting big-data (-want +got):\n%s", diff)
	}
	var nf *smtypes.ResourceNotFound
	if _, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: dom, SpaceName: aws.String("big-data")}); !errors.As(err, &nf) {
		t.Errorf("describe a deleted space: %v, want ResourceNotFound", err)
	}
}

func TestSpaceStorageScenarioErrors(t *testing.T) {
	err := loadScenario(scenarioHead + "    us-east-1:\n      domains:\n      - {name: a}\n      spaces:\n      - {domain: a, name: s, ebsVolumeSizeGB: 1000}\n")
	var fe *config.FileError
	if !errors.As(err, &fe) || fe.Field != "accounts[0].regions.us-east-1.spaces[0].ebsVolumeSizeGB" {
		t.Errorf("1000 GB: %v, want an error naming ebsVolumeSizeGB", err)
	}
}
