package schedule

import (
	"regexp"

	"github.com/sagesaver/sagesaver/internal/config"
)

// Notify says where `schedule run` sends the digest of each run that did
// (or, dry, would do) something:
//
//	notify:
//	  snsTopicArn: arn:aws:sns:us-east-1:123456789012:sagesaver-notices
//	  webhookUrlEnv: SAGESAVER_WEBHOOK_URL
//
// A webhook URL is a secret (it authorizes posting), so the file names the
// environment variable that holds it rather than the URL.
type Notify struct {
	// SNSTopicARN is an SNS topic to publish the digest to.
	SNSTopicARN string `yaml:"snsTopicArn,omitempty" json:"snsTopicArn,omitempty"`
	// WebhookURLEnv names the environment variable holding a
	// Slack-compatible incoming webhook URL.
	WebhookURLEnv string `yaml:"webhookUrlEnv,omitempty" json:"webhookUrlEnv,omitempty"`
}

var (
	topicARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (n *Notify) validate() (field, msg string) {
	if n.SNSTopicARN != "" && !topicARNRE.MatchString(n.SNSTopicARN) {
		return "snsTopicArn", "not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): " + n.SNSTopicARN
	}
	if n.WebhookURLEnv != "" && !envNameRE.MatchString(n.WebhookURLEnv) {
		return "webhookUrlEnv", "not an environment variable name: " + n.WebhookURLEnv + " (name the variable that holds the URL, not the URL)"
	}
	return "", ""
}

// LoadFile reads and compiles a schedules file and returns it with its
// schedules, for callers that need the file's other settings (Notify).
func LoadFile(path string) (*File, []*Schedule, error) {
	var f File
	if err := config.ReadStrict(path, &f); err != nil {
		return nil, nil, err
	}
	ss, err := f.Compile()
	if err != nil {
		return nil, nil, err
	}
	return &f, ss, nil
}
