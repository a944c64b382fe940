package cli

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// DefaultRoleName is the role assumed in each account of an Organization:
// the one AWS Organizations creates in accounts it creates.
const DefaultRoleName = "OrganizationAccountAccessRole"

// roleSessionName names sagesaver's sessions in CloudTrail.
const roleSessionName = "sagesaver"

// targetFlags choose the accounts and regions a command works on. Every
// multi-account command registers them the same way.
type targetFlags struct {
	accountsFile string
	organization bool
	roleName     string
	// accounts are the accounts of a run file (sagesaver run), already
	// checked: used as an --accounts file's would be.
	accounts []AccountEntry
	// sessionName names the role sessions (CloudTrail's who); nil:
	// roleSessionName. A worker names the account and region.
	sessionName func(account string) string
}

func (f *targetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.accountsFile, "accounts", "", "YAML file of accounts (ids and role ARNs) to work on through STS AssumeRole")
	fs.BoolVar(&f.organization, "organization", false, "work on every ACTIVE account of the AWS Organization (run from the management account)")
	fs.StringVar(&f.roleName, "role-name", DefaultRoleName, "role to assume in each account when no role ARN is given")
}

// AccountsFile is the --accounts file:
//
//	apiVersion: sagesaver.io/v1alpha1
//	kind: Accounts
//	accounts:
//	  - id: "111111111111"
//	    name: ml-prod                      # optional, for people
//	    roleArn: arn:aws:iam::111111111111:role/SageSaverReadOnly  # optional
//
// An account without roleArn is reached through --role-name.
type AccountsFile struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Accounts   []AccountEntry `yaml:"accounts"`
}

