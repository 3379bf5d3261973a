// Package server is the HTTPS front of Strongroom. It wraps the web routes
// with TLS, a plain-HTTP listener that only redirects, security headers, the
// client address, access logs, health checks, metrics and graceful shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"strongroom"
)

const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// Config is the server's configuration. Only Addr and one certificate source
// (TLSCert/TLSKey, ACMEDomains or DataDir for a self-signed one) matter.
type Config struct {
	Addr            string                          // HTTPS listen address, e.g. ":8443"
	HTTPAddr        string                          // plain HTTP address that only redirects (and answers ACME http-01); "" = none
	TLSCert, TLSKey string                          // PEM files; when set they are used
	ACMEDomains     []string                        // with no cert files: certificates from ACME (Let's Encrypt) for these names
	DataDir         string                          // holds tls/ (self-signed) and acme/ (ACME cache)
	TrustedProxies  []netip.Prefix                  // X-Forwarded-For is believed only from these peers
	MetricsAddr     string                          // Prometheus metrics over plain HTTP; "" = off
	Ready           func(ctx context.Context) error // for /readyz; nil = always ready
	Logger          *slog.Logger                    // nil = discard
	Gauges          []Gauge                         // more figures to expose with the metrics
	Collectors      []prometheus.Collector          // figures with labels (per backup target, per job kind)
	// Status, when set, is the operator's status page, served at /status
	// on the metrics address (never on the public one).
	Status http.Handler
	// BodyTimeout is how long a request body may take to arrive once its
	// headers have (0 = DefaultBodyTimeout). Handlers that take uploads
	// extend it as the upload makes progress.
	BodyTimeout time.Duration
	// MaxConnsPerAddr caps the open connections from one client address
	// (IPv6: one /64); 0 = no cap. TrustedProxies are exempt: a proxy
	// carries many clients, and has to cap them itself.
	MaxConnsPerAddr int
}

// DefaultBodyTimeout is the time a request body gets when Config says none.
const DefaultBodyTimeout = 30 * time.Second

// Server serves a handler over HTTPS. Create it with New, start it with Open
// and stop it with Close.
type Server struct {
	cfg     Config
	handler http.Handler
	logger  *slog.Logger
	trusted []netip.Prefix
	ready   func(ctx context.Context) error
	metrics *metrics // nil when metrics are off

	bodyTimeout time.Duration

	opened      bool
	https       *http.Server
	redirect    *http.Server
	metricsSrv  *http.Server
	ln          net.Listener
	httpLn      net.Listener
	metricsLn   net.Listener
	fingerprint string
	host        string // host name for URL
	wg          sync.WaitGroup
}

// New checks cfg and returns a Server that will serve h. Nothing is bound or
// read from disk until Open.
func New(cfg Config, h http.Handler) (*Server, error) {
	if h == nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "server: no handler")
	}
	if cfg.Addr == "" {
		return nil, strongroom.FieldError("Addr", "An HTTPS listen address is required.")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, strongroom.FieldError("TLSCert", "A TLS certificate and its key must be given together.")
	}
	if cfg.TLSCert == "" && cfg.DataDir == "" {
		return nil, strongroom.FieldError("DataDir", "A data directory is required for the self-signed or ACME certificate.")
	}
	if cfg.BodyTimeout < 0 || cfg.MaxConnsPerAddr < 0 {
		return nil, strongroom.FieldError("BodyTimeout", "The body timeout and the connection cap must not be negative.")
	}
	s := &Server{cfg: cfg, handler: h, logger: cfg.Logger, ready: cfg.Ready, bodyTimeout: cfg.BodyTimeout}
	if s.bodyTimeout == 0 {
		s.bodyTimeout = DefaultBodyTimeout
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	for _, p := range cfg.TrustedProxies {
		s.trusted = append(s.trusted, normalizePrefix(p))
	}
	if cfg.MetricsAddr != "" {
		s.metrics = newMetrics(cfg.Gauges, cfg.Collectors...)
	}
	return s, nil
}

// normalizePrefix turns an IPv4-mapped IPv6 prefix into plain IPv4, the form
// client addresses are compared in.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// Open loads or creates the certificate, binds every listener and starts
// serving in the background. On error nothing is left bound.
func (s *Server) Open() (err error) {
	if s.opened {
		return errors.New("server: already opened")
	}
	tlsConfig, httpHandler, err := s.loadTLS()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			closeAll(s.ln, s.httpLn, s.metricsLn)
			s.ln, s.httpLn, s.metricsLn = nil, nil, nil
		}
	}()
	if s.ln, err = s.listenCapped("HTTPS", s.cfg.Addr); err != nil {
		return err
	}
	if s.cfg.HTTPAddr != "" {
		if s.httpLn, err = s.listenCapped("HTTP redirect", s.cfg.HTTPAddr); err != nil {
			return err
		}
	}
	if s.cfg.MetricsAddr != "" {
		if s.metricsLn, err = listen("metrics", s.cfg.MetricsAddr); err != nil {
			return err
		}
	}
	s.opened = true

	s.https = s.newHTTPServer(http.HandlerFunc(s.serveHTTPS))
	s.https.TLSConfig = tlsConfig
	s.https.ReadTimeout, s.https.WriteTimeout = 0, 0 // uploads and downloads may be long; bodies get deadlines of their own (conn.go)
	s.serve("HTTPS", func() error { return s.https.ServeTLS(s.ln, "", "") })

	if s.httpLn != nil {
		port := s.ln.Addr().(*net.TCPAddr).Port
		h := redirectHandler(port, s.cfg.ACMEDomains)
		if httpHandler != nil {
			h = httpHandler(h)
		}
		s.redirect = s.newHTTPServer(h)
		s.redirect.ReadTimeout, s.redirect.WriteTimeout = 10*time.Second, 10*time.Second
		s.serve("HTTP redirect", func() error { return s.redirect.Serve(s.httpLn) })
	}
	if s.metricsLn != nil {
		s.metricsSrv = s.newHTTPServer(s.metrics.handler(s.logger, s.cfg.Status))
		s.metricsSrv.ReadTimeout, s.metricsSrv.WriteTimeout = 10*time.Second, 30*time.Second
		s.serve("metrics", func() error { return s.metricsSrv.Serve(s.metricsLn) })
	}
	s.logger.Info("server listening", slog.String("url", s.URL()), slog.String("addr", s.ln.Addr().String()))
	return nil
}

