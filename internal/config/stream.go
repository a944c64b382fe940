package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Streaming. The YAML library holds a document's every token and node at
// once (about 50 bytes of tokens per byte of YAML, and as much again of
// tree), so a large file is decoded a piece at a time: each long block
// sequence (a scenario's notebooks, a policy's rules) entry by entry,
// the rest of the document (its skeleton, with those sequences cut out)
// in one piece. Memory is then the decoded values plus one entry's tree.
const (
	// minStreamBytes is the size from which a document is streamed;
	// below it one piece costs less than the bookkeeping.
	minStreamBytes = 256 << 10
	// minStreamEntries is the length from which a sequence is decoded
	// entry by entry.
	minStreamEntries = 64
)

// bigSeq is a block sequence of at least minStreamEntries entries, each
// starting a line: col is its entries' column, entries the offsets of
// their lines, end the offset where it ends.
type bigSeq struct {
	col     int
	entries []int
	end     int
}

// errNoStream says that a document cannot be streamed (a sequence whose
// Go type decodes itself, say): it is decoded in one piece.
var errNoStream = errors.New("not streamable")

// decodeStream decodes data (already scanned by sc) into v, streaming the
// long sequences of a large document; errors name lines of data. A
// document with anchors is decoded in one piece: an alias may refer
// across entries.
func decodeStream(file string, data []byte, v any, sc *boundScanner, lim Limits) error {
	var seqs []bigSeq
	if len(data) >= minStreamBytes && len(sc.anchors) == 0 {
		seqs = outermost(sc.big)
	}
	if len(seqs) == 0 {
		_, err := decodeWhole(file, data, v)
		return err
	}
	err := decodeSeqs(file, data, v, seqs, lim)
	if errors.Is(err, errNoStream) {
		// Start again, in one piece, from the zero value.
		rv := reflect.ValueOf(v).Elem()
		rv.Set(reflect.Zero(rv.Type()))
		_, err = decodeWhole(file, data, v)
	}
	return err
}

// outermost returns the sequences of big that no other holds, in order.
func outermost(big []bigSeq) []bigSeq {
	slices.SortFunc(big, func(a, b bigSeq) int { return a.entries[0] - b.entries[0] })
	var out []bigSeq
	for _, s := range big {
		if n := len(out); n > 0 && s.entries[0] < out[n-1].end {
			continue
		}
		out = append(out, s)
	}
	return out
}

