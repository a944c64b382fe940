package jupyter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/jupyter"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
)

func newClient(t *testing.T, s *jupytertest.Srv) *jupyter.Client {
	t.Helper()
	c, err := jupyter.New(s.URL, jupyter.Options{Token: s.Token, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRealServers runs the client against both real servers, over HTTP with
// a token and over HTTPS with a self-signed certificate and no token (as on
// notebook instances).
func TestRealServers(t *testing.T) {
	for _, kind := range jupytertest.Kinds {
		for _, tlsOn := range []bool{false, true} {
			name := fmt.Sprintf("%s/tls=%v", kind, tlsOn)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s := jupytertest.Start(t, kind, jupytertest.Options{TLS: tlsOn, NoToken: tlsOn})
				c := newClient(t, s)
				ctx := context.Background()

				v, err := c.Version(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := map[jupytertest.Kind]string{jupytertest.Notebook: "6.", jupytertest.Server: "1."}[kind]
				if len(v) < 2 || v[:2] != want {
					t.Errorf("version = %q, want %s*", v, want)
				}

				ks, err := c.Kernels(ctx)
				if err != nil || len(ks) != 0 {
					t.Fatalf("kernels at start = %v, %v; want none", ks, err)
				}
				id := s.StartKernel(t)
				s.Execute(t, id, "import time; time.sleep(3)")
				ks, err = c.Kernels(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(ks) != 1 || ks[0].ID != id || ks[0].ExecutionState != "busy" {
					t.Fatalf("kernels while sleeping = %+v; want %s busy", ks, id)
				}
				if age := time.Since(ks[0].LastActivity); age < 0 || age > time.Minute {
					t.Errorf("kernel last_activity %v is %v from now", ks[0].LastActivity, age)
				}

				term := s.NewTerminal(t)
				s.Type(t, term, "echo hello\r")
				ts, err := c.Terminals(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(ts) != 1 || ts[0].Name != term || time.Since(ts[0].LastActivity) > time.Minute {
					t.Errorf("terminals = %+v; want %s with recent activity", ts, term)
				}

				st, err := c.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Kernels != 1 || st.Started.IsZero() || st.LastActivity.Before(st.Started) {
					t.Errorf("status = %+v", st)
				}
			})
		}
	}
}

// TestPollingDoesNotMoveLastActivity checks that the client's requests are
// not counted as activity by either server, while a user's are.
func TestPollingDoesNotMoveLastActivity(t *testing.T) {
	for _, kind := range jupytertest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := jupytertest.Start(t, kind, jupytertest.Options{})
			c := newClient(t, s)
			ctx := context.Background()
			before, err := c.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			for range 3 {
				if _, err := c.Version(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Kernels(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Terminals(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Status(ctx); err != nil {
					t.Fatal(err)
				}
			}
			after, err := c.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !after.LastActivity.Equal(before.LastActivity) {
				t.Errorf("polling moved last_activity from %v to %v", before.LastActivity, after.LastActivity)
			}

			// The same request without no_track_activity, as a browser
			// sends it, does move it: the check above can fail.
			s.Do(t, "GET", "api/kernels", nil, nil)
			user, err := c.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !user.LastActivity.After(after.LastActivity) {
				t.Errorf("a user's request left last_activity at %v", user.LastActivity)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	s := jupytertest.Start(t, jupytertest.Server, jupytertest.Options{})
	c, err := jupyter.New(s.URL, jupyter.Options{Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kernels(context.Background()); !errors.Is(err, jupyter.ErrUnauthorized) {
		t.Errorf("kernels with a wrong token: err = %v, want ErrUnauthorized", err)
	}
}

func TestNewRefusesInsecureRemote(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"https://localhost:8443", false},
		{"https://127.0.0.1:8443/", false},
		{"https://[::1]:8443/", false},
		{"https://example.com:8443/", true},
		{"ftp://localhost/", true},
	}
	for _, tt := range tests {
		_, err := jupyter.New(tt.url, jupyter.Options{InsecureSkipVerify: true})
		if (err != nil) != tt.wantErr {
			t.Errorf("New(%q) err = %v, wantErr %v", tt.url, err, tt.wantErr)
		}
	}
}
