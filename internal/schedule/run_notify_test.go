package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

const notifyHead = `apiVersion: sagesaver.io/v1alpha1
kind: ScheduleSet
schedules:
  - name: office
    timezone: UTC
    start: cron(0 7 ? * MON-FRI *)
    stop: cron(0 21 ? * MON-FRI *)
    targets: [{kind: notebook, namePrefix: dev-}]
notify:
`

func TestNotifyBlock(t *testing.T) {
	tests := []struct {
		name, body string
		field      string // "" = valid
		line       int
	}{
		{"both", "  snsTopicArn: arn:aws:sns:eu-west-1:123456789012:notices\n  webhookUrlEnv: SLACK_URL\n", "", 0},
		{"fifo topic", "  snsTopicArn: arn:aws:sns:us-east-1:123456789012:notices.fifo\n", "", 0},
		{"bad topic", "  snsTopicArn: arn:aws:sqs:us-east-1:123456789012:q\n", "notify.snsTopicArn", 10},
		{"url instead of env", "  webhookUrlEnv: https://hooks.slack.com/services/T/B/x\n", "notify.webhookUrlEnv", 10},
		{"unknown field", "  webhook: https://hooks.slack.com/services/T/B/x\n", "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(notifyHead+tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			f, ss, err := LoadFile(path)
			if tt.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(ss) != 1 || f.Notify == nil || (f.Notify.SNSTopicARN == "" && f.Notify.WebhookURLEnv == "") {
					t.Errorf("file %+v, %d schedules", f, len(ss))
				}
				return
			}
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *config.FileError", err)
			}
			if (tt.field != "" && fe.Field != tt.field) || fe.Line != tt.line {
				t.Errorf("error at %s line %d, want %s line %d: %v", fe.Field, fe.Line, tt.field, tt.line, err)
			}
		})
	}
}
