package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

func stsService() *service {
	return &service{
		name:           "sts",
		signingName:    "sts",
		queryVersion:   "2011-06-15",
		queryNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
		global:         true,
		ops: map[string]handler{
			"GetCallerIdentity": op(getCallerIdentity),
			"AssumeRole":        op(assumeRole),
		},
	}
}

func getCallerIdentity(c *Call, _ *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(c.Account.ID),
		Arn:     aws.String(fmt.Sprintf("arn:aws:iam::%s:user/sagesaver", c.Account.ID)),
		UserId:  aws.String("AIDAEMULATOR" + c.Account.ID),
	}, nil
}

func assumeRole(c *Call, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
	if e := required("RoleArn", in.RoleArn != nil); e != nil {
		return nil, e
	}
	if e := required("RoleSessionName", in.RoleSessionName != nil); e != nil {
		return nil, e
	}
	// arn:aws:iam::ACCOUNT:role/NAME
	parts := strings.SplitN(*in.RoleArn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return nil, &wire.Error{Code: "ValidationError", Message: fmt.Sprintf("%s is invalid", *in.RoleArn)}
	}
	id, role := parts[4], strings.TrimPrefix(parts[5], "role/")
	target, ok := c.s.accounts[id]
	if !ok || (len(target.Roles) > 0 && !slices.Contains(target.Roles, role)) {
		return nil, &wire.Error{Code: "AccessDenied", Message: fmt.Sprintf("User: arn:aws:iam::%s:user/sagesaver is not authorized to perform: sts:AssumeRole on resource: %s", c.Account.ID, *in.RoleArn), Status: 403}
	}
	dur := time.Hour
	if in.DurationSeconds != nil {
		dur = time.Duration(*in.DurationSeconds) * time.Second
	}
	key := fmt.Sprintf("ASIA%s%06d", id, len(c.s.keys)+1)
	c.s.keys[key] = id
	return &sts.AssumeRoleOutput{
		AssumedRoleUser: &ststypes.AssumedRoleUser{
			Arn:           aws.String(fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", id, role, *in.RoleSessionName)),
			AssumedRoleId: aws.String("AROAEMULATOR:" + *in.RoleSessionName),
		},
		Credentials: &ststypes.Credentials{
			AccessKeyId:     aws.String(key),
			SecretAccessKey: aws.String("emulator-secret"),
			SessionToken:    aws.String("emulator-session-" + key),
			Expiration:      aws.Time(time.Now().Add(dur).UTC()),
		},
	}, nil
}
