package server

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
	}
	for _, tt := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"NoProxy", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"UntrustedPeerIgnoresXFF", "192.0.2.1:5000", []string{"203.0.113.9"}, "192.0.2.1"},
		{"TrustedPeer", "10.0.0.2:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"TrustedPeerNoXFF", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"SpoofedLeftmost", "10.0.0.2:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"ChainOfProxies", "10.0.0.2:5000", []string{"1.1.1.1, 203.0.113.9, 10.1.1.1, 10.2.2.2"}, "203.0.113.9"},
		{"SeveralHeaderLines", "10.0.0.2:5000", []string{"1.1.1.1, 203.0.113.9", "10.1.1.1"}, "203.0.113.9"},
		{"AllTrusted", "10.0.0.2:5000", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"MalformedRightmost", "10.0.0.2:5000", []string{"203.0.113.9, nonsense"}, "10.0.0.2"},
		{"MalformedBehindTrusted", "10.0.0.2:5000", []string{"203.0.113.9, ??, 10.1.1.1"}, "10.0.0.2"},
		{"MalformedLeftOfClientIgnored", "10.0.0.2:5000", []string{"garbage, 203.0.113.9"}, "203.0.113.9"},
		{"EmptyEntry", "10.0.0.2:5000", []string{"203.0.113.9,"}, "10.0.0.2"},
		{"EntryWithPort", "10.0.0.2:5000", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6Peer", "[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv6EntryWithPort", "[fd00::1]:443", []string{"[2001:db8::7]:80"}, "2001:db8::7"},
		{"MappedPeer", "[::ffff:10.0.0.2]:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"BadRemoteAddr", "pipe", []string{"203.0.113.9"}, "invalid IP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, trusted).String(); got != tt.want {
				t.Fatalf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("MappedPrefix", func(t *testing.T) {
		p := normalizePrefix(netip.MustParsePrefix("::ffff:10.0.0.0/104"))
		if p.String() != "10.0.0.0/8" {
			t.Fatalf("normalized %s", p)
		}
	})
	t.Run("Context", func(t *testing.T) {
		if ClientIP(context.Background()).IsValid() {
			t.Fatal("client IP without middleware")
		}
		ip := netip.MustParseAddr("192.0.2.1")
		if ClientIP(withClientIP(context.Background(), ip)) != ip {
			t.Fatal("round trip failed")
		}
	})
}

// FuzzClientIP checks that any X-Forwarded-For yields the peer or one of the
// header's own addresses, and never panics.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:1", "1.1.1.1, 203.0.113.9")
	f.Add("10.0.0.2:1", "[::1]:80,,x")
	f.Add("[fd00::1]:1", "fe80::1%eth0, 10.1.1.1")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := clientIP(r, trusted)
		if !got.IsValid() || got == parseAddr(remote) {
			return
		}
		for _, e := range strings.Split(xff, ",") {
			if parseAddr(e) == got {
				return
			}
		}
		t.Fatalf("clientIP = %s, neither the peer nor in %q", got, xff)
	})
}
