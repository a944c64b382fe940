package serve

import (
	"net/http"
	"slices"

	"github.com/sagesaver/sagesaver/internal/ledger"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// savingsView is the Savings page: the ledger's totals, its periods summed
// by the grouping the query string names (group=action|rule|team) with a
// column pair per calendar month (UTC), and the ledger's rows. The figures
// are ledger's, as `history -o json` prints them.
type savingsView struct {
	Rows      []ledger.Entry
	Groups    []ledger.Group
	Group     string
	Groupings []string
	Months    []string
	Realized  pricing.Money
	// RealizedMon is what was realized this calendar month (UTC).
	RealizedMon pricing.Money
	Estimated   pricing.Money
	Saving      pricing.Money
	Estimate    bool
}

func (s *Server) savings(w http.ResponseWriter, r *http.Request) {
	periods, err := s.opts.Store.Savings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.opts.Clock.Now()
	entries, err := ledger.Read(r.Context(), s.opts.Store, periods, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &savingsView{Group: r.URL.Query().Get("group"), Groupings: ledger.Groupings, Months: ledger.Months(entries)}
	if !slices.Contains(ledger.Groupings, v.Group) {
		v.Group = ledger.Groupings[0]
	}
	v.Groups = ledger.GroupBy(entries, v.Group)
	t := ledger.Sum(entries, now)
	v.Realized, v.RealizedMon, v.Estimated, v.Saving, v.Estimate = t.Realized, t.RealizedMonth, t.Estimated, t.Saving, t.RealizedEstimate
	// The ledger newest first.
	v.Rows = slices.Clone(entries)
	slices.Reverse(v.Rows)
	s.render(w, r, "savings", s.page("savings", "Savings", v))
}
