package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
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
		return fmt.Errorf("read %s: %w", path, err)
	}
	return DecodeStrict(path, data, v)
}

// DecodeStrict decodes one YAML document into v, refusing unknown fields,
// duplicate keys and type mismatches with a *FileError that names the file,
// line, column and field. If v implements Validator, it is validated too.
func DecodeStrict(file string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &FileError{File: file, Msg: "file is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.UseJSONUnmarshaler())
	if err := dec.Decode(v); err != nil {
		return yamlError(file, err)
	}
	if val, ok := v.(Validator); ok {
		if err := val.Validate(); err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				fe.File = file
				if fe.Line == 0 && fe.Field != "" {
					fe.Line, fe.Column = locate(data, fe.Field)
				}
				return fe
			}
			return &FileError{File: file, Msg: err.Error()}
		}
	}
	return nil
}

func yamlError(file string, err error) error {
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
		}
	}
	return fe
}

// locate finds the line and column of the key named by a dotted field path
// ("rules[2].match.tags") in the YAML source, best effort: it looks for the
// last path element as a mapping key. It returns 0, 0 when not found.
func locate(data []byte, field string) (line, col int) {
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
	path, err := yaml.PathString("$." + yamlPath(field))
	if err == nil {
		if node, err := path.ReadNode(bytes.NewReader(data)); err == nil && node != nil {
			if tk := node.GetToken(); tk != nil && tk.Position != nil {
				return tk.Position.Line, tk.Position.Column
			}
		}
	}
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(l, " -")
		if strings.HasPrefix(t, key+":") {
			return i + 1, len(l) - len(t) + 1
		}
	}
	return 0, 0
}

// yamlPath turns "rules[2].match" into goccy's path syntax "rules[2].match".
// The syntaxes agree for the paths our validators produce; the function is
// the one place to change if they ever do not.
func yamlPath(field string) string { return field }
