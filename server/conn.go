package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The server itself sets no ReadTimeout: in net/http it would also cut
// long downloads and live updates, whose bodies are long read. Instead
// every request body gets a read deadline of its own (bodyDeadline), which
// upload handlers may push out as the upload makes progress.

// limitBody sets the read deadline of r's body, if it has one, and clears
// it once the body has been read to its end: past that point net/http
// reads the connection only to notice a client that went away, and a
// deadline there would cancel the request's context.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)); err != nil {
		return // a writer without deadlines (tests): nothing to bound
	}
	r.Body = &bodyDeadline{ReadCloser: r.Body, rc: rc}
}

// bodyDeadline clears the read deadline when the body is done.
type bodyDeadline struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *bodyDeadline) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// limitListener caps the connections open from one client address. It
// counts TCP peers: behind a proxy every client is the proxy, so trusted
// proxies are not counted and must cap their clients themselves. IPv6
// peers are counted by their /64, which one host usually holds whole.
type limitListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix
	log    *slog.Logger

	mu     sync.Mutex
	open   map[netip.Addr]int
	warned map[netip.Addr]bool
}

func newLimitListener(ln net.Listener, max int, exempt []netip.Prefix, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, max: max, exempt: exempt, log: log,
		open: map[netip.Addr]int{}, warned: map[netip.Addr]bool{}}
}

// Accept returns the next connection within the cap; one past it is
// closed at once, before its TLS handshake costs anything.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, counted := l.key(c.RemoteAddr())
		if !counted {
			return c, nil
		}
		if l.take(key) {
			return &limitConn{Conn: c, release: func() { l.release(key) }}, nil
		}
		c.Close()
	}
}

// key is the address a connection is counted under; counted is false for
// exempt peers.
func (l *limitListener) key(a net.Addr) (netip.Addr, bool) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := tcp.AddrPort().Addr().Unmap()
	if slices.ContainsFunc(l.exempt, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return netip.Addr{}, false
	}
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip, true
}

func (l *limitListener) take(key netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.max {
		if !l.warned[key] { // once until the address's connections are all closed
			l.warned[key] = true
			l.log.Warn("connections refused: too many from one address", slog.String("ip", key.String()), slog.Int("max", l.max))
		}
		return false
	}
	l.open[key]++
	return true
}

func (l *limitListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
		delete(l.warned, key)
	}
}

// limitConn gives its place back when closed (once, however often Close
// is called).
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