// AccountEntry is one account of an AccountsFile.
type AccountEntry struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name,omitempty"`
	RoleARN string `yaml:"roleArn,omitempty"`
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	roleARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$`)
)

// Validate implements config.Validator.
func (f *AccountsFile) Validate() error {
	if f.APIVersion != config.APIVersion {
		return &config.FileError{Field: "apiVersion", Msg: fmt.Sprintf("must be %q", config.APIVersion)}
	}
	if f.Kind != "Accounts" {
		return &config.FileError{Field: "kind", Msg: `must be "Accounts"`}
	}
	if len(f.Accounts) == 0 {
		return &config.FileError{Field: "accounts", Msg: "lists no account"}
	}
	seen := map[string]bool{}
	for i, a := range f.Accounts {
		if !accountIDRe.MatchString(a.ID) {
			return &config.FileError{Field: fmt.Sprintf("accounts[%d].id", i), Msg: fmt.Sprintf("%q is not a 12-digit account id (quote it in YAML)", a.ID)}
		}
		if seen[a.ID] {
			return &config.FileError{Field: fmt.Sprintf("accounts[%d].id", i), Msg: "account " + a.ID + " is listed twice"}
		}
		seen[a.ID] = true
		if a.RoleARN != "" {
			m := roleARNRe.FindStringSubmatch(a.RoleARN)
			if m == nil {
				return &config.FileError{Field: fmt.Sprintf("accounts[%d].roleArn", i), Msg: fmt.Sprintf("%q is not an IAM role ARN", a.RoleARN)}
			}
			if m[1] != a.ID {
				return &config.FileError{Field: fmt.Sprintf("accounts[%d].roleArn", i), Msg: fmt.Sprintf("role is in account %s, not %s", m[1], a.ID)}
			}
		}
	}
	return nil
}

// targetSet is what a command works on: one target per account and region,
// and the failures met while resolving them (a role that cannot be
// assumed), which the command reports like any other failure.
type targetSet struct {
	// Base is the caller's own aws.Config (notifications are sent with it).
	Base aws.Config
	// CallerARN is who sagesaver runs as (sts:GetCallerIdentity).
	CallerARN string
	Targets   []inventory.Target
	Accounts  []string
	Regions   []string
	Failures  []inventory.Failure
	// Clients are every target's service clients, by "account/region"
	// (plan and apply need CloudWatch, Application Auto Scaling, SNS).
	Clients map[string]*awsapi.Clients
}

// awsConfig builds the base aws.Config from the global flags.
func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	home := ""
	for _, r := range a.Cfg.Regions {
		if r != "all" {
			home = r
			break
		}
	}
	return awsconfig.Load(ctx, a.AWSOptions(home))
}

// regions resolves --region: "all" is every region the price catalog
// knows (every region where SageMaker is offered); none is the SDK's
// configured region.
func resolveRegions(flagRegions []string, home string, c *pricing.Catalog) []string {
	var out []string
	for _, r := range flagRegions {
		if r == "all" {
			out = out[:0]
			for _, cr := range c.Regions() {
				out = append(out, cr.Code)
			}
			break
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		out = []string{home}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// account is one account to reach and how.
type account struct {
	id      string
	roleARN string // "" = the caller's own credentials
}

// buildTargets resolves accounts x regions into inventory targets.
func (a *app) buildTargets(ctx context.Context, f targetFlags, c *pricing.Catalog) (*targetSet, error) {
	if f.accountsFile != "" && f.organization {
		return nil, root.UsageError("--accounts and --organization: choose one")
	}
	// The accounts file is checked before any AWS call: a bad file is one
	// error naming its line and field, and nothing is asked of AWS.
	var file AccountsFile
	if f.accountsFile != "" {
		if err := config.ReadStrict(f.accountsFile, &file); err != nil {
			return nil, err
		}
	}
	if len(f.accounts) > 0 {
		file.Accounts = f.accounts
	}
	base, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	set := &targetSet{Base: base, Regions: resolveRegions(a.Cfg.Regions, base.Region, c)}
	stsClient := sts.NewFromConfig(base)
	accounts, callerARN, err := a.resolveAccounts(ctx, f, file, stsClient, base)
	if err != nil {
		return nil, err
	}
	set.CallerARN = callerARN
	session := f.sessionName
	if session == nil {
		session = func(string) string { return roleSessionName }
	}

	// One CloudWatch protocol for the run: a fallback to awsQuery is found
	// once and then used by every account and region.
	cwProto := awsapi.NewCloudWatchProtocol(a.Cfg.CloudWatchProtocol == config.CloudWatchQuery, a.Log)
	for _, acct := range accounts {
		cfg := base.Copy()
		if acct.roleARN != "" {
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, acct.roleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = session(acct.id)
			}))
			// Assume the role once up front: an account we cannot enter is
			// one failure, not one per region and kind.
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				set.Accounts = append(set.Accounts, acct.id)
				set.Failures = append(set.Failures, inventory.Failure{
					Account: acct.id, Region: "*", Kind: "*", Class: awsapi.Classify(err),
					Reason: fmt.Sprintf("%s: assume role %s: %s", awsapi.Classify(err), acct.roleARN, strings.TrimPrefix(inventory.Reason(err), "failed to refresh cached credentials, ")), Err: err,
				})
				continue
			}
		}
		set.Accounts = append(set.Accounts, acct.id)
		for _, r := range set.Regions {
			cl := awsapi.NewClients(cfg, r, a.Cfg.CloudWatchProtocol == config.CloudWatchQuery)
			rc := cfg.Copy()
			rc.Region = r
			cl.Metrics = cwProto.Client(rc)
			if set.Clients == nil {
				set.Clients = map[string]*awsapi.Clients{}
			}
			set.Clients[acct.id+"/"+r] = cl
			set.Targets = append(set.Targets, inventory.Target{
				Account: acct.id, Region: r,
				API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging},
			})
		}
	}
	return set, nil
}

// resolveAccounts lists the accounts f names (file holds its listed
// ones): the listed ones, the Organization's ACTIVE accounts, or the
// caller's own; each with the role to assume ("" for the caller's own
// account). It also returns who the caller is.
func (a *app) resolveAccounts(ctx context.Context, f targetFlags, file AccountsFile, stsClient *sts.Client, base aws.Config) ([]account, string, error) {
	listed := f.accountsFile != "" || len(f.accounts) > 0
	id, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, "", awsError("who am I (sts get-caller-identity)", err, a.Cfg.AWSTimeout)
	}
	self := aws.ToString(id.Account)
	role := func(acct string) string {
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition(aws.ToString(id.Arn)), acct, f.roleName)
	}

	var accounts []account
	switch {
	case listed:
		for _, e := range file.Accounts {
			switch {
			case e.RoleARN != "":
				accounts = append(accounts, account{id: e.ID, roleARN: e.RoleARN})
			case e.ID == self:
				accounts = append(accounts, account{id: e.ID})
			default:
				accounts = append(accounts, account{id: e.ID, roleARN: role(e.ID)})
			}
		}
	case f.organization:
		org := awsapi.NewOrganizations(base)
		p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, "", fmt.Errorf("list organization accounts: %w (run from the management account or a delegated administrator)", err)
			}
			for _, acct := range page.Accounts {
				if !activeAccount(acct) {
					continue
				}
				aid := aws.ToString(acct.Id)
				if aid == self {
					accounts = append(accounts, account{id: aid})
				} else {
					accounts = append(accounts, account{id: aid, roleARN: role(aid)})
				}
			}
		}
	default:
		accounts = []account{{id: self}}
	}

	return accounts, aws.ToString(id.Arn), nil
}

// awsError is the error of a call that failed before any work was done:
// what was asked, AWS's (or the network's) error and, when there is one, a
// hint that matches the cause (awsapi.Hint), with timeout the
// --aws-timeout in force.
func awsError(what string, err error, timeout time.Duration) error {
	if h := awsapi.Hint(err, timeout); h != "" {
		return fmt.Errorf("%s: %s (%w)", what, h, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// activeAccount reports whether an Organization account is ACTIVE (State,
// or the older Status where State is absent).
func activeAccount(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// partition is the partition of an ARN ("aws", "aws-cn", "aws-us-gov").
func partition(arn string) string {
	m := regexp.MustCompile(`^arn:([a-z-]+):`).FindStringSubmatch(arn)
	if m == nil {
		return "aws"
	}
	return m[1]
}
