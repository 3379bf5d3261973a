package integrations

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"
)

// loopback is what the tests allow: their servers listen there, and
// without this allowance the same requests are refused.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// tlsServer starts an HTTPS server on loopback.
func tlsServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// trusting is a policy that trusts the servers' certificates (the roots
// a real deployment has in its system pool) and allows loopback.
func trusting(srvs ...*httptest.Server) Policy {
	pool := x509.NewCertPool()
	for _, s := range srvs {
		pool.AddCert(s.Certificate())
	}
	return Policy{Allow: loopback, RootCAs: pool}
}

// at moves a URL onto srv, keeping its path and query.
func at(srv *httptest.Server, raw string) string {
	u, _ := url.Parse(raw)
	s, _ := url.Parse(srv.URL)
	u.Scheme, u.Host = s.Scheme, s.Host
	return u.String()
}

// simple is a connector over srv reading {"items": [{"v": …}]}.
func simple(srv *httptest.Server) Connector {
	c := Connector{URL: srv.URL + "/data", Items: "items[*]", Value: "v", Metric: "test.value"}
	return c
}

func mustValid(t *testing.T, c *Connector, allowHTTP bool) {
	t.Helper()
	if err := c.Validate(allowHTTP); err != nil {
		t.Fatalf("connector refused: %v", err)
	}
}

// ownCert is a self-signed certificate for 127.0.0.1 and 127.0.0.2, not
// the one every httptest server shares.
func ownCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "own test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// ownServer starts an HTTPS server with its own certificate on addr.
func ownServer(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ownCert(t)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}
