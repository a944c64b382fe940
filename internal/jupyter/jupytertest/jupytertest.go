// Package jupytertest starts real Jupyter servers (Debian's classic
// jupyter-notebook 6.x and jupyter-server) on loopback for tests, with a
// real ipykernel, and drives them the way a user's browser does: starting
// kernels, executing code and typing into terminals over websockets.
//
// The servers are required in CI: when the binaries are missing, Require
// fails the test if CI=true and skips it otherwise.
package jupytertest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind picks the server implementation.
type Kind string

// The two servers the agent supports.
const (
	Notebook Kind = "jupyter-notebook" // classic Notebook 6.x, as on notebook instances
	Server   Kind = "jupyter-server"   // jupyter_server, as under JupyterLab in Studio
)

// Kinds lists every server kind, for table tests.
var Kinds = []Kind{Notebook, Server}

// AptPackages is what CI installs to run these tests (Debian bookworm).
const AptPackages = "jupyter-notebook python3-ipykernel python3-jupyter-server jupyter-server python3-terminado"

// Require fails (CI=true) or skips the test when the server binary for kind
// or the python3 kernel is missing.
func Require(t testing.TB, kind Kind) {
	t.Helper()
	var missing []string
	if bin, err := exec.LookPath(string(kind)); err != nil {
		missing = append(missing, string(kind))
	} else if py := interpreter(bin); py == "" {
		missing = append(missing, "the python interpreter of "+bin)
	} else if err := exec.Command(py, "-c", "import ipykernel, terminado").Run(); err != nil {
		missing = append(missing, py+" modules ipykernel and terminado")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s: install with `apt-get install -y %s`", strings.Join(missing, ", "), AptPackages)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// interpreter returns the python that runs the script bin (from its #!
// line): the one whose ipykernel the server starts.
func interpreter(bin string) string {
	f, err := os.Open(bin)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(fields) == 0 {
		return ""
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		p, _ := exec.LookPath(fields[1])
		return p
	}
	return fields[0]
}

// Options configure a server.
type Options struct {
	// TLS serves HTTPS with a fresh self-signed certificate for localhost,
	// as notebook instances do on https://localhost:8443.
	TLS bool
	// NoToken disables authentication (as on notebook instances).
	NoToken bool
}

// Srv is a running Jupyter server.
type Srv struct {
	Kind  Kind
	URL   string // base URL, ending in "/"
	Token string
	// CAFile is the PEM certificate to trust when TLS is on.
	CAFile string
	// Dir is the server's root (notebook) directory.
	Dir string

	tls *tls.Config
	cmd *exec.Cmd
	log *syncBuffer
}

// Start runs a server of kind on a free loopback port and stops it when
// the test ends. It fails the test if the server is not answering within
// 60 seconds.
func Start(t testing.TB, kind Kind, o Options) *Srv {
	t.Helper()
	Require(t, kind)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	home := filepath.Join(dir, "home")
	for _, d := range []string{root, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	s := &Srv{Kind: kind, Dir: root, log: &syncBuffer{}}
	if !o.NoToken {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		s.Token = hex.EncodeToString(b)
	}
	scheme := "http"
	var args []string
	app := "NotebookApp"
	if kind == Server {
		app = "ServerApp"
	}
	args = append(args,
		"--no-browser",
		fmt.Sprintf("--%s.ip=127.0.0.1", app),
		fmt.Sprintf("--%s.port=%d", app, port),
		fmt.Sprintf("--%s.port_retries=0", app),
		fmt.Sprintf("--%s.token=%s", app, s.Token),
		fmt.Sprintf("--%s.password=", app),
		// Never cull or shut down on their own during a test.
		"--MappingKernelManager.cull_idle_timeout=0",
		// Kernels talk to their server over Unix sockets in a directory of
		// this server's, not over TCP ports picked by binding port 0 and
		// closing it: with many servers at once, two kernels could be
		// handed the same port (and a server would listen to another
		// server's kernel).
		// The agent reads only the REST API, so this changes nothing it
		// sees. (A short path: a socket's path has at most 107 bytes.)
		"--KernelManager.transport=ipc",
		"--KernelManager.ip="+ipcPrefix(t),
	)
	if o.NoToken {
		// Without a token the servers want an _xsrf cookie on POSTs, which
		// a browser gets from the page; the tests post directly.
		args = append(args, fmt.Sprintf("--%s.disable_check_xsrf=True", app))
	}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root") // CI containers run as root
	}
	if kind == Server {
		args = append(args, "--ServerApp.root_dir="+root)
	} else {
		args = append(args, "--NotebookApp.notebook_dir="+root)
	}
	if o.TLS {
		scheme = "https"
		cert, key, pool := selfSigned(t, dir)
		args = append(args, fmt.Sprintf("--%s.certfile=%s", app, cert), fmt.Sprintf("--%s.keyfile=%s", app, key))
		s.CAFile = cert
		s.tls = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	}
	s.URL = fmt.Sprintf("%s://localhost:%d/", scheme, port)

	cmd := exec.Command(string(kind), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"JUPYTER_CONFIG_DIR="+filepath.Join(dir, "config"),
		"JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"IPYTHONDIR="+filepath.Join(dir, "ipython"),
		"JUPYTER_PLATFORM_DIRS=1",
		"PYDEVD_DISABLE_FILE_VALIDATION=1",
	)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", kind, err)
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", kind, s.log.String())
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"api/status", nil)
		s.auth(req.Header)
		resp, err := s.httpClient().Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before answering:\n%s", kind, s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not answering on %s after 60s (last error %v):\n%s", kind, s.URL, err, s.log.String())
		}
	}
}

