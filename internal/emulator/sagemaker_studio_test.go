package emulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const studioScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      domains:
      - {name: research, id: d-research0001, age: 90d, idleShutdown: {enabled: true, timeout: 2h, min: 60m, max: 8h}}
      - {name: legacy, id: d-legacy000001, age: 400d}
      userProfiles:
      - {domain: research, name: alice, age: 60d}
      - {domain: research, name: bob, age: 30d}
      - {domain: legacy, name: carol, age: 300d}
      spaces:
      - {domain: research, name: alice-lab, owner: alice, instanceType: ml.g4dn.xlarge, idleTimeout: 3h, age: 20d}
      - {domain: research, name: team-code, appType: CodeEditor, age: 10d}
      apps:
      - {domain: research, space: alice-lab, type: JupyterLab, instanceType: ml.g4dn.xlarge, age: 26h, tags: {owner: alice}}
      - {domain: research, space: team-code, type: CodeEditor, age: 3h}
      - {domain: legacy, user: carol, type: JupyterServer, age: 200d}
      - {domain: legacy, user: carol, type: KernelGateway, name: datascience-ml-t3-medium-1a2b, instanceType: ml.t3.medium, age: 50h}
      - {domain: legacy, user: carol, type: KernelGateway, name: old-gpu, instanceType: ml.g4dn.xlarge, status: Deleted, age: 10d, deletedAge: 9d}