// loadTLS picks the certificate source: files, ACME, or self-signed. For ACME
// it also returns the wrapper that answers http-01 challenges.
func (s *Server) loadTLS() (*tls.Config, func(http.Handler) http.Handler, error) {
	cfg := newTLSConfig()
	s.host = "localhost"
	switch {
	case s.cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("load TLS certificate %s and key %s: %w", s.cfg.TLSCert, s.cfg.TLSKey, err)
		}
		if cert.Leaf != nil {
			if time.Now().After(cert.Leaf.NotAfter) {
				s.logger.Warn("TLS certificate has expired", slog.String("file", s.cfg.TLSCert), slog.Time("not_after", cert.Leaf.NotAfter))
			}
			for _, name := range cert.Leaf.DNSNames {
				if !strings.HasPrefix(name, "*") {
					s.host = name
					break
				}
			}
		}
		cfg.Certificates = []tls.Certificate{cert}
		s.fingerprint = fingerprint(cert.Certificate[0])
		return cfg, nil, nil
	case len(s.cfg.ACMEDomains) > 0:
		dir := filepath.Join(s.cfg.DataDir, "acme")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create ACME cache directory %s: %w", dir, err)
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(s.cfg.ACMEDomains...),
			Cache:      autocert.DirCache(dir),
		}
		cfg.GetCertificate = m.GetCertificate
		cfg.NextProtos = []string{"h2", "http/1.1", acme.ALPNProto}
		s.host = s.cfg.ACMEDomains[0]
		return cfg, m.HTTPHandler, nil
	default:
		cert, err := LoadOrCreateSelfSigned(s.cfg.DataDir, time.Now())
		if err != nil {
			return nil, nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
		s.fingerprint = fingerprint(cert.Certificate[0])
		return cfg, nil, nil
	}
}

func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for %s on %s: %w", name, addr, err)
	}
	return ln, nil
}

// listenCapped listens with the per-address connection cap, if any.
func (s *Server) listenCapped(name, addr string) (net.Listener, error) {
	ln, err := listen(name, addr)
	if err != nil || s.cfg.MaxConnsPerAddr == 0 {
		return ln, err
	}
	return newLimitListener(ln, s.cfg.MaxConnsPerAddr, s.trusted, s.logger), nil
}

func closeAll(lns ...net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(errorLogWriter{s.logger}, "", 0),
	}
}

func (s *Server) serve(name string, fn func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("listener stopped", slog.String("listener", name), slog.Any("error", err))
		}
	}()
}

// Close stops accepting connections and waits for in-flight requests until
// ctx ends; then it cuts the remaining connections and returns ctx's error.
func (s *Server) Close(ctx context.Context) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, srv := range []*http.Server{s.https, s.redirect, s.metricsSrv} {
		if srv == nil {
			continue
		}
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
				mu.Lock()
				errs = append(errs, fmt.Errorf("shut down server: %w", err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.wg.Wait()
	return errors.Join(errs...)
}

// Addr returns the bound HTTPS address, or nil before Open.
func (s *Server) Addr() net.Addr { return addrOf(s.ln) }

// HTTPListenAddr returns the bound redirect address, or nil when there is none.
func (s *Server) HTTPListenAddr() net.Addr { return addrOf(s.httpLn) }

// MetricsListenAddr returns the bound metrics address, or nil when metrics are off.
func (s *Server) MetricsListenAddr() net.Addr { return addrOf(s.metricsLn) }

func addrOf(ln net.Listener) net.Addr {
	if ln == nil {
		return nil
	}
	return ln.Addr()
}

// URL returns the address to print for people, such as
// "https://localhost:8443/". It is "" before Open.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	tcp, ok := s.ln.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := s.host
	if host == "localhost" && !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		host = tcp.IP.String()
	}
	return "https://" + hostPort(host, tcp.Port) + "/"
}

// Fingerprint returns the SHA-256 of the served certificate as upper-case hex
// pairs joined by ':', or "" for ACME certificates (they change on renewal).
func (s *Server) Fingerprint() string { return s.fingerprint }

// hostPort joins host and an HTTPS port, leaving out the default port 443.
func hostPort(host string, port int) string {
	if port == 443 {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// errorLogWriter sends net/http's own error log to slog. TLS handshake
// failures (scanners, browsers refusing the self-signed certificate) are
// routine and logged at debug level.
type errorLogWriter struct{ logger *slog.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	if strings.Contains(msg, "TLS handshake error") {
		level = slog.LevelDebug
	}
	w.logger.Log(context.Background(), level, "http server", slog.String("error", msg))
	return len(p), nil
}
