// Package jupyter is a small client for the parts of the Jupyter REST API
// that tell whether anyone is using a notebook server: the server's version
// and status, its kernels and its terminals. It speaks to classic Notebook
// 6.x and jupyter_server 1.x and 2.x, over HTTP or HTTPS (notebook instances
// serve https://localhost:8443 with a self-signed certificate), with or
// without token authentication.
//
// Every request carries no_track_activity=1, which both servers honour (see
// APIHandler.update_api_activity in notebook/base/handlers.py and
// jupyter_server/base/handlers.py), so that polling never counts as user
// activity in the server's own /api/status last_activity.
package jupyter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Kernel is one running kernel as listed by GET /api/kernels.
type Kernel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// LastActivity is the time of the kernel's last message on any channel.
	// A kernel that runs a silent cell keeps the time the cell started.
	LastActivity time.Time `json:"last_activity"`
	// ExecutionState is "idle", "busy", "starting", "restarting", "dead"...
	ExecutionState string `json:"execution_state"`
	// Connections is the number of open websocket connections (browser
	// tabs, consoles) to the kernel.
	Connections int `json:"connections"`
}

// Terminal is one terminal as listed by GET /api/terminals.
type Terminal struct {
	Name string `json:"name"`
	// LastActivity is the time of the last input to or output from the
	// terminal. Servers older than Notebook 6.1 leave it zero.
	LastActivity time.Time `json:"last_activity"`
}

// Status is the server's GET /api/status.
type Status struct {
	Started      time.Time `json:"started"`
	LastActivity time.Time `json:"last_activity"`
	Kernels      int       `json:"kernels"`
	Connections  int       `json:"connections"`
}

// ErrUnauthorized means the server wants a (different) token.
var ErrUnauthorized = errors.New("jupyter: unauthorized (wrong or missing token)")

// Options configure a Client.
type Options struct {
	// Token is sent as "Authorization: token ..." when not empty.
	Token string
	// CAFile, when set, is a PEM file of certificates trusted for HTTPS.
	CAFile string
	// InsecureSkipVerify accepts any certificate. It is honoured only for
	// loopback hosts (localhost, 127.0.0.0/8, ::1), where the notebook
	// instance's self-signed certificate protects nothing the agent needs.
	InsecureSkipVerify bool
	// Timeout bounds each request; 0 means 10 seconds.
	Timeout time.Duration
	// HTTPClient replaces the client built from the options above.
	HTTPClient *http.Client
}

// Client talks to one Jupyter server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client for the server at baseURL, which includes the
// server's base path when it has one (e.g. http://localhost:8888/jupyterlab/default/).
func New(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("jupyter url %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("jupyter url %q: scheme must be http or https", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	hc := o.HTTPClient
	if hc == nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("jupyter ca file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("jupyter ca file %s: no PEM certificates", o.CAFile)
			}
			tc.RootCAs = pool
		}
		if o.InsecureSkipVerify {
			if !isLoopback(u.Hostname()) {
				return nil, fmt.Errorf("jupyter url %q: certificate checks can be skipped only for localhost", baseURL)
			}
			tc.InsecureSkipVerify = true
		}
		timeout := o.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		hc = &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				TLSClientConfig: tc,
				// Polls are minutes apart: keep one idle connection for
				// back-to-back requests within a poll only.
				MaxIdleConns:    2,
				IdleConnTimeout: 30 * time.Second,
				Proxy:           nil, // never send localhost traffic through a proxy
			},
		}
	}
	return &Client{base: u, token: o.Token, http: hc}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Version returns the server's version from GET /api: "6.4.12" for classic
// Notebook, "1.23.3" or "2.x" for jupyter_server.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := c.get(ctx, "api", &v); err != nil {
		return "", err
	}
	return v.Version, nil
}

// Status returns GET /api/status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.get(ctx, "api/status", &s)
	return s, err
}

// Kernels returns GET /api/kernels.
func (c *Client) Kernels(ctx context.Context) ([]Kernel, error) {
	var ks []Kernel
	err := c.get(ctx, "api/kernels", &ks)
	return ks, err
}

// Terminals returns GET /api/terminals. A server without terminal support
// (terminado missing, or terminals disabled) answers 404: that is no
// terminals, not an error.
func (c *Client) Terminals(ctx context.Context) ([]Terminal, error) {
	var ts []Terminal
	err := c.get(ctx, "api/terminals", &ts)
	var he *HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	return ts, err
}

// HTTPError is a non-2xx answer.
type HTTPError struct {
	Method, Path string
	StatusCode   int
	Body         string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("jupyter %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Body)
}

// URL returns the absolute URL of path (relative to the server's base),
// with no_track_activity=1.
func (c *Client) URL(path string) string {
	u := c.base.ResolveReference(&url.URL{Path: path})
	u.RawQuery = "no_track_activity=1"
	return u.String()
}

func (c *Client) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(path), nil)
	if err != nil {
		return fmt.Errorf("jupyter GET %s: %w", path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "token "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("jupyter GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("jupyter GET %s: %w", path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("jupyter GET %s: %w", path, ErrUnauthorized)
	case resp.StatusCode/100 != 2:
		return &HTTPError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Body: snippet(body)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("jupyter GET %s: decode: %w", path, err)
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
