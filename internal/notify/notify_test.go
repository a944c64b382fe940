package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

var at = time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)

func price(s string) pricing.Price {
	return pricing.Price{Amount: pricing.MustParseMoney(s), Known: true}
}

func sampleDigest() notify.Digest {
	return notify.Digest{
		Command: "schedule run", RunID: 7, At: at, Actor: "alice (arn:aws:iam::123456789012:user/alice)",
		Items: []notify.Item{
			{Account: "123456789012", Region: "us-east-1", Kind: "notebook-instance", Name: "dev-alice",
				ARN: "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/dev-alice", Action: "stop", Result: notify.ResultOK,
				Reason: "stop at Mon 2026-11-30 21:00 UTC (cron(0 21 ? * MON-FRI *))", Schedule: "office-hours", Hourly: price("0.05")},
			{Account: "123456789012", Region: "us-east-1", Kind: "notebook-instance", Name: "dev-bob", Action: "stop",
				Result: notify.ResultFailed, Error: "ValidationException: Status (Pending) not in ([InService])", Hourly: price("0.23")},
			{Account: "123456789012", Region: "eu-west-1", Kind: "notebook-instance", Name: "dev-carol", Action: "stop",
				Result: notify.ResultOK, Hourly: pricing.Unknown},
		},
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		d    notify.Digest
		want string
	}{
		{"done and failed", sampleDigest(), "sagesaver schedule run: 2 done, 1 failed"},
		{"dry run", notify.Digest{Command: "schedule run", DryRun: true, Items: []notify.Item{{Result: notify.ResultDryRun}, {Result: notify.ResultDryRun}}},
			"sagesaver schedule run: 2 to do (dry run)"},
		{"nothing", notify.Digest{Command: "apply"}, "sagesaver apply: nothing to do"},
		{"clipped", notify.Digest{Command: strings.Repeat("x", 120) + "\nnext line", Items: []notify.Item{{Result: notify.ResultOK}}},
			"sagesaver " + strings.Repeat("x", 87) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.Subject()
			if got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
			if len(got) > 100 || strings.ContainsAny(got, "\r\n") {
				t.Errorf("subject %q breaks SNS's rules (<= 100 chars, one line)", got)
			}
		})
	}
}