func decodeSeqs(file string, data []byte, v any, seqs []bigSeq, lim Limits) error {
	// The skeleton: each sequence replaced by one null entry at its first
	// line ("- ~"), every other line blank, so that lines stay the same.
	skel := make([]byte, 0, len(data))
	prev := 0
	lines := make([]int, len(seqs)) // the first entry's line, 1-based
	line := 1
	for k, s := range seqs {
		skel = append(skel, data[prev:s.entries[0]]...)
		line += bytes.Count(data[prev:s.entries[0]], []byte("\n"))
		lines[k] = line
		n := bytes.Count(data[s.entries[0]:s.end], []byte("\n"))
		skel = append(skel, strings.Repeat(" ", s.col)+"- ~"...)
		if n > 0 {
			skel = append(skel, bytes.Repeat([]byte("\n"), n)...)
		}
		line += n
		prev = s.end
	}
	skel = append(skel, data[prev:]...)
	body, err := decodeWhole(file, skel, v)
	if err != nil {
		return errNoStream // the whole document says what is wrong
	}
	paths := seqPaths(body, lines)
	for k, s := range seqs {
		path, ok := paths[lines[k]]
		if !ok {
			return errNoStream
		}
		field := strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
		err := atPath(reflect.ValueOf(v), splitPath(field), func(slice reflect.Value) error {
			if slice.Kind() != reflect.Slice || customUnmarshaler(slice.Type()) || !slice.CanSet() {
				return errNoStream
			}
			out := reflect.MakeSlice(slice.Type(), 0, len(s.entries))
			base := lines[k] - 1
			for i, start := range s.entries {
				end := s.end
				if i+1 < len(s.entries) {
					end = s.entries[i+1]
				}
				chunk := data[start:end]
				one := reflect.New(slice.Type())
				csc, err := scanBounds(file, chunk, lim)
				if err == nil {
					err = decodeStream(file, chunk, one.Interface(), csc, lim)
				}
				if err != nil {
					return relocate(err, base, fmt.Sprintf("%s[%d]", field, i))
				}
				out = reflect.AppendSlice(out, one.Elem())
				base += bytes.Count(chunk, []byte("\n"))
			}
			slice.Set(out)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// relocate makes an error of one entry, decoded on its own as a sequence
// of one, an error of the document: lines move down by base, and the
// field "[0]..." becomes the entry's path.
func relocate(err error, base int, entry string) error {
	var fe *FileError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Line > 0 {
		fe.Line += base
	}
	switch {
	case fe.Field == "[0]" || fe.Field == "":
		fe.Field = entry
	case strings.HasPrefix(fe.Field, "[0]"):
		fe.Field = entry + strings.TrimPrefix(fe.Field, "[0]")
	}
	return fe
}

// seqPaths maps the line of each sequence's first entry, for the lines
// wanted, to the sequence's path ("$.rules").
func seqPaths(body ast.Node, lines []int) map[int]string {
	want := map[int]bool{}
	for _, l := range lines {
		want[l] = true
	}
	out := map[int]string{}
	if body == nil {
		return out
	}
	ast.Walk(seqVisitor(func(n *ast.SequenceNode) {
		if len(n.Entries) > 0 && n.Entries[0].Start != nil && n.Entries[0].Start.Position != nil {
			if l := n.Entries[0].Start.Position.Line; want[l] {
				out[l] = n.GetPath()
			}
		}
	}), body)
	return out
}

type seqVisitor func(*ast.SequenceNode)

func (f seqVisitor) Visit(n ast.Node) ast.Visitor {
	if s, ok := n.(*ast.SequenceNode); ok {
		f(s)
	}
	return f
}

// splitPath splits a field path ("accounts[0].regions.'a.b'.notebooks")
// into its keys and indexes ("[0]").
func splitPath(p string) []string {
	var out []string
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			i := strings.IndexByte(p, ']')
			if i < 0 {
				return append(out, p)
			}
			out = append(out, p[:i+1])
			p = p[i+1:]
		case p[0] == '\'':
			i := strings.IndexByte(p[1:], '\'')
			if i < 0 {
				return append(out, p)
			}
			out = append(out, p[1:i+1])
			p = p[i+2:]
		default:
			i := strings.IndexAny(p, ".[")
			if i < 0 {
				i = len(p)
			}
			out = append(out, p[:i])
			p = p[i:]
		}
	}
	return out
}

// atPath calls fn with the value at path inside v (a pointer), as the
// decoder placed it: struct fields by their YAML names, map values
// (copied out and stored back) by key, slice elements by index.
func atPath(v reflect.Value, path []string, fn func(reflect.Value) error) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return errNoStream
		}
		v = v.Elem()
	}
	if len(path) == 0 {
		return fn(v)
	}
	key, rest := path[0], path[1:]
	switch v.Kind() {
	case reflect.Struct:
		f, ok := fieldByYAMLName(v, key)
		if !ok {
			return errNoStream
		}
		return atPath(f, rest, fn)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return errNoStream
		}
		k := reflect.ValueOf(key).Convert(v.Type().Key())
		cur := v.MapIndex(k)
		if !cur.IsValid() {
			return errNoStream
		}
		cp := reflect.New(cur.Type()).Elem()
		cp.Set(cur)
		if err := atPath(cp, rest, fn); err != nil {
			return err
		}
		v.SetMapIndex(k, cp)
		return nil
	case reflect.Slice, reflect.Array:
		i, err := strconv.Atoi(strings.Trim(key, "[]"))
		if err != nil || !strings.HasPrefix(key, "[") || i < 0 || i >= v.Len() {
			return errNoStream
		}
		return atPath(v.Index(i), rest, fn)
	}
	return errNoStream
}

// fieldByYAMLName finds the field of struct v that the decoder fills
// from key, looking into inline and embedded structs as it does.
func fieldByYAMLName(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, inline, skip := yamlKey(t.Field(i))
		if skip {
			continue
		}
		fv := v.Field(i)
		if inline {
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if got, ok := fieldByYAMLName(fv, key); ok {
					return got, true
				}
			}
			continue
		}
		if name == key {
			return fv, true
		}
	}
	return reflect.Value{}, false
}

// yamlKey is how the decoder reads struct field f: under key, or, when
// inline (an embedded struct without a name, or ",inline"), field by
// field in place; skip for unexported fields and "-".
func yamlKey(f reflect.StructField) (key string, inline, skip bool) {
	if !f.IsExported() && !f.Anonymous {
		return "", false, true
	}
	name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return "", false, true
	}
	inline = (f.Anonymous && name == "") || strings.Contains(opts, "inline")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, inline, false
}
