// Package emulator is a stateful, wire-faithful stand-in for the AWS control
// plane APIs sagesaver uses: SageMaker, CloudWatch, SNS, STS and friends.
// It answers the same HTTP requests AWS answers, the same way, so that the
// real aws-sdk-go-v2 clients (and the AWS CLI or boto3 pointed at it with
// --endpoint-url) work unchanged.
//
// One in-memory model of each account and region sits behind an HTTP front
// end that only translates (package wire). Time is virtual (a clock.Manual):
// status transitions such as Pending -> InService take realistic durations
// that tests skip over by advancing the clock. Faults (throttling, 5xx,
// latency) are injectable per operation, and every request is counted.
//
// Use it in Go tests with httptest:
//
//	emu := emulator.New(emulator.Options{})
//	srv := httptest.NewServer(emu)
//	cfg := awsapi test config with BaseEndpoint = srv.URL
//
// or from any language with `sagesaver emulator --listen 127.0.0.1:4566` and
// the admin API documented in docs/emulator.md (paths under /_emulator/).
package emulator

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"

	"github.com/sagesaver/sagesaver/internal/clock"
	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// DefaultAccount is the account that unknown credentials map to.
const DefaultAccount = "123456789012"

// DefaultRegion is used when a request carries no SigV4 credential scope.
const DefaultRegion = "us-east-1"

// maxBody bounds request bodies; AWS's own limits are far lower for the
// operations we serve (PutMetricData: 1 MB).
const maxBody = 8 << 20

// Options configure a Server.
type Options struct {
	// Start is the virtual clock's initial time; zero means the wall clock
	// now, truncated to the minute.
	Start time.Time
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// NoCBOR makes the emulator an AWS-compatible endpoint without Smithy
	// RPC v2 CBOR (as several are): CBOR requests get the 404 and query
	// XML error such an endpoint answers. CloudWatch is then reachable over
	// awsQuery and awsJson only.
	NoCBOR bool
	// AdminHosts are the host names or addresses, besides the loopback
	// ones, that the admin API answers to in the Host and Origin headers:
	// the --listen host when it is not a loopback address. See
	// checkAdminOrigin.
	AdminHosts []string
}

// Server is the emulator. It is an http.Handler; all methods are safe for
// concurrent use.
type Server struct {
	log   *slog.Logger
	clock *clock.Manual

	mu       sync.Mutex // guards everything below and all account state
	accounts map[string]*Account
	keys     map[string]string      // access key id -> account id
	sessions map[string]roleSession // AssumeRole's access key ids -> who holds them
	order    []string               // account ids in scenario order
	sns      []PublishedMessage

	adminHosts []string
	services   map[string]*service // by SigV4 signing name
	faults     *faults
	counters   *counters
	reqSeq     atomic.Uint64
	noCBOR     bool
	pricing    *pricingState
	lambdaSt   *lambdaState // lambda.go
}

// New returns an empty emulator with the default account.
func New(opts Options) *Server {
	start := opts.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Minute)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		log:        log,
		clock:      clock.NewManual(start),
		adminHosts: opts.AdminHosts,
		services:   map[string]*service{},
		faults:     newFaults(),
		counters:   newCounters(),
		noCBOR:     opts.NoCBOR,
	}
	s.resetLocked()
	for _, svc := range allServices() {
		s.services[svc.signingName] = svc
	}
	return s
}

// resetLocked drops all state and recreates the default account.
func (s *Server) resetLocked() {
	s.accounts = map[string]*Account{}
	s.keys = map[string]string{}
	s.sessions = map[string]roleSession{}
	s.order = nil
	s.sns = nil
	s.pricing = nil
	if s.lambdaSt != nil {
		// Functions stay registered; in-flight invocations finish.
		s.lambdaSt.invocations = nil
	}
	s.account(DefaultAccount)
}

// Clock returns the virtual clock.
func (s *Server) Clock() *clock.Manual { return s.clock }

// Now returns the virtual time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Advance moves the virtual clock forward.
func (s *Server) Advance(d time.Duration) time.Time { return s.clock.Advance(d) }

