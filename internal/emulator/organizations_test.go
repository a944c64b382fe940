package emulator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

const orgScenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - {id: "111111111111", name: management, accessKeys: [AKIAMGMT]}
  - {id: "222222222222", name: ml-prod, accessKeys: [AKIAPROD]}
  - {id: "333333333333", name: ml-old, organizationState: SUSPENDED}
  - {id: "444444444444"}
`

func TestOrganizationsListAccounts(t *testing.T) {
	env := emulatortest.Start(t, orgScenario)
	ctx := context.Background()
	org := organizations.NewFromConfig(emulatortest.Config(t, env.URL, "AKIAMGMT"))

	// Two accounts a page, through the SDK's paginator.
	type acct struct{ ID, Name, State, Status string }
	var got []acct
	pages := 0
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.Accounts {
			got = append(got, acct{aws.ToString(a.Id), aws.ToString(a.Name), string(a.State), string(a.Status)})
			if a.Arn == nil || a.JoinedTimestamp == nil {
				t.Errorf("account %s without ARN or join time", aws.ToString(a.Id))
			}
		}
	}
	want := []acct{
		{"111111111111", "management", "ACTIVE", "ACTIVE"},
		{"222222222222", "ml-prod", "ACTIVE", "ACTIVE"},
		{"333333333333", "ml-old", "SUSPENDED", "SUSPENDED"},
		{"444444444444", "444444444444", "ACTIVE", "ACTIVE"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if pages != 2 {
		t.Errorf("%d pages, want 2", pages)
	}

	// A member account may not list the organization.
	member := organizations.NewFromConfig(emulatortest.Config(t, env.URL, "AKIAPROD"))
	if _, err := member.ListAccounts(ctx, &organizations.ListAccountsInput{}); !awsapi.IsAccessDenied(err) {
		t.Errorf("member ListAccounts: %v, want AccessDeniedException", err)
	}
	// MaxResults above 20 is a validation error.
	if _, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)}); err == nil {
		t.Error("MaxResults 21 accepted")
	}
}
