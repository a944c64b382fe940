package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/policy"
)

// goodRule is a valid rule, so that each case below has exactly one bad
// value, in a later rule than the first (a line found by key name alone
// would point at the wrong rule).
const goodRule = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: first
    resource: notebook-instance
    conditions:
      idleFor: 24h
      costAbove: $10/month
    actions:
      - type: mark
        grace: 72h
        then: stop
`

// TestBadValueNamesFileLineAndField: every bad value in a policy is one
// error that starts "FILE:LINE:" and names the field's full path.
func TestBadValueNamesFileLineAndField(t *testing.T) {
	tests := []struct {
		name      string
		doc       string // appended to goodRule (which has 12 lines)
		wantLine  int
		wantField string
		wantMsg   string
	}{
		{
			name:      "idleFor not a duration",
			doc:       "  - name: b\n    resource: endpoint\n    conditions:\n      idleFor: soon\n    actions: [{type: delete}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.idleFor",
			wantMsg:   `"soon" is not a duration: want e.g. 90s, 15m, 36h or 3d`,
		},
		{
			// The agent's tag cannot prove an idle time this short.
			name:      "idleFor shorter than the agent's tag can prove",
			doc:       "  - name: b\n    resource: notebook-instance\n    conditions:\n      idleFor: 20m\n    actions: [{type: stop}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.idleFor",
			wantMsg:   "must be at least 25m for notebook-instance: the agent's tag cannot tell a shorter idle time from activity",
		},
		{
			name:      "studio app idleFor shorter than the agent's tag can prove",
			doc:       "  - name: b\n    resource: studio-app\n    conditions:\n      idleFor: 10m\n    actions: [{type: delete-app}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.idleFor",
			wantMsg:   "must be at least 25m for studio-app",
		},
		{
			name:      "renotifyAfter without a notify action",
			doc:       "  - name: b\n    resource: endpoint\n    renotifyAfter: 24h\n    conditions:\n      idleFor: 24h\n    actions: [{type: delete}]\n",
			wantLine:  15,
			wantField: "rules[1].renotifyAfter",
			wantMsg:   "applies only to a rule with a notify action",
		},
		{
			name:      "renotifyAfter zero",
			doc:       "  - name: b\n    resource: endpoint\n    renotifyAfter: 0s\n    actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}]\n",
			wantLine:  15,
			wantField: "rules[1].renotifyAfter",
			wantMsg:   "must be positive",
		},
		{
			name:      "renotifyAfter not a duration",
			doc:       "  - name: b\n    resource: endpoint\n    renotifyAfter: daily\n    actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}]\n",
			wantLine:  15,
			wantField: "rules[1].renotifyAfter",
			wantMsg:   "is not a duration",
		},
		{
			name:      "runningFor a number",
			doc:       "  - name: b\n    resource: endpoint\n    conditions:\n      runningFor: 5\n    actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.runningFor",
			wantMsg:   "want a string",
		},
		{
			name:      "costAbove not money",
			doc:       "  - name: b\n    resource: endpoint\n    conditions:\n      costAbove: lots\n    actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.costAbove",
			wantMsg:   `rate "lots"`,
		},
		{
			name:      "costAbove per week",
			doc:       "  - name: b\n    resource: endpoint\n    conditions:\n      costAbove: $5/week\n    actions: [{type: notify, sns: 'arn:aws:sns:us-east-1:111111111111:t'}]\n",
			wantLine:  16,
			wantField: "rules[1].conditions.costAbove",
			wantMsg:   "unit must be month or hour",
		},
		{
			name:      "mark grace not a duration",
			doc:       "  - name: b\n    resource: endpoint\n    conditions: {idleFor: 24h}\n    actions:\n      - type: mark\n        grace: soon\n        then: delete\n",
			wantLine:  18,
			wantField: "rules[1].actions[0].grace",
			wantMsg:   `"soon" is not a duration`,
		},
		{
			name:      "bad regular expression",
			doc:       "  - name: b\n    resource: endpoint\n    match:\n      namePattern: 'x(['\n    actions: [{type: tag, tags: {a: b}}]\n",
			wantLine:  16,
			wantField: "rules[1].match.namePattern",
			wantMsg:   "bad regular expression",
		},
		{
			name:      "bad glob",
			doc:       "  - name: b\n    resource: endpoint\n    exclude:\n      names: [ok, 'x[']\n    actions: [{type: tag, tags: {a: b}}]\n",
			wantLine:  16,
			wantField: "rules[1].exclude.names[1]",
			wantMsg:   "bad glob",
		},
		{
			name:      "empty match tag key",
			doc:       "  - name: b\n    resource: endpoint\n    match:\n      tags:\n        - team=a\n        - =x\n    actions: [{type: tag, tags: {a: b}}]\n",
			wantLine:  18,
			wantField: "rules[1].match.tags[1]",
			wantMsg:   "empty tag key",
		},
		{
			name:      "reserved tag key in a tag action",
			doc:       "  - name: b\n    resource: endpoint\n    actions:\n      - type: tag\n        tags:\n          team: a\n          aws:owner: me\n",
			wantLine:  19,
			wantField: "rules[1].actions[0].tags.aws:owner",
			wantMsg:   `bad tag key "aws:owner"`,
		},
		{
			name:      "timeoutMinutes not a number",
			doc:       "  - name: b\n    resource: studio-domain\n    actions:\n      - type: set-idle-shutdown\n        timeoutMinutes: an hour\n",
			wantLine:  17,
			wantField: "rules[1].actions[0].timeoutMinutes",
		},
		{
			name:      "timeoutMinutes out of range",
			doc:       "  - name: b\n    resource: studio-domain\n    actions:\n      - type: set-idle-shutdown\n        timeoutMinutes: 5\n",
			wantLine:  17,
			wantField: "rules[1].actions[0].timeoutMinutes",
			wantMsg:   "must be between 60 and 525600",
		},
		{
			name:      "sns not an ARN",
			doc:       "  - name: b\n    resource: endpoint\n    actions:\n      - type: notify\n        sns: my-topic\n",
			wantLine:  17,
			wantField: "rules[1].actions[0].sns",
			wantMsg:   "not an SNS topic ARN",
		},
		{
			name:      "instance family",
			doc:       "  - name: b\n    resource: endpoint\n    match:\n      instanceFamily: [gpu, '']\n    actions: [{type: tag, tags: {a: b}}]\n",
			wantLine:  16,
			wantField: "rules[1].match.instanceFamily[1]",
			wantMsg:   "bad instance family",
		},
		{
			name:      "lookback not a duration",
			doc:       "lookback: a day\n",
			wantLine:  13,
			wantField: "lookback",
			wantMsg:   `"a day" is not a duration`,
		},
		{
			name:      "timeoutMinutes with a fraction",
			doc:       "  - name: b\n    resource: studio-domain\n    actions:\n      - type: set-idle-shutdown\n        timeoutMinutes: 90.5\n",
			wantLine:  17,
			wantField: "rules[1].actions[0].timeoutMinutes",
			wantMsg:   "90.5 is not a whole number",
		},
		{
			name:      "maxActions not a number",
			doc:       "maxActions: many\n",
			wantLine:  13,
			wantField: "maxActions",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Decode("p.yaml", []byte(goodRule+tt.doc))
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *config.FileError", err)
			}
			if fe.File != "p.yaml" || fe.Line != tt.wantLine || fe.Field != tt.wantField {
				t.Errorf("got %s:%d field %q, want p.yaml:%d field %q\n(%v)", fe.File, fe.Line, fe.Field, tt.wantLine, tt.wantField, err)
			}
			if !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", fe.Msg, tt.wantMsg)
			}
			if want := "p.yaml:"; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `"`+tt.wantField+`"`) {
				t.Errorf("error %q does not start with %q and name %q", err, want, tt.wantField)
			}
		})
	}
}

// TestAnchorsAndTagsStillDecode: locating bad values does not change how
// good ones decode.
func TestAnchorsAndTagsStillDecode(t *testing.T) {
	p, err := policy.Decode("p.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Policy
lookback: &day 48h
rules:
  - name: a
    resource: notebook-instance
    conditions: {idleFor: *day, costAbove: !!str 5}
    actions: [{type: stop}]
`))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Rules[0].Conditions
	if p.Window().Hours() != 48 || c.IdleFor == nil || c.IdleFor.D().Hours() != 48 || c.CostAbove == nil || c.CostAbove.String() != "5" {
		t.Errorf("decoded lookback %v, conditions %+v", p.Window(), c)
	}
}
