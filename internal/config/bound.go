package config

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits bound what reading one user file may cost. The YAML library
// builds a token list and a tree for the whole document before it decodes
// anything, and its own depth check comes only after that, so these are
// enforced before the library sees the file: the size as the file is read,
// the nesting and alias expansion by a single pass over its bytes
// (CheckBounds) that needs memory proportional to the nesting only.
type Limits struct {
	// MaxBytes is the largest file accepted, and also the largest the
	// document may become with every alias expanded.
	MaxBytes int64
	// MaxDepth is the deepest nesting of collections (block mappings and
	// sequences, and flow [ ] and { }) accepted.
	MaxDepth int
}

// Default limits for a user file: a policy, schedules file, config file,
// agent config or accounts file. The largest real ones are a few KB and
// nest 6 levels deep; 4 MiB holds about 25,000 policy rules, and 64 levels
// are ten times what any of our schemas can use.
const (
	DefaultMaxBytes = 4 << 20
	DefaultMaxDepth = 64
)

// DefaultLimits are the limits of DecodeStrict and ReadStrict.
var DefaultLimits = Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth}

// ReadLimited reads the file at path, refusing one larger than max bytes
// without reading more than max+1 of them.
func ReadLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ReadError(path, err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		if fi.Mode().IsRegular() && fi.Size() > max {
			return nil, tooLarge(path, fi.Size(), max)
		}
		size = fi.Size()
	}
	buf := make([]byte, 0, min(size, max)+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, tooLarge(path, int64(len(buf)), max)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, ReadError(path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func tooLarge(file string, size, max int64) *FileError {
	if size > max+1 {
		return &FileError{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d bytes", size, max)}
	}
	return &FileError{File: file, Msg: fmt.Sprintf("file is over the limit of %d bytes", max)}
}

// CheckBounds refuses a YAML document larger than lim.MaxBytes, nested
// deeper than lim.MaxDepth, or whose aliases would expand it past
// lim.MaxBytes ("billion laughs"), with a *FileError that names file, the
// line and column where the limit was passed, and the limit. It reads data
// once, keeping one entry per open collection and one size per anchor.
//
// It follows YAML's structure closely enough to measure it (block
// indentation and "- " entries, flow collections, quoted and block
// scalars, comments, anchors, aliases and tags) but does not validate the
// document: what it lets through, the YAML parser still checks. A zero
// field of lim takes its default.
func CheckBounds(file string, data []byte, lim Limits) error {
	_, err := scanBounds(file, data, lim)
	return err
}

// scanBounds is CheckBounds; it returns the scanner, whose big sequences
// and anchors decodeStream uses.
func scanBounds(file string, data []byte, lim Limits) (*boundScanner, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &FileError{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d bytes", len(data), lim.MaxBytes)}
	}
	s := &boundScanner{file: file, data: data, lim: lim, anchors: map[string]int64{}}
	if fe := s.scan(); fe != nil {
		return nil, fe
	}
	return s, nil
}

// level is one open collection.
type level struct {
	col int  // block: the column of its entries; flow: unused
	seq bool // block: a sequence ("- " entries)
	// entries are the offsets of the lines that start its entries, for a
	// sequence whose entries each start a line (recorded for streaming).
	entries []int
	anchor  string // the anchor on it, if any
	start   int    // offset where it starts
	extra   int64  // bytes added inside it by alias expansion
}

type boundScanner struct {
	file    string
	data    []byte
	lim     Limits
	block   []level
	flow    []level
	anchors map[string]int64 // anchor -> its size with aliases expanded
	// big are the block sequences of at least minStreamEntries entries,
	// each entry starting a line, as they closed (see decodeStream).
	big   []bigSeq
	added int64 // bytes added by every alias expansion

	line, lineStart, indent int
	// pending is an anchor ("key: &a" at the end of a line) waiting for
	// the block collection on the following lines; pendingCol is the
	// column that collection must be indented past.
	pending    string
	pendingOff int
	pendingCol int
	// quote is the open quoted scalar's quote character, 0 when none.
	quote byte
	// blockScalar is the indentation a block scalar's (| or >) lines are
	// deeper than, -1 when not in one.
	blockScalar int
}

func (s *boundScanner) errAt(col int, msg string) *FileError {
	return &FileError{File: s.file, Line: s.line, Column: col, Msg: msg}
}

func (s *boundScanner) depthErr(col int) *FileError {
	return s.errAt(col, fmt.Sprintf("nested deeper than the limit of %d levels", s.lim.MaxDepth))
}

func (s *boundScanner) scan() *FileError {
	s.blockScalar = -1
	data := s.data
	for off := 0; off < len(data); {
		end := off
		for end < len(data) && data[end] != '\n' {
			end++
		}
		s.line++
		s.lineStart = off
		if fe := s.scanLine(data[off:end]); fe != nil {
			return fe
		}
		off = end + 1
	}
	for len(s.block) > 0 {
		s.closeLevel(s.block[len(s.block)-1], len(data))
		s.block = s.block[:len(s.block)-1]
	}
	return nil
}

// closeLevel records the size of an anchored collection, and a long
// sequence, as it closes.
func (s *boundScanner) closeLevel(l level, at int) {
	if l.anchor != "" {
		s.anchors[l.anchor] = int64(at-l.start) + l.extra
	}
	if len(l.entries) >= minStreamEntries {
		s.big = append(s.big, bigSeq{col: l.col, entries: l.entries, end: at})
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func (s *boundScanner) scanLine(line []byte) *FileError {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	s.indent = indent
	blank := true
	for _, c := range line[indent:] {
		if !isSpace(c) {
			blank = false
			break
		}
	}
	if s.blockScalar >= 0 {
		if blank || indent > s.blockScalar {
			return nil
		}
		s.blockScalar = -1
	}
	i := 0
	if s.quote == 0 && len(s.flow) == 0 {
		if blank || line[indent] == '#' {
			return nil
		}
		if indent == 0 && (hasPrefixWord(line, "---") || hasPrefixWord(line, "...") || line[0] == '%') {
			for len(s.block) > 0 {
				s.closeLevel(s.block[len(s.block)-1], s.lineStart)
				s.block = s.block[:len(s.block)-1]
			}
			s.pending = ""
			if line[0] == '%' || hasPrefixWord(line, "...") {
				return nil
			}
			i = 3
		} else {
			// A pending anchor holds the collection that starts here, if it
			// is indented past the anchoring line (or is a sequence at its
			// indentation: "key: &a" then "- x").
			i = indent
			dash := isDash(line, i)
			anchor := ""
			if s.pending != "" && (indent > s.pendingCol || (indent == s.pendingCol && dash)) {
				anchor = s.pending
			}
			s.pending = ""
			if fe := s.blockEntry(indent, anchor, dash); fe != nil {
				return fe
			}
			// "- " entries open a collection each ("- - a" nests twice).
			for dash {
				i++
				for i < len(line) && line[i] == ' ' {
					i++
				}
				if i >= len(line) || line[i] == '#' {
					break
				}
				dash = isDash(line, i)
				if fe := s.blockEntry(i, "", dash); fe != nil {
					return fe
				}
			}
		}
	}
	return s.scanRest(line, i, indent)
}

func hasPrefixWord(line []byte, w string) bool {
	return len(line) >= len(w) && string(line[:len(w)]) == w && (len(line) == len(w) || isSpace(line[len(w)]))
}

// isDash reports whether a block sequence entry ("- ") starts at i.
func isDash(line []byte, i int) bool {
	return i < len(line) && line[i] == '-' && (i+1 == len(line) || isSpace(line[i+1]))
}

// blockEntry handles a block node starting at column col, a sequence
// entry when dash: it closes the collections it ends (those indented
// deeper, and a sequence at col when it is not an entry) and opens one
// unless it continues the innermost.
func (s *boundScanner) blockEntry(col int, anchor string, dash bool) *FileError {
	for n := len(s.block); n > 0; n = len(s.block) {
		top := s.block[n-1]
		if top.col < col || (top.col == col && (dash || !top.seq)) {
			break
		}
		s.closeLevel(top, s.lineStart)
		s.block = s.block[:n-1]
	}
	atLineStart := s.lineStart+col < len(s.data) && col == s.indent
	if n := len(s.block); n > 0 && s.block[n-1].col == col && s.block[n-1].seq == dash {
		if top := &s.block[n-1]; dash && top.entries != nil && atLineStart {
			top.entries = append(top.entries, s.lineStart)
		}
		return nil
	}
	l := level{col: col, seq: dash, anchor: anchor, start: s.lineStart + col}
	if dash && atLineStart {
		l.entries = []int{s.lineStart}
	}
	s.block = append(s.block, l)
	if len(s.block)+len(s.flow) > s.lim.MaxDepth {
		return s.depthErr(col + 1)
	}
	return nil
}

// scanRest scans line from i: quoted scalars, comments, flow collections,
// anchors, aliases and block scalar indicators.
func (s *boundScanner) scanRest(line []byte, i, indent int) *FileError {
	valueStart := true
	lineAnchor, lineAnchorOff := "", 0
	for ; i < len(line); i++ {
		c := line[i]
		if s.quote != 0 {
			switch {
			case s.quote == '"' && c == '\\':
				i++
			case s.quote == '\'' && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case c == s.quote:
				s.quote = 0
				valueStart = false
			}
			continue
		}
		if isSpace(c) {
			continue
		}
		if c == '#' && (i == 0 || isSpace(line[i-1])) {
			break
		}
		inFlow := len(s.flow) > 0
		switch {
		case c == '[' || c == '{':
			if !inFlow && !valueStart {
				continue // inside a plain scalar: "a[b]"
			}
			l := level{start: s.lineStart + i}
			if lineAnchor != "" {
				l.anchor, l.start = lineAnchor, lineAnchorOff
				lineAnchor = ""
			}
			s.flow = append(s.flow, l)
			if len(s.block)+len(s.flow) > s.lim.MaxDepth {
				return s.depthErr(i + 1)
			}
			valueStart = true
		case inFlow && (c == ']' || c == '}'):
			s.closeLevel(s.flow[len(s.flow)-1], s.lineStart+i+1)
			s.flow = s.flow[:len(s.flow)-1]
			valueStart = false
		case inFlow && c == ',':
			valueStart = true
		case c == ':' && (i+1 == len(line) || isSpace(line[i+1]) || (inFlow && isFlowIndicator(line[i+1]))):
			valueStart = true
		case !valueStart:
			// inside a plain scalar
		case c == '"' || c == '\'':
			s.quote = c
			s.scalarAnchor(&lineAnchor, lineAnchorOff, line, i)
		case c == '&':
			j := nameEnd(line, i+1, inFlow)
			lineAnchor, lineAnchorOff = string(line[i+1:j]), s.lineStart+i
			i = j - 1
		case c == '*':
			j := nameEnd(line, i+1, inFlow)
			if fe := s.alias(string(line[i+1:j]), i+1); fe != nil {
				return fe
			}
			i = j - 1
			valueStart = false
		case c == '!':
			i = nameEnd(line, i+1, inFlow) - 1
		case c == '?' && (i+1 == len(line) || isSpace(line[i+1])):
			// complex key: a value follows
		case !inFlow && (c == '|' || c == '>'):
			s.blockScalar = indent
			s.scalarAnchor(&lineAnchor, lineAnchorOff, line, len(line))
			return nil
		default:
			s.scalarAnchor(&lineAnchor, lineAnchorOff, line, len(line))
			valueStart = false
		}
	}
	if lineAnchor != "" && len(s.flow) == 0 && s.quote == 0 {
		// "key: &a" then the collection on the next lines.
		s.pending, s.pendingOff, s.pendingCol = lineAnchor, lineAnchorOff, indent
	}
	return nil
}

// scalarAnchor records an anchor on a scalar, its size up to end (the
// rest of the line at most: enough to bound what copying it costs).
func (s *boundScanner) scalarAnchor(anchor *string, off int, line []byte, end int) {
	if *anchor == "" {
		return
	}
	s.anchors[*anchor] = int64(s.lineStart + len(line) - off)
	*anchor = ""
}

// alias adds the expansion of alias name to the document's size and to
// every open anchored collection around it.
func (s *boundScanner) alias(name string, col int) *FileError {
	n := s.anchors[name] // an unknown alias is the parser's to report
	s.added += n
	for _, st := range [][]level{s.block, s.flow} {
		for k := range st {
			if st[k].anchor != "" {
				st[k].extra += n
			}
		}
	}
	if s.added+int64(len(s.data)) > s.lim.MaxBytes {
		return s.errAt(col, fmt.Sprintf("alias *%s: aliases expand the document past the limit of %d bytes", name, s.lim.MaxBytes))
	}
	return nil
}

func isFlowIndicator(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }

// nameEnd returns the end of an anchor, alias or tag name starting at i.
func nameEnd(line []byte, i int, inFlow bool) int {
	for i < len(line) && !isSpace(line[i]) && !(inFlow && isFlowIndicator(line[i])) {
		i++
	}
	return i
}