// Reset drops all resources, accounts, faults and counters.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
	s.faults.reset()
	s.counters.reset()
}

// Call is the context of one request as an operation handler sees it.
type Call struct {
	s         *Server
	Account   *Account
	Region    *Region
	Now       time.Time
	RequestID string
	Operation string
	// AccessKey is the access key id the request was signed with.
	AccessKey string
}

// ARN builds an ARN in the call's partition, region and account.
func (c *Call) ARN(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.Region.Name, c.Account.ID, resource)
}

// handler is one operation: a constructor for its SDK input type and the
// function that serves it.
type handler struct {
	newInput func() any
	run      func(c *Call, in any) (smithy.Serializable, error)
}

// op adapts a typed handler function.
func op[I any, O smithy.Serializable](f func(*Call, *I) (O, error)) handler {
	return handler{
		newInput: func() any { return new(I) },
		run: func(c *Call, in any) (smithy.Serializable, error) {
			return f(c, in.(*I))
		},
	}
}

// service describes one AWS service as the emulator serves it.
type service struct {
	name            string // our name, used in counters and faults: "sagemaker", "cloudwatch", ...
	signingName     string // SigV4 service name in the credential scope
	jsonTarget      string // awsJson X-Amz-Target prefix
	cborName        string // RPC v2 CBOR service name in the path
	queryVersion    string // awsQuery Version
	queryNamespace  string // awsQuery response XML namespace
	queryCompatible bool   // sends x-amzn-query-error over JSON/CBOR
	global          bool   // not regional (STS global endpoint, Organizations, Pricing)
	// validationCode answers a request that breaks the model's constraints;
	// "" means ValidationException (JSON services) or ValidationError
	// (query services).
	validationCode string
	ops            map[string]handler
}

// allServices lists every emulated service; each service's file adds its
// operations to its own constructor.
func allServices() []*service {
	return []*service{
		sageMakerService(),
		cloudWatchService(),
		snsService(),
		stsService(),
		pricingService(),
		autoScalingService(),   // autoscaling.go
		taggingService(),       // tagging.go
		organizationsService(), // organizations.go
	}
}

func (s *Server) serviceFor(req *wire.Request, scope credentialScope) *service {
	for _, svc := range s.services {
		switch req.Protocol {
		case wire.JSON10, wire.JSON11:
			if svc.jsonTarget != "" && svc.jsonTarget == req.Target {
				return svc
			}
		case wire.CBOR:
			if svc.cborName != "" && svc.cborName == req.Target {
				return svc
			}
		}
	}
	if req.Protocol == wire.Query {
		if svc, ok := s.services[scope.service]; ok && svc.queryVersion != "" {
			return svc
		}
		for _, svc := range s.services {
			if svc.queryVersion != "" && svc.queryVersion == req.Version {
				return svc
			}
		}
	}
	return nil
}

