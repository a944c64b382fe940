package awsconfig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/logging"
)

// DefaultTimeout is the longest one attempt of one AWS call may take, from
// dialling to the last byte of the answer, unless --aws-timeout says
// otherwise. A SageMaker or CloudWatch call answers in well under a second
// and a Price List page in a few; a minute leaves room for a slow network
// while a silent endpoint is given up on in one minute per attempt, not
// never (the SDK's own client has no overall timeout).
const DefaultTimeout = time.Minute

// The phases of an attempt have their own, shorter limits (each also capped
// by the overall timeout): a TCP connection or a TLS handshake that takes
// more than 10 s will not succeed, and AWS answers with headers within
// seconds of the request even for the slowest calls we make (a
// GetMetricData of 500 queries, a Price List page). With two attempts, an
// endpoint that accepts and stays silent is given up on in about 30 s.
const (
	connectTimeout = 10 * time.Second
	tlsTimeout     = 10 * time.Second
	headerTimeout  = 15 * time.Second
)

// netMaxAttempts is how many attempts a call gets when it cannot reach the
// endpoint at all (no such host, connection refused, TLS failure, no
// answer in time): one retry rides out a blip, while ten attempts with
// backoff (the throttling budget) would hold a scan of a wrong or dead
// endpoint up for minutes.
const netMaxAttempts = 2

// netRetryDelay caps the wait before that one retry.
const netRetryDelay = time.Second

// newHTTPClient returns the SDK's buildable client with every phase of an
// attempt bounded by timeout (and the phase limits above).
func newHTTPClient(timeout time.Duration) aws.HTTPClient {
	return awshttp.NewBuildableClient().
		WithTimeout(timeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = min(connectTimeout, timeout) }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = min(tlsTimeout, timeout)
			t.ResponseHeaderTimeout = min(headerTimeout, timeout)
		})
}

// netRetryer gives calls that cannot reach their endpoint netMaxAttempts
// attempts, and every other error the wrapped retryer's.
type netRetryer struct{ aws.RetryerV2 }

func (r netRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if Unreachable(err) != Reached {
		if attempt >= netMaxAttempts {
			return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
		}
		d, derr := r.RetryerV2.RetryDelay(attempt, err)
		return min(d, netRetryDelay), derr
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// NetProblem is why a call got no answer from its endpoint.
type NetProblem int

// The problems.
const (
	// Reached: the endpoint answered (or the error is not a network one).
	Reached NetProblem = iota
	// BadURL: the endpoint URL cannot be used (scheme, host).
	BadURL
	// DNS: the endpoint's host name does not resolve.
	DNS
	// Refused: nothing listens at the endpoint's address and port.
	Refused
	// TLS: the TLS handshake failed (certificate, protocol).
	TLS
	// Timeout: the endpoint did not connect or answer in time.
	Timeout
)

func (p NetProblem) String() string {
	return [...]string{"reached", "bad endpoint URL", "host not found", "connection refused", "TLS handshake failed", "timed out"}[p]
}

// Unreachable says why err, from an AWS call, got no answer, or Reached
// when it did (or err is not about the network). A canceled context is
// Reached too: the user stopped it, the endpoint did nothing wrong.
func Unreachable(err error) NetProblem {
	if err == nil || errors.Is(err, context.Canceled) {
		return Reached
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error
	msg := err.Error()
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return Timeout
		}
		return DNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &invalidCert), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return TLS
	case strings.Contains(msg, "unsupported protocol scheme"), strings.Contains(msg, "no Host in request URL"),
		strings.Contains(msg, "invalid URL"):
		return BadURL
	case errors.As(err, &netErr) && netErr.Timeout():
		return Timeout
	case strings.Contains(msg, "TLS handshake timeout"):
		return Timeout
	case strings.Contains(msg, "tls: "):
		return TLS
	}
	return Reached
}

// Host is the host (and port) that err's request was sent to, or "".
func Host(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Name
	}
	return ""
}

// Explain is one line on why err's call got no answer: the endpoint, what
// went wrong and what to do, with timeout the --aws-timeout in force. It
// returns "" when the endpoint was reached.
func Explain(err error, timeout time.Duration) string {
	p := Unreachable(err)
	if p == Reached {
		return ""
	}
	host := Host(err)
	if host == "" {
		host = "the endpoint"
	}
	switch p {
	case BadURL:
		return "the endpoint URL is not usable: give an http:// or https:// URL with a host (--endpoint-url, AWS_ENDPOINT_URL)"
	case DNS:
		return fmt.Sprintf("host %s not found (DNS): check the region and --endpoint-url, and your network's name service", host)
	case Refused:
		return fmt.Sprintf("connection to %s refused: nothing listens there; check --endpoint-url and that the service is running", host)
	case TLS:
		return fmt.Sprintf("TLS handshake with %s failed (certificate or protocol): check the URL's scheme and the server's certificate", host)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return fmt.Sprintf("no answer from %s within %s (--aws-timeout): check --endpoint-url, proxies and firewalls, or raise --aws-timeout", host, timeout)
}

// sdkLogger sends the SDK's own log lines (retries, "falling back to
// IMDSv1" and other warnings meant for developers) to log at debug level,
// so that they never reach a user's terminal unasked; nil discards them.
func sdkLogger(log *slog.Logger) logging.Logger {
	if log == nil {
		return logging.Nop{}
	}
	return logging.LoggerFunc(func(class logging.Classification, format string, v ...interface{}) {
		log.Debug("aws sdk: "+fmt.Sprintf(format, v...), "class", string(class))
	})
}
