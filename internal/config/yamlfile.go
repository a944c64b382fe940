package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
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

// ReadStrict reads a YAML file of at most DefaultLimits.MaxBytes and
// decodes it with DecodeStrict.
func ReadStrict(path string, v any) error {
	data, err := ReadLimited(path, DefaultLimits.MaxBytes)
	if err != nil {
		return err
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
//
// The document must be within DefaultLimits (see CheckBounds), checked
// before the YAML library reads it.
func DecodeStrict(file string, data []byte, v any) error {
	return DecodeBounded(file, data, v, DefaultLimits)
}

// DecodeBounded is DecodeStrict with other limits, for a kind of file that
// is larger by nature (an emulator scenario).
func DecodeBounded(file string, data []byte, v any, lim Limits) error {
	sc, err := scanBounds(file, data, lim)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &FileError{File: file, Msg: "file is empty"}
	}
	if err := decodeStream(file, data, v, sc, lim); err != nil {
		return err
	}
	if val, ok := v.(Validator); ok {
		if err := val.Validate(); err != nil {
			return Attach(file, data, err)
		}
	}
	return nil
}

// decodeWhole decodes the document data into v in one piece, without
// validating it, and returns its parsed body.
func decodeWhole(file string, data []byte, v any) (ast.Node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, data, err)
	}
	// The first document with a body, as the decoder's Decode reads.
	var body ast.Node
	for _, doc := range f.Docs {
		if doc.Body != nil {
			body = doc.Body
			break
		}
	}
	unlinkEntries(body, v)
	if err := decodeNode(body, v); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, Attach(file, data, fe)
		}
		if fe := checkValues(body, v); fe != nil {
			fe.File = file
			return nil, fe
		}
		var ye yaml.Error
		if !errors.As(err, &ye) {
			if fe := locateUnmarshalError(data, v, err); fe != nil {
				fe.File = file
				return nil, fe
			}
		}
		return nil, yamlError(file, data, err)
	}
	if fe := checkValues(body, v); fe != nil {
		fe.File = file
		return nil, fe
	}
	return body, nil
}

// decodeNode decodes the parsed document body into v strictly; a nil
// body (a document of comments) leaves v as it is.
//
// A tag with no value ("regions: !x") or a local tag ("regions: !x a")
// makes the YAML library dereference nil, so both are refused here first;
// any other panic of the library is returned as an error, never passed on
// to the user.
func decodeNode(body ast.Node, v any) (err error) {
	if body == nil {
		return nil
	}
	var bare *FileError
	ast.Walk(tagVisitor(func(n *ast.TagNode) {
		if bare != nil {
			return
		}
		if _, null := n.Value.(*ast.NullNode); n.Value == nil || null {
			bare = NodeError(n, fmt.Sprintf("tag %s has no value", n.Start.Value))
		} else if !strings.HasPrefix(n.Start.Value, "!!") {
			// The library crashes on some local tags, and no sagesaver file
			// has a use for one.
			bare = NodeError(n, fmt.Sprintf("unknown tag %s: only YAML's own (!!str, !!int, ...) are allowed", n.Start.Value))
		}
	}), body)
	if bare != nil {
		return bare
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML library could not decode this document: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(nil), yaml.Strict(), yaml.UseJSONUnmarshaler(), yaml.CustomUnmarshaler(unmarshalDuration))
	return dec.DecodeFromNode(body, v)
}

type tagVisitor func(*ast.TagNode)

func (f tagVisitor) Visit(n ast.Node) ast.Visitor {
	if t, ok := n.(*ast.TagNode); ok {
		f(t)
	}
	return f
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
	fe := &FileError{File: file, Msg: typeMessage(err, ye.GetMessage())}
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

// typeMessage says what a YAML type or range error means in the user's
// words ("want a string, got a list"), not in Go's ("cannot unmarshal
// []interface {} into Go struct field Policy.Description of type string");
// msg, the decoder's own message, is kept for any other error.
func typeMessage(err error, msg string) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && te.DstType != nil && te.SrcType != nil {
		got := typeName(te.SrcType)
		switch te.SrcType.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			got = "a number"
		}
		return fmt.Sprintf("want %s, got %s", typeName(te.DstType), got)
	}
	var ne *yaml.UnexpectedNodeTypeError
	if errors.As(err, &ne) {
		return fmt.Sprintf("want %s, got %s", nodeTypeName(ne.Expected), nodeTypeName(ne.Actual))
	}
	var oe *yaml.OverflowError
	if errors.As(err, &oe) && oe.DstType != nil {
		return fmt.Sprintf("%s is out of range for %s", oe.SrcNum, typeName(oe.DstType))
	}
	return msg
}

// nodeTypeName names a YAML node type as typeName names Go's.
func nodeTypeName(t ast.NodeType) string {
	switch t {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType, ast.MappingValueType:
		return "a mapping (key: value)"
	case ast.StringType:
		return "a string"
	case ast.IntegerType, ast.FloatType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "nothing (null)"
	}
	return t.YAMLName()
}

// typeName names a Go type as a YAML writer knows it.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "a duration such as 90s, 15m or 3d"
	case t == timeType:
		return "a time such as 2026-01-02T15:04:05Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, not negative"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value)"
	}
	return "a value"
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
