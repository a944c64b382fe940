package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/aws/smithy-go/traits"
)

// timestampFormat returns the member's @timestampFormat, or def.
func timestampFormat(sc *smithy.Schema, def string) string {
	if sc != nil {
		if t, ok := smithy.SchemaTrait[*traits.TimestampFormat](sc); ok {
			return t.Format
		}
	}
	return def
}

func formatTime(t time.Time, format string) any {
	switch format {
	case "date-time":
		return t.UTC().Format("2006-01-02T15:04:05.999Z")
	case "http-date":
		return t.UTC().Format(time.RFC1123)
	default: // epoch-seconds
		return float64(t.UnixMilli()) / 1000
	}
}

// EncodeJSON writes n as the JSON body of an awsJson1_0/1_1 response.
// Timestamps default to epoch seconds, blobs to base64.
func EncodeJSON(n *Node) []byte {
	var b bytes.Buffer
	writeJSON(&b, n)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, n *Node) {
	switch n.kind {
	case kStruct, kMap:
		b.WriteByte('{')
		for i, k := range n.Kids {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(k.Name)
			b.Write(key)
			b.WriteByte(':')
			writeJSON(b, k)
		}
		b.WriteByte('}')
	case kList:
		b.WriteByte('[')
		for i, k := range n.Kids {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, k)
		}
		b.WriteByte(']')
	default:
		writeJSONScalar(b, n)
	}
}

func writeJSONScalar(b *bytes.Buffer, n *Node) {
	switch v := n.Value.(type) {
	case nil:
		b.WriteString("null")
	case string:
		s, _ := json.Marshal(v)
		b.Write(s)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		switch {
		case math.IsNaN(v):
			b.WriteString(`"NaN"`)
		case math.IsInf(v, 1):
			b.WriteString(`"Infinity"`)
		case math.IsInf(v, -1):
			b.WriteString(`"-Infinity"`)
		default:
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
	case []byte:
		b.WriteString(`"` + base64.StdEncoding.EncodeToString(v) + `"`)
	case time.Time:
		s, _ := json.Marshal(formatTime(v, timestampFormat(n.Schema, "epoch-seconds")))
		b.Write(s)
	case *big.Int:
		b.WriteString(v.String())
	case *big.Float:
		b.WriteString(v.Text('g', -1))
	}
}

// EncodeCBOR writes n as the body of a Smithy RPC v2 CBOR response.
// Timestamps are tag 1 (epoch seconds), as the protocol requires.
func EncodeCBOR(n *Node) []byte { return cbor.Encode(cborValue(n)) }

func cborValue(n *Node) cbor.Value {
	switch n.kind {
	case kStruct, kMap:
		m := make(cbor.Map, len(n.Kids))
		for _, k := range n.Kids {
			m[k.Name] = cborValue(k)
		}
		return m
	case kList:
		l := make(cbor.List, 0, len(n.Kids))
		for _, k := range n.Kids {
			l = append(l, cborValue(k))
		}
		return l
	}
	switch v := n.Value.(type) {
	case string:
		return cbor.String(v)
	case bool:
		return cbor.Bool(v)
	case int64:
		if v < 0 {
			return cbor.NegInt(uint64(-v))
		}
		return cbor.Uint(v)
	case float64:
		return cbor.Float64(v)
	case []byte:
		return cbor.Slice(v)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(v.UnixMilli()) / 1000)}
	case *big.Int:
		return cbor.String(v.String())
	case *big.Float:
		f, _ := v.Float64()
		return cbor.Float64(f)
	}
	return &cbor.Nil{}
}

// EncodeQueryResponse writes n as the XML body of an awsQuery response:
// <OpResponse xmlns=NS><OpResult>...</OpResult><ResponseMetadata>...</OpResponse>.
func EncodeQueryResponse(op, namespace, requestID string, n *Node) []byte {
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response xmlns="` + namespace + `">`)
	if n != nil && len(n.Kids) > 0 {
		b.WriteString(`<` + op + `Result>`)
		writeXMLMembers(&b, n)
		b.WriteString(`</` + op + `Result>`)
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata>`)
	b.WriteString(`</` + op + `Response>`)
	return b.Bytes()
}

func xmlName(sc *smithy.Schema, def string) string {
	if sc != nil {
		if t, ok := smithy.SchemaTrait[*traits.XMLName](sc); ok && t.Name != "" {
			return t.Name
		}
	}
	return def
}

func flattened(sc *smithy.Schema) bool {
	if sc == nil {
		return false
	}
	_, ok := smithy.SchemaTrait[*traits.XMLFlattened](sc)
	return ok
}

func writeXMLMembers(b *bytes.Buffer, n *Node) {
	for _, k := range n.Kids {
		writeXMLElement(b, xmlName(k.Schema, k.Name), k)
	}
}

func writeXMLElement(b *bytes.Buffer, name string, n *Node) {
	switch n.kind {
	case kList:
		if flattened(n.Schema) {
			for _, item := range n.Kids {
				writeXMLElement(b, name, item)
			}
			return
		}
		b.WriteString("<" + name + ">")
		var item string
		if n.Schema != nil {
			item = xmlName(n.Schema.ListMember(), "member")
		} else {
			item = "member"
		}
		for _, k := range n.Kids {
			writeXMLElement(b, item, k)
		}
		b.WriteString("</" + name + ">")
	case kMap:
		keyName, valName := "key", "value"
		if n.Schema != nil {
			keyName = xmlName(n.Schema.MapKey(), "key")
			valName = xmlName(n.Schema.MapValue(), "value")
		}
		wrap := !flattened(n.Schema)
		if wrap {
			b.WriteString("<" + name + ">")
		}
		for _, k := range n.Kids {
			entry := "entry"
			if !wrap {
				entry = name
			}
			b.WriteString("<" + entry + "><" + keyName + ">")
			xml.EscapeText(b, []byte(k.Name))
			b.WriteString("</" + keyName + ">")
			writeXMLElement(b, valName, k)
			b.WriteString("</" + entry + ">")
		}
		if wrap {
			b.WriteString("</" + name + ">")
		}
	case kStruct:
		b.WriteString("<" + name + ">")
		writeXMLMembers(b, n)
		b.WriteString("</" + name + ">")
	default:
		if n.Value == nil {
			return
		}
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(xmlScalar(n)))
		b.WriteString("</" + name + ">")
	}
}

func xmlScalar(n *Node) string {
	switch v := n.Value.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		switch {
		case math.IsNaN(v):
			return "NaN"
		case math.IsInf(v, 1):
			return "Infinity"
		case math.IsInf(v, -1):
			return "-Infinity"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		f := formatTime(v, timestampFormat(n.Schema, "date-time"))
		if s, ok := f.(string); ok {
			return s
		}
		return strconv.FormatFloat(f.(float64), 'f', -1, 64)
	case *big.Int:
		return v.String()
	case *big.Float:
		return v.Text('g', -1)
	}
	return ""
}
