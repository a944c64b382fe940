package serve

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticHandler serves the embedded static files (vendored scripts, the
// style sheet, app.js); they change only with the binary, so a day of
// caching is safe.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// pages are the page templates, each parsed with the layout.
type pages struct {
	t map[string]*template.Template
}

var pageNames = []string{"overview", "inventory", "resource", "savings", "activity", "opportunities", "act", "schedules", "login", "waiting", "notfound"}

func parsePages() (*pages, error) {
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

func (p *pages) execute(w io.Writer, name string, data any) error {
	t, ok := p.t[name]
	if !ok {
		return fmt.Errorf("no template %s", name)
	}
	return t.ExecuteTemplate(w, "layout.html", data)
}

var funcs = template.FuncMap{
	"price":     pricing.Price.String,
	"total":     fmtTotal,
	"money":     func(m pricing.Money) string { return m.String() },
	"rate":      pricing.Price.Rate,
	"ago":       ago,
	"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"whenp":     func(t *time.Time) string { return whenPtr(t) },
	"hours":     func(h float64) string { return fmt.Sprintf("%.1f h", h) },
	"q":         urlQueryEscape,
	"hasPrefix": strings.HasPrefix,
	"list":      func(xs ...string) []string { return xs },
	"add":       func(a, b int) int { return a + b },
	"usd":       func(v float64) string { return pricing.MustParseMoney(strconv.FormatFloat(v, 'f', 2, 64)).String() },
	"list2":     func(a, b any) []any { return []any{a, b} },
	"since": func(now time.Time, t *time.Time) string {
		if t == nil {
			return ""
		}
		return ago(now.Sub(*t))
	},
	"dur": func(d time.Duration) string {
		if d < time.Second {
			return d.Round(time.Millisecond).String()
		}
		return d.Round(100 * time.Millisecond).String()
	},
}

// fmtTotal is a total as the pages show it: "$12.34", "~$12.34" with an
// estimate in it, "≥ $12.34" with unknown terms (the count is beside it).
func fmtTotal(t pricing.Total) string {
	switch {
	case t.Items > 0 && t.Unknown == t.Items:
		return "unknown"
	case t.Unknown > 0:
		return "≥ " + t.Sum.String()
	case t.Estimated > 0:
		return "~" + t.Sum.String()
	}
	return t.Sum.String()
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago is a duration for people: "40 s", "12 min", "3 h 5 min", "2 d 4 h".
func ago(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}