func TestText(t *testing.T) {
	got := sampleDigest().Text()
	want := `sagesaver schedule run at 2026-11-30 21:00 UTC by alice (arn:aws:iam::123456789012:user/alice) (run 7).

Failed (1):
  - dev-bob (us-east-1, notebook-instance, account 123456789012): stop FAILED: ValidationException: Status (Pending) not in ([InService]); $167.90/month ($0.23/h)

Done (2):
  - dev-alice (us-east-1, notebook-instance, account 123456789012): stopped; $36.50/month ($0.05/h); stop at Mon 2026-11-30 21:00 UTC (cron(0 21 ? * MON-FRI *))
  - dev-carol (eu-west-1, notebook-instance, account 123456789012): stopped; price unknown
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Text() mismatch (-want +got):\n%s", diff)
	}
	d := sampleDigest()
	d.DryRun = true
	if !strings.Contains(d.Text(), "Dry run: nothing was changed") {
		t.Errorf("dry-run text does not say so:\n%s", d.Text())
	}
}

const snsScenario = `apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-30T21:00:00Z
accounts:
- id: "123456789012"
  regions:
    us-east-1:
      topics: [sagesaver-notices]
`

const topicARN = "arn:aws:sns:us-east-1:123456789012:sagesaver-notices"

// digestJSON is the JSON attribute as a subscriber would parse it.
type digestJSON struct {
	Schema  string         `json:"schema"`
	RunID   int64          `json:"runId"`
	Counts  map[string]int `json:"counts"`
	Omitted int            `json:"omitted"`
	Items   []struct {
		Name    string  `json:"name"`
		Result  string  `json:"result"`
		Error   string  `json:"error"`
		Monthly *string `json:"monthly"`
	} `json:"items"`
}

func TestSNSPublishesReadableDigest(t *testing.T) {
	env := emulatortest.Start(t, snsScenario)
	n := notify.NewSNS(env.Clients("us-east-1").SNS, topicARN)
	if err := n.Notify(context.Background(), sampleDigest()); err != nil {
		t.Fatal(err)
	}
	pub := env.Emu.Published()
	if len(pub) != 1 {
		t.Fatalf("published %d messages, want 1", len(pub))
	}
	m := pub[0]
	if m.TopicArn != topicARN || m.Subject != "sagesaver schedule run: 2 done, 1 failed" {
		t.Errorf("topic %s subject %q", m.TopicArn, m.Subject)
	}
	if m.Message != sampleDigest().Text() {
		t.Errorf("message is not the digest's text:\n%s", m.Message)
	}
	var got digestJSON
	if err := json.Unmarshal([]byte(m.Attributes[notify.AttributeDigest]), &got); err != nil {
		t.Fatalf("attribute %s: %v", notify.AttributeDigest, err)
	}
	if got.Schema != notify.JSONVersion || got.RunID != 7 || got.Counts["ok"] != 2 || got.Counts["failed"] != 1 || got.Omitted != 0 {
		t.Errorf("digest JSON header: %+v", got)
	}
	var names []string
	for _, it := range got.Items {
		mo := "unknown"
		if it.Monthly != nil {
			mo = *it.Monthly
		}
		names = append(names, it.Name+" "+it.Result+" "+mo)
	}
	if diff := cmp.Diff([]string{"dev-bob failed 167.9", "dev-alice ok 36.5", "dev-carol ok unknown"}, names); diff != "" {
		t.Errorf("digest JSON items (-want +got):\n%s", diff)
	}
}

func TestSNSDigestFitsSizeLimit(t *testing.T) {
	env := emulatortest.Start(t, snsScenario)
	d := notify.Digest{Command: "schedule run", At: at}
	for i := range 5000 {
		d.Items = append(d.Items, notify.Item{Region: "us-east-1", Kind: "notebook-instance", Name: fmt.Sprintf("dev-%04d", i),
			Action: "stop", Result: notify.ResultOK, Reason: strings.Repeat("r", 60), Hourly: price("0.05")})
	}
	n := notify.NewSNS(env.Clients("us-east-1").SNS, topicARN)
	if err := n.Notify(context.Background(), d); err != nil {
		t.Fatalf("a 5000-item digest must be cut to fit, not refused: %v", err)
	}
	m := env.Emu.Published()[0]
	js := m.Attributes[notify.AttributeDigest]
	if size := len(m.Message) + len(js); size > 256*1024 {
		t.Errorf("message + attribute = %d bytes, over SNS's 256 KiB", size)
	}
	var got digestJSON
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	if got.Omitted == 0 || got.Omitted+len(got.Items) != 5000 || got.Counts["ok"] != 5000 {
		t.Errorf("omitted %d + items %d, counts %v: want them to add up to 5000", got.Omitted, len(got.Items), got.Counts)
	}
	if !strings.Contains(m.Message, " more (see `sagesaver history`)") {
		t.Errorf("cut text does not say items were left out")
	}
}

func TestSNSUnknownTopic(t *testing.T) {
	env := emulatortest.Start(t, snsScenario)
	n := notify.NewSNS(env.Clients("us-east-1").SNS, "arn:aws:sns:us-east-1:123456789012:nope")
	err := n.Notify(context.Background(), sampleDigest())
	if err == nil || !strings.Contains(err.Error(), "publish digest to arn:aws:sns:us-east-1:123456789012:nope") {
		t.Errorf("err = %v", err)
	}
}

func TestTopicRegion(t *testing.T) {
	if r, err := notify.TopicRegion(topicARN); err != nil || r != "us-east-1" {
		t.Errorf("TopicRegion = %q, %v", r, err)
	}
	for _, bad := range []string{"", "sagesaver-notices", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns::123456789012:x"} {
		if _, err := notify.TopicRegion(bad); err == nil {
			t.Errorf("TopicRegion(%q) accepted", bad)
		}
	}
}

// hook is an incoming-webhook stand-in: an HTTP server that keeps what it
// was sent and answers with status.
type hook struct {
	mu     sync.Mutex
	bodies [][]byte
	status int
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	if h.status != 0 {
		http.Error(w, "invalid_blocks", h.status)
		return
	}
	io.WriteString(w, "ok")
}

func TestWebhookPostsSlackMessage(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if err := notify.NewWebhook(srv.URL+"/services/T000/B000/secret", nil).Notify(context.Background(), sampleDigest()); err != nil {
		t.Fatal(err)
	}
	if len(h.bodies) != 1 {
		t.Fatalf("%d posts, want 1", len(h.bodies))
	}
	var msg notify.SlackMessage
	if err := json.Unmarshal(h.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != sampleDigest().Text() {
		t.Errorf("text is not the digest's text:\n%s", msg.Text)
	}
	var kinds []string
	for _, b := range msg.Blocks {
		kinds = append(kinds, b.Type)
	}
	if diff := cmp.Diff([]string{"header", "section", "section", "section"}, kinds); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	failed := msg.Blocks[2].Text.Text
	if !strings.HasPrefix(failed, "*Failed*\n• dev-bob") || !strings.Contains(failed, "Status (Pending) not in ([InService])") {
		t.Errorf("failures section: %q", failed)
	}
}

func TestWebhookStaysWithinSlackLimits(t *testing.T) {
	d := notify.Digest{Command: "schedule run", At: at}
	for i := range 3000 {
		d.Items = append(d.Items, notify.Item{Region: "us-east-1", Kind: "notebook-instance", Name: fmt.Sprintf("dev-<%04d>", i),
			Action: "stop", Result: []string{notify.ResultOK, notify.ResultFailed}[i%2], Error: "boom", Hourly: price("0.05")})
	}
	msg := d.Slack()
	if len(msg.Blocks) > 50 {
		t.Errorf("%d blocks, Slack takes 50", len(msg.Blocks))
	}
	shown := 0
	for _, b := range msg.Blocks {
		if b.Text != nil && len(b.Text.Text) > 3000 {
			t.Errorf("%s block of %d characters, Slack takes 3000", b.Type, len(b.Text.Text))
		}
		if b.Type == "section" && b.Text != nil {
			shown += strings.Count(b.Text.Text, "• ")
			if strings.Contains(b.Text.Text, "<0") {
				t.Errorf("mrkdwn not escaped: %q", b.Text.Text[:80])
			}
		}
	}
	last := msg.Blocks[len(msg.Blocks)-1]
	if want := fmt.Sprintf("... and %d more", 3000-shown); last.Type != "context" || !strings.HasPrefix(last.Elements[0].Text, want) {
		t.Errorf("last block %+v, want a context %q", last, want)
	}
	if len(msg.Text) > 40000 {
		t.Errorf("text of %d characters", len(msg.Text))
	}
}

func TestWebhookErrorsKeepURLSecret(t *testing.T) {
	h := &hook{status: http.StatusBadRequest}
	srv := httptest.NewServer(h)
	defer srv.Close()
	err := notify.NewWebhook(srv.URL+"/services/T000/B000/secret", nil).Notify(context.Background(), sampleDigest())
	if !errors.Is(err, notify.ErrWebhookStatus) || !strings.Contains(err.Error(), "400 Bad Request: invalid_blocks") {
		t.Errorf("err = %v", err)
	}
	srv.Close()
	err = notify.NewWebhook(srv.URL+"/services/T000/B000/secret", nil).Notify(context.Background(), sampleDigest())
	if err == nil {
		t.Fatal("post to a closed server succeeded")
	}
	for _, e := range []error{err} {
		if strings.Contains(e.Error(), "secret") {
			t.Errorf("error shows the webhook's secret path: %v", e)
		}
	}
}

func TestMultiSendsToAllAndJoinsErrors(t *testing.T) {
	bad, good := &hook{status: http.StatusInternalServerError}, &hook{}
	badSrv, goodSrv := httptest.NewServer(bad), httptest.NewServer(good)
	defer badSrv.Close()
	defer goodSrv.Close()
	err := notify.Multi{notify.NewWebhook(badSrv.URL, nil), notify.NewWebhook(goodSrv.URL, nil)}.Notify(context.Background(), sampleDigest())
	if !errors.Is(err, notify.ErrWebhookStatus) {
		t.Errorf("err = %v, want the first webhook's refusal", err)
	}
	if len(good.bodies) != 1 {
		t.Errorf("the webhook after a failing one got %d posts, want 1", len(good.bodies))
	}
}

// TestTextEstimate: an estimated price reads "~" in the digest, per month
// and per hour, as everywhere savings are shown.
func TestTextEstimate(t *testing.T) {
	h := price("0.23")
	h.Estimate, h.Basis = true, "studio-notebook"
	d := notify.Digest{Command: "apply", At: at, Items: []notify.Item{{Region: "us-east-1", Kind: "endpoint", Name: "churn-predictor",
		Action: "delete", Result: notify.ResultOK, Hourly: h}}}
	if want := "churn-predictor (us-east-1, endpoint): deleted; ~$167.90/month (~$0.23/h)"; !strings.Contains(d.Text(), want) {
		t.Errorf("Text() lacks %q:\n%s", want, d.Text())
	}
}
