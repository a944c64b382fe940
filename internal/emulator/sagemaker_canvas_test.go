package emulator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const canvasScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      domains:
      - {name: analytics, id: d-analytics001, age: 90d}
      userProfiles:
      - {domain: analytics, name: dana, age: 60d}
      - {domain: analytics, name: eli, age: 60d}
      apps:
      - {domain: analytics, user: dana, type: Canvas, age: 30h, lastActive: 20h}
      - {domain: analytics, user: eli, type: Canvas, age: 3h, lastActive: 1h}
`

// timeSinceLastActive is the latest Maximum of a user's Canvas
// TimeSinceLastActive over the last hour, read as the AWS sample's alarm
// reads it (namespace /aws/sagemaker/Canvas/AppActivity, dimensions
// DomainId and UserProfileName); ok is false when there is no data.
func timeSinceLastActive(t *testing.T, cw *cloudwatch.Client, now time.Time, user string) (float64, bool) {
	t.Helper()
	out, err := cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("q1"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("/aws/sagemaker/Canvas/AppActivity"),
					MetricName: aws.String("TimeSinceLastActive"),
					Dimensions: []cwtypes.Dimension{
						{Name: aws.String("DomainId"), Value: aws.String("d-analytics001")},
						{Name: aws.String("UserProfileName"), Value: aws.String(user)},
					},
				},
				Period: aws.Int32(300), Stat: aws.String("Maximum"),
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.MetricDataResults[0]
	if len(r.Values) == 0 {
		return 0, false
	}
	return r.Values[0], true // newest first
}

func TestCanvasAppsAndTimeSinceLastActive(t *testing.T) {
	env := emulatortest.Start(t, canvasScenario)
	c := env.Clients("us-east-1")
	sm, cw := c.SageMaker, c.CloudWatch
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	apps, err := sm.ListApps(ctx, &sagemaker.ListAppsInput{DomainIdEquals: aws.String("d-analytics001")})
	if err != nil {
		t.Fatal(err)
	}
	if len(apps.Apps) != 2 || apps.Apps[0].AppType != smtypes.AppTypeCanvas || apps.Apps[0].Status != "InService" {
		t.Fatalf("apps: %+v", apps.Apps)
	}
	d, err := sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-analytics001"), UserProfileName: aws.String("dana"), AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "InService" || d.AppType != "Canvas" || d.ResourceSpec.InstanceType != "system" {
		t.Fatalf("dana's Canvas app: %s %s %+v", d.Status, d.AppType, d.ResourceSpec)
	}

	// dana was last active 20 hours ago: the newest 5-minute bucket
	// (11:55-12:00, its last datapoint at 11:59) reads about 20 hours.
	v, ok := timeSinceLastActive(t, cw, now, "dana")
	if want := (20*time.Hour - time.Minute).Seconds(); !ok || v != want {
		t.Fatalf("dana: %v %v, want %v seconds", v, ok, want)
	}
	// eli an hour ago: not idle past a 2-hour threshold.
	v, ok = timeSinceLastActive(t, cw, now, "eli")
	if want := (time.Hour - time.Minute).Seconds(); !ok || v != want {
		t.Fatalf("eli: %v %v, want %v seconds", v, ok, want)
	}
	// The metric grows with the virtual clock.
	env.Emu.Advance(time.Hour)
	now = now.Add(time.Hour)
	if v, _ := timeSinceLastActive(t, cw, now, "dana"); v != (21*time.Hour - time.Minute).Seconds() {
		t.Fatalf("dana an hour later: %v", v)
	}
	lm, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("/aws/sagemaker/Canvas/AppActivity")})
	if err != nil || len(lm.Metrics) != 2 {
		t.Fatalf("ListMetrics: %+v %v", lm, err)
	}

	// Deleting the app (what the AWS sample's Lambda does) ends the metric.
	if _, err := sm.DeleteApp(ctx, &sagemaker.DeleteAppInput{DomainId: aws.String("d-analytics001"), UserProfileName: aws.String("dana"), AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(2 * time.Hour)
	now = now.Add(2 * time.Hour)
	if v, ok := timeSinceLastActive(t, cw, now, "dana"); ok {
		t.Fatalf("a deleted Canvas app still publishes TimeSinceLastActive: %v", v)
	}
	d, err = sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-analytics001"), UserProfileName: aws.String("dana"), AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")})
	if err != nil || d.Status != "Deleted" {
		t.Fatalf("after delete: %v %v", d, err)
	}

	// A new session: CreateApp brings the app back, the user active at
	// its start.
	if _, err := sm.CreateApp(ctx, &sagemaker.CreateAppInput{DomainId: aws.String("d-analytics001"), UserProfileName: aws.String("dana"), AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	env.Emu.Advance(33 * time.Minute) // 3 minutes Pending, then 30 InService
	now = now.Add(33 * time.Minute)
	if v, ok := timeSinceLastActive(t, cw, now, "dana"); !ok || v != (29*time.Minute).Seconds() {
		t.Fatalf("a new Canvas session after 30 minutes: %v %v", v, ok)
	}
	// A Canvas app in a space is refused, as on AWS.
	_, err = sm.CreateApp(ctx, &sagemaker.CreateAppInput{DomainId: aws.String("d-analytics001"), SpaceName: aws.String("s"), AppType: smtypes.AppTypeCanvas, AppName: aws.String("default")})
	if c, _ := apiCode(t, err); c != "ValidationException" {
		t.Fatalf("Canvas app in a space: %s", c)
	}
}

func TestCanvasScenarioErrors(t *testing.T) {
	head := scenarioHead + "    us-east-1:\n      domains:\n      - {name: a}\n      userProfiles:\n      - {domain: a, name: u}\n      spaces:\n      - {domain: a, name: s}\n      apps:\n      "
	for _, tc := range []struct{ app, field string }{
		{"- {domain: a, user: u, type: JupyterServer, lastActive: 2h}\n", "accounts[0].regions.us-east-1.apps[0].lastActive"},
		{"- {domain: a, space: s, type: Canvas}\n", "accounts[0].regions.us-east-1.apps[0].space"},
		{"- {domain: a, user: u, type: Canvas, age: 2h, lastActive: 3h}\n", "accounts[0].regions.us-east-1.apps[0].lastActive"},
	} {
		err := loadScenario(head + tc.app)
		var fe *config.FileError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%q: %v, want an error naming %s", tc.app, err, tc.field)
		}
	}
}
