package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/goccy/go-yaml"
)

// obj is a JSON/YAML object that keeps its keys in the order written, so
// that a template reads as a person would write it (Type before
// Properties).
type obj []kv

type kv struct {
	k string
	v any
}

// o builds an obj from alternating keys and values; a nil value leaves
// its key out.
func o(pairs ...any) obj {
	if len(pairs)%2 != 0 {
		panic("deploy.o: odd number of arguments")
	}
	m := make(obj, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] == nil {
			continue
		}
		m = append(m, kv{pairs[i].(string), pairs[i+1]})
	}
	return m
}

// MarshalJSON writes the keys in order.
func (m obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalYAML writes the keys in order.
func (m obj) MarshalYAML() (any, error) {
	ms := make(yaml.MapSlice, 0, len(m))
	for _, e := range m {
		ms = append(ms, yaml.MapItem{Key: e.k, Value: e.v})
	}
	return ms, nil
}

// CloudFormation's intrinsic functions, in their long form (valid in both
// JSON and YAML templates).
func ref(name string) obj              { return o("Ref", name) }
func getAtt(res, attr string) obj      { return o("Fn::GetAtt", []any{res, attr}) }
func sub(s string) obj                 { return o("Fn::Sub", s) }
func ifThen(cond string, a, b any) obj { return o("Fn::If", []any{cond, a, b}) }
func equals(a, b any) obj              { return o("Fn::Equals", []any{a, b}) }
func join(sep string, v any) obj       { return o("Fn::Join", []any{sep, v}) }

var noValue = ref("AWS::NoValue")

// generic turns v into plain maps and slices through JSON (for IAM policy
// documents, whose Go types carry only json tags).
func generic(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
