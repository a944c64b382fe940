package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// The emulator's AWS Organization holds every scenario account; the first
// account of the scenario is its management account, the only one allowed
// to list the others (as in AWS, where a member account is refused unless
// it is a delegated administrator).

// orgJoined is when every emulated account joined the organization; a fixed
// date keeps outputs deterministic.
var orgJoined = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

func organizationsService() *service {
	return &service{
		name:        "organizations",
		signingName: "organizations",
		jsonTarget:  "AWSOrganizationsV20161128",
		global:      true,
		ops: map[string]handler{
			"ListAccounts": op(listOrgAccounts),
		},
	}
}

// orgID is the organization id derived from the management account.
func orgID(mgmt string) string { return "o-" + strings.ToLower(fmt.Sprintf("%x", mgmt))[:10] }

func listOrgAccounts(c *Call, in *organizations.ListAccountsInput) (*organizations.ListAccountsOutput, error) {
	mgmt := c.s.order[0]
	if c.Account.ID != mgmt {
		return nil, &wire.Error{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource.", Status: 400}
	}
	org := orgID(mgmt)
	accounts := make([]orgtypes.Account, 0, len(c.s.order))
	for _, id := range c.s.order {
		a := c.s.accounts[id]
		state := orgtypes.AccountState(a.OrgState)
		if state == "" {
			state = orgtypes.AccountStateActive
		}
		name := a.Name
		if name == "" {
			name = id
		}
		acct := orgtypes.Account{
			Id:              aws.String(id),
			Arn:             aws.String(fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", mgmt, org, id)),
			Email:           aws.String(fmt.Sprintf("aws+%s@example.com", id)),
			Name:            aws.String(name),
			State:           state,
			JoinedMethod:    orgtypes.AccountJoinedMethodCreated,
			JoinedTimestamp: aws.Time(orgJoined),
		}
		switch state {
		case orgtypes.AccountStateActive, orgtypes.AccountStateSuspended, orgtypes.AccountStatePendingClosure:
			acct.Status = orgtypes.AccountStatus(state) // the deprecated field, same values
		}
		if id == mgmt {
			acct.JoinedMethod = orgtypes.AccountJoinedMethodInvited
		}
		accounts = append(accounts, acct)
	}
	page, next, err := paginate(accounts, in.NextToken, in.MaxResults, 20)
	if err != nil {
		return nil, err
	}
	return &organizations.ListAccountsOutput{Accounts: page, NextToken: next}, nil
}
