package integrations

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Outbound limits, unless a Policy says otherwise.
const (
	DefaultMaxResponse  = 8 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 5
)

// Policy is what an integration's requests may reach and how much they
// may take. The zero value refuses every non-public address and keeps the
// default limits.
type Policy struct {
	// Allow lists the prefixes the operator opened (--integration-allow-cidr)
	// among those refused by default (an API on the firm's own network).
	Allow []netip.Prefix
	// RootCAs verifies servers' certificates (nil: the system's roots).
	// Verification is never skipped.
	RootCAs *x509.CertPool
	// MaxResponse bounds one response body, Timeout one whole pull (every
	// page and the token request), MaxRedirects the redirects of a request.
	MaxResponse  int64
	Timeout      time.Duration
	MaxRedirects int
}

func (p Policy) maxResponse() int64 {
	if p.MaxResponse > 0 {
		return p.MaxResponse
	}
	return DefaultMaxResponse
}

func (p Policy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p Policy) maxRedirects() int {
	if p.MaxRedirects > 0 {
		return p.MaxRedirects
	}
	return DefaultMaxRedirects
}

// refused are the addresses no integration reaches unless allowed:
// this host, its networks and the cloud's internals.
var refused = prefixes(
	"0.0.0.0/8",      // "this network", unspecified
	"10.0.0.0/8",     // RFC 1918
	"100.64.0.0/10",  // carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, where cloud metadata lives
	"172.16.0.0/12",  // RFC 1918
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // RFC 1918
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, and the broadcast address
	"::/128",         // unspecified
	"::1/128",        // loopback
	"64:ff9b:1::/48", // local-use NAT64
	"fc00::/7",       // unique local (ULA), where fd00:ec2::254 lives
	"fe80::/10",      // link-local
	"ff00::/8",       // multicast
	"2001:db8::/32",  // documentation
	"100::/64",       // discard
)

// metadata are the cloud metadata services. They are refused even inside
// an allowed prefix, unless that prefix is the one address itself: an
// operator who opens 169.254.0.0/16 for a device has not meant to hand
// out the instance's credentials.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, …
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task credentials
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
}

// nat64 embeds an IPv4 address in its last 32 bits: judged as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// ErrAddressRefused is (wrapped in) the error of a connection to an
// address the policy refuses.
var ErrAddressRefused = errors.New("address refused by the integration policy")

// Permits reports whether a connection to addr is allowed.
func (p Policy) Permits(addr netip.Addr) bool {
	// A zone (fe80::1%eth0) would make every prefix miss the address.
	addr = addr.Unmap().WithZone("")
	if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if !addr.IsValid() {
		return false
	}
	for _, m := range metadata {
		if addr == m {
			return p.allowsExactly(m)
		}
	}
	blocked := false
	for _, r := range refused {
		if r.Contains(addr) {
			blocked = true
			break
		}
	}
	if !blocked {
		return true
	}
	for _, a := range p.Allow {
		if a.Contains(addr) {
			return true
		}
	}
	return false
}

func (p Policy) allowsExactly(a netip.Addr) bool {
	for _, pr := range p.Allow {
		if pr.IsSingleIP() && pr.Addr().Unmap() == a {
			return true
		}
	}
	return false
}

// addrError is a refused connection: the address, for the message.
type addrError struct{ addr netip.Addr }

func (e *addrError) Error() string { return fmt.Sprintf("%s: %v", e.addr, ErrAddressRefused) }
func (e *addrError) Unwrap() error { return ErrAddressRefused }

// control runs for every connection after DNS resolution, on the address
// about to be dialled: redirects, every page and the token request each
// dial through it, so a name that resolves to an internal address, or is
// re-bound to one between two requests, is refused at the socket.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("network %s: %w", network, ErrAddressRefused)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, ErrAddressRefused)
	}
	if !p.Permits(ap.Addr()) {
		return &addrError{addr: ap.Addr().Unmap().WithZone("")}
	}
	return nil
}

// transport is the one way an integration's requests leave: no proxy from
// the environment (it would be dialled instead of the API, past the
// check), TLS 1.2 or later with the certificate always verified.
func (p Policy) transport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: p.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  p.timeout(),
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           4,
		IdleConnTimeout:        30 * time.Second,
	}
}

// client returns an HTTP client under the policy. Redirects are followed
// up to the limit, only to the same scheme, host and port as the request
// they answer (credentials set as headers would otherwise go along to
// another host), and never from https to http unless allowHTTP.
func (p Policy) client(allowHTTP bool) *http.Client {
	max := p.maxRedirects()
	return &http.Client{
		Transport: p.transport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max {
				return errTooManyRedirects
			}
			prev := via[len(via)-1].URL
			if req.URL.Scheme == "http" && !allowHTTP {
				return errRedirectHTTP
			}
			if req.URL.Host != prev.Host || req.URL.Scheme != prev.Scheme && !(prev.Scheme == "http" && req.URL.Scheme == "https") {
				return errRedirectOrigin
			}
			return nil
		},
	}
}

var (
	errTooManyRedirects = errors.New("too many redirects")
	errRedirectHTTP     = errors.New("redirect to plain http")
	errRedirectOrigin   = errors.New("redirect to another host")
)
