package config

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// timeFormats are the layouts goccy/go-yaml accepts for a time.Time
// (its allowedTimestampFormats), RFC 3339 first.
var timeFormats = []string{
	time.RFC3339Nano,
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// checkValues finds a time.Duration or time.Time field of v written as a
// string that does not parse, or an integer field written with a fraction,
// and returns a *FileError naming its line and field. The YAML decoder
// reports a bad duration without any position, silently reads a bad time
// as the zero time and truncates 2.5 to 2, so DecodeStrict asks this walk
// of the document beside v's type. It returns nil when every such value is
// good (or v has no such field).
func checkValues(body ast.Node, v any) *FileError {
	t := reflect.TypeOf(v)
	if t == nil || body == nil || !needsCheck(t, map[reflect.Type]bool{}) {
		return nil
	}
	return walk(body, t, checkValue)
}

// unlinkEntries cuts the document's token list before each entry of every
// block sequence that v's type decodes entry by entry (a slice whose type
// does not decode itself). The YAML library hands a value with a custom
// unmarshaler (UnmarshalJSON, ...) its text by first indexing every token
// reachable from the value's first token, so on a whole document each
// such value costs the size of the file, and a policy of thousands of
// rules takes minutes (goccy/go-yaml#714). Cut at entries, it costs the
// size of its entry: a custom type never spans two entries of a slice
// that it is not itself. The tree, positions and values are unchanged.
func unlinkEntries(body ast.Node, v any) {
	t := reflect.TypeOf(v)
	if t == nil || body == nil {
		return
	}
	walk(body, t, func(_, value ast.Node, t reflect.Type) *FileError {
		seq, ok := value.(*ast.SequenceNode)
		if !ok || seq.IsFlowStyle || customUnmarshaler(t) || (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
			return nil
		}
		for _, e := range seq.Entries {
			if tk := e.Start; tk != nil && tk.Prev != nil {
				tk.Prev.Next = nil
				tk.Prev = nil
			}
		}
		return nil
	})
}

// needsCheck reports whether a value of type t can hold a time.Duration or a
// time.Time decoded by the YAML decoder itself.
func needsCheck(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == timeType || isInt(t) || t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64 {
		return true
	}
	if seen[t] || customUnmarshaler(t) {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && needsCheck(f.Type, seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		return needsCheck(t.Elem(), seen)
	}
	return false
}

var (
	nodeUnmarshaler = reflect.TypeOf((*interface{ UnmarshalYAML(ast.Node) error })(nil)).Elem()
	jsonUnmarshaler = reflect.TypeOf((*interface{ UnmarshalJSON([]byte) error })(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem()
	yamlUnmarshaler = reflect.TypeOf((*interface{ UnmarshalYAML(func(any) error) error })(nil)).Elem()
)

// customUnmarshaler reports whether t decodes itself (and so reports its
// own errors).
func customUnmarshaler(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(nodeUnmarshaler) || p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) || p.Implements(yamlUnmarshaler)
}

// visitor is called by walk for each value node with the Go type it
// decodes into (pointers removed); node is as written (with any tag or
// anchor), value without them. A non-nil result stops the walk.
type visitor func(node, value ast.Node, t reflect.Type) *FileError

// walk visits n, decoded into t, and the values inside it that the YAML
// decoder itself decodes into struct fields, map values and list entries.
// It does not descend into a type that decodes itself, nor follow aliases.
func walk(n ast.Node, t reflect.Type, visit visitor) *FileError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	value := n
	for {
		switch x := value.(type) {
		case *ast.TagNode:
			value = x.Value
			continue
		case *ast.AnchorNode:
			value = x.Value
			continue
		}
		break
	}
	if value == nil || value.Type() == ast.AliasType {
		return nil
	}
	if fe := visit(n, value, t); fe != nil {
		return fe
	}
	if t == durationType || t == timeType || customUnmarshaler(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := cachedFields(t)
		for _, mv := range mappingValues(value) {
			if ft, ok := fields[mv.Key.GetToken().Value]; ok {
				if fe := walk(mv.Value, ft, visit); fe != nil {
					return fe
				}
			}
		}
	case reflect.Map:
		for _, mv := range mappingValues(value) {
			if fe := walk(mv.Value, t.Elem(), visit); fe != nil {
				return fe
			}
		}
	case reflect.Slice, reflect.Array:
		if seq, ok := value.(*ast.SequenceNode); ok {
			for _, v := range seq.Values {
				if fe := walk(v, t.Elem(), visit); fe != nil {
					return fe
				}
			}
		}
	}
	return nil
}

// checkValue is checkValues' visitor.
func checkValue(_, n ast.Node, t reflect.Type) *FileError {
	s, isString := n.(*ast.StringNode)
	switch {
	case t == durationType:
		switch {
		case isString:
			if _, err := ParseDuration(s.Value); err != nil {
				return NodeError(n, err.Error())
			}
		case n.Type() != ast.NullType && !isCollection(n):
			// A bare number has no unit: 90 seconds or 90 hours?
			return NodeError(n, fmt.Sprintf("%s is not a duration: want e.g. 90s, 15m, 36h or 3d", n.GetToken().Value))
		}
	case t == timeType:
		if isString && !parsesAsTime(s.Value) {
			return NodeError(n, fmt.Sprintf("%q is not a time: want RFC 3339, e.g. 2026-01-02T15:04:05Z", s.Value))
		}
	case customUnmarshaler(t):
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		if n.Type() == ast.NanType || n.Type() == ast.InfinityType {
			return NodeError(n, fmt.Sprintf("%s is not a finite number", n.GetToken().Value))
		}
	case isInt(t):
		// The decoder truncates 1.5 to 1; a count is written whole.
		if f, ok := n.(*ast.FloatNode); ok && f.Value != float64(int64(f.Value)) {
			return NodeError(n, fmt.Sprintf("%s is not a whole number", f.GetToken().Value))
		}
	}
	return nil
}

// locateUnmarshalError finds the value whose custom unmarshaler (an
// UnmarshalJSON, UnmarshalText or UnmarshalYAML of the document's own
// types) returned err, which the YAML decoder passes on with no position:
// it decodes each such value on its own and returns a *FileError with
// err's message at the first one that fails with the same message. It
// returns nil when none does.
func locateUnmarshalError(data []byte, v any, err error) *FileError {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil
	}
	f, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		return nil
	}
	for _, doc := range f.Docs {
		unlinkEntries(doc.Body, v)
	}
	want := err.Error()
	visit := func(node, value ast.Node, t reflect.Type) *FileError {
		if !customUnmarshaler(t) {
			return nil
		}
		dst := reflect.New(t)
		if e := yaml.NodeToValue(node, dst.Interface(), yaml.UseJSONUnmarshaler(), yaml.CustomUnmarshaler(unmarshalDuration)); e != nil && e.Error() == want {
			return NodeError(value, want)
		}
		return nil
	}
	for _, doc := range f.Docs {
		if doc.Body != nil {
			if fe := walk(doc.Body, t, visit); fe != nil {
				return fe
			}
		}
	}
	return nil
}

// unmarshalDuration decodes every time.Duration of every YAML document in
// the syntax of ParseDuration (the decoder's own reads Go's only, without
// days). checkValues reports a bad one with its line first.
func unmarshalDuration(d *time.Duration, b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("not a duration: want e.g. 90s, 15m, 36h or 3d")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func isCollection(n ast.Node) bool {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType, ast.SequenceType:
		return true
	}
	return false
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return t != durationType
	}
	return false
}

func parsesAsTime(s string) bool {
	for _, layout := range timeFormats {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// mappingValues returns the key-value pairs of a mapping node (goccy
// writes a one-pair mapping as a lone MappingValueNode).
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

// fieldCache holds yamlFields by type: walk asks once per mapping node,
// and a large document has thousands of them.
var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

func cachedFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := yamlFields(t)
	fieldCache.Store(t, m)
	return m
}

// yamlFields maps a struct's YAML keys to the types of their fields, with
// inline and embedded structs' fields in place, as the decoder reads them.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, inline, skip := yamlKey(f)
		if skip {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if inline && ft.Kind() == reflect.Struct {
			for k, v := range yamlFields(ft) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
			continue
		}
		out[name] = f.Type
	}
	return out
}