// ServeHTTP answers one AWS or admin request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	reqID := fmt.Sprintf("%08x-emul-4000-8000-%012x", s.reqSeq.Add(1), time.Now().UnixNano()&0xffffffffffff)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	scope := parseCredentialScope(r.Header.Get("Authorization"))
	if strings.HasPrefix(r.URL.Path, lambdaPathPrefix) {
		// Lambda is REST-JSON, routed by path (lambda.go).
		s.serveLambda(w, r, reqID, body, scope)
		return
	}
	req, perr := wire.ParseRequest(r, body)
	var svc *service
	if req != nil {
		svc = s.serviceFor(req, scope)
	}
	ns, qc := "", false
	if svc != nil {
		ns, qc = svc.queryNamespace, svc.queryCompatible
	}
	fail := func(e *wire.Error) {
		p := wire.JSON11
		if req != nil {
			p = req.Protocol
		}
		s.log.Debug("aws request failed", "op", opName(svc, req), "code", e.Code, "msg", e.Message)
		wire.WriteError(w, p, reqID, ns, qc, e)
	}
	if perr != nil {
		fail(perr)
		return
	}
	if s.noCBOR && req.Protocol == wire.CBOR {
		// An endpoint that routes by the query protocol's Action finds
		// none under /service/.../operation/...: 404, in XML.
		wire.WriteError(w, wire.Query, reqID, "", false, &wire.Error{Code: "UnknownOperation", Message: "no operation at " + r.URL.Path, Status: http.StatusNotFound})
		return
	}
	if svc == nil {
		fail(&wire.Error{Code: "UnknownOperationException", Message: "the emulator does not serve this service"})
		return
	}
	h, ok := svc.ops[req.Operation]
	if !ok {
		code := "UnknownOperationException"
		if req.Protocol == wire.Query {
			code = "InvalidAction"
		}
		fail(&wire.Error{Code: code, Message: fmt.Sprintf("The action or operation %s is not valid for %s in this emulator", req.Operation, svc.name)})
		return
	}
	region := scope.region
	if region == "" {
		region = DefaultRegion
	}
	if e := s.admit(svc.name, req.Operation, region, throttleCode(svc)); e != nil {
		fail(e)
		return
	}
	in := h.newInput()
	if err := wire.Decode(req.Params, in); err != nil {
		code := "SerializationException"
		if req.Protocol == wire.Query {
			code = "MalformedInput"
		}
		fail(&wire.Error{Code: code, Message: err.Error()})
		return
	}
	// Checked outside the lock (it walks the whole input), answered
	// after the region's access check as AWS authorizes first.
	verr := validateInput(svc, req.Operation, in)

	s.mu.Lock()
	acct := s.accountForKey(scope.accessKey)
	c := &Call{s: s, Account: acct, Region: acct.region(region), Now: s.clock.Now(), RequestID: reqID, Operation: req.Operation, AccessKey: scope.accessKey}
	var out smithy.Serializable
	if e := s.checkRegionAccess(acct, region, svc); e != nil {
		err = e
	} else if verr != nil {
		err = verr
	} else {
		out, err = h.run(c, in)
	}
	var node *wire.Node
	if err == nil {
		node = wire.Capture(out) // capture under the lock: out may alias state
	}
	s.mu.Unlock()

	if err != nil {
		e, ok := err.(*wire.Error)
		if !ok {
			e = &wire.Error{Code: "InternalFailure", Message: err.Error(), Status: 500}
		}
		fail(e)
		return
	}
	s.log.Debug("aws request", "op", opName(svc, req), "account", acct.ID, "region", region)
	wire.WriteOutput(w, req.Protocol, reqID, req.Operation, ns, node)
}

// admit counts a request to svc's op in region and answers the fault
// configured for it, if any; a fault with the throttle code counts as
// throttled too.
func (s *Server) admit(svc, op, region, throttle string) *wire.Error {
	s.counters.add(svc, op, region)
	e := s.faults.check(svc, op, region, throttle)
	if e != nil && e.Code == throttle {
		s.counters.throttled(svc, op)
	}
	return e
}

func opName(svc *service, req *wire.Request) string {
	if svc == nil || req == nil {
		return "?"
	}
	return svc.name + ":" + req.Operation
}

// throttleCode is the error code a service answers when it throttles.
func throttleCode(svc *service) string {
	if svc.queryVersion != "" {
		return "Throttling"
	}
	return "ThrottlingException"
}

// credentialScope is what the SigV4 Authorization header says about the
// request: the access key, region and service it was signed for. The
// emulator does not verify signatures.
type credentialScope struct {
	accessKey, region, service string
}

func parseCredentialScope(auth string) credentialScope {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return credentialScope{}
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	// AKID/date/region/service/aws4_request
	if len(parts) < 5 {
		return credentialScope{}
	}
	return credentialScope{accessKey: parts[0], region: parts[2], service: parts[3]}
}

// validation builds the ValidationException SageMaker and most JSON services
// answer for bad input.
func validation(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// required checks that a required member is present, answering with AWS's
// own wording when it is not.
func required(member string, present bool) *wire.Error {
	if present {
		return nil
	}
	return validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(member))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
