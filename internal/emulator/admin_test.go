package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator"
)

// adminDo sends one admin request with the given Host and Origin headers
// and returns its status and body.
func adminDo(t *testing.T, h http.Handler, method, path, host, origin, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1:4566/_emulator/"+path, strings.NewReader(body))
	req.Host = host
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestAdminHostAndOrigin(t *testing.T) {
	emu := emulator.New(emulator.Options{AdminHosts: []string{"devbox.internal"}})
	tests := []struct {
		name, method, path, host, origin string
		want                             int
	}{
		{"loopback GET", "GET", "health", "127.0.0.1:4566", "", 200},
		{"localhost GET", "GET", "clock", "localhost:4566", "", 200},
		{"ipv6 loopback", "GET", "health", "[::1]:4566", "", 200},
		{"configured host", "POST", "reset", "devbox.internal:4566", "", 200},
		{"POST without Origin (curl, SDK)", "POST", "reset", "127.0.0.1:4566", "", 200},
		{"POST from own origin", "POST", "reset", "127.0.0.1:4566", "http://127.0.0.1:4566", 200},
		{"POST from localhost page", "POST", "counters/reset", "localhost:4566", "http://localhost:3000", 200},
		{"DNS rebinding Host", "GET", "clock", "evil.example:4566", "", 403},
		{"DNS rebinding POST", "POST", "reset", "attacker.example", "http://attacker.example", 403},
		{"foreign Origin POST", "POST", "reset", "127.0.0.1:4566", "https://evil.example", 403},
		{"foreign Origin PUT faults", "PUT", "faults", "127.0.0.1:4566", "http://evil.example", 403},
		{"null Origin", "POST", "reset", "127.0.0.1:4566", "null", 403},
		{"file Origin", "POST", "clock/advance", "localhost:4566", "file://", 403},
		{"lookalike Origin", "POST", "reset", "127.0.0.1:4566", "http://127.0.0.1.evil.example", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.path == "faults" {
				body = `{}`
			}
			st, got := adminDo(t, emu, tt.method, tt.path, tt.host, tt.origin, body)
			if st != tt.want {
				t.Fatalf("%s %s Host %q Origin %q: status %d (%s), want %d", tt.method, tt.path, tt.host, tt.origin, st, got, tt.want)
			}
		})
	}
}

func TestAdminFaultValidation(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	tests := []struct {
		body, want string
	}{
		{`{"latency":{"sagemaker:*":-5}}`, "latency.sagemaker:*: -5: want a duration"},
		{`{"errors":[{"operation":"sagemaker:Search","code":"InternalFailure","probability":7}]}`, "errors[0].probability: 7: want a share from 0 to 1"},
		{`{"throttle":{"sagemaker:Search":{"perSecond":-1,"burst":1}}}`, "throttle.sagemaker:Search.perSecond: -1: want a positive number"},
		{`{"throttle":{"sagemaker:Search":{"perSecond":5,"burst":-2}}}`, "throttle.sagemaker:Search.burst"},
		{`{"errors":[{"operation":"Search","code":"X"}]}`, "errors[0].operation"},
		{`{"errors":[{"operation":"sts:*"}]}`, "errors[0].code: required"},
		{`{"errors":[{"operation":"sts:*","code":"X","status":200}]}`, "errors[0].status"},
		{`{"errors":[{"operation":"sts:*","code":"X","count":-1}]}`, "errors[0].count"},
		{`{"latency":{"nokey":5}}`, `latency.nokey: key`},
	}
	for _, tt := range tests {
		st, body := adminDo(t, emu, "PUT", "faults", "127.0.0.1:4566", "", tt.body)
		if st != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("PUT faults %s: %d %s, want 400 with %q", tt.body, st, body, tt.want)
		}
	}
	good := `{"throttle":{"sagemaker:Search":{"perSecond":20,"burst":20}},"latency":{"*":1000},` +
		`"errors":[{"operation":"cloudwatch:GetMetricData","code":"InternalFailure","status":500,"count":2},{"operation":"sts:*","code":"X","probability":0.5}]}`
	if st, body := adminDo(t, emu, "PUT", "faults", "127.0.0.1:4566", "", good); st != 200 {
		t.Errorf("good faults: %d %s", st, body)
	}
}

func TestScenarioFaultValidation(t *testing.T) {
	_, err := emulator.ParseScenario("s.yaml", []byte(`apiVersion: sagesaver.io/v1alpha1
kind: Scenario
faults:
  errors:
    - operation: "sagemaker:Search"
      code: InternalFailure
      probability: 7
accounts: []
`))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:") || !strings.Contains(err.Error(), "probability") {
		t.Fatalf("err = %v, want one naming s.yaml and probability", err)
	}
}