// Log returns what the server printed so far.
func (s *Srv) Log() string { return s.log.String() }

func (s *Srv) auth(h http.Header) {
	if s.Token != "" {
		h.Set("Authorization", "token "+s.Token)
	}
}

func (s *Srv) httpClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: s.tls, Proxy: nil}}
}

// Do sends a request to the server as a user would (activity is tracked)
// and decodes a JSON answer into out when it is not nil.
func (s *Srv) Do(t testing.TB, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	s.auth(req.Header)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
}

// StartKernel starts a python3 kernel and returns its id once the kernel
// answers (its execution state has left "starting").
func (s *Srv) StartKernel(t testing.TB) string {
	t.Helper()
	var k struct {
		ID string `json:"id"`
	}
	s.Do(t, http.MethodPost, "api/kernels", map[string]string{"name": "python3"}, &k)
	// Run a trivial cell: it returns only when the kernel is up.
	s.Run(t, k.ID, "1+1")
	return k.ID
}

// Execute sends code to the kernel and returns once the kernel has started
// running it (the kernel is busy), leaving it running.
func (s *Srv) Execute(t testing.TB, kernelID, code string) {
	t.Helper()
	s.execute(t, kernelID, code, "execute_input")
}

// settle waits until the server has reported the kernel idle (or still
// starting) for half a second. Opening a kernel's websocket makes the server "nudge" the kernel
// with kernel_info requests on its shell and control channels; the control
// one is answered on its own thread, and its busy and idle status messages
// can arrive after a cell sent right away has started, leaving the
// server's execution_state at "idle" while the cell runs (a race in the
// servers, not in what the tests check). Waiting for the nudge to settle
// keeps the tests about the agent.
func (s *Srv) settle(t testing.TB, kernelID string) {
	t.Helper()
	var k struct {
		State string `json:"execution_state"`
	}
	// A kernel no client has run anything on may stay "starting" on
	// jupyter_server 1.x: that is quiet too.
	quietSince, last := time.Time{}, ""
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.Do(t, http.MethodGet, "api/kernels/"+kernelID+"?no_track_activity=1", nil, &k)
		switch {
		case k.State != "idle" && k.State != "starting", k.State != last:
			quietSince, last = time.Time{}, k.State
		case quietSince.IsZero():
			quietSince = time.Now()
		case time.Since(quietSince) >= 500*time.Millisecond:
			return
		}
		last = k.State
	}
	t.Fatalf("kernel %s: not quiet for half a second within 30 s (last state %q)", kernelID, k.State)
}

// Run executes code and waits for the kernel to finish it.
func (s *Srv) Run(t testing.TB, kernelID, code string) {
	t.Helper()
	s.execute(t, kernelID, code, "execute_reply")
}

func (s *Srv) execute(t testing.TB, kernelID, code, until string) {
	t.Helper()
	ws := s.dial(t, "api/kernels/"+kernelID+"/channels")
	defer ws.Close()
	s.settle(t, kernelID)
	id := randomID()
	msg := map[string]any{
		"header": map[string]any{
			"msg_id": id, "username": "test", "session": randomID(),
			"msg_type": "execute_request", "version": "5.3",
			"date": time.Now().UTC().Format(time.RFC3339Nano),
		},
		"parent_header": map[string]any{},
		"metadata":      map[string]any{},
		"content": map[string]any{
			"code": code, "silent": false, "store_history": true,
			"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
		},
		"channel": "shell",
		"buffers": []any{},
	}
	b, _ := json.Marshal(msg)
	if err := ws.WriteText(b); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_ = ws.conn.SetReadDeadline(deadline)
		frame, err := ws.ReadText()
		if err != nil {
			t.Fatalf("kernel %s: waiting for %s: %v", kernelID, until, err)
		}
		var m struct {
			Header struct {
				MsgType string `json:"msg_type"`
			} `json:"header"`
			ParentHeader struct {
				MsgID string `json:"msg_id"`
			} `json:"parent_header"`
		}
		if json.Unmarshal(frame, &m) == nil && m.ParentHeader.MsgID == id && m.Header.MsgType == until {
			return
		}
	}
}

