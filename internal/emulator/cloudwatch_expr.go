package emulator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// A small subset of CloudWatch metric math, enough for the expressions a
// cost tool writes: numbers, query ids, + - * / with parentheses, and the
// functions FILL(series, value), ABS(x), and SUM, AVG, MIN, MAX over an
// array [m1, m2] (per timestamp) or over one series (a scalar). As in
// CloudWatch, arithmetic between two series keeps only the timestamps both
// have, and a division by zero yields no value at that timestamp.

type exprNode struct {
	op   byte // 'n' number, 'i' id, 'f' function, '[' array, '-' '+' '*' '/' binary, 'u' unary minus
	num  float64
	name string
	kids []*exprNode
}

// exprVal is a scalar (s == nil) or a time series; arrays only appear as
// function arguments.
type exprVal struct {
	s   *series
	k   float64
	arr []exprVal
}

func parseExpr(src string) (*exprNode, error) {
	p := &exprParser{src: src}
	p.next()
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok != "" {
		return nil, fmt.Errorf("unexpected %q at position %d", p.tok, p.pos)
	}
	return n, nil
}

type exprParser struct {
	src string
	pos int // offset after tok
	tok string
}

func (p *exprParser) next() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	start := p.pos
	c := p.src[p.pos]
	switch {
	case strings.IndexByte("+-*/()[],", c) >= 0:
		p.pos++
	case c >= '0' && c <= '9' || c == '.':
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.' || p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
			p.pos++
		}
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.pos < len(p.src) && (p.src[p.pos] == '_' || p.src[p.pos] >= 'a' && p.src[p.pos] <= 'z' || p.src[p.pos] >= 'A' && p.src[p.pos] <= 'Z' || p.src[p.pos] >= '0' && p.src[p.pos] <= '9') {
			p.pos++
		}
	default:
		p.pos++
	}
	p.tok = p.src[start:p.pos]
}

const maxExprDepth = 64

func (p *exprParser) expr() (*exprNode, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.tok == "+" || p.tok == "-" {
		op := p.tok[0]
		p.next()
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: op, kids: []*exprNode{l, r}}
	}
	return l, nil
}

func (p *exprParser) term() (*exprNode, error) {
	l, err := p.unary(0)
	if err != nil {
		return nil, err
	}
	for p.tok == "*" || p.tok == "/" {
		op := p.tok[0]
		p.next()
		r, err := p.unary(0)
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: op, kids: []*exprNode{l, r}}
	}
	return l, nil
}

func (p *exprParser) unary(depth int) (*exprNode, error) {
	if depth > maxExprDepth {
		return nil, fmt.Errorf("expression is nested too deeply")
	}
	if p.tok == "-" {
		p.next()
		k, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &exprNode{op: 'u', kids: []*exprNode{k}}, nil
	}
	return p.primary(depth)
}

func (p *exprParser) primary(depth int) (*exprNode, error) {
	tok := p.tok
	switch {
	case tok == "":
		return nil, fmt.Errorf("unexpected end of expression")
	case tok == "(":
		if depth > maxExprDepth {
			return nil, fmt.Errorf("expression is nested too deeply")
		}
		p.next()
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.tok != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.next()
		return n, nil
	case tok == "[":
		p.next()
		arr := &exprNode{op: '['}
		for {
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			arr.kids = append(arr.kids, n)
			if p.tok == "]" {
				p.next()
				return arr, nil
			}
			if p.tok != "," {
				return nil, fmt.Errorf("missing ]")
			}
			p.next()
		}
	case tok[0] >= '0' && tok[0] <= '9' || tok[0] == '.':
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q", tok)
		}
		p.next()
		return &exprNode{op: 'n', num: f}, nil
	case tok[0] >= 'a' && tok[0] <= 'z':
		p.next()
		return &exprNode{op: 'i', name: tok}, nil
	case tok[0] >= 'A' && tok[0] <= 'Z':
		name := tok
		switch name {
		case "FILL", "ABS", "SUM", "AVG", "MIN", "MAX":
		default:
			return nil, fmt.Errorf("unsupported function %s (the emulator serves FILL, ABS, SUM, AVG, MIN, MAX)", name)
		}
		p.next()
		if p.tok != "(" {
			return nil, fmt.Errorf("missing ( after %s", name)
		}
		p.next()
		fn := &exprNode{op: 'f', name: name}
		for p.tok != ")" {
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			fn.kids = append(fn.kids, n)
			if p.tok == "," {
				p.next()
			} else if p.tok != ")" {
				return nil, fmt.Errorf("missing ) after arguments of %s", name)
			}
		}
		p.next()
		want := 1
		if name == "FILL" {
			want = 2
		}
		if len(fn.kids) != want {
			return nil, fmt.Errorf("%s takes %d argument(s)", name, want)
		}
		return fn, nil
	}
	return nil, fmt.Errorf("unexpected %q", tok)
}

