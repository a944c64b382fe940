package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Slack's limits on a message: a section's text is at most 3000
// characters, a header's 150, a message has at most 50 blocks, and the
// top-level text (the notification and fallback) is truncated after 40000.
const (
	maxSectionText = 3000
	maxHeaderText  = 150
	maxBlocks      = 50
	maxWebhookText = 40000
)

// webhookTimeout bounds one POST: an incoming webhook answers in well under
// a second, and a run must not hang on a chat service.
const webhookTimeout = 15 * time.Second

// Webhook posts digests to a Slack-compatible incoming webhook (Slack,
// Mattermost, Rocket.Chat, Google Chat's and Teams' Slack-compatible
// endpoints): JSON {"text": ..., "blocks": [...]}.
type Webhook struct {
	url    string
	client *http.Client
}

// NewWebhook returns a notifier posting to url with client (nil: a client
// with a 15 s timeout). The URL is a secret (it authorizes posting): it is
// never put in errors or logs.
func NewWebhook(url string, client *http.Client) *Webhook {
	if client == nil {
		client = &http.Client{Timeout: webhookTimeout}
	}
	return &Webhook{url: url, client: client}
}

// SlackMessage is what Webhook posts.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a Block Kit block: header, section or context.
type SlackBlock struct {
	Type     string       `json:"type"`
	Text     *SlackText   `json:"text,omitempty"`
	Elements []*SlackText `json:"elements,omitempty"`
}

// SlackText is a text object.
type SlackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// Slack renders d as a Slack message: a header with the subject, a
// section with the run, one section per group of at most 3000 characters
// of resource lines (failures first), and a context line for anything left
// out to stay within 50 blocks.
func (d Digest) Slack() SlackMessage {
	msg := SlackMessage{Text: clip(d.Text(), maxWebhookText)}
	msg.Blocks = append(msg.Blocks, SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: clip(d.Subject(), maxHeaderText)}})
	intro := fmt.Sprintf("*%s* at %s", mrkdwn("sagesaver "+d.Command), d.At.UTC().Format("2006-01-02 15:04 MST"))
	if d.Actor != "" {
		intro += " by " + mrkdwn(d.Actor)
	}
	if d.RunID != 0 {
		intro += fmt.Sprintf(" (run %d)", d.RunID)
	}
	if d.DryRun {
		intro += "\n_Dry run: nothing was changed._"
	}
	msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: intro}})
	items := d.ordered()
	left := len(items)
	// Two blocks are the header and intro; keep one for "and N more".
	room := maxBlocks - 3
	for _, g := range groups {
		var cur strings.Builder
		flush := func() {
			if cur.Len() > 0 && room > 0 {
				msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: cur.String()}})
				room--
			}
			cur.Reset()
		}
		first := true
		for _, it := range items {
			if it.Result != g.result || room == 0 {
				continue
			}
			if first {
				cur.WriteString("*" + g.title + "*\n")
				first = false
			}
			l := "• " + clip(mrkdwn(it.line()), maxSectionText-len(g.title)-4) + "\n"
			if cur.Len()+len(l) > maxSectionText {
				flush()
				if room == 0 {
					break
				}
			}
			cur.WriteString(l)
			left--
		}
		flush()
	}
	if left > 0 {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []*SlackText{{Type: "mrkdwn",
			Text: fmt.Sprintf("... and %d more: see `sagesaver history`", left)}}})
	}
	return msg
}

// mrkdwn escapes the three characters Slack's mrkdwn reserves.
func mrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// ErrWebhookStatus is wrapped by Notify when the webhook answers with a
// status other than 2xx.
var ErrWebhookStatus = errors.New("webhook refused the message")

// Notify posts d. A status other than 2xx is an error carrying the status
// and the start of the answer (Slack says why: "invalid_blocks").
func (w *Webhook) Notify(ctx context.Context, d Digest) error {
	body, err := json.Marshal(d.Slack())
	if err != nil {
		return fmt.Errorf("post digest to webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post digest to webhook: bad URL: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post digest to webhook %s: %w", host(w.url), stripURL(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post digest to webhook %s: %w: %s: %s", host(w.url), ErrWebhookStatus, resp.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}

// stripURL removes the URL (a secret) from net/http's errors.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// host is the part of a webhook URL that is safe to show.
func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Host
}
