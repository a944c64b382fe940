package emulator

import (
	"crypto/sha256"
	"encoding/base32"
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

// roleSession is who holds the temporary credentials AssumeRole issued.
type roleSession struct {
	account, role, session string
}

// arn is the session's principal as AWS names it.
func (r roleSession) arn() string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", r.account, r.role, r.session)
}

// userID is AWS's "AROA<role id>:<session name>".
func (r roleSession) userID() string { return roleID(r.account, r.role) + ":" + r.session }

// roleID is a stable IAM role id: AROA and 17 upper-case letters and
// digits, as AWS's unique ids for roles look.
func roleID(account, role string) string {
	sum := sha256.Sum256([]byte(account + "/" + role))
	return "AROA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// callerARN is the principal of the call's credentials: the assumed role
// session for AssumeRole's temporary keys, else the account's user.
func (c *Call) callerARN() string {
	if r, ok := c.s.sessions[c.AccessKey]; ok {
		return r.arn()
	}
	return fmt.Sprintf("arn:aws:iam::%s:user/sagesaver", c.Account.ID)
}

func getCallerIdentity(c *Call, _ *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
	if r, ok := c.s.sessions[c.AccessKey]; ok {
		return &sts.GetCallerIdentityOutput{
			Account: aws.String(r.account),
			Arn:     aws.String(r.arn()),
			UserId:  aws.String(r.userID()),
		}, nil
	}
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(c.Account.ID),
		Arn:     aws.String(c.callerARN()),
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
		return nil, &wire.Error{Code: "AccessDenied", Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.callerARN(), *in.RoleArn), Status: 403}
	}
	dur := time.Hour
	if in.DurationSeconds != nil {
		dur = time.Duration(*in.DurationSeconds) * time.Second
	}
	key := fmt.Sprintf("ASIA%s%06d", id, len(c.s.keys)+1)
	c.s.keys[key] = id
	sess := roleSession{account: id, role: role, session: *in.RoleSessionName}
	c.s.sessions[key] = sess
	return &sts.AssumeRoleOutput{
		AssumedRoleUser: &ststypes.AssumedRoleUser{
			Arn:           aws.String(sess.arn()),
			AssumedRoleId: aws.String(sess.userID()),
		},
		Credentials: &ststypes.Credentials{
			AccessKeyId:     aws.String(key),
			SecretAccessKey: aws.String("emulator-secret"),
			SessionToken:    aws.String("emulator-session-" + key),
			Expiration:      aws.Time(time.Now().Add(dur).UTC()),
		},
	}, nil
}
