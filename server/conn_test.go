package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoBody is a handler that reads its whole body, as JSON handlers do.
func echoBody() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body not read", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d bytes", len(b))
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	return mux
}

// dialTLS opens a TLS connection speaking HTTP/1.1 to ts from the local
// address from ("" = any).
func dialTLS(t *testing.T, ts *testServer, from string) (*tls.Conn, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ts.https.TLSConfig.Certificates[0].Leaf)
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := tls.DialWithDialer(d, "tcp", ts.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// trickle sends request headers promising a body of 1,000 bytes, then the
// body a byte every interval until the server closes the connection, and
// returns how long that took (or fails after limit).
func trickle(t *testing.T, c net.Conn, interval, limit time.Duration) time.Duration {
	start := time.Now()
	if _, err := io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Error(err)
		return 0
	}
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c) // whatever the server answers, until it closes
		close(closed)
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start)
		case <-tick.C:
			if time.Since(start) > limit {
				t.Errorf("connection still open after %v", limit)
				return time.Since(start)
			}
			c.Write([]byte(" "))
		}
	}
}

// TestServer_BodyTimeout checks that connections which sent their headers
// and then trickle the body a byte at a time are closed once the body
// deadline has passed, many at once, while a body sent at once is served.
func TestServer_BodyTimeout(t *testing.T) {
	const deadline = 500 * time.Millisecond
	ts := MustOpen(t, Config{BodyTimeout: deadline}, echoBody())
	var wg sync.WaitGroup
	for range 20 {
		c, err := dialTLS(t, ts, "")
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { trickle(t, c, 50*time.Millisecond, 10*deadline) })
	}
	wg.Wait()

	resp, err := ts.Client.Post(ts.URLFor("/echo"), "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "7 bytes" {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
}

// TestServer_ConnectionCap checks that one address may hold only
// MaxConnsPerAddr connections: the next one is refused while another
// address still connects, a trusted proxy is exempt, and a closed
// connection makes room again.
func TestServer_ConnectionCap(t *testing.T) {
	const limit = 3
	proxy := netip.MustParsePrefix("127.0.0.3/32")
	ts := MustOpen(t, Config{MaxConnsPerAddr: limit, TrustedProxies: []netip.Prefix{proxy}}, echoBody())
	// get sends one request on c, so that the connection is known to be
	// open on the server's side too.
	get := func(c *tls.Conn) error {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			return err
		}
		buf := make([]byte, 512)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
			return fmt.Errorf("answer %q", buf[:n])
		}
		return nil
	}
	open := func(from string) (*tls.Conn, error) {
		c, err := dialTLS(t, ts, from)
		if err == nil {
			err = get(c)
		}
		return c, err
	}
	var held []*tls.Conn
	for i := range limit {
		c, err := open("127.0.0.1")
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		held = append(held, c)
	}
	if _, err := open("127.0.0.1"); err == nil {
		t.Fatalf("connection %d from one address was accepted", limit+1)
	} else if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "closed") {
		t.Logf("refused with %v", err)
	}
	if _, err := open("127.0.0.2"); err != nil {
		t.Fatalf("another address was refused: %v", err)
	}
	for i := range limit + 2 {
		if _, err := open("127.0.0.3"); err != nil {
			t.Fatalf("trusted proxy connection %d refused: %v", i+1, err)
		}
	}
	held[0].Close()
	waitFor(t, func() bool {
		c, err := open("127.0.0.1")
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}
