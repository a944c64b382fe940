// Package serve is sagesaver's dashboard and Prometheus endpoint: a
// net/http server that renders html/template pages from embedded files,
// with interactivity and charts from small vendored scripts (htmx, uPlot;
// see static/vendor/VERSIONS), no Node build and no CDN.
//
// Security model (docs/serve.md): it binds 127.0.0.1 by default and
// refuses a non-loopback address unless authentication is on (CheckBind);
// authentication is a random token generated on first start, stored
// hashed (LoadOrCreateToken), given as a bearer token or a login cookie;
// every request's Host must be on an allow-list (DNS rebinding); every
// unsafe method passes http.CrossOriginProtection; every answer carries a
// strict Content-Security-Policy without inline script, nosniff,
// Referrer-Policy same-origin and frame-ancestors 'none'.
//
// What the pages show comes from a Source (the latest priced inventory),
// the state store (runs, audit log, savings ledger, idle streaks) and an
// Evidence reader (CloudWatch series for the resource page).
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// csp is the Content-Security-Policy of every answer: scripts, styles,
// images and fetches from this origin only, no inline script or style
// element, no plugins, no framing, forms post here only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Options configure a Server.
type Options struct {
	// Addr is the listen address; its host also joins the Host allow-list.
	Addr string
	// Auth checks the access token; nil turns authentication off (only
	// allowed on a loopback address).
	Auth *Auth
	// AllowedHosts are further host names (without port) accepted in the
	// Host header, e.g. the name a reverse proxy forwards.
	AllowedHosts []string
	Store        store.Store
	Source       Source
	// Evidence reads CloudWatch for the resource page; nil shows no chart.
	Evidence Evidence
	Catalog  *pricing.Catalog
	// Clock is "now" (the emulator's in the demo); default the wall clock.
	Clock clock.Clock
	Log   *slog.Logger
	// Version is the build's version, for the footer and build_info.
	Version string
	// Schedules are the schedules file's, for the Schedules page and the
	// resource page's preview (nil: none loaded).
	Schedules []*schedule.Schedule
	// Policies are the policies the ticks or the actions apply; the
	// inventory marks a resource protected when one's protect tag is on it
	// (nil: the default tag, policy.DefaultProtectTag).
	Policies []*policy.Policy
	// Demo labels the pages as the demo fleet.
	Demo bool
	// Actions lets people act from the pages (dismiss and snooze
	// opportunities; apply a finding and restore an endpoint when Act is
	// set). Off, the dashboard is read-only and every mutation gets 403.
	Actions bool
	// Act runs a mutation through the same executor as `apply` and
	// `restore`; nil leaves only dismissals.
	Act Actor
	// ProxyHeader names the header a trusted authenticating proxy (such as
	// oauth2-proxy's X-Forwarded-Email) sets to the user it logged in. It
	// is honoured only on requests from TrustedProxies: from anywhere else
	// it is ignored and the token is still needed.
	ProxyHeader    string
	TrustedProxies []netip.Prefix
}

// Server is the dashboard. Create it with New; Handler serves it.
type Server struct {
	opts  Options
	hosts []string
	pages *pages
	h     http.Handler
	rows  rowCache
	plans planCache
}

// CheckBind refuses to listen on addr without authentication unless addr
// is a loopback address: a dashboard that shows an account's fleet and
// audit log is not published to a network by accident. A host name other
// than localhost counts as non-loopback.
func CheckBind(addr string, auth bool) error {
	if auth {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if isLoopback(host) {
		return nil
	}
	return fmt.Errorf("listen address %s is not a loopback address: serving it needs authentication (the access token); drop --no-auth or listen on 127.0.0.1", addr)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// New returns a Server; it fails when the address may not be served
// without authentication (CheckBind) or the templates do not parse.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if err := CheckBind(opts.Addr, opts.Auth != nil); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Source == nil {
		return nil, errors.New("serve: no inventory source")
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, pages: p, rows: rowCache{schedules: opts.Schedules, policies: opts.Policies}}
	s.hosts = allowedHosts(opts.Addr, opts.AllowedHosts)
	s.h = s.routes()
	return s, nil
}

// allowedHosts are the loopback names, addr's host unless it is a
// wildcard, and the extra names.
func allowedHosts(addr string, extra []string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" {
		if ip, err := netip.ParseAddr(h); err != nil || !ip.IsUnspecified() {
			hosts = append(hosts, strings.ToLower(h))
		}
	}
	for _, h := range extra {
		hosts = append(hosts, strings.ToLower(strings.Trim(h, "[]")))
	}
	return hosts
}

