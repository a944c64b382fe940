package emulator

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// The input constraints of every operation the emulator serves (enums,
// patterns, lengths, ranges, required members), taken from AWS's service
// models: the Go SDK's generated schemas carry none of these traits, so
// TestConstraintsTable -update extracts them from botocore's copy of the
// same models (see constraints_test.go) into constraints.json.
//
//go:generate go test -run ^TestConstraintsTable$ -update .
//go:embed constraints.json
var constraintsJSON []byte

// shapeRule is one shape of a service model, cut down to what input
// validation needs.
type shapeRule struct {
	Type     string      `json:"type"`               // structure, list, map, string, integer, long, float, double, ...
	Members  [][2]string `json:"members,omitempty"`  // structure: [member name, shape], in model order
	Required []string    `json:"required,omitempty"` // structure: required members
	Member   string      `json:"member,omitempty"`   // list: element shape
	Value    string      `json:"value,omitempty"`    // map: value shape
	Min      *float64    `json:"min,omitempty"`      // length (string, list, map) or value (numbers)
	Max      *float64    `json:"max,omitempty"`
	Pattern  string      `json:"pattern,omitempty"` // as the model writes it (Java syntax)
	Enum     []string    `json:"enum,omitempty"`

	re *regexp.Regexp // Pattern compiled for a whole-value match; nil if Go cannot compile it
}

// serviceRules is one service's table: operation -> input shape, and shapes.
type serviceRules struct {
	Ops    map[string]string     `json:"ops"`
	Shapes map[string]*shapeRule `json:"shapes"`
}

var (
	rulesOnce sync.Once
	rules     map[string]*serviceRules // by service name
)

func loadRules() map[string]*serviceRules {
	rulesOnce.Do(func() {
		if err := json.Unmarshal(constraintsJSON, &rules); err != nil {
			panic(fmt.Sprintf("emulator: constraints.json: %v", err))
		}
		for _, sr := range rules {
			for _, sh := range sr.Shapes {
				if sh.Pattern != "" {
					sh.re = compileJavaPattern(sh.Pattern)
				}
			}
		}
	})
	return rules
}

var (
	javaUnicode = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)
	bigRepeat   = regexp.MustCompile(`\{(\d+),(\d+)\}`)
)

// compileJavaPattern compiles a model pattern (Java regular expression
// syntax, matched against the whole value as Java's matches() does) for
// Go; nil when RE2 cannot express it (the pattern is then not checked).
func compileJavaPattern(p string) *regexp.Regexp {
	// \uXXXX is Java's; Go spells it \x{XXXX}.
	p = javaUnicode.ReplaceAllString(p, `\x{$1}`)
	// RE2 repeats at most 1000 times; the length constraint bounds the
	// value anyway.
	p = bigRepeat.ReplaceAllStringFunc(p, func(m string) string {
		sub := bigRepeat.FindStringSubmatch(m)
		if n, _ := strconv.Atoi(sub[2]); n > 1000 {
			return "{" + sub[1] + ",}"
		}
		return m
	})
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil
	}
	return re
}

// validateInput checks in (the SDK's input struct for op) against the
// service model's constraints and answers as AWS does: one
// ValidationException (ValidationError on query services) listing every
// violation, "1 validation error detected: Value 'x' at 'roleArn' failed to
// satisfy constraint: Member must ...".
func validateInput(svc *service, op string, in any) *wire.Error {
	sr := loadRules()[svc.name]
	if sr == nil {
		return nil
	}
	shape, ok := sr.Ops[op]
	if !ok {
		return nil
	}
	v := &validator{rules: sr, required: svc.queryVersion == ""}
	v.check("", shape, reflect.ValueOf(in))
	if len(v.errs) == 0 {
		return nil
	}
	code := svc.validationCode
	switch {
	case code != "":
	case svc.queryVersion != "":
		code = "ValidationError"
	default:
		code = "ValidationException"
	}
	head := "1 validation error detected: "
	if len(v.errs) > 1 {
		head = fmt.Sprintf("%d validation errors detected: ", len(v.errs))
	}
	return &wire.Error{Code: code, Message: head + strings.Join(v.errs, "; ")}
}

