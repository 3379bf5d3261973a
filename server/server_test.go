package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink that is safe to write from server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	*Server
	Client *http.Client
	Log    *syncBuffer
}

// MustOpen opens a server on loopback with a self-signed certificate in a
// temporary data directory (unless cfg says otherwise) and a client that
// trusts the served certificate.
func MustOpen(tb testing.TB, cfg Config, h http.Handler) *testServer {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" && cfg.TLSCert == "" {
		cfg.DataDir = tb.TempDir()
	}
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg, h)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	ts := &testServer{Server: s, Log: logs, Client: newClient(tb, s, nil)}
	return ts
}

// newClient returns a client that trusts only the certificate s serves;
// configure may adjust its TLS settings.
func newClient(tb testing.TB, s *Server, configure func(*tls.Config)) *http.Client {
	tb.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(s.https.TLSConfig.Certificates[0].Leaf)
	tc := &tls.Config{RootCAs: pool}
	if configure != nil {
		configure(tc)
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// URLFor returns an https URL for path on the bound loopback address.
func (ts *testServer) URLFor(path string) string {
	return "https://" + ts.Addr().String() + path
}

// MustGet fetches path and returns the response with its body read.
func (ts *testServer) MustGet(tb testing.TB, path string, header http.Header) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URLFor(path), nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.Client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(body)
}

// routes is a small stand-in for the web routes.
func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "home")
	})
	mux.HandleFunc("GET /static/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, "//")
	})
	mux.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, ClientIP(r.Context()).String())
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "half=done")
		panic("boom: secret detail")
	})
	return mux
}

func TestServer_SecurityHeaders(t *testing.T) {
	ts := MustOpen(t, Config{}, routes())
	want := map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"Content-Security-Policy":   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"X-Frame-Options":           "DENY",
		"Cache-Control":             "no-store",
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/", http.StatusOK},
		{"/no/such/page", http.StatusNotFound},
		{"/healthz", http.StatusOK},
		{"/panic", http.StatusInternalServerError},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, _ := ts.MustGet(t, tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
	t.Run("HandlerOverridesCacheControl", func(t *testing.T) {
		resp, _ := ts.MustGet(t, "/static/app.js", nil)
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=3600" {
			t.Fatalf("Cache-Control = %q", got)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatal("CSP missing on static asset")
		}
	})
}

func TestServer_TLSVersions(t *testing.T) {
	ts := MustOpen(t, Config{}, routes())
	t.Run("TLS11Refused", func(t *testing.T) {
		c := newClient(t, ts.Server, func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		})
		resp, err := c.Get(ts.URLFor("/"))
		if err == nil {
			resp.Body.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
		if !strings.Contains(err.Error(), "protocol version") {
			t.Fatalf("err = %v, want a protocol version alert", err)
		}
		waitFor(t, func() bool { return strings.Contains(ts.Log.String(), "TLS handshake error") })
	})
	t.Run("TLS12Accepted", func(t *testing.T) {
		c := newClient(t, ts.Server, func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		})
		resp, err := c.Get(ts.URLFor("/"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.TLS.Version != tls.VersionTLS12 || resp.StatusCode != http.StatusOK {
			t.Fatalf("version %x, status %d", resp.TLS.Version, resp.StatusCode)
		}
	})
	t.Run("TLS13Default", func(t *testing.T) {
		resp, _ := ts.MustGet(t, "/", nil)
		if resp.TLS.Version != tls.VersionTLS13 {
			t.Fatalf("version %x", resp.TLS.Version)
		}
	})
}

func TestServer_Redirect(t *testing.T) {
	var served sync.Map
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Store(r.URL.Path, true)
		io.WriteString(w, "content")
	})
	ts := MustOpen(t, Config{HTTPAddr: "127.0.0.1:0"}, h)
	tlsPort := ts.Addr().(*net.TCPAddr).Port
	plain := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, tt := range []struct {
		name, method, host, path string
		status                   int
		location                 string
	}{
		{"PathAndQuery", "GET", "example.com:8080", "/a/b%20c?x=1&y=two", 301, "https://example.com:%d/a/b%20c?x=1&y=two"},
		{"NoPort", "GET", "example.com", "/", 301, "https://example.com:%d/"},
		{"Post", "POST", "localhost", "/login?next=/x", 308, "https://localhost:%d/login?next=/x"},
		{"Healthz", "GET", "localhost", "/healthz", 301, "https://localhost:%d/healthz"},
		{"IPv6", "GET", "[::1]:80", "/p", 301, "https://[::1]:%d/p"},
		{"BadHost", "GET", "ex ample.com", "/", 400, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://"+ts.HTTPListenAddr().String()+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			resp, err := plain.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.location != "" {
				if want := strings.Replace(tt.location, "%d", strconv.Itoa(tlsPort), 1); resp.Header.Get("Location") != want {
					t.Fatalf("Location = %q, want %q", resp.Header.Get("Location"), want)
				}
			}
			if strings.Contains(string(body), "content") || strings.Contains(string(body), "ok") {
				t.Fatalf("plain HTTP served content: %q", body)
			}
		})
	}
	served.Range(func(k, _ any) bool {
		t.Errorf("handler reached over plain HTTP for %v", k)
		return true
	})
}

