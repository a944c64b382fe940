package emulator

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Canvas apps are Studio apps of type Canvas, owned by a user profile and
// named "default". While one runs, SageMaker publishes its idleness to
// CloudWatch as AWS documents it for the Canvas auto-shutdown sample
// (aws-samples/sagemaker-canvas-auto-shutdown-on-idle): the metric
// TimeSinceLastActive, in seconds, in the namespace
// /aws/sagemaker/Canvas/AppActivity with the dimensions DomainId and
// UserProfileName.
const (
	canvasNamespace   = "/aws/sagemaker/Canvas/AppActivity"
	canvasIdleMetric  = "TimeSinceLastActive"
	canvasMetricEvery = 60 // seconds between datapoints
)

// startCanvasActivity starts the TimeSinceLastActive history of a Canvas
// app from the time it comes InService; the user was last active at
// lastActive. The history ends when the app is deleted (stopCanvasActivity).
func startCanvasActivity(r *Region, a *app, lastActive time.Time) {
	if a.appType != "Canvas" {
		return
	}
	m := r.CloudWatch.metricFor(canvasNamespace, canvasIdleMetric, []cwtypes.Dimension{
		{Name: aws.String("DomainId"), Value: aws.String(a.domainID)},
		{Name: aws.String("UserProfileName"), Value: aws.String(a.user)},
	})
	m.unit = cwtypes.StandardUnitSeconds
	g := &generator{from: a.readyAt.Unix(), to: openEnd, every: canvasMetricEvery, elapsed: true, since: lastActive.Unix()}
	if !a.stoppedAt.IsZero() {
		g.to = a.stoppedAt.Unix()
	}
	m.gens = append(m.gens, g)
	a.activity = g
}

// stopCanvasActivity ends a Canvas app's TimeSinceLastActive history: a
// deleted app publishes nothing.
func stopCanvasActivity(a *app, at time.Time) {
	if a.activity != nil && a.activity.to == openEnd {
		a.activity.to = at.Unix()
	}
}
