package server

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"strongroom"
)

// ContentSecurityPolicy is sent on every HTTPS response. It allows no inline
// script or style: pages load their scripts and styles from files.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

const readyTimeout = 5 * time.Second

// setSecurityHeaders sets the headers every HTTPS response carries. Handlers
// run afterwards, so one may replace Cache-Control (static assets do).
func setSecurityHeaders(h http.Header) {
	h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// forbidFraming keeps the promise that no response may be framed: a
// handler that sets a Content-Security-Policy of its own (downloads do)
// or removes it gets frame-ancestors 'none' added back as the headers go
// out.
func forbidFraming(h http.Header) {
	csp := h.Get("Content-Security-Policy")
	switch {
	case csp == "":
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	case !strings.Contains(csp, "frame-ancestors"):
		h.Set("Content-Security-Policy", strings.TrimRight(csp, "; ")+"; frame-ancestors 'none'")
	}
	h.Set("X-Frame-Options", "DENY")
}

// serveHTTPS is the HTTPS front: client IP, security headers, health checks,
// the wrapped handler, panic recovery, the access log and metrics.
func (s *Server) serveHTTPS(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ip := clientIP(r, s.trusted)
	r = r.WithContext(withClientIP(r.Context(), ip))
	rec := &recorder{ResponseWriter: w}
	setSecurityHeaders(w.Header())
	s.limitBody(w, r)

	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			s.logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			if !rec.wroteHeader {
				clear(w.Header()) // drop what the handler set: cookies, lengths, types
				setSecurityHeaders(w.Header())
				http.Error(rec, "Internal error.", http.StatusInternalServerError)
			} else {
				p = http.ErrAbortHandler // cut the connection: the response is incomplete
			}
		}
		s.finish(r, rec, ip, start)
		if p == http.ErrAbortHandler {
			panic(p)
		}
	}()

	switch r.URL.Path {
	case "/healthz":
		writeText(rec, http.StatusOK, "ok")
	case "/readyz":
		s.serveReady(rec, r)
	default:
		s.handler.ServeHTTP(rec, r)
	}
}

// finish writes the access log line and records metrics. The query string
// is left out on purpose: it may carry tokens.
func (s *Server) finish(r *http.Request, rec *recorder, ip netip.Addr, start time.Time) {
	d := time.Since(start)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.observe(r.Method, status, d)
	level := slog.LevelInfo
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		level = slog.LevelDebug // load balancers poll these every few seconds
	}
	s.logger.LogAttrs(r.Context(), level, "http request",
		slog.String("method", r.Method),
		slog.String("path", logPath(r.URL.Path)),
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", d),
		slog.String("ip", ipString(ip)),
	)
}

// logPath is a request's path as the log writes it: a segment that is a
// kiosk link's token (a kiosk screen's address, /t/SLUG/k/srk_…) is
// written as "srk_…", since the token is the credential.
func logPath(p string) string {
	if !strings.Contains(p, "srk_") {
		return p
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "srk_") {
			parts[i] = "srk_…"
		}
	}
	return strings.Join(parts, "/")
}

func ipString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			// A full disk is logged by whoever met it, once in a while;
			// a load balancer polls this every few seconds.
			if strongroom.ErrorCode(err) == strongroom.ESTORAGE {
				writeText(w, http.StatusServiceUnavailable, "not ready: out of storage space")
				return
			}
			s.logger.WarnContext(r.Context(), "not ready", slog.Any("error", err))
			writeText(w, http.StatusServiceUnavailable, "not ready")
			return
		}
	}
	writeText(w, http.StatusOK, "ready")
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}

// recorder remembers the status and size of a response. It passes Flush and
// Hijack through (live updates need them) and unwraps for
// http.ResponseController.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (rec *recorder) WriteHeader(code int) {
	if !rec.wroteHeader && code >= 200 {
		forbidFraming(rec.Header())
		rec.status, rec.wroteHeader = code, true
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wroteHeader {
		forbidFraming(rec.Header())
		rec.status, rec.wroteHeader = http.StatusOK, true
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) Flush() {
	if !rec.wroteHeader {
		forbidFraming(rec.Header())
		rec.status, rec.wroteHeader = http.StatusOK, true
	}
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && !rec.wroteHeader {
		rec.status, rec.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

// redirectHandler answers every plain-HTTP request with a permanent redirect
// to the same path and query over HTTPS on httpsPort. With ACME domains, a
// Host outside them is redirected to the first one.
func redirectHandler(httpsPort int, domains []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if len(domains) > 0 && !slices.ContainsFunc(domains, func(d string) bool { return strings.EqualFold(d, host) }) {
			host = domains[0]
		}
		if !validHost(host) {
			http.Error(w, "Bad request.", http.StatusBadRequest)
			return
		}
		uri := r.URL.RequestURI()
		if !strings.HasPrefix(uri, "/") {
			uri = "/"
		}
		code := http.StatusPermanentRedirect // keeps the method and body
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			code = http.StatusMovedPermanently
		}
		w.Header().Set("Location", "https://"+hostPort(host, httpsPort)+uri)
		w.WriteHeader(code)
	})
}

// validHost accepts host names and IP literals only, so a crafted Host header
// cannot turn the redirect into something else.
func validHost(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	for _, c := range host {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}
