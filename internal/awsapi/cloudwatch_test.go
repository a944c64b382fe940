package awsapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// On an endpoint without RPC v2 CBOR, the run's CloudWatch clients switch
// to the query protocol after the first failed CBOR request, once for every
// region, and say so once at info; over CBOR-capable endpoints nothing
// changes.
func TestCloudWatchProtocolFallsBackOnce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noCBOR     bool
		wantCBOR   int64
		wantQuery  bool
		wantLogged int
	}{
		{"endpoint without CBOR", true, 1, true, 1},
		{"AWS", false, 4, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := emulator.New(emulator.Options{NoCBOR: tc.noCBOR})
			var cborRequests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/service/") {
					cborRequests.Add(1)
				}
				emu.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			p := awsapi.NewCloudWatchProtocol(false, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
			cfg := emulatortest.Config(t, srv.URL, "AKID")
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				rc := cfg.Copy()
				rc.Region = region
				cw := p.Client(rc)
				for range 2 {
					if _, err := cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{}); err != nil {
						t.Fatalf("%s ListMetrics: %v", region, err)
					}
				}
			}
			if got := cborRequests.Load(); got != tc.wantCBOR {
				t.Errorf("%d CBOR requests, want %d", got, tc.wantCBOR)
			}
			if p.Query() != tc.wantQuery {
				t.Errorf("Query() = %v, want %v", p.Query(), tc.wantQuery)
			}
			if n := strings.Count(logs.String(), "level=INFO"); n != tc.wantLogged {
				t.Errorf("%d info lines, want %d:\n%s", n, tc.wantLogged, logs.String())
			}
			if got := emu.Counters().Calls["cloudwatch:ListMetrics"]; got != 4 {
				t.Errorf("%d ListMetrics answered, want 4", got)
			}
		})
	}
}

// What an endpoint without CBOR answers (a 404 with an XML body) is
// recognised as such; an ordinary AWS error is not.
func TestCBORUnsupported(t *testing.T) {
	env := emulatortest.StartWith(t, emulator.Options{NoCBOR: true}, "")
	_, err := awsapi.NewCloudWatch(env.Cfg, false).ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
	if err == nil || !awsapi.CBORUnsupported(err) {
		t.Errorf("no-CBOR endpoint: %v, want CBORUnsupported", err)
	}
	aws := emulatortest.Start(t, "")
	_, err = awsapi.NewCloudWatch(aws.Cfg, false).ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{NextToken: new("bogus")})
	if err == nil || awsapi.CBORUnsupported(err) {
		t.Errorf("InvalidNextToken over CBOR: %v, want an ordinary API error", err)
	}
}