// NewTerminal opens a terminal and returns its name.
func (s *Srv) NewTerminal(t testing.TB) string {
	t.Helper()
	var term struct {
		Name string `json:"name"`
	}
	s.Do(t, http.MethodPost, "api/terminals", nil, &term)
	return term.Name
}

// Type sends input to a terminal, as a keystroke in the browser does.
func (s *Srv) Type(t testing.TB, terminal, text string) {
	t.Helper()
	ws := s.dial(t, "terminals/websocket/"+terminal)
	defer ws.Close()
	b, _ := json.Marshal([]string{"stdin", text})
	if err := ws.WriteText(b); err != nil {
		t.Fatalf("terminal %s: %v", terminal, err)
	}
	// Wait for the echo: the server has handled the input by then.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = ws.conn.SetReadDeadline(deadline)
		frame, err := ws.ReadText()
		if err != nil {
			t.Fatalf("terminal %s: waiting for output: %v", terminal, err)
		}
		var m []any
		if json.Unmarshal(frame, &m) == nil && len(m) > 0 && m[0] == "stdout" {
			return
		}
	}
}

// Connect opens a websocket to the kernel, as an open notebook tab does,
// and keeps it open until the test ends.
func (s *Srv) Connect(t testing.TB, kernelID string) {
	t.Helper()
	ws := s.dial(t, "api/kernels/"+kernelID+"/channels")
	go func() { _, _ = io.Copy(io.Discard, ws.r) }()
	t.Cleanup(func() { ws.Close() })
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// selfSigned writes a self-signed certificate for localhost and 127.0.0.1
// to dir and returns the certificate and key paths and a pool trusting it.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// wsConn is the smallest websocket client (RFC 6455) that the tests need:
// text frames out (masked), text frames in (unfragmented or fragmented),
// control frames ignored.
type wsConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func (s *Srv) dial(t testing.TB, path string) *wsConn {
	t.Helper()
	u, err := url.Parse(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	// Generous: the servers answer slowly on a loaded CI machine.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var conn net.Conn
	if u.Scheme == "https" {
		d := &tls.Dialer{Config: s.tls}
		conn, err = d.DialContext(ctx, "tcp", u.Host)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", u.Host)
	}
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	keyb := make([]byte, 16)
	_, _ = rand.Read(keyb)
	key := base64.StdEncoding.EncodeToString(keyb)
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", u.RequestURI(), u.Host)
	fmt.Fprintf(&req, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s://%s\r\n", key, u.Scheme, u.Host)
	if s.Token != "" {
		fmt.Fprintf(&req, "Authorization: token %s\r\n", s.Token)
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatalf("websocket %s: %v", path, err)
	}
	r := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("websocket %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("websocket %s: %s %s", path, resp.Status, b)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return &wsConn{conn: conn, r: r}
}

func (w *wsConn) Close() { _ = w.conn.Close() }

func (w *wsConn) WriteText(p []byte) error {
	var hdr []byte
	hdr = append(hdr, 0x81) // FIN, text
	switch n := len(p); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	hdr = append(hdr, mask...)
	out := make([]byte, len(p))
	for i := range p {
		out[i] = p[i] ^ mask[i%4]
	}
	_, err := w.conn.Write(append(hdr, out...))
	return err
}

// ReadText returns the next complete text or binary message.
func (w *wsConn) ReadText() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if h[1]&0x80 != 0 {
			return nil, errors.New("websocket: masked frame from server")
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(w.r, p); err != nil {
			return nil, err
		}
		switch op {
		case 0x8:
			return nil, io.EOF
		case 0x9, 0xA:
			continue // ping/pong
		}
		msg = append(msg, p...)
		if fin {
			return msg, nil
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ipcPrefix is a short path prefix for a server's kernel sockets, in a
// directory removed after the test.
func ipcPrefix(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "jk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return filepath.Join(d, "k")
}
