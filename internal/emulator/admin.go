package emulator

import (
	"encoding/json"
	"io"
	"net/http"
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
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
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
		s.SetFaults(cfg)
		reply(map[string]bool{"ok": true})
	default:
		fail(http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path)
	}
}
