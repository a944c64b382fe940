package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// FileError is a problem with one place in a user's YAML file: the file, the
// 1-based line and column, the field (when known) and what is wrong. Every
// YAML document sagesaver reads (config, policies, schedules, scenarios)
// reports its errors this way, so that the user gets one clear line.
type FileError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
	// Err is the error behind Msg, when there is one: the file system's
	// for a file that cannot be read (errors.Is(err, fs.ErrNotExist)).
	Err error
}

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// ReadError is the *FileError of a user file that cannot be read (missing,
// a directory, no permission): the user's input, like a malformed file.
func ReadError(path string, err error) *FileError {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error() // the path is already named
	}
	return &FileError{File: path, Msg: msg, Err: err}
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Validator is implemented by documents that check their own values after
// decoding. Validate returns a *FileError (or nil) whose Line may be zero;
// DecodeStrict fills in the line of the field it names where it can.
type Validator interface {
	Validate() error
}

// ReadStrict reads a YAML file and decodes it with DecodeStrict.
func ReadStrict(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return ReadError(path, err)
	}
	return DecodeStrict(path, data, v)
}

// DecodeStrict decodes one YAML document into v, refusing unknown fields,
// duplicate keys and type mismatches with a *FileError that names the file,
// line, column and field. If v implements Validator, it is validated too.
// A custom unmarshaler inside v (UnmarshalJSON, UnmarshalText, ...) may
// return a plain error: DecodeStrict finds the value that gave it and names
// its line and field. One that implements UnmarshalYAML(ast.Node) can
// return NodeError itself.
func DecodeStrict(file string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &FileError{File: file, Msg: "file is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.UseJSONUnmarshaler())
	if err := dec.Decode(v); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return Attach(file, data, fe)
		}
		if fe := checkValues(data, v); fe != nil {
			fe.File = file
			return fe
		}
		var ye yaml.Error
		if !errors.As(err, &ye) {
			if fe := locateUnmarshalError(data, v, err); fe != nil {
				fe.File = file
				return fe
			}
		}
		return yamlError(file, data, err)
	}
	if fe := checkValues(data, v); fe != nil {
		fe.File = file
		return fe
	}
	if val, ok := v.(Validator); ok {
		if err := val.Validate(); err != nil {
			return Attach(file, data, err)
		}
	}
	return nil
}

// Attach makes err, a problem found in the YAML document data read from
// file, a *FileError: a *FileError (wrapped or not) gets the file and, when
// its Line is zero, the line and column of its Field; any other error
// becomes the message of a *FileError that names only the file. It is for
// checks that run after DecodeStrict, on the decoded document.
func Attach(file string, data []byte, err error) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		return &FileError{File: file, Msg: err.Error()}
	}
	fe.File = file
	if fe.Line == 0 && fe.Field != "" {
		fe.Line, fe.Column = Locate(data, fe.Field)
	}
	return fe
}

// NodeError is the error a custom unmarshaler (UnmarshalYAML(ast.Node))
// returns for a bad value: it names the value's line, column and field
// path ("rules[0].conditions.idleFor"), and DecodeStrict adds the file.
func NodeError(node ast.Node, msg string) *FileError {
	fe := &FileError{Field: strings.TrimPrefix(strings.TrimPrefix(node.GetPath(), "$"), "."), Msg: msg}
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
	}
	return fe
}

func yamlError(file string, data []byte, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &FileError{File: file, Msg: err.Error()}
	}
	fe := &FileError{File: file, Msg: ye.GetMessage()}
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
		if strings.HasPrefix(fe.Msg, "unknown field") {
			fe.Field = tk.Value
			fe.Msg = "unknown field"
		} else {
			// A type mismatch ("maxActions: many") names the value's token;
			// its path in the document is the field.
			fe.Field = fieldAt(data, tk.Position.Line, tk.Position.Column)
		}
	}
	return fe
}

// fieldAt returns the path ("rules[0].maxActions") of the node whose token
// starts at line and col, or "" when none does.
func fieldAt(data []byte, line, col int) string {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	v := &posFinder{line: line, col: col}
	for _, doc := range f.Docs {
		if doc.Body != nil {
			ast.Walk(v, doc.Body)
		}
	}
	return strings.TrimPrefix(strings.TrimPrefix(v.path, "$"), ".")
}

type posFinder struct {
	line, col int
	path      string
}

func (v *posFinder) Visit(n ast.Node) ast.Visitor {
	if v.path != "" {
		return nil
	}
	if _, ok := n.(*ast.MappingValueNode); !ok {
		if tk := n.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line == v.line && tk.Position.Column == v.col {
			v.path = n.GetPath()
			return nil
		}
	}
	return v
}

// Locate finds the line and column of the field named by a dotted path
// ("rules[2].match.tags", "accounts[0].regions.us-east-1") in the YAML
// source data. A field that is not in the source (a required field left
// out) is reported at its nearest parent that is, so that a problem in the
// second rule never points at the first. As a last resort it looks for
// the last path element as a mapping key anywhere. It returns 0, 0 when
// nothing is found.
func Locate(data []byte, field string) (line, col int) {
	for p := field; p != ""; p = parentPath(p) {
		path, err := yaml.PathString("$." + p)
		if err != nil {
			continue
		}
		node, err := path.ReadNode(bytes.NewReader(data))
		if err != nil || node == nil {
			continue
		}
		if tk := node.GetToken(); tk != nil && tk.Position != nil {
			return tk.Position.Line, tk.Position.Column
		}
	}
	key := field
	if i := strings.LastIndexAny(key, ".]"); i >= 0 {
		key = key[i+1:]
	}
	if j := strings.IndexByte(key, '['); j >= 0 {
		key = key[:j]
	}
	if key == "" {
		return 0, 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(l, " -")
		if strings.HasPrefix(t, key+":") {
			return i + 1, len(l) - len(t) + 1
		}
	}
	return 0, 0
}

// parentPath drops the last element of a field path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "". A quoted key ('a.b') is one element.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
		return ""
	}
	if strings.HasSuffix(p, "'") {
		if i := strings.LastIndex(p[:len(p)-1], ".'"); i >= 0 {
			return p[:i]
		}
		return ""
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}