func TestRedirectHandler_Port443AndACME(t *testing.T) {
	for _, tt := range []struct {
		name    string
		port    int
		domains []string
		host    string
		want    string
	}{
		{"Port443", 443, nil, "example.com", "https://example.com/x?q=1"},
		{"ACMEKnownHost", 443, []string{"a.example", "b.example"}, "B.example:80", "https://b.example/x?q=1"},
		{"ACMEUnknownHost", 443, []string{"a.example"}, "evil.example", "https://a.example/x?q=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+tt.host+"/x?q=1", nil)
			rec := &headerRecorder{header: http.Header{}}
			redirectHandler(tt.port, tt.domains).ServeHTTP(rec, req)
			if rec.status != 301 || rec.header.Get("Location") != tt.want {
				t.Fatalf("got %d %q, want 301 %q", rec.status, rec.header.Get("Location"), tt.want)
			}
		})
	}
}

type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *headerRecorder) WriteHeader(code int)        { r.status = code }

func TestServer_HealthAndReady(t *testing.T) {
	t.Run("Healthz", func(t *testing.T) {
		ts := MustOpen(t, Config{}, routes())
		resp, body := ts.MustGet(t, "/healthz", nil)
		if resp.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		resp, body = ts.MustGet(t, "/readyz", nil)
		if resp.StatusCode != 200 || body != "ready\n" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("NotReady", func(t *testing.T) {
		ready := func(context.Context) error { return errors.New("postgres at db.internal refused: password auth") }
		ts := MustOpen(t, Config{Ready: ready}, routes())
		resp, body := ts.MustGet(t, "/readyz", nil)
		if resp.StatusCode != http.StatusServiceUnavailable || body != "not ready\n" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if strings.Contains(body, "postgres") {
			t.Fatal("ready error shown to client")
		}
		if !strings.Contains(ts.Log.String(), "db.internal refused") {
			t.Fatal("ready error not logged")
		}
	})
}

func TestServer_PanicAndAccessLog(t *testing.T) {
	ts := MustOpen(t, Config{}, routes())
	t.Run("Panic", func(t *testing.T) {
		resp, body := ts.MustGet(t, "/panic", nil)
		if resp.StatusCode != 500 || strings.TrimSpace(body) != "Internal error." {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Fatal("half-done handler's cookie sent with the 500")
		}
		if !strings.Contains(ts.Log.String(), "boom: secret detail") {
			t.Fatal("panic not logged")
		}
	})
	t.Run("AccessLogLeavesOutQuery", func(t *testing.T) {
		ts.MustGet(t, "/?token=s3cr3t-value", nil)
		logs := ts.Log.String()
		if strings.Contains(logs, "s3cr3t-value") {
			t.Fatalf("query string logged: %s", logs)
		}
		for _, want := range []string{`"msg":"http request"`, `"method":"GET"`, `"path":"/"`, `"status":200`, `"bytes":4`, `"ip":"127.0.0.1"`, `"duration":`, `"status":500`} {
			if !strings.Contains(logs, want) {
				t.Errorf("access log lacks %s:\n%s", want, logs)
			}
		}
	})
}

func TestServer_ClientIP(t *testing.T) {
	xff := http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7"}}
	t.Run("TrustedProxy", func(t *testing.T) {
		ts := MustOpen(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, routes())
		if _, body := ts.MustGet(t, "/ip", xff); body != "203.0.113.7" {
			t.Fatalf("client ip = %q, want the rightmost untrusted entry", body)
		}
	})
	t.Run("UntrustedPeer", func(t *testing.T) {
		ts := MustOpen(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, routes())
		if _, body := ts.MustGet(t, "/ip", xff); body != "127.0.0.1" {
			t.Fatalf("client ip = %q, want the peer", body)
		}
	})
}

func TestServer_Metrics(t *testing.T) {
	t.Run("OffByDefault", func(t *testing.T) {
		ts := MustOpen(t, Config{}, routes())
		if ts.MetricsListenAddr() != nil || ts.metricsSrv != nil {
			t.Fatal("metrics listener bound without MetricsAddr")
		}
		if resp, _ := ts.MustGet(t, "/metrics", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/metrics on HTTPS: %d", resp.StatusCode)
		}
	})
	t.Run("OnMetricsAddr", func(t *testing.T) {
		ts := MustOpen(t, Config{MetricsAddr: "127.0.0.1:0"}, routes())
		ts.MustGet(t, "/", nil)
		resp, err := http.Get("http://" + ts.MetricsListenAddr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`strongroom_http_requests_total{code="200",method="GET"} 1`,
			`strongroom_http_request_duration_seconds_count{method="GET"} 1`,
			`go_goroutines`,
			`process_cpu_seconds_total`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("StatusPageOnMetricsAddrOnly", func(t *testing.T) {
		status := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "backups: fine") })
		ts := MustOpen(t, Config{MetricsAddr: "127.0.0.1:0", Status: status}, routes())
		resp, err := http.Get("http://" + ts.MetricsListenAddr().String() + "/status")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "backups: fine" {
			t.Fatalf("status page: %d %q", resp.StatusCode, body)
		}
		if resp, _ := ts.MustGet(t, "/status", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/status on the public address: %d", resp.StatusCode)
		}
	})
}

func TestServer_GracefulClose(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	s, err := New(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	client := newClient(t, s, nil)
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := client.Get("https://" + s.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- s.Close(ctx)
	}()
	select {
	case err := <-closed:
		t.Fatalf("Close returned before the in-flight request finished: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("new connection accepted while closing")
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
}

func TestServer_Open(t *testing.T) {
	t.Run("BindError", func(t *testing.T) {
		ts := MustOpen(t, Config{}, routes())
		s, err := New(Config{Addr: ts.Addr().String(), DataDir: t.TempDir()}, routes())
		if err != nil {
			t.Fatal(err)
		}
		err = s.Open()
		if err == nil || !strings.Contains(err.Error(), "listen for HTTPS on "+ts.Addr().String()) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("BindErrorReleasesOthers", func(t *testing.T) {
		ts := MustOpen(t, Config{}, routes())
		s, _ := New(Config{Addr: "127.0.0.1:0", HTTPAddr: ts.Addr().String(), DataDir: t.TempDir()}, routes())
		if err := s.Open(); err == nil || !strings.Contains(err.Error(), "HTTP redirect") {
			t.Fatalf("err = %v", err)
		}
		if s.Addr() != nil {
			t.Fatal("HTTPS listener left bound after failed Open")
		}
	})
	t.Run("InvalidConfig", func(t *testing.T) {
		for _, cfg := range []Config{
			{DataDir: "x"},
			{Addr: ":0"},
			{Addr: ":0", TLSCert: "c.pem"},
		} {
			if _, err := New(cfg, routes()); err == nil {
				t.Errorf("New(%+v) succeeded", cfg)
			}
		}
	})
	t.Run("URLAndFingerprint", func(t *testing.T) {
		ts := MustOpen(t, Config{}, routes())
		port := strconv.Itoa(ts.Addr().(*net.TCPAddr).Port)
		if got := ts.URL(); got != "https://localhost:"+port+"/" {
			t.Fatalf("URL = %q", got)
		}
		certPEM, err := os.ReadFile(filepath.Join(ts.cfg.DataDir, "tls", "cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(certPEM)
		if got, want := ts.Fingerprint(), fingerprint(block.Bytes); got != want || len(got) != 95 || strings.ToUpper(got) != got {
			t.Fatalf("fingerprint %q, want %q", got, want)
		}
		resp, _ := ts.MustGet(t, "/", nil)
		if fingerprint(resp.TLS.PeerCertificates[0].Raw) != ts.Fingerprint() {
			t.Fatal("served certificate differs from Fingerprint")
		}
	})
}

// waitFor polls cond for up to two seconds.
func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatal("condition not met within 2s")
}
