package emulator_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/emulator"
)

// FuzzCloudWatchRequest sends arbitrary bodies to the CloudWatch operations
// over the three protocols: whatever the body, the emulator answers with an
// AWS-shaped response (never a panic, never a 5xx of its own making).
// Run longer with: go test ./internal/emulator -run XXX -fuzz FuzzCloudWatchRequest
func FuzzCloudWatchRequest(f *testing.F) {
	emu := emulator.New(emulator.Options{})
	sc, err := emulator.ParseScenario("fuzz.yaml", []byte(cwScenario))
	if err != nil {
		f.Fatal(err)
	}
	if err := emu.Load(sc); err != nil {
		f.Fatal(err)
	}
	ops := []string{"GetMetricData", "GetMetricStatistics", "ListMetrics", "PutMetricData", "Nope"}
	f.Add(uint8(0), uint8(0), []byte{0xbf, 0x69, 'S', 't', 'a', 'r', 't', 'T', 'i', 'm', 'e', 0xc1, 0x1a, 0x69, 0x25, 0x6d, 0x40, 0xff})
	f.Add(uint8(1), uint8(0), []byte(`{"StartTime":1795000000,"EndTime":1795003600,"MetricDataQueries":[{"Id":"a","Expression":"FILL(b,0)/(2*(b+1"}]}`))
	f.Add(uint8(2), uint8(0), []byte("Action=GetMetricData&Version=2010-08-01&StartTime=2026-11-25T00:00:00Z&EndTime=2026-11-25T01:00:00Z&MetricDataQueries.member.1.Id=a&MetricDataQueries.member.1.Expression=SUM(%5Ba%5D)"))
	f.Add(uint8(2), uint8(3), []byte("Action=PutMetricData&Version=2010-08-01&Namespace=X&MetricData.member.1.MetricName=m&MetricData.member.1.Values.member.1=1&MetricData.member.1.Counts.member.1=1e9"))
	f.Add(uint8(1), uint8(2), []byte(`{"Dimensions":[{"Value":"x"}],"NextToken":"!!"}`))
	f.Fuzz(func(t *testing.T, proto, opIdx uint8, body []byte) {
		op := ops[int(opIdx)%len(ops)]
		var r *http.Request
		switch proto % 3 {
		case 0:
			r = httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/"+op, bytes.NewReader(body))
			r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
			r.Header.Set("Content-Type", "application/cbor")
		case 1:
			r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
			r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		default:
			r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261125/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0")
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s: status %d: %s", []string{"cbor", "json", "query"}[proto%3], op, w.Code, w.Body.String())
		}
		if w.Code >= 400 {
			if qe := w.Header().Get("X-Amzn-Query-Error"); proto%3 != 2 && qe == "" && !strings.Contains(w.Body.String(), "__type") {
				t.Fatalf("error without an AWS error shape: %d %q", w.Code, w.Body.String())
			}
		}
	})
}
