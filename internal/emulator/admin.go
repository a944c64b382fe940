package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// adminPrefix is where the control API lives: outside every AWS path.
const adminPrefix = "/_emulator/"

// The admin API (JSON over HTTP, for black-box tests in any language):
//
//	GET  /_emulator/health             {"ok":true}
//	GET  /_emulator/clock              {"now":"2026-11-25T12:00:00Z"}
//	POST /_emulator/clock/advance      {"duration":"90m"}  -> {"now":...}
//	POST /_emulator/scenario           YAML scenario body (replaces all state)
//	POST /_emulator/reset              drop all state, faults and counters
//	GET  /_emulator/sns/messages       [PublishedMessage...]
//	GET  /_emulator/counters           {"calls":{"sagemaker:Search":3},"throttled":{},"total":3}
//	POST /_emulator/counters/reset
//	PUT  /_emulator/faults             FaultConfig as JSON
//
// The admin API changes the emulator's state without credentials, so, as a
// local dashboard must, it answers only requests addressed to it by a
// loopback name or a configured host (a web page cannot rebind its own
// name to 127.0.0.1 and drive it), and refuses any request but a GET from
// a web page of another origin (any page a developer opens could
// otherwise reset it or inject faults with a form or fetch).
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, adminPrefix)
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if msg := s.checkAdminOrigin(r); msg != "" {
		fail(http.StatusForbidden, msg)
		return
	}
	// One byte over the scenario limit, so that ParseScenario says so.
	body, _ := io.ReadAll(io.LimitReader(r.Body, ScenarioLimits.MaxBytes+1))
	switch {
	case path == "health":
		reply(map[string]bool{"ok": true})
	case path == "clock" && r.Method == http.MethodGet:
		reply(map[string]time.Time{"now": s.Now()})
	case path == "clock/advance" && r.Method == http.MethodPost:
		var req struct {
			Duration string `json:"duration"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			fail(http.StatusBadRequest, "body must be {\"duration\":\"90m\"}")
			return
		}
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d < 0 {
			fail(http.StatusBadRequest, "duration: a non-negative Go duration such as 90m or 24h")
			return
		}
		reply(map[string]time.Time{"now": s.Advance(d)})
	case path == "scenario" && r.Method == http.MethodPost:
		sc, err := ParseScenario("request body", body)
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		if err := s.Load(sc); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		reply(map[string]any{"ok": true, "now": s.Now()})
	case path == "reset" && r.Method == http.MethodPost:
		s.Reset()
		reply(map[string]bool{"ok": true})
	case path == "sns/messages" && r.Method == http.MethodGet:
		msgs := s.Published()
		if msgs == nil {
			msgs = []PublishedMessage{}
		}
		reply(msgs)
	case path == "counters" && r.Method == http.MethodGet:
		reply(s.Counters())
	case path == "counters/reset" && r.Method == http.MethodPost:
		s.ResetCounters()
		reply(map[string]bool{"ok": true})
	case path == "faults" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		var cfg FaultConfig
		if err := json.Unmarshal(body, &cfg); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		if err := cfg.Validate(); err != nil {
			fail(http.StatusBadRequest, "faults: "+err.Error())
			return
		}
		s.SetFaults(cfg)
		reply(map[string]bool{"ok": true})
	default:
		fail(http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path)
	}
}

// checkAdminOrigin returns why the admin request r is refused, or "".
// The Host header must name a loopback host ("localhost", "*.localhost",
// 127.0.0.0/8, ::1) or one of the configured AdminHosts; a request other
// than GET or HEAD that carries an Origin header must come from such a
// host too ("null", a file or a foreign page is refused).
func (s *Server) checkAdminOrigin(r *http.Request) string {
	if !s.adminHost(hostOnly(r.Host)) {
		return fmt.Sprintf("admin API: Host %q is not a loopback or configured host", r.Host)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ""
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Not a browser (curl, a test, an SDK): browsers send Origin
		// with every cross-origin request and every POST.
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !s.adminHost(u.Hostname()) {
		return fmt.Sprintf("admin API: %s from Origin %q refused: only pages served from a loopback or configured host may change the emulator", r.Method, origin)
	}
	return ""
}

// adminHost reports whether host (no port, no brackets) may address the
// admin API.
func (s *Server) adminHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.adminHosts {
		if host != "" && strings.EqualFold(host, strings.Trim(h, "[]")) {
			return true
		}
	}
	return false
}

// hostOnly strips the port from a Host header value.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
