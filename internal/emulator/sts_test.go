package emulator_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const stsScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
- {id: "111111111111", name: management, accessKeys: [AKIAMGMT]}
- {id: "222222222222", name: ml-prod, roles: [OrganizationAccountAccessRole]}
`

// After AssumeRole, the temporary credentials are the role session, as on
// AWS: GetCallerIdentity names the assumed role and the session, and the
// user id is the role's AROA id and the session name.
func TestSTSAssumedRoleIdentity(t *testing.T) {
	env := emulatortest.Start(t, stsScenario)
	ctx := context.Background()
	base := emulatortest.Config(t, env.URL, "AKIAMGMT")
	client := sts.NewFromConfig(base)

	me, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(me.Arn), "arn:aws:iam::111111111111:user/sagesaver"; got != want {
		t.Errorf("long-term key: Arn %q, want %q", got, want)
	}

	roleARN := "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sagesaver")})
	if err != nil {
		t.Fatal(err)
	}
	assumed := base.Copy()
	assumed.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "audit-run"
	}))
	id, err := sts.NewFromConfig(assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Account), "222222222222"; got != want {
		t.Errorf("Account %q, want %q", got, want)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/audit-run"; got != want {
		t.Errorf("Arn %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}:audit-run$`).MatchString(aws.ToString(id.UserId)) {
		t.Errorf("UserId %q, want AROA<17 characters>:audit-run", aws.ToString(id.UserId))
	}
	// The same role has the same id in every session, and AssumeRole's
	// AssumedRoleId agrees with GetCallerIdentity.
	role, _, _ := cutColon(aws.ToString(id.UserId))
	first, _, _ := cutColon(aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	if role != first {
		t.Errorf("role id %q in GetCallerIdentity, %q in AssumeRole", role, first)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/sagesaver"; got != want {
		t.Errorf("AssumedRoleUser.Arn %q, want %q", got, want)
	}
}

func cutColon(s string) (before, after string, found bool) {
	for i := range s {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// AssumeRole checks its input against STS's model, with AWS's messages.
func TestSTSAssumeRoleValidation(t *testing.T) {
	env := emulatortest.Start(t, stsScenario)
	client := sts.NewFromConfig(emulatortest.Config(t, env.URL, "AKIAMGMT"))
	role := "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
	for _, tc := range []struct {
		name string
		in   sts.AssumeRoleInput
		want string
	}{
		{"duration too short", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(100)},
			"1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration too long", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43201)},
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"session name pattern", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("bad name!")},
			`1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"role arn too short", sts.AssumeRoleInput{RoleArn: aws.String("x"), RoleSessionName: aws.String("s")},
			"2 validation errors detected: Value 'x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.AssumeRole(context.Background(), &tc.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("AssumeRole: %v, want a ValidationError", err)
			}
			if ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != tc.want {
				t.Errorf("got %s: %s\nwant ValidationError: %s", ae.ErrorCode(), ae.ErrorMessage(), tc.want)
			}
		})
	}
}
