package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
)

// deepFlow is n nested flow sequences: "[[[...]]]".
func deepFlow(n int) []byte {
	return []byte("x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n")
}

// deepBlock is n nested block mappings, one level per line.
func deepBlock(n int) []byte {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return []byte(b.String())
}

// billionLaughs is the classic alias bomb: 10 levels of 10 aliases each.
const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// The same bomb in block style, sequences at their key's indentation.
const blockLaughs = `a: &a
- lol
- lol
- lol
- lol
b: &b
- *a
- *a
- *a
- *a
c: &c
- *b
- *b
- *b
- *b
d: &d
- *c
- *c
- *c
- *c
e: &e
  x: *d
  y: *d
  z: *d
  w: *d
f: &f
  - [*e, *e, *e, *e]
  - [*e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f]
`

func TestCheckBoundsRefuses(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		lim  config.Limits
		want string // substring of the error
		line int
	}{
		{"100,000 nested [", deepFlow(100000), config.DefaultLimits, "y.yaml:1:67: nested deeper than the limit of 64 levels", 1},
		{"10,000 nested [", deepFlow(10000), config.DefaultLimits, "nested deeper than the limit of 64 levels", 1},
		{"flow maps", []byte("a:\n  b: " + strings.Repeat("{x: ", 100) + "1" + strings.Repeat("}", 100) + "\n"), config.DefaultLimits, "y.yaml:2:", 2},
		{"deep block", deepBlock(200), config.DefaultLimits, "y.yaml:65:65: nested deeper", 65},
		{"deep sequences", []byte(strings.Repeat("- ", 100) + "x\n"), config.DefaultLimits, "nested deeper", 1},
		{"flow over lines", []byte("a: [\n" + strings.Repeat("[\n", 70) + strings.Repeat("]\n", 70) + "]\n"), config.DefaultLimits, "y.yaml:64:1:", 64},
		{"billion laughs", []byte(billionLaughs), config.DefaultLimits, "aliases expand the document past the limit of 4194304 bytes", 0},
		{"block laughs", []byte(blockLaughs), config.Limits{MaxBytes: 64 << 10}, "aliases expand the document past the limit of 65536 bytes", 0},
		{"size", []byte("a: " + strings.Repeat("x", 2000) + "\n"), config.Limits{MaxBytes: 1000}, "y.yaml: file is 2004 bytes, over the limit of 1000 bytes", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := config.CheckBounds("y.yaml", tt.data, tt.lim)
			var fe *config.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckBounds = %v, want a *FileError with %q", err, tt.want)
			}
			if tt.line > 0 && fe.Line != tt.line {
				t.Errorf("line %d, want %d", fe.Line, tt.line)
			}
		})
	}
}

// What the scanner must let through: every kind of YAML our files use.
func TestCheckBoundsAccepts(t *testing.T) {
	ok := []string{
		"a: [b, c] # [[[[ in a comment\n",
		"a: 'it''s [[[[ {{{{ quoted'\nb: \"esc \\\" [[[[\"\n",
		"a: x[y]{z}\nb: plain [ text\n",
		"a: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n  {{{{\nb: 1\n",
		"a: &x {k: v}\nb: *x\nc: &y\n  - 1\n  - *x\nd: [*y, *y]\n<<: *x\n",
		"---\na: 1\n...\n",
		"a: \"multi\n  line [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n  end\"\n",
		strings.Repeat("- a\n", 1000),
	}
	for _, s := range ok {
		if err := config.CheckBounds("y.yaml", []byte(s), config.DefaultLimits); err != nil {
			t.Errorf("CheckBounds(%q) = %v", s, err)
		}
	}
	// Exactly at the limit.
	if err := config.CheckBounds("y.yaml", deepFlow(62), config.DefaultLimits); err != nil {
		t.Errorf("62 nested [: %v", err)
	}
}

// Every YAML file in the repository passes: the limits leave room for
// real files.
func TestCheckBoundsRepositoryFiles(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if err := config.CheckBounds(path, data, config.DefaultLimits); err != nil {
			t.Errorf("%v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d YAML files found", n)
	}
}

// DecodeStrict refuses the deep document before the YAML library builds
// it: the 200 KB file of 100,000 "[" costs little memory.
func TestDecodeStrictDeepNestingSmallMemory(t *testing.T) {
	data := deepFlow(100000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var v map[string]any
	err := config.DecodeStrict("deep.yaml", data, &v)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "deep.yaml:1:") || !strings.Contains(err.Error(), "limit of 64 levels") {
		t.Fatalf("DecodeStrict = %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes refusing a %d-byte file", alloc, len(data))
	}
}

func TestReadStrictSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte("a: "+strings.Repeat("x", config.DefaultMaxBytes)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	err := config.ReadStrict(path, &v)
	var fe *config.FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), path+": file is 4194308 bytes, over the limit of 4194304 bytes") {
		t.Fatalf("ReadStrict = %v", err)
	}
	if _, err := config.ReadLimited(path, 10); err == nil {
		t.Fatal("ReadLimited: no error")
	}
}

// A tag with no value made the YAML library panic (found by
// FuzzDecodeStrict): it is one error with its line.
func TestDecodeStrictBareTag(t *testing.T) {
	var c config.Config
	err := config.DecodeStrict("c.yaml", []byte("apiVersion: sagesaver.io/v1alpha1\nregions: !foo \n"), &c)
	if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:2:") || !strings.Contains(err.Error(), "tag !foo has no value") {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeStrictLocalTag(t *testing.T) {
	var c config.Config
	err := config.DecodeStrict("c.yaml", []byte("regions: !foo x\n"), &c)
	if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:1:") || !strings.Contains(err.Error(), "unknown tag !foo") {
		t.Fatalf("err = %v", err)
	}
}