`

func TestStudioDomainsProfilesAndSpaces(t *testing.T) {
	env := emulatortest.Start(t, studioScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	var ids []string
	p := sagemaker.NewListDomainsPaginator(sm, &sagemaker.ListDomainsInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.Domains {
			ids = append(ids, aws.ToString(d.DomainId)+"="+string(d.Status))
		}
	}
	if diff := cmp.Diff([]string{"d-research0001=InService", "d-legacy000001=InService"}, ids); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}

	d, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String("d-research0001")})
	if err != nil {
		t.Fatal(err)
	}
	is := d.DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings
	if is.LifecycleManagement != smtypes.LifecycleManagementEnabled || aws.ToInt32(is.IdleTimeoutInMinutes) != 120 ||
		aws.ToInt32(is.MinIdleTimeoutInMinutes) != 60 || aws.ToInt32(is.MaxIdleTimeoutInMinutes) != 480 {
		t.Errorf("research idle settings = %+v", is)
	}
	if ce := d.DefaultUserSettings.CodeEditorAppSettings.AppLifecycleManagement.IdleSettings; ce.LifecycleManagement != smtypes.LifecycleManagementEnabled {
		t.Errorf("code editor idle settings = %+v", ce)
	}
	legacy, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String("d-legacy000001")})
	if err != nil {
		t.Fatal(err)
	}
	if alm := legacy.DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement; alm != nil {
		t.Errorf("legacy domain has idle settings %+v", alm)
	}

	// Turn idle shutdown on for the legacy domain; out-of-range values are refused.
	upd := func(timeout int32) error {
		_, err := sm.UpdateDomain(ctx, &sagemaker.UpdateDomainInput{
			DomainId: aws.String("d-legacy000001"),
			DefaultUserSettings: &smtypes.UserSettings{JupyterLabAppSettings: &smtypes.JupyterLabAppSettings{
				AppLifecycleManagement: &smtypes.AppLifecycleManagement{IdleSettings: &smtypes.IdleSettings{
					LifecycleManagement: smtypes.LifecycleManagementEnabled, IdleTimeoutInMinutes: aws.Int32(timeout),
				}},
			}},
		})
		return err
	}
	if code, msg := apiCode(t, upd(30)); code != "ValidationException" || !strings.Contains(msg, "idleTimeoutInMinutes") {
		t.Errorf("timeout 30: %s: %s", code, msg)
	}
	if err := upd(90); err != nil {
		t.Fatal(err)
	}
	legacy, err = sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String("d-legacy000001")})
	if err != nil {
		t.Fatal(err)
	}
	if got := legacy.DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings; aws.ToInt32(got.IdleTimeoutInMinutes) != 90 {
		t.Errorf("after update: %+v", got)
	}
	if aws.ToString(legacy.DefaultUserSettings.ExecutionRole) == "" {
		t.Error("UpdateDomain dropped the execution role it was not given")
	}
	_, err = sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String("d-nope")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("missing domain: %v", err)
	}

	ups, err := sm.ListUserProfiles(ctx, &sagemaker.ListUserProfilesInput{DomainIdEquals: aws.String("d-research0001"), SortOrder: smtypes.SortOrderAscending})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range ups.UserProfiles {
		names = append(names, aws.ToString(u.UserProfileName))
	}
	if diff := cmp.Diff([]string{"alice", "bob"}, names); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	up, err := sm.DescribeUserProfile(ctx, &sagemaker.DescribeUserProfileInput{DomainId: aws.String("d-legacy000001"), UserProfileName: aws.String("carol")})
	if err != nil || up.Status != smtypes.UserProfileStatusInService || up.UserSettings == nil {
		t.Errorf("carol = %+v, %v", up, err)
	}

	sp, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String("d-research0001"), SpaceName: aws.String("alice-lab")})
	if err != nil {
		t.Fatal(err)
	}
	jl := sp.SpaceSettings.JupyterLabAppSettings
	if aws.ToString(sp.OwnershipSettings.OwnerUserProfileName) != "alice" || sp.SpaceSharingSettings.SharingType != smtypes.SharingTypePrivate ||
		jl.DefaultResourceSpec.InstanceType != smtypes.AppInstanceTypeMlG4dnXlarge || aws.ToInt32(jl.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes) != 180 {
		t.Errorf("alice-lab = %+v %+v", sp.OwnershipSettings, jl)
	}
	updSpace := func(space string, timeout int32) error {
		_, err := sm.UpdateSpace(ctx, &sagemaker.UpdateSpaceInput{
			DomainId: aws.String("d-research0001"), SpaceName: aws.String(space),
			SpaceSettings: &smtypes.SpaceSettings{JupyterLabAppSettings: &smtypes.SpaceJupyterLabAppSettings{
				AppLifecycleManagement: &smtypes.SpaceAppLifecycleManagement{IdleSettings: &smtypes.SpaceIdleSettings{IdleTimeoutInMinutes: aws.Int32(timeout)}},
			}},
		})
		return err
	}
	// The domain allows 60 to 480 minutes.
	if code, _ := apiCode(t, updSpace("alice-lab", 600)); code != "ValidationException" {
		t.Errorf("space timeout above the domain's max: %s", code)
	}
	if err := updSpace("alice-lab", 60); err != nil {
		t.Fatal(err)
	}
	sp, err = sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String("d-research0001"), SpaceName: aws.String("alice-lab")})
	if err != nil || aws.ToInt32(sp.SpaceSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes) != 60 {
		t.Errorf("after UpdateSpace: %+v, %v", sp.SpaceSettings.JupyterLabAppSettings, err)
	}
	ls, err := sm.ListSpaces(ctx, &sagemaker.ListSpacesInput{DomainIdEquals: aws.String("d-research0001"), SpaceNameContains: aws.String("code")})
	if err != nil || len(ls.Spaces) != 1 || ls.Spaces[0].SpaceSettingsSummary.AppType != smtypes.AppTypeCodeEditor || ls.Spaces[0].SpaceSharingSettingsSummary.SharingType != smtypes.SharingTypeShared {
		t.Errorf("spaces = %+v, %v", ls, err)
	}

	// CreateDomain: Pending, then InService.
	cd, err := sm.CreateDomain(ctx, &sagemaker.CreateDomainInput{
		DomainName: aws.String("new"), AuthMode: smtypes.AuthModeIam,
		DefaultUserSettings: &smtypes.UserSettings{ExecutionRole: aws.String("arn:aws:iam::123456789012:role/x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	status := func() smtypes.DomainStatus {
		d, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: cd.DomainId})
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	if got := status(); got != smtypes.DomainStatusPending {
		t.Errorf("new domain: %s", got)
	}
	env.Emu.Advance(5 * time.Minute)
	if got := status(); got != smtypes.DomainStatusInService {
		t.Errorf("new domain after 5 min: %s", got)
	}
}

func TestStudioAppsListDescribeAndDelete(t *testing.T) {
	env := emulatortest.Start(t, studioScenario)
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	now := env.Emu.Now()

	list := func(in *sagemaker.ListAppsInput) []string {
		t.Helper()
		var got []string
		p := sagemaker.NewListAppsPaginator(sm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.Apps {
				owner := aws.ToString(a.UserProfileName) + aws.ToString(a.SpaceName)
				got = append(got, owner+"/"+string(a.AppType)+"/"+aws.ToString(a.AppName)+"="+string(a.Status)+"@"+string(a.ResourceSpec.InstanceType))
			}
		}
		return got
	}
	// Ascending by creation time; Deleted apps are listed too.
	want := []string{
		"carol/JupyterServer/default=InService@system",
		"carol/KernelGateway/old-gpu=Deleted@ml.g4dn.xlarge",
		"carol/KernelGateway/datascience-ml-t3-medium-1a2b=InService@ml.t3.medium",
		"alice-lab/JupyterLab/default=InService@ml.g4dn.xlarge",
		"team-code/CodeEditor/default=InService@ml.t3.medium",
	}
	if diff := cmp.Diff(want, list(&sagemaker.ListAppsInput{MaxResults: aws.Int32(2)})); diff != "" {
		t.Errorf("apps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{want[3]}, list(&sagemaker.ListAppsInput{DomainIdEquals: aws.String("d-research0001"), SpaceNameEquals: aws.String("alice-lab")})); diff != "" {
		t.Errorf("space filter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{want[2], want[1], want[0]}, list(&sagemaker.ListAppsInput{UserProfileNameEquals: aws.String("carol"), SortOrder: smtypes.SortOrderDescending, SortBy: smtypes.AppSortKeyCreationTime})); diff != "" {
		t.Errorf("user filter, descending (-want +got):\n%s", diff)
	}
	_, err := sm.ListApps(ctx, &sagemaker.ListAppsInput{UserProfileNameEquals: aws.String("carol"), SpaceNameEquals: aws.String("x")})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("user and space filter: %s", code)
	}

	in := &sagemaker.DescribeAppInput{DomainId: aws.String("d-research0001"), SpaceName: aws.String("alice-lab"), AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default")}
	d, err := sm.DescribeApp(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != smtypes.AppStatusInService || d.ResourceSpec.InstanceType != smtypes.AppInstanceTypeMlG4dnXlarge || !strings.Contains(aws.ToString(d.ResourceSpec.SageMakerImageArn), ":image/sagemaker-distribution") {
		t.Errorf("app = %s %+v", d.Status, d.ResourceSpec)
	}
	if want := "arn:aws:sagemaker:us-east-1:123456789012:app/d-research0001/alice-lab/jupyterlab/default"; aws.ToString(d.AppArn) != want {
		t.Errorf("arn = %s, want %s", aws.ToString(d.AppArn), want)
	}
	// Health checks keep LastUserActivityTimestamp recent, used or not.
	if a := d.LastUserActivityTimestamp; a == nil || now.Sub(*a) > 5*time.Minute || !d.CreationTime.Equal(now.Add(-26*time.Hour)) {
		t.Errorf("last activity %v, created %v (now %v)", a, d.CreationTime, now)
	}
	env.Emu.Advance(3 * time.Hour)
	d, _ = sm.DescribeApp(ctx, in)
	if a := d.LastUserActivityTimestamp; a == nil || env.Emu.Now().Sub(*a) > 5*time.Minute {
		t.Errorf("3 h later, last activity %v", a)
	}

	if tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.AppArn}); err != nil || len(tags.Tags) != 1 {
		t.Errorf("app tags: %v, %v", tags, err)
	}
	if _, err := sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: in.DomainId, SpaceName: in.SpaceName, AppType: in.AppType, AppName: in.AppName}); err != nil {
		t.Fatal(err)
	}
	deletedAt := env.Emu.Now()
	d, _ = sm.DescribeApp(ctx, in)
	if d.Status != smtypes.AppStatusDeleting {
		t.Errorf("after delete: %s", d.Status)
	}
	_, err = sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: in.DomainId, SpaceName: in.SpaceName, AppType: in.AppType, AppName: in.AppName})
	if awsapi.Classify(err) != awsapi.InvalidState {
		t.Errorf("delete while deleting: %v", err)
	}
	// The SDK has no waiter for apps: Deleting lasts 2 minutes.
	env.Emu.Advance(time.Minute)
	if d, _ = sm.DescribeApp(ctx, in); d.Status != smtypes.AppStatusDeleting {
		t.Errorf("1 min after delete: %s", d.Status)
	}
	env.Emu.Advance(time.Minute)
	d, err = sm.DescribeApp(ctx, in)
	if err != nil || d.Status != smtypes.AppStatusDeleted || !d.LastUserActivityTimestamp.Equal(deletedAt.Truncate(5*time.Minute)) {
		t.Errorf("deleted app: %v %v last activity %v, %v", d.Status, err, d.LastUserActivityTimestamp, deletedAt)
	}
	_, err = sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: in.DomainId, SpaceName: in.SpaceName, AppType: in.AppType, AppName: in.AppName})
	if code, _ := apiCode(t, err); code != "ResourceNotFound" {
		t.Errorf("delete deleted app: %s", code)
	}
	// The deleted app's tags went with it.
	_, err = sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.AppArn})
	if !awsapi.IsNotFound(err) {
		t.Errorf("tags of a deleted app: %v, want not found", err)
	}
	if got := list(&sagemaker.ListAppsInput{SpaceNameEquals: aws.String("alice-lab")}); len(got) != 1 || !strings.Contains(got[0], "=Deleted@") {
		t.Errorf("deleted app still listed: %v", got)
	}

	// CreateApp: Pending, then InService; a second one with the same name is refused.
	cin := &sagemaker.CreateAppInput{
		DomainId: in.DomainId, SpaceName: in.SpaceName, AppType: in.AppType, AppName: in.AppName,
		ResourceSpec: &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceTypeMlG5Xlarge},
	}
	if _, err := sm.CreateApp(ctx, cin); err != nil {
		t.Fatal(err)
	}
	_, err = sm.CreateApp(ctx, cin)
	if code, _ := apiCode(t, err); code != "ResourceInUse" {
		t.Errorf("duplicate app: %s", code)
	}
	d, _ = sm.DescribeApp(ctx, in)
	if d.Status != smtypes.AppStatusPending || d.ResourceSpec.InstanceType != smtypes.AppInstanceTypeMlG5Xlarge {
		t.Errorf("new app: %s %s", d.Status, d.ResourceSpec.InstanceType)
	}
	env.Emu.Advance(3 * time.Minute)
	if d, _ = sm.DescribeApp(ctx, in); d.Status != smtypes.AppStatusInService {
		t.Errorf("new app after 3 min: %s", d.Status)
	}
	_, err = sm.CreateApp(ctx, &sagemaker.CreateAppInput{DomainId: in.DomainId, UserProfileName: aws.String("zed"), AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("app for a missing user: %v", err)
	}
	_, err = sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: in.DomainId, UserProfileName: aws.String("bob"), AppType: smtypes.AppTypeJupyterLab, AppName: aws.String("default")})
	if !awsapi.IsNotFound(err) {
		t.Errorf("missing app: %v", err)
	}
}

func TestStudioScenarioErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"userProfiles: [{domain: nope, name: a}]", "userProfiles[0].domain"},
		{"domains: [{name: d, idleShutdown: {enabled: true, timeout: 30m}}]", "domains[0].idleShutdown.timeout"},
		{"domains: [{name: d}]\n      apps: [{domain: d, user: x, type: JupyterLab}]", "apps[0].user"},
		{"domains: [{name: d}]\n      userProfiles: [{domain: d, name: u}]\n      apps: [{domain: d, user: u, type: RStudio}]", "apps[0].type"},
	} {
		sc, err := emulator.ParseScenario("t.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      "+tc.yaml+"\n"))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.yaml, err)
		}
		err = emulator.New(emulator.Options{}).Load(sc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.yaml, err, tc.want)
		}
	}
}

// The SDK client satisfies the narrow interfaces the product uses for jobs
// and Studio.
var (
	_ awsapi.JobReader    = (*sagemaker.Client)(nil)
	_ awsapi.JobWriter    = (*sagemaker.Client)(nil)
	_ awsapi.StudioReader = (*sagemaker.Client)(nil)
	_ awsapi.StudioWriter = (*sagemaker.Client)(nil)
)
