// Package wire translates between HTTP requests/responses and the SDK's own
// input and output types for the AWS protocols the emulator speaks:
// awsJson1_0/1_1 (SageMaker, Application Auto Scaling, Resource Groups
// Tagging, Pricing, Organizations), Smithy RPC v2 CBOR (CloudWatch, as the
// current Go SDK speaks it) and awsQuery (CloudWatch for older clients, SNS,
// STS).
//
// Responses are produced by the SDK's generated Serialize methods walking the
// service's Smithy schema (see Capture), so member names, list wrappers and
// timestamp encodings match what the SDK itself expects.
package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Protocol is one AWS wire protocol.
type Protocol int

// The protocols.
const (
	JSON10 Protocol = iota
	JSON11
	CBOR
	Query
)

func (p Protocol) String() string {
	return [...]string{"awsJson1_0", "awsJson1_1", "rpcv2Cbor", "awsQuery"}[p]
}

// Request is a parsed AWS request: which service, which operation, and its
// parameters as a generic tree (see Decode).
type Request struct {
	Protocol  Protocol
	Target    string // awsJson X-Amz-Target prefix, CBOR service name, or "" for query
	Operation string
	Params    map[string]any
	Version   string // awsQuery Version parameter
}

// maxDecompressed bounds a gzipped request body once inflated.
const maxDecompressed = 16 << 20

// ParseRequest recognises the protocol of r and parses its body. The error,
// if any, is an *Error ready to be written back.
func ParseRequest(r *http.Request, body []byte) (*Request, *Error) {
	// Operations with @requestCompression (CloudWatch PutMetricData) are
	// gzipped by the SDKs once the body exceeds 10 KiB.
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(zr, maxDecompressed))
		}
		if err != nil {
			return &Request{Protocol: JSON11}, &Error{Code: "SerializationException", Message: "body is not valid gzip: " + err.Error(), Status: 400}
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, op, ok := strings.Cut(target, ".")
		if !ok {
			return nil, &Error{Code: "UnknownOperationException", Message: "invalid X-Amz-Target " + target, Status: 400}
		}
		p := JSON11
		if strings.Contains(r.Header.Get("Content-Type"), "1.0") {
			p = JSON10
		}
		params, err := ParseJSON(body)
		if err != nil {
			return &Request{Protocol: p, Target: svc, Operation: op}, &Error{Code: "SerializationException", Message: err.Error(), Status: 400}
		}
		return &Request{Protocol: p, Target: svc, Operation: op, Params: params}, nil
	}
	if strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor") || strings.HasPrefix(r.URL.Path, "/service/") {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
		// service/{ServiceName}/operation/{Operation}
		if len(parts) != 4 || parts[0] != "service" || parts[2] != "operation" {
			return &Request{Protocol: CBOR}, &Error{Code: "UnknownOperationException", Message: "invalid RPC v2 path " + r.URL.Path, Status: 404}
		}
		req := &Request{Protocol: CBOR, Target: parts[1], Operation: parts[3]}
		params, err := ParseCBOR(body)
		if err != nil {
			return req, &Error{Code: "SerializationException", Message: err.Error(), Status: 400}
		}
		req.Params = params
		return req, nil
	}
	if r.Method == http.MethodPost || r.Method == http.MethodGet {
		// The body was read by the caller: parse it here rather than with
		// r.ParseForm, which would find r.Body drained.
		form, err := url.ParseQuery(r.URL.RawQuery)
		if err == nil && len(body) > 0 {
			form, err = url.ParseQuery(string(body))
		}
		if err != nil {
			return &Request{Protocol: Query}, &Error{Code: "MalformedQueryString", Message: err.Error(), Status: 400}
		}
		action, version, tree := ParseQuery(form)
		req := &Request{Protocol: Query, Operation: action, Version: version, Params: tree}
		if action == "" {
			return req, &Error{Code: "MissingAction", Message: "Missing Action", Status: 400}
		}
		return req, nil
	}
	return &Request{Protocol: JSON11}, &Error{Code: "UnknownOperationException", Message: "unrecognised request", Status: 400}
}

// Error is an AWS error response.
type Error struct {
	Code    string // e.g. ValidationException, ThrottlingException, Throttling
	Message string
	Status  int  // HTTP status; 400 when zero
	Server  bool // a Receiver (5xx-class) fault rather than a Sender fault
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

func (e *Error) status() int {
	if e.Status == 0 {
		return 400
	}
	return e.Status
}

func (e *Error) fault() string {
	if e.Server || e.status() >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// WriteError writes e in protocol p. queryNamespace is the XML namespace of
// awsQuery services; queryCompatible adds the x-amzn-query-error header that
// services such as CloudWatch send over JSON and CBOR.
func WriteError(w http.ResponseWriter, p Protocol, requestID, queryNamespace string, queryCompatible bool, e *Error) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	if queryCompatible {
		h.Set("X-Amzn-Query-Error", e.Code+";"+e.fault())
	}
	switch p {
	case JSON10, JSON11:
		h.Set("Content-Type", "application/x-amz-json-"+map[Protocol]string{JSON10: "1.0", JSON11: "1.1"}[p])
		h.Set("X-Amzn-Errortype", e.Code)
		w.WriteHeader(e.status())
		root := &Node{kind: kStruct, Kids: []*Node{
			{Name: "__type", Value: e.Code},
			{Name: "message", Value: e.Message},
		}}
		w.Write(EncodeJSON(root))
	case CBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(e.status())
		w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}))
	default:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(e.status())
		var b bytes.Buffer
		b.WriteString(`<ErrorResponse xmlns="` + queryNamespace + `"><Error><Type>` + e.fault() + `</Type><Code>`)
		xml.EscapeText(&b, []byte(e.Code))
		b.WriteString(`</Code><Message>`)
		xml.EscapeText(&b, []byte(e.Message))
		b.WriteString(`</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
		w.Write(b.Bytes())
	}
}

// WriteOutput writes a successful response whose body is the captured output.
func WriteOutput(w http.ResponseWriter, p Protocol, requestID, op, queryNamespace string, out *Node) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	switch p {
	case JSON10, JSON11:
		h.Set("Content-Type", "application/x-amz-json-"+map[Protocol]string{JSON10: "1.0", JSON11: "1.1"}[p])
		w.WriteHeader(http.StatusOK)
		w.Write(EncodeJSON(out))
	case CBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(http.StatusOK)
		w.Write(EncodeCBOR(out))
	default:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.Write(EncodeQueryResponse(op, queryNamespace, requestID, out))
	}
}
