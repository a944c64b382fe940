package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Requests are decoded in two steps: the body is parsed into a generic tree
// (map[string]any, []any and scalars), then the tree is copied into the SDK's
// own input struct by reflection. The SDK's input types have no Deserialize
// method, but their Go field names are the Smithy member names that every
// protocol uses on the wire, so one reflective walk serves JSON, CBOR and
// query requests alike.

// ParseJSON parses an awsJson request body. An empty body is an empty object.
func ParseJSON(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not valid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	return m, nil
}

// ParseCBOR parses a Smithy RPC v2 CBOR request body.
func ParseCBOR(body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("body is not valid CBOR: %w", err)
	}
	m, ok := fromCBOR(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is not a CBOR map")
	}
	return m, nil
}

func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, e := range v {
			if _, isNil := e.(*cbor.Nil); isNil {
				continue
			}
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = fromCBOR(e)
		}
		return l
	case cbor.Uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case cbor.NegInt:
		return json.Number("-" + strconv.FormatUint(uint64(v), 10))
	case cbor.Float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case cbor.Float64:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 64))
	case cbor.String:
		return string(v)
	case cbor.Slice:
		return []byte(v)
	case cbor.Bool:
		return bool(v)
	case *cbor.Tag:
		if v.ID == 1 {
			if t, err := cbor.AsTime(v); err == nil {
				return t
			}
		}
		return fromCBOR(v.Value)
	}
	return nil
}

// ParseQuery parses an awsQuery form body into a tree, splitting keys on
// dots: "Dimensions.member.1.Name=x" becomes
// {"Dimensions": {"member": {"1": {"Name": "x"}}}}. Action and Version are
// returned separately.
func ParseQuery(form url.Values) (action, version string, tree map[string]any) {
	tree = map[string]any{}
	for key, vals := range form {
		if len(vals) == 0 {
			continue
		}
		switch key {
		case "Action":
			action = vals[0]
			continue
		case "Version":
			version = vals[0]
			continue
		}
		parts := strings.Split(key, ".")
		m := tree
		for i, p := range parts {
			if i == len(parts)-1 {
				if _, exists := m[p].(map[string]any); !exists {
					m[p] = vals[0]
				}
				break
			}
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
	}
	return action, version, tree
}

// DecodeError is a request value that does not fit the operation's input.
type DecodeError struct {
	Path string
	Msg  string
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Msg) }

// Decode copies tree into the SDK input struct pointed to by dst.
func Decode(tree map[string]any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decode: dst must be a non-nil pointer")
	}
	return decodeValue("", tree, rv.Elem())
}

var timeType = reflect.TypeOf(time.Time{})

func decodeValue(path string, src any, dst reflect.Value) error {
	if src == nil {
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return decodeValue(path, src, dst.Elem())
	case reflect.Interface:
		// Unions and documents: not used by the operations we emulate.
		return nil
	case reflect.Struct:
		if dst.Type() == timeType {
			t, err := asTime(src)
			if err != nil {
				return &DecodeError{path, err.Error()}
			}
			dst.Set(reflect.ValueOf(t))
			return nil
		}
		m, ok := src.(map[string]any)
		if !ok {
			return &DecodeError{path, "expected a structure"}
		}
		t := dst.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "noSmithyDocumentSerde" {
				continue
			}
			v, ok := m[f.Name]
			if !ok {
				continue
			}
			if err := decodeValue(join(path, f.Name), v, dst.Field(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if dst.Type().Elem().Kind() == reflect.Uint8 {
			b, err := asBlob(src)
			if err != nil {
				return &DecodeError{path, err.Error()}
			}
			dst.SetBytes(b)
			return nil
		}
		items, err := asList(src)
		if err != nil {
			return &DecodeError{path, err.Error()}
		}
		out := reflect.MakeSlice(dst.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), it, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
		return nil
	case reflect.Map:
		entries, err := asMap(src)
		if err != nil {
			return &DecodeError{path, err.Error()}
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(entries))
		for k, v := range entries {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := decodeValue(join(path, k), v, ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(out)
		return nil
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return &DecodeError{path, "expected a string"}
		}
		dst.SetString(s)
		return nil
	case reflect.Bool:
		switch v := src.(type) {
		case bool:
			dst.SetBool(v)
		case string:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return &DecodeError{path, "expected a boolean"}
			}
			dst.SetBool(b)
		default:
			return &DecodeError{path, "expected a boolean"}
		}
		return nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		s, ok := numText(src)
		if !ok {
			return &DecodeError{path, "expected an integer"}
		}
		n, err := strconv.ParseInt(s, 10, dst.Type().Bits())
		if err != nil {
			return &DecodeError{path, "expected an integer"}
		}
		dst.SetInt(n)
		return nil
	case reflect.Float32, reflect.Float64:
		s, ok := numText(src)
		if !ok {
			return &DecodeError{path, "expected a number"}
		}
		f, err := parseFloat(s)
		if err != nil {
			return &DecodeError{path, "expected a number"}
		}
		dst.SetFloat(f)
		return nil
	}
	return &DecodeError{path, "unsupported type " + dst.Type().String()}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func numText(src any) (string, bool) {
	switch v := src.(type) {
	case json.Number:
		return string(v), true
	case string:
		return v, true
	}
	return "", false
}

func parseFloat(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

func asTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return v, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("expected a timestamp")
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", time.RFC1123} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return asTime(json.Number(strconv.FormatFloat(f, 'f', -1, 64)))
		}
	}
	return time.Time{}, fmt.Errorf("expected a timestamp")
}

func asBlob(src any) ([]byte, error) {
	switch v := src.(type) {
	case []byte:
		return v, nil
	case string:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("expected base64 data")
		}
		return b, nil
	}
	return nil, fmt.Errorf("expected a blob")
}

// asList accepts a list, or a query-style map of 1-based indexes, either
// wrapped in "member" or flattened.
func asList(src any) ([]any, error) {
	switch v := src.(type) {
	case []any:
		return v, nil
	case map[string]any:
		if inner, ok := v["member"].(map[string]any); ok {
			v = inner
		}
		return indexed(v)
	case string:
		if v == "" { // "Foo=" is an empty list in the query protocol
			return nil, nil
		}
	}
	return nil, fmt.Errorf("expected a list")
}

func indexed(m map[string]any) ([]any, error) {
	type kv struct {
		i int
		v any
	}
	var items []kv
	for k, v := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			return nil, fmt.Errorf("unexpected list key %q", k)
		}
		items = append(items, kv{i, v})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out, nil
}

// asMap accepts a map, or a query-style list of entries with key/value (or
// Name/Value, as SNS names them) members.
func asMap(src any) (map[string]any, error) {
	m, ok := src.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a map")
	}
	entries, isQuery := m["entry"].(map[string]any)
	if !isQuery {
		return m, nil
	}
	list, err := indexed(entries)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(list))
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected a map entry")
		}
		k, _ := em["key"].(string)
		if k == "" {
			k, _ = em["Name"].(string)
		}
		v, has := em["value"]
		if !has {
			v = em["Value"]
		}
		out[k] = v
	}
	return out, nil
}
