package emulator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// Inputs are checked against the service model's constraints (enums,
// patterns, lengths, ranges) for every operation, with AWS's message.
func TestInputValidationFromTheModel(t *testing.T) {
	env := emulatortest.Start(t, "")
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()

	_, err := sm.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("bad_name!"),
		InstanceType:         "m5.large",
		RoleArn:              aws.String("x"),
	})
	code, msg := apiCode(t, err)
	if code != "ValidationException" {
		t.Errorf("code %s, want ValidationException", code)
	}
	for _, want := range []string{
		"4 validation errors detected: ",
		"Value 'm5.large' at 'instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.t2.medium, ml.t2.large, ",
		"Value 'bad_name!' at 'notebookInstanceName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9])*",
		"Value 'x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		`Value 'x' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if _, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("bad_name!")}); err == nil {
		t.Errorf("a rejected create made a notebook")
	}

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"MaxResults 0", func() error {
			_, err := sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(0)})
			return err
		}, "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"MaxResults 101", func() error {
			_, err := sm.ListEndpoints(ctx, &sagemaker.ListEndpointsInput{MaxResults: aws.Int32(101)})
			return err
		}, "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"nested list member", func() error {
			_, err := sm.AddTags(ctx, &sagemaker.AddTagsInput{
				ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev"),
				Tags:        []smtypes.Tag{{Key: aws.String("ok"), Value: aws.String("v")}, {Key: aws.String(""), Value: aws.String("v")}},
			})
			return err
		}, "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"enum in a list filter", func() error {
			_, err := sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{StatusEquals: "Running"})
			return err
		}, "1 validation error detected: Value 'Running' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: [Pending, InService, Stopping, Stopped, Failed, Deleting, Updating]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := apiCode(t, tc.call())
			if code != "ValidationException" || msg != tc.want {
				t.Errorf("got %s: %s\nwant ValidationException: %s", code, msg, tc.want)
			}
		})
	}
}
