// Package dynamotest runs two real DynamoDB implementations for the tests
// of the DynamoDB backend, on loopback only: dynalite (npm
// dynalite@4.0.0, on Node, in memory; no transactions, no TTL) listening
// on a Unix socket, and DynamoDB Local (the jar shipped in npm
// amplify-dynamodb-simulator@2.9.30, on Java 17, -inMemory), which has no
// bind-address flag and so runs in its own network namespace, reached
// through a Unix-socket bridge inside it. scripts/test.sh installs both
// into a cache directory outside the repository (CacheDir).
//
// A test package that uses it calls Main from its TestMain: the test
// binary re-executes itself as the small supervisor (and bridge) of each
// server, and Main stops the servers when the tests end. A supervisor
// kills its server and removes its files when the test binary goes away,
// however it ends (a panic, a -timeout, kill -9): it watches its stdin, a
// pipe only the test binary holds. The server has a parent-death signal,
// should its supervisor be killed.
package dynamotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sagesaver/sagesaver/internal/store/dynamo"
)

// The pinned versions scripts/test.sh installs.
const (
	DynaliteVersion  = "4.0.0"
	SimulatorVersion = "2.9.30"
)

// The servers.
const (
	Dynalite      = "dynalite"
	DynamoDBLocal = "dynamodb-local"
)

// Names lists the servers, in the order tests run on them.
var Names = []string{Dynalite, DynamoDBLocal}

// CacheDir is where scripts/test.sh installs the servers:
// $SAGESAVER_TEST_CACHE, or sagesaver-test in the user's cache directory.
func CacheDir() string {
	if d := os.Getenv("SAGESAVER_TEST_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "sagesaver-test")
}

func dynaliteCLI() string {
	return filepath.Join(CacheDir(), "dynalite", "node_modules", "dynalite", "cli.js")
}

func simulatorDir() string {
	return filepath.Join(CacheDir(), "dynamodb-local", "node_modules", "amplify-dynamodb-simulator", "emulator")
}

// installed returns the version of npm package pkg installed under dir
// of the cache, "none" when it is not.
func installed(dir, pkg string) string {
	b, err := os.ReadFile(filepath.Join(CacheDir(), dir, "node_modules", pkg, "package.json"))
	if err != nil {
		return "none"
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &p) != nil || p.Version == "" {
		return "unknown"
	}
	return p.Version
}

// installHint is the command that installs what is missing.
func installHint() string {
	return "run scripts/test.sh, which installs it (npm install --prefix " + filepath.Join(CacheDir(), "dynalite") +
		" dynalite@" + DynaliteVersion + "; npm install --prefix " + filepath.Join(CacheDir(), "dynamodb-local") +
		" amplify-dynamodb-simulator@" + SimulatorVersion + "; node and Java 17 on PATH)"
}

// missing says what server name needs that is not installed, "" when
// nothing.
func missing(name string) string {
	var need []string
	switch name {
	case Dynalite:
		if _, err := exec.LookPath("node"); err != nil {
			need = append(need, "node")
		}
		if v := installed("dynalite", "dynalite"); v != DynaliteVersion {
			need = append(need, "dynalite@"+DynaliteVersion+" (found "+v+")")
		}
	case DynamoDBLocal:
		if _, err := exec.LookPath("java"); err != nil {
			need = append(need, "java")
		}
		if v := installed("dynamodb-local", "amplify-dynamodb-simulator"); v != SimulatorVersion {
			need = append(need, "amplify-dynamodb-simulator@"+SimulatorVersion+" (found "+v+")")
		} else if _, err := os.Stat(filepath.Join(simulatorDir(), "DynamoDBLocal.jar")); err != nil {
			need = append(need, filepath.Join(simulatorDir(), "DynamoDBLocal.jar"))
		}
	}
	return strings.Join(need, ", ")
}

// unavailable ends t: a failure under CI (CI=true), where every test must
// run, a skip elsewhere.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; %s", msg, installHint())
	}
	t.Skipf("%s; %s", msg, installHint())
}

