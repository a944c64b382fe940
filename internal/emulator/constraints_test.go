package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/testutil"
)

// botocoreModels names, for each emulated service, its model in botocore's
// data directory (service/api-version).
var botocoreModels = map[string]string{
	"sagemaker":               "sagemaker/2017-07-24",
	"cloudwatch":              "cloudwatch/2010-08-01",
	"sns":                     "sns/2010-03-31",
	"sts":                     "sts/2011-06-15",
	"pricing":                 "pricing/2017-10-15",
	"application-autoscaling": "application-autoscaling/2016-02-06",
	"tagging":                 "resourcegroupstaggingapi/2017-01-26",
	"organizations":           "organizations/2016-11-28",
}

// TestConstraintsTable checks that the committed constraints table covers
// every operation the emulator serves, so that a new operation cannot go
// unvalidated. With -update (go generate) it rebuilds the table from
// botocore's models: $SAGESAVER_BOTOCORE_DATA, or the data directory of
// the botocore that python3 imports.
func TestConstraintsTable(t *testing.T) {
	if testutil.Update() {
		writeConstraints(t)
	}
	var table map[string]*serviceRules
	if err := json.Unmarshal(constraintsJSON, &table); err != nil && !testutil.Update() {
		t.Fatalf("constraints.json: %v", err)
	}
	if testutil.Update() {
		b, err := os.ReadFile("constraints.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &table); err != nil {
			t.Fatal(err)
		}
	}
	for _, svc := range allServices() {
		if _, ok := botocoreModels[svc.name]; !ok {
			t.Errorf("service %s: no botocore model named in botocoreModels", svc.name)
			continue
		}
		for op := range svc.ops {
			sr := table[svc.name]
			if sr == nil || sr.Ops[op] == "" {
				t.Errorf("%s:%s has no entry in constraints.json: run go generate ./internal/emulator", svc.name, op)
			}
		}
	}
}

// botocoreShape is a shape of botocore's service-2.json.
type botocoreShape struct {
	Type     string         `json:"type"`
	Required []string       `json:"required"`
	Members  orderedMembers `json:"members"`
	Member   struct {
		Shape string `json:"shape"`
	} `json:"member"`
	Value struct {
		Shape string `json:"shape"`
	} `json:"value"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Pattern string   `json:"pattern"`
	Enum    []string `json:"enum"`
}

func writeConstraints(t *testing.T) {
	dir := os.Getenv("SAGESAVER_BOTOCORE_DATA")
	if dir == "" {
		out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))").Output()
		if err != nil {
			t.Fatalf("find botocore (set SAGESAVER_BOTOCORE_DATA): %v", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	table := map[string]*serviceRules{}
	for _, svc := range allServices() {
		model := readBotocoreModel(t, filepath.Join(dir, botocoreModels[svc.name]))
		sr := &serviceRules{Ops: map[string]string{}, Shapes: map[string]*shapeRule{}}
		g := &pruner{model: model.Shapes, memo: map[string]bool{}}
		var ops []string
		for op := range svc.ops {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			o, ok := model.Operations[op]
			if !ok {
				t.Fatalf("%s: operation %s is not in botocore's model", svc.name, op)
			}
			in := o.Input.Shape
			if in == "" || !g.keep(in) {
				in = "-" // served, nothing to check
			}
			sr.Ops[op] = in
		}
		for name := range g.memo {
			if g.memo[name] {
				sr.Shapes[name] = g.rule(name)
			}
		}
		table[svc.name] = sr
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(table); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("constraints.json", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote constraints.json (%d bytes) from %s", buf.Len(), dir)
}

type botocoreModel struct {
	Operations map[string]struct {
		Input struct {
			Shape string `json:"shape"`
		} `json:"input"`
	} `json:"operations"`
	Shapes map[string]*botocoreShape `json:"shapes"`
}

func readBotocoreModel(t *testing.T, dir string) *botocoreModel {
	t.Helper()
	var r io.Reader
	if f, err := os.Open(filepath.Join(dir, "service-2.json.gz")); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	} else {
		f, err := os.Open(filepath.Join(dir, "service-2.json"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r = f
	}
	var m botocoreModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return &m
}

// pruner keeps the shapes that constrain something (directly or through
// their members), so the table stays small.
type pruner struct {
	model map[string]*botocoreShape
	memo  map[string]bool
}

func (p *pruner) keep(name string) bool {
	if k, ok := p.memo[name]; ok {
		return k
	}
	p.memo[name] = false // a recursive shape is kept only for its own constraints
	s := p.model[name]
	if s == nil {
		return false
	}
	k := s.Min != nil || s.Max != nil || s.Pattern != "" || len(s.Enum) > 0
	switch s.Type {
	case "structure":
		k = k || len(s.Required) > 0
		for _, m := range s.Members {
			if p.keep(m.shape) {
				k = true
			}
		}
	case "list":
		k = p.keep(s.Member.Shape) || k
	case "map":
		k = p.keep(s.Value.Shape) || k
	}
	p.memo[name] = k
	return k
}

func (p *pruner) rule(name string) *shapeRule {
	s := p.model[name]
	r := &shapeRule{Type: s.Type, Min: s.Min, Max: s.Max, Pattern: s.Pattern, Enum: s.Enum}
	if s.Type == "string" || s.Type == "structure" || s.Type == "list" || s.Type == "map" {
		if r.Min != nil && *r.Min == 0 {
			r.Min = nil // a length of at least 0 says nothing
		}
	}
	switch s.Type {
	case "structure":
		r.Required = s.Required
		// In the model's order, which AWS's messages list violations in.
		for _, m := range s.Members {
			if p.memo[m.shape] || slices.Contains(s.Required, m.name) {
				r.Members = append(r.Members, [2]string{m.name, m.shape})
			}
		}
	case "list":
		if p.memo[s.Member.Shape] {
			r.Member = s.Member.Shape
		}
	case "map":
		if p.memo[s.Value.Shape] {
			r.Value = s.Value.Shape
		}
	}
	return r
}

// orderedMembers are a structure's members in the model's order (a Go map
// would lose it).
type orderedMembers []struct{ name, shape string }

func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var m struct {
			Shape string `json:"shape"`
		}
		if err := dec.Decode(&m); err != nil {
			return err
		}
		*o = append(*o, struct{ name, shape string }{tok.(string), m.Shape})
	}
	return nil
}
