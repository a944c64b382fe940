package serve

import (
	"net/http"
	"strings"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// actView is the confirmation page of a mutation (its dry run) and the
// page of its result.
type actView struct {
	Verb     string // "apply" or "restore"
	Title    string
	Rule     string
	Resource string
	Name     string
	DryRun   bool
	Result   ActResult
	Err      string
	User     string
}

// canAct answers 403 unless mutations are enabled.
func (s *Server) canAct(w http.ResponseWriter) bool {
	if !s.opts.Actions || s.opts.Act == nil {
		http.Error(w, "the dashboard is read-only: start serve with --actions to act from it", http.StatusForbidden)
		return false
	}
	return true
}

// apply shows the dry run of one finding (GET) and, confirmed, applies it
// (POST) through the executor, as the dashboard's user.
func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	if !s.canAct(w) {
		return
	}
	rule, res := strings.TrimSpace(r.FormValue("rule")), strings.TrimSpace(r.FormValue("resource"))
	id, err := resource.ParseID(res)
	if rule == "" || err != nil {
		http.Error(w, "rule and resource: name the finding to apply", http.StatusBadRequest)
		return
	}
	dry := r.Method != http.MethodPost
	v := &actView{Verb: "apply", Title: "Apply " + rule + " to " + id.Name, Rule: rule, Resource: id.String(), Name: id.Name, DryRun: dry, User: s.user(r)}
	v.Result, err = s.opts.Act.Apply(r.Context(), rule, id.String(), v.User, dry)
	if err != nil {
		v.Err = err.Error()
		w.WriteHeader(http.StatusConflict)
	}
	s.opts.Log.Info("dashboard apply", "rule", rule, "resource", id, "dry_run", dry, "by", v.User, "run", v.Result.Run, "err", err)
	s.render(w, r, "act", s.page("opportunities", v.Title, v))
}

// restore shows the dry run of restoring a deleted endpoint (GET) and,
// confirmed, restores it (POST).
func (s *Server) restore(w http.ResponseWriter, r *http.Request) {
	if !s.canAct(w) {
		return
	}
	id, err := resource.ParseID(strings.TrimSpace(r.FormValue("id")))
	if err != nil || id.Kind != resource.Endpoint {
		http.Error(w, "id: name a deleted endpoint (ACCOUNT/REGION/endpoint/NAME)", http.StatusBadRequest)
		return
	}
	id = id.Whole()
	dry := r.Method != http.MethodPost
	v := &actView{Verb: "restore", Title: "Restore " + id.Name, Resource: id.String(), Name: id.Name, DryRun: dry, User: s.user(r)}
	v.Result, err = s.opts.Act.Restore(r.Context(), id.Account, id.Region, id.Name, v.User, dry)
	if err != nil {
		v.Err = err.Error()
		w.WriteHeader(http.StatusConflict)
	}
	s.opts.Log.Info("dashboard restore", "resource", id, "dry_run", dry, "by", v.User, "err", err)
	s.render(w, r, "act", s.page("inventory", v.Title, v))
}
