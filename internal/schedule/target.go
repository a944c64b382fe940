package schedule

import (
	"path"
	"regexp"
	"strings"
)

// Kind is a kind of resource a schedule acts on.
type Kind string

// Kinds.
const (
	KindNotebook  Kind = "notebook"   // notebook instances: started and stopped
	KindStudioApp Kind = "studio-app" // Studio apps: stopped (deleted) only
	KindEndpoint  Kind = "endpoint"   // endpoints: scaled down and up where AWS allows it
	// KindMLflow is MLflow tracking servers: started and stopped (their
	// experiments and artifacts are kept while stopped).
	KindMLflow Kind = "mlflow-tracking-server"
)

// Kinds lists the kinds a target may name.
var Kinds = []Kind{KindNotebook, KindStudioApp, KindEndpoint, KindMLflow}

// Target selects resources of one kind. Every matcher that is set must
// match (they are ANDed); a target must set at least one.
type Target struct {
	Kind Kind `yaml:"kind" json:"kind"`
	// NamePrefix matches names that start with it ("dev-").
	NamePrefix string `yaml:"namePrefix,omitempty" json:"namePrefix,omitempty"`
	// NameGlob matches names with path.Match syntax ("dev-*", "*-[0-9]"),
	// except that * and ? also match "/" (Studio apps are OWNER/TYPE/NAME).
	NameGlob string `yaml:"nameGlob,omitempty" json:"nameGlob,omitempty"`
	// NameRegex matches names with Go regexp syntax, unanchored.
	NameRegex string `yaml:"nameRegex,omitempty" json:"nameRegex,omitempty"`
	// Tags must all be present with these values; "*" matches any value.
	Tags map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`

	re *regexp.Regexp
}

// compile checks the target and returns the field in error ("nameRegex")
// and why.
func (t *Target) compile() (field, msg string) {
	known := false
	for _, k := range Kinds {
		known = known || t.Kind == k
	}
	if !known {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return "kind", "must be one of " + strings.Join(names, ", ") + "; got \"" + string(t.Kind) + "\""
	}
	if t.NamePrefix == "" && t.NameGlob == "" && t.NameRegex == "" && len(t.Tags) == 0 {
		return "", "a target must set namePrefix, nameGlob, nameRegex or tags (nameGlob: \"*\" selects all)"
	}
	if t.NameGlob != "" {
		if _, err := path.Match(t.NameGlob, ""); err != nil {
			return "nameGlob", "bad pattern " + t.NameGlob + ": " + err.Error()
		}
	}
	if t.NameRegex != "" {
		re, err := regexp.Compile(t.NameRegex)
		if err != nil {
			return "nameRegex", err.Error()
		}
		t.re = re
	}
	for k := range t.Tags {
		if strings.TrimSpace(k) == "" {
			return "tags", "empty tag key"
		}
	}
	return "", ""
}

// unitSep stands in for "/" when a glob is matched (see Matches).
const unitSep = "\x1f"

// Matches reports whether a resource of kind with name and tags is a
// target. A Target that came from a file is compiled; one built by hand
// with NameRegex set but not compiled matches nothing.
func (t *Target) Matches(kind Kind, name string, tags map[string]string) bool {
	if kind != t.Kind {
		return false
	}
	if t.NamePrefix != "" && !strings.HasPrefix(name, t.NamePrefix) {
		return false
	}
	if t.NameGlob != "" {
		// path.Match's * stops at "/", but Studio apps are named
		// OWNER/TYPE/NAME and "*" must select everything: match with the
		// slashes of both sides swapped for a byte names never contain.
		if ok, _ := path.Match(strings.ReplaceAll(t.NameGlob, "/", unitSep), strings.ReplaceAll(name, "/", unitSep)); !ok {
			return false
		}
	}
	if t.NameRegex != "" && (t.re == nil || !t.re.MatchString(name)) {
		return false
	}
	for k, want := range t.Tags {
		got, ok := tags[k]
		if !ok || (want != "*" && got != want) {
			return false
		}
	}
	return true
}

// Matches reports whether any of the schedule's targets matches.
func (s *Schedule) Matches(kind Kind, name string, tags map[string]string) bool {
	for i := range s.Targets {
		if s.Targets[i].Matches(kind, name, tags) {
			return true
		}
	}
	return false
}