type validator struct {
	rules *serviceRules
	// required: check required members generically. Services that came
	// from awsQuery (CloudWatch, SNS, STS) answer a missing member with
	// their own codes (MissingParameter), which their handlers give.
	required bool
	errs     []string
}

func (v *validator) fail(val, path, constraint string) {
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", val, path, constraint))
}

// check validates value rv (a field of the SDK's input, possibly a
// pointer) at path against shape.
func (v *validator) check(path, shape string, rv reflect.Value) {
	sh := v.rules.Shapes[shape]
	if sh == nil {
		return
	}
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	switch sh.Type {
	case "structure":
		if rv.Kind() != reflect.Struct {
			return
		}
		for _, m := range sh.Members {
			f := rv.FieldByName(m[0])
			if !f.IsValid() {
				// The SDK capitalises camelCase member names.
				f = rv.FieldByName(strings.ToUpper(m[0][:1]) + m[0][1:])
			}
			if !f.IsValid() {
				continue
			}
			p := memberPath(path, lowerFirst(m[0]))
			if isNull(f) {
				if v.required && slices.Contains(sh.Required, m[0]) {
					v.fail("null", p, "not be null")
				}
				continue
			}
			v.check(p, m[1], f)
		}
	case "list":
		if rv.Kind() != reflect.Slice {
			return
		}
		v.length(path, sh, rv.Len(), listString(rv))
		for i := 0; i < rv.Len(); i++ {
			v.check(fmt.Sprintf("%s.%d.member", path, i+1), sh.Member, rv.Index(i))
		}
	case "map":
		if rv.Kind() != reflect.Map {
			return
		}
		v.length(path, sh, rv.Len(), valueText(rv))
		for _, k := range rv.MapKeys() {
			v.check(fmt.Sprintf("%s.%v", path, k.Interface()), sh.Value, rv.MapIndex(k))
		}
	case "string":
		if rv.Kind() != reflect.String {
			return
		}
		s := rv.String()
		quoted := "'" + s + "'"
		if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
			v.fail(quoted, path, "satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
		}
		v.length(path, sh, utf8.RuneCountInString(s), s)
		if sh.re != nil && !sh.re.MatchString(s) {
			v.fail(quoted, path, "satisfy regular expression pattern: "+sh.Pattern)
		}
	case "integer", "long", "float", "double":
		var n float64
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n = float64(rv.Int())
		case reflect.Float32, reflect.Float64:
			n = rv.Float()
		default:
			return
		}
		val := "'" + javaNumber(n) + "'"
		if sh.Min != nil && n < *sh.Min {
			v.fail(val, path, "have value greater than or equal to "+javaNumber(*sh.Min))
		}
		if sh.Max != nil && n > *sh.Max {
			v.fail(val, path, "have value less than or equal to "+javaNumber(*sh.Max))
		}
	}
}

// length checks a string's, list's or map's length.
func (v *validator) length(path string, sh *shapeRule, n int, s string) {
	val := "'" + s + "'"
	if sh.Min != nil && float64(n) < *sh.Min {
		v.fail(val, path, "have length greater than or equal to "+javaNumber(*sh.Min))
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		v.fail(val, path, "have length less than or equal to "+javaNumber(*sh.Max))
	}
}

// isNull reports whether an input field is unset: a nil pointer, slice,
// map or interface, or the empty value of a non-pointer enum or number
// (the SDK omits those from the request). A non-pointer false is not
// null: a client may have sent it.
func isNull(f reflect.Value) bool {
	switch f.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return f.IsNil()
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return f.IsZero()
	}
	return false
}

// listString renders a list as Java's List.toString does: [a, b].
func listString(rv reflect.Value) string { return valueText(rv) }

// valueText renders a request value for a validation message the way the
// AWS SDK for Java's toString does ({Name: x,Value: y}, [a, b]), following
// pointers, so that a message never holds a Go pointer address and is the
// same on every run.
func valueText(rv reflect.Value) string {
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return "null"
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Struct:
		var parts []string
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			f := rv.Field(i)
			if !t.Field(i).IsExported() || ((f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.IsNil()) {
				continue
			}
			parts = append(parts, t.Field(i).Name+": "+valueText(f))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = valueText(rv.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		parts := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			parts = append(parts, valueText(k)+"="+valueText(rv.MapIndex(k)))
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(rv.Interface())
}

func javaNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func memberPath(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}
