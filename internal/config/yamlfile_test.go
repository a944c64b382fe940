package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
)

const locateDoc = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: first
    match:
      namePattern: "(x"
      tags: [team=a]
  - name: second
    conditions:
      idleFor: soon
    actions:
      - type: notify
      - type: tag
        tags:
          sagesaver:owner: me
          'a.b': c
accounts:
  - id: "111111111111"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            age: 3x
`

func TestLocate(t *testing.T) {
	tests := []struct {
		field          string
		line, col      int
		wantColNonZero bool
	}{
		{field: "kind", line: 2, col: 7},
		{field: "rules[0].match.namePattern", line: 6, col: 20},
		{field: "rules[0].match.tags[0]", line: 7, col: 14},
		{field: "rules[1].name", line: 8, col: 11},
		{field: "rules[1].conditions.idleFor", line: 10, col: 16},
		{field: "rules[1].actions[1].type", line: 13, col: 15},
		{field: "rules[1].actions[1].tags.sagesaver:owner", line: 15, col: 28},
		{field: "rules[1].actions[1].tags.'a.b'", line: 16, col: 18},
		{field: "accounts[0].regions.us-east-1.notebooks[0].age", line: 23, col: 18},
		// Fields left out are reported at their nearest parent that is
		// written, never at a same-named key elsewhere.
		{field: "rules[1].conditions.costAbove", line: 10, wantColNonZero: true},
		{field: "rules[0].actions", line: 4, wantColNonZero: true},
		{field: "rules[1].actions[1].then", line: 13, wantColNonZero: true},
		{field: "accounts[0].regions.us-east-1.notebooks[0].instanceType", line: 22, wantColNonZero: true},
		{field: "description", line: 0},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			line, col := Locate([]byte(locateDoc), tt.field)
			if line != tt.line || (tt.col != 0 && col != tt.col) || (tt.wantColNonZero && col == 0) {
				t.Errorf("Locate(%q) = %d:%d, want %d:%d", tt.field, line, col, tt.line, tt.col)
			}
		})
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"a.b[2]":       "a.b",
		"a.b":          "a",
		"a":            "",
		"a[0][1]":      "a[0]",
		"a.tags.'x.y'": "a.tags",
		"[0]":          "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// word is a value type whose custom unmarshaler refuses anything but
// "ok", the way policy durations and rates refuse bad strings.
type word string

func (w *word) UnmarshalYAML(n ast.Node) error {
	if s, ok := n.(*ast.StringNode); ok && s.Value == "ok" {
		*w = word(s.Value)
		return nil
	}
	return NodeError(n, "want ok")
}

type validated struct {
	Items []struct {
		Name  string `yaml:"name"`
		Count int    `yaml:"count,omitempty"`
		Word  word   `yaml:"word,omitempty"`
	} `yaml:"items"`
}

func (v *validated) Validate() error {
	for i, it := range v.Items {
		if it.Name == "" {
			return &FileError{Field: "items[" + strconv.Itoa(i) + "].name", Msg: "required"}
		}
	}
	return nil
}

func TestDecodeStrictNamesLineAndField(t *testing.T) {
	tests := []struct {
		name, body string
		wantLine   int
		wantField  string
		wantMsg    string
	}{
		{
			name:     "custom unmarshaler's bad value",
			body:     "items:\n  - name: a\n  - name: b\n    word: nope\n",
			wantLine: 4, wantField: "items[1].word", wantMsg: "want ok",
		},
		{
			name:     "type mismatch in a list",
			body:     "items:\n  - name: a\n    count: many\n",
			wantLine: 3, wantField: "items[0].count",
		},
		{
			name:     "validator's missing field, at its parent",
			body:     "items:\n  - name: a\n  - count: 2\n",
			wantLine: 3, wantField: "items[1].name", wantMsg: "required",
		},
		{
			name:     "unknown field",
			body:     "items:\n  - name: a\n    colour: red\n",
			wantLine: 3, wantField: "colour", wantMsg: "unknown field",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v validated
			err := DecodeStrict("f.yaml", []byte(tt.body), &v)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("DecodeStrict: %v, want a *FileError", err)
			}
			if fe.File != "f.yaml" || fe.Line != tt.wantLine || fe.Field != tt.wantField {
				t.Errorf("got %s:%d field %q, want f.yaml:%d field %q (%v)", fe.File, fe.Line, fe.Field, tt.wantLine, tt.wantField, err)
			}
			if !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("msg %q does not contain %q", fe.Msg, tt.wantMsg)
			}
			if want := "f.yaml:" + strconv.Itoa(tt.wantLine) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestAttach(t *testing.T) {
	data := []byte("a:\n  b:\n    - c: 1\n")
	err := Attach("x.yaml", data, errors.Join(&FileError{Field: "a.b[0].c", Msg: "bad"}))
	if got, want := err.Error(), `x.yaml:3:10: field "a.b[0].c": bad`; got != want {
		t.Errorf("Attach = %q, want %q", got, want)
	}
	if got, want := Attach("x.yaml", data, errors.New("plain")).Error(), "x.yaml: plain"; got != want {
		t.Errorf("Attach(plain) = %q, want %q", got, want)
	}
	if Attach("x.yaml", data, nil) != nil {
		t.Error("Attach(nil) != nil")
	}
}
