package server

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

type clientIPKey struct{}

// ClientIP returns the client address the server computed for the request
// that ctx belongs to, or the zero Addr when there is none.
func ClientIP(ctx context.Context) netip.Addr {
	ip, _ := ctx.Value(clientIPKey{}).(netip.Addr)
	return ip
}

// withClientIP returns a copy of ctx carrying ip for ClientIP.
func withClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// clientIP returns the address of the client that sent r. It is the TCP peer,
// unless the peer is a trusted proxy: then X-Forwarded-For is walked from the
// right (the entry the proxy itself appended) past further trusted proxies, and
// the first untrusted address is the client. Entries left of it were written
// by the client and are never believed. A malformed entry on the way means the
// header cannot be relied on, and the peer is returned. When every entry is a
// trusted proxy, the leftmost one is the client.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return peer
	}
	// Several header lines are one comma-separated list, in order.
	entries := strings.Split(strings.Join(values, ","), ",")
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		ip := parseAddr(entries[i])
		if !ip.IsValid() {
			return peer
		}
		client = ip
		if !isTrusted(ip, trusted) {
			break
		}
	}
	return client
}

// parseAddr parses "ip", "ip:port" or "[ipv6]:port", dropping any zone and
// unmapping IPv4-in-IPv6. It returns the zero Addr when s is none of those.
func parseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	ip, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}
		}
		ip = ap.Addr()
	}
	return ip.WithZone("").Unmap()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