// Handler is the whole site: security checks around the routes.
func (s *Server) Handler() http.Handler { return s.h }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.opts.Source.Latest() == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "waiting for the first inventory")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)

	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", s.overview)
	app.HandleFunc("GET /inventory", s.inventory)
	app.HandleFunc("GET /inventory.csv", s.inventoryCSV)
	app.HandleFunc("GET /inventory.json", s.inventoryJSON)
	app.HandleFunc("GET /resource", s.resourcePage)
	app.HandleFunc("GET /savings", s.savings)
	app.HandleFunc("GET /activity", s.activity)
	app.HandleFunc("GET /opportunities", s.opportunitiesPage)
	app.HandleFunc("POST /opportunities/dismiss", s.dismiss)
	app.HandleFunc("GET /schedules", s.schedulesPage)
	app.HandleFunc("GET /apply", s.apply)
	app.HandleFunc("POST /apply", s.apply)
	app.HandleFunc("GET /restore", s.restore)
	app.HandleFunc("POST /restore", s.restore)
	app.Handle("GET /metrics", s.metricsHandler())
	mux.Handle("/", s.requireAuth(app))

	cop := http.NewCrossOriginProtection()
	return s.checkHost(securityHeaders(cop.Handler(mux)))
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// checkHost answers 421 to a request whose Host is not on the allow-list,
// so that a DNS-rebinding page cannot reach the dashboard under its own
// name.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if !slices.Contains(s.hosts, host) {
			http.Error(w, "host not allowed: start serve with --allowed-host "+host+" to serve it", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth lets through a request with the token as a bearer token or
// login cookie; a browser is sent to the login page, anything else gets
// 401.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	if s.opts.Auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authenticated(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sagesaver"`)
		http.Error(w, "authentication required: send the access token as a bearer token, or log in at /login", http.StatusUnauthorized)
	})
}

func (s *Server) authenticated(r *http.Request) bool {
	if s.proxyUser(r) != "" {
		return true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.opts.Auth.Valid(strings.TrimSpace(tok))
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return s.opts.Auth.Valid(c.Value)
	}
	return false
}

// proxyUser is the user a trusted proxy names in ProxyHeader, or "" when
// the request does not come straight from a TrustedProxies address (the
// TCP peer, never a forwarded-for header, which anyone can send).
func (s *Server) proxyUser(r *http.Request) string {
	if s.opts.ProxyHeader == "" || len(s.opts.TrustedProxies) == 0 {
		return ""
	}
	v := strings.TrimSpace(r.Header.Get(s.opts.ProxyHeader))
	if v == "" {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(ip) {
			return v
		}
	}
	return ""
}

// user is who makes a request, as the audit log records it: the trusted
// proxy's user, else "token" (whoever holds the access token) or "local"
// (no authentication, loopback only); prefixed "dashboard:".
func (s *Server) user(r *http.Request) string {
	if u := s.proxyUser(r); u != "" {
		return "dashboard:" + u
	}
	if s.opts.Auth != nil {
		return "dashboard:token"
	}
	return "dashboard:local"
}

// safeNext is the page to go to after logging in: a local path only.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.opts.Auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// A link with the token (as serve prints it on first start) logs in
	// once and drops the token from the address bar.
	if tok := r.URL.Query().Get("token"); tok != "" {
		if s.opts.Auth.Valid(tok) {
			s.setCookie(w, r, tok)
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, "login", &loginView{Next: safeNext(r.URL.Query().Get("next")), Error: "That token is not valid."})
		return
	}
	s.render(w, r, "login", &loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.opts.Auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	if !s.opts.Auth.Valid(tok) {
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, "login", &loginView{Next: next, Error: "That token is not valid."})
		return
	}
	s.setCookie(w, r, tok)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, tok string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int((30 * 24 * time.Hour).Seconds())})
}

// Serve listens on the Server's address and serves until ctx ends, then
// shuts down, letting requests in flight finish for a few seconds. ready,
// when not nil, is called with the bound address once listening.
func (s *Server) Serve(ctx context.Context, ready func(addr net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.opts.Addr, err)
	}
	srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return ctx }}
	if ready != nil {
		ready(ln.Addr())
	}
	return Run(ctx, ln, srv)
}

// Run serves srv on ln until ctx ends, then shuts it down, letting
// requests in flight finish for up to 5 seconds. It returns srv.Serve's
// error when serving stops first, else the shutdown's, if any.
func Run(ctx context.Context, ln net.Listener, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
