package emulator

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// snsState is one account's SNS topics in one region.
type snsState struct {
	topics map[string]*topic // by ARN
	seq    int
}

type topic struct {
	arn, name     string
	attributes    map[string]string
	subscriptions []subscription
}

type subscription struct {
	arn, protocol, endpoint string
}

func newSNSState() *snsState { return &snsState{topics: map[string]*topic{}} }

// PublishedMessage is a message published to an emulated SNS topic, kept so
// that tests and `sagesaver demo` can read what would have been e-mailed.
type PublishedMessage struct {
	MessageID  string            `json:"messageId"`
	TopicArn   string            `json:"topicArn"`
	Subject    string            `json:"subject,omitempty"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Time       time.Time         `json:"time"`
}

// Published returns every message published so far, oldest first.
func (s *Server) Published() []PublishedMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PublishedMessage(nil), s.sns...)
}

func snsService() *service {
	return &service{
		name:           "sns",
		signingName:    "sns",
		queryVersion:   "2010-03-31",
		queryNamespace: "http://sns.amazonaws.com/doc/2010-03-31/",
		ops: map[string]handler{
			"CreateTopic":              op(createTopic),
			"ListTopics":               op(listTopics),
			"Subscribe":                op(subscribe),
			"ListSubscriptionsByTopic": op(listSubscriptionsByTopic),
			"Publish":                  op(publish),
			"DeleteTopic":              op(deleteTopic),
		},
	}
}

func snsNotFound(what string) *wire.Error {
	return &wire.Error{Code: "NotFound", Message: what + " does not exist", Status: 404}
}

func createTopic(c *Call, in *sns.CreateTopicInput) (*sns.CreateTopicOutput, error) {
	if in.Name == nil || *in.Name == "" {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: Topic Name"}
	}
	arn := c.ARN("sns", *in.Name)
	st := c.Region.SNS
	if _, ok := st.topics[arn]; !ok { // CreateTopic is idempotent
		st.topics[arn] = &topic{arn: arn, name: *in.Name, attributes: in.Attributes}
	}
	return &sns.CreateTopicOutput{TopicArn: aws.String(arn)}, nil
}

func listTopics(c *Call, in *sns.ListTopicsInput) (*sns.ListTopicsOutput, error) {
	var arns []string
	for arn := range c.Region.SNS.topics {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	page, next, err := paginate(arns, in.NextToken, nil, 100)
	if err != nil {
		return nil, err
	}
	out := &sns.ListTopicsOutput{NextToken: next, Topics: []snstypes.Topic{}}
	for _, a := range page {
		out.Topics = append(out.Topics, snstypes.Topic{TopicArn: aws.String(a)})
	}
	return out, nil
}

func subscribe(c *Call, in *sns.SubscribeInput) (*sns.SubscribeOutput, error) {
	if in.TopicArn == nil || in.Protocol == nil {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: TopicArn and Protocol are required"}
	}
	t, ok := c.Region.SNS.topics[*in.TopicArn]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	c.Region.SNS.seq++
	arn := fmt.Sprintf("%s:%08x-0000-4000-8000-%012d", t.arn, c.Region.SNS.seq, c.Region.SNS.seq)
	t.subscriptions = append(t.subscriptions, subscription{arn: arn, protocol: *in.Protocol, endpoint: aws.ToString(in.Endpoint)})
	subArn := "pending confirmation"
	if *in.Protocol != "email" && *in.Protocol != "email-json" {
		subArn = arn
	}
	return &sns.SubscribeOutput{SubscriptionArn: aws.String(subArn)}, nil
}

func listSubscriptionsByTopic(c *Call, in *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error) {
	if in.TopicArn == nil {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: TopicArn"}
	}
	t, ok := c.Region.SNS.topics[*in.TopicArn]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	out := &sns.ListSubscriptionsByTopicOutput{Subscriptions: []snstypes.Subscription{}}
	for _, s := range t.subscriptions {
		out.Subscriptions = append(out.Subscriptions, snstypes.Subscription{
			SubscriptionArn: aws.String(s.arn), Protocol: aws.String(s.protocol),
			Endpoint: aws.String(s.endpoint), TopicArn: aws.String(t.arn), Owner: aws.String(c.Account.ID),
		})
	}
	return out, nil
}

// maxSNSMessage is SNS's message size limit (256 KiB).
const maxSNSMessage = 256 * 1024

func publish(c *Call, in *sns.PublishInput) (*sns.PublishOutput, error) {
	if in.Message == nil {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: Empty message"}
	}
	if len(*in.Message) > maxSNSMessage {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: Message too long"}
	}
	arn := aws.ToString(in.TopicArn)
	if arn == "" {
		arn = aws.ToString(in.TargetArn)
	}
	if _, ok := c.Region.SNS.topics[arn]; !ok {
		return nil, snsNotFound("Topic")
	}
	if s := aws.ToString(in.Subject); len(s) > 100 || strings.ContainsAny(s, "\n\r") {
		return nil, &wire.Error{Code: "InvalidParameter", Message: "Invalid parameter: Subject"}
	}
	c.Region.SNS.seq++
	id := fmt.Sprintf("%08x-0000-4000-8000-%012d", c.Region.SNS.seq, c.Region.SNS.seq)
	msg := PublishedMessage{MessageID: id, TopicArn: arn, Subject: aws.ToString(in.Subject), Message: *in.Message, Time: c.Now}
	for k, v := range in.MessageAttributes {
		if msg.Attributes == nil {
			msg.Attributes = map[string]string{}
		}
		msg.Attributes[k] = aws.ToString(v.StringValue)
	}
	c.s.sns = append(c.s.sns, msg)
	return &sns.PublishOutput{MessageId: aws.String(id)}, nil
}

func deleteTopic(c *Call, in *sns.DeleteTopicInput) (*sns.DeleteTopicOutput, error) {
	delete(c.Region.SNS.topics, aws.ToString(in.TopicArn))
	return &sns.DeleteTopicOutput{}, nil
}
