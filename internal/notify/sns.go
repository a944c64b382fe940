package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sagesaver/sagesaver/internal/awsapi"
)

// AttributeDigest is the SNS message attribute that carries the digest as
// JSON (DataType String), for subscribers that parse rather than read:
// an SQS queue or a Lambda function subscribed to the topic.
const AttributeDigest = "sagesaver.digest"

// maxSNSMessage is SNS's limit on a published message, 256 KiB, which
// counts the message body and every message attribute's name, data type
// and value together.
const maxSNSMessage = 256 * 1024

// snsOverhead leaves room under maxSNSMessage for the attribute's name
// and data type and for the subject.
const snsOverhead = 1024

// SNS publishes digests to one topic.
type SNS struct {
	client   awsapi.Notifier
	topicARN string
}

// NewSNS returns a notifier publishing to topicARN with client, which must
// be in the topic's region (see TopicRegion).
func NewSNS(client awsapi.Notifier, topicARN string) *SNS {
	return &SNS{client: client, topicARN: topicARN}
}

// TopicRegion returns the region of an SNS topic ARN
// (arn:aws:sns:REGION:ACCOUNT:NAME).
func TopicRegion(arn string) (string, error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sns" || p[3] == "" || p[5] == "" {
		return "", fmt.Errorf("%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
	}
	return p[3], nil
}

// Notify publishes d: subject, plain-text list, and the JSON digest in the
// sagesaver.digest attribute. When the two together would pass SNS's size
// limit, the JSON and then the text leave items out and say how many.
func (s *SNS) Notify(ctx context.Context, d Digest) error {
	text, js := d.Text(), d.JSON()
	budget := maxSNSMessage - snsOverhead
	if len(text)+len(js) > budget {
		// Keep every item in the text if that fits in half; the JSON
		// gets what is left.
		n := fit(len(d.Items), budget/2, func(n int) int { return len(d.text(n)) })
		text = d.text(n)
		m := fit(len(d.Items), budget-len(text), func(n int) int { return len(d.json(n)) })
		js = d.json(m)
	}
	_, err := s.client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(s.topicARN),
		Subject:  aws.String(ascii(d.Subject())),
		Message:  aws.String(text),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			AttributeDigest: {DataType: aws.String("String"), StringValue: aws.String(string(js))},
		},
	})
	if err != nil {
		return fmt.Errorf("publish digest to %s: %w", s.topicARN, err)
	}
	return nil
}

// ascii replaces what SNS does not take in a subject (anything but
// printable ASCII) with '?'.
func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