// Server is a running DynamoDB implementation, shared by the tests of one
// package.
type Server struct {
	Name   string
	dir    string
	sock   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	client *dynamodb.Client
}

var (
	mu      sync.Mutex
	servers = map[string]*Server{}
	failed  = map[string]error{}
)

// Get returns server name, started on first use and shared until Main
// stops it.
func Get(t testing.TB, name string) *Server {
	t.Helper()
	if what := missing(name); what != "" {
		unavailable(t, name+" is not installed: missing "+what)
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := servers[name]; ok {
		return s
	}
	if err, ok := failed[name]; ok {
		t.Fatalf("start %s: %v", name, err)
	}
	s, err := start(name)
	if err != nil {
		failed[name] = err
		if errors.Is(err, errNoNamespace) {
			unavailable(t, err.Error())
		}
		t.Fatalf("start %s: %v", name, err)
	}
	servers[name] = s
	return s
}

// Client returns an SDK client of the server.
func (s *Server) Client() *dynamodb.Client { return s.client }

var tables atomic.Int64

// NewTable creates a fresh, empty table on the server for t and deletes
// it when t ends.
func (s *Server) NewTable(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("sagesaver-test-%d-%d", os.Getpid(), tables.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, s.client, name, time.Minute); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("%s: delete table %s: %v", s.Name, name, err)
		}
	})
	return name
}

// HTTPClient returns an HTTP client whose every connection goes to the
// server's Unix socket, whatever the URL's host.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", s.sock)
		},
		MaxIdleConnsPerHost: 64,
	}}
}

// Endpoint is the URL the SDK is given; the host is never resolved (the
// HTTP client dials the socket).
const Endpoint = "http://dynamodb.test"

func newClient(hc *http.Client) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:                "us-east-1",
		Credentials:           credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:            hc,
		BaseEndpoint:          aws.String(Endpoint),
		AccountIDEndpointMode: aws.AccountIDEndpointModeDisabled,
		RetryMaxAttempts:      5,
	})
}

// helperEnv, when set, makes Main run a supervisor (its value the spec)
// instead of the tests.
const helperEnv = "SAGESAVER_DYNAMOTEST_SUPERVISE"

// spec is what a supervisor runs.
type spec struct {
	Argv []string `json:"argv"`
	Dir  string   `json:"dir"`
	// Bridge, when set, is the Unix socket the supervisor serves,
	// forwarding each connection to 127.0.0.1:Port (in its namespace).
	Bridge string `json:"bridge,omitempty"`
	Port   int    `json:"port,omitempty"`
	// LoopbackUp brings lo up first (a new network namespace has it down).
	LoopbackUp bool `json:"loopback_up,omitempty"`
	// Remove is a directory the supervisor removes when it is done (the
	// socket's and the log's).
	Remove string `json:"remove,omitempty"`
}

// localPort is DynamoDB Local's port inside its own network namespace,
// where nothing else listens.
const localPort = 8000

var errNoNamespace = errors.New("cannot make a network namespace to keep DynamoDB Local off the network")