func (n *exprNode) eval(ref func(id string) (*series, error)) (exprVal, error) {
	switch n.op {
	case 'n':
		return exprVal{k: n.num}, nil
	case 'i':
		s, err := ref(n.name)
		if err != nil {
			return exprVal{}, err
		}
		return exprVal{s: s}, nil
	case '[':
		var v exprVal
		for _, k := range n.kids {
			e, err := k.eval(ref)
			if err != nil {
				return exprVal{}, err
			}
			if e.s == nil {
				return exprVal{}, fmt.Errorf("arrays must contain time series")
			}
			v.arr = append(v.arr, e)
		}
		return v, nil
	case 'u':
		v, err := n.kids[0].eval(ref)
		if err != nil {
			return exprVal{}, err
		}
		return mapVal(v, func(x float64) (float64, bool) { return -x, true })
	case 'f':
		args := make([]exprVal, len(n.kids))
		for i, k := range n.kids {
			v, err := k.eval(ref)
			if err != nil {
				return exprVal{}, err
			}
			args[i] = v
		}
		return callFunc(n.name, args)
	}
	l, err := n.kids[0].eval(ref)
	if err != nil {
		return exprVal{}, err
	}
	r, err := n.kids[1].eval(ref)
	if err != nil {
		return exprVal{}, err
	}
	if l.arr != nil || r.arr != nil {
		return exprVal{}, fmt.Errorf("arrays are only allowed as function arguments")
	}
	f := arith(n.op)
	switch {
	case l.s == nil && r.s == nil:
		v, ok := f(l.k, r.k)
		if !ok {
			v = math.NaN()
		}
		return exprVal{k: v}, nil
	case l.s == nil:
		return mapVal(r, func(x float64) (float64, bool) { return f(l.k, x) })
	case r.s == nil:
		return mapVal(l, func(x float64) (float64, bool) { return f(x, r.k) })
	}
	out := &series{gridStart: l.s.gridStart, gridStep: l.s.gridStep, gridN: l.s.gridN}
	i, j := 0, 0
	for i < len(l.s.ts) && j < len(r.s.ts) {
		switch {
		case l.s.ts[i] < r.s.ts[j]:
			i++
		case l.s.ts[i] > r.s.ts[j]:
			j++
		default:
			if v, ok := f(l.s.vals[i], r.s.vals[j]); ok {
				out.ts = append(out.ts, l.s.ts[i])
				out.vals = append(out.vals, v)
			}
			i++
			j++
		}
	}
	return exprVal{s: out}, nil
}

func arith(op byte) func(a, b float64) (float64, bool) {
	switch op {
	case '+':
		return func(a, b float64) (float64, bool) { return a + b, true }
	case '-':
		return func(a, b float64) (float64, bool) { return a - b, true }
	case '*':
		return func(a, b float64) (float64, bool) { return a * b, true }
	}
	return func(a, b float64) (float64, bool) {
		if b == 0 {
			return 0, false
		}
		return a / b, true
	}
}

func mapVal(v exprVal, f func(float64) (float64, bool)) (exprVal, error) {
	if v.arr != nil {
		return exprVal{}, fmt.Errorf("arrays are only allowed as function arguments")
	}
	if v.s == nil {
		r, ok := f(v.k)
		if !ok {
			r = math.NaN()
		}
		return exprVal{k: r}, nil
	}
	out := &series{gridStart: v.s.gridStart, gridStep: v.s.gridStep, gridN: v.s.gridN}
	for i, t := range v.s.ts {
		if r, ok := f(v.s.vals[i]); ok {
			out.ts = append(out.ts, t)
			out.vals = append(out.vals, r)
		}
	}
	return exprVal{s: out}, nil
}

func callFunc(name string, args []exprVal) (exprVal, error) {
	switch name {
	case "ABS":
		return mapVal(args[0], func(x float64) (float64, bool) { return math.Abs(x), true })
	case "FILL":
		// FILL(series, value): every period of the query's time range
		// (up to now) that lacks a value gets one.
		if args[0].s == nil || args[1].s != nil || args[1].arr != nil {
			return exprVal{}, fmt.Errorf("FILL takes a time series and a number")
		}
		in := args[0].s
		out := &series{gridStart: in.gridStart, gridStep: in.gridStep, gridN: in.gridN}
		j := 0
		for i := 0; i < in.gridN; i++ {
			t := in.gridStart + int64(i)*in.gridStep
			for j < len(in.ts) && in.ts[j] < t {
				j++
			}
			v := args[1].k
			if j < len(in.ts) && in.ts[j] == t {
				v = in.vals[j]
			}
			out.ts = append(out.ts, t)
			out.vals = append(out.vals, v)
		}
		return exprVal{s: out}, nil
	}
	reduce := func(vals []float64) float64 {
		r := vals[0]
		switch name {
		case "SUM", "AVG":
			r = 0
			for _, v := range vals {
				r += v
			}
			if name == "AVG" {
				r /= float64(len(vals))
			}
		case "MIN":
			for _, v := range vals {
				r = math.Min(r, v)
			}
		case "MAX":
			for _, v := range vals {
				r = math.Max(r, v)
			}
		}
		return r
	}
	a := args[0]
	if a.arr == nil {
		if a.s == nil {
			return exprVal{}, fmt.Errorf("%s takes a time series or an array of them", name)
		}
		if len(a.s.vals) == 0 {
			return exprVal{k: math.NaN()}, nil
		}
		return exprVal{k: reduce(a.s.vals)}, nil
	}
	byT := map[int64][]float64{}
	for _, e := range a.arr {
		for i, t := range e.s.ts {
			byT[t] = append(byT[t], e.s.vals[i])
		}
	}
	g := a.arr[0].s
	out := &series{gridStart: g.gridStart, gridStep: g.gridStep, gridN: g.gridN}
	for t := range byT {
		out.ts = append(out.ts, t)
	}
	sort.Slice(out.ts, func(i, j int) bool { return out.ts[i] < out.ts[j] })
	for _, t := range out.ts {
		out.vals = append(out.vals, reduce(byT[t]))
	}
	return exprVal{s: out}, nil
}