func start(name string) (*Server, error) {
	dir, err := os.MkdirTemp("", "ddb")
	if err != nil {
		return nil, err
	}
	s := &Server{Name: name, dir: dir, sock: filepath.Join(dir, "s"), exited: make(chan struct{})}
	var sp spec
	var netns bool
	switch name {
	case Dynalite:
		// dynalite listens on whatever --port names; a path is a Unix socket.
		sp = spec{Argv: []string{"node", dynaliteCLI(), "--port", s.sock, "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}, Dir: dir, Remove: dir}
	case DynamoDBLocal:
		sim := simulatorDir()
		sp = spec{Argv: []string{"java", "-Djava.library.path=" + filepath.Join(sim, "DynamoDBLocal_lib"), "-jar", filepath.Join(sim, "DynamoDBLocal.jar"),
			"-inMemory", "-disableTelemetry", "-port", fmt.Sprint(localPort)}, Dir: sim, Bridge: s.sock, Port: localPort, LoopbackUp: true, Remove: dir}
		netns = true
	default:
		return nil, fmt.Errorf("unknown server %q", name)
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	s.cmd = exec.Command(self)
	s.cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if s.cmd.SysProcAttr, err = supervisorAttr(netns); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: %v", errNoNamespace, err)
	}
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		if netns {
			return nil, fmt.Errorf("%w: %v", errNoNamespace, err)
		}
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	s.client = newClient(s.HTTPClient())
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startTimeout is how long a server may take to answer: DynamoDB Local
// takes a few seconds to start a JVM, more on a loaded CI machine.
const startTimeout = 2 * time.Minute

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for {
		c, cancelCall := context.WithTimeout(ctx, 5*time.Second)
		_, err := s.client.ListTables(c, &dynamodb.ListTablesInput{})
		cancelCall()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited: %s", s.Name, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer in %s: %v: %s", s.Name, startTimeout, last, s.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// stop ends the supervisor (closing its stdin makes it kill the server
// and exit; SIGKILL if it does not within 10 s) and removes its files.
func (s *Server) stop() {
	_ = s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	_ = os.RemoveAll(s.dir)
}

// Main runs the package's tests (or, in a re-executed test binary, a
// supervisor) and stops the servers they started.
func Main(m *testing.M) {
	if v := os.Getenv(helperEnv); v != "" {
		os.Exit(supervise(v))
	}
	code := m.Run()
	mu.Lock()
	for _, s := range servers {
		s.stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// supervise runs a server as spec v says until its stdin closes (the
// test binary ended), then kills it.
func supervise(v string) int {
	var sp spec
	if err := json.Unmarshal([]byte(v), &sp); err != nil {
		fmt.Fprintln(os.Stderr, "supervise:", err)
		return 2
	}
	if sp.Remove != "" {
		defer os.RemoveAll(sp.Remove)
	}
	if sp.LoopbackUp {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "supervise: bring lo up:", err)
			return 2
		}
	}
	cmd := exec.Command(sp.Argv[0], sp.Argv[1:]...)
	cmd.Dir = sp.Dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = serverAttr()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "supervise:", err)
		return 2
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if sp.Bridge != "" {
		l, err := net.Listen("unix", sp.Bridge)
		if err != nil {
			fmt.Fprintln(os.Stderr, "supervise: bridge:", err)
			_ = cmd.Process.Kill()
			return 2
		}
		go bridge(l, "tcp", fmt.Sprintf("127.0.0.1:%d", sp.Port))
	}
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(gone)
	}()
	select {
	case err := <-done:
		fmt.Fprintln(os.Stderr, "supervise: server exited:", err)
		return 1
	case <-gone:
		_ = cmd.Process.Kill()
		<-done
		return 0
	}
}

// bridge forwards each connection l accepts to addr on network.
func bridge(l net.Listener, network, addr string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.Dial(network, addr)
			if err != nil {
				return
			}
			defer u.Close()
			go func() {
				_, _ = io.Copy(u, c)
				if cw, ok := u.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
			}()
			_, _ = io.Copy(c, u)
		}()
	}
}

// DSN names table on the server for another process (storetest's
// two-process races): the server's socket and the table.
func (s *Server) DSN(table string) string { return s.sock + "|" + table }

// Connect returns a client of the server and the table that dsn (from
// DSN) names.
func Connect(dsn string) (*dynamodb.Client, string, error) {
	sock, table, ok := strings.Cut(dsn, "|")
	if !ok {
		return nil, "", fmt.Errorf("dynamotest dsn %q: want SOCKET|TABLE", dsn)
	}
	s := &Server{sock: sock}
	return newClient(s.HTTPClient()), table, nil
}

// LoopbackEndpoint returns an http:// URL on 127.0.0.1 that reaches the
// server, for a test that must give a URL (a --state endpoint) rather
// than an HTTP client; the listener closes when t ends.
func (s *Server) LoopbackEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go bridge(l, "unix", s.sock)
	return "http://" + l.Addr().String()
}
