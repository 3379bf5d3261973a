package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUploadDeadline checks the read deadline of uploads over a real
// connection: an upload that trickles is cut off once the body timeout
// passes without 64 KiB arriving, and one that keeps delivering may take
// many times the body timeout.
func TestUploadDeadline(t *testing.T) {
	const window = 700 * time.Millisecond
	m, adminTemp := engineServer(t, "sqlite", func(c *ServeConfig) { c.BodyTimeout = window })
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	kase := num(admin.must("POST", "cases", map[string]any{"number": "2026-700", "title": "Uploads"})["case"].(map[string]any)["id"])
	base, _ := url.Parse(m.URL())
	var cookie string
	for _, c := range admin.http.Jar.Cookies(base) {
		cookie += c.Name + "=" + c.Value + "; "
	}

	// start sends the headers and the form up to the file's content, and
	// returns the connection and what is left to send.
	start := func(size int) (*tls.Conn, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("title", "Slow upload")
		fw, _ := mw.CreateFormFile("file", "slow.txt")
		head := b.Len()
		fw.Write(bytes.Repeat([]byte("slow words "), size/11+1)[:size])
		mw.Close()
		pemBytes, _ := os.ReadFile(filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemBytes)
		conn, err := tls.Dial("tcp", base.Host, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST /api/v1/t/demo/cases/%d/documents HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			kase, base.Host, cookie, mw.FormDataContentType(), b.Len())
		conn.Write(b.Bytes()[:head+100])
		return conn, b.Bytes()[head+100:]
	}

	t.Run("Trickle", func(t *testing.T) {
		conn, rest := start(1 << 20)
		closed := make(chan struct{})
		go func() { io.Copy(io.Discard, conn); close(closed) }()
		began := time.Now()
		for i := 0; ; i++ {
			select {
			case <-closed:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if time.Since(began) > 10*window {
				t.Fatalf("a trickling upload was still open after %v", 10*window)
			}
			conn.Write(rest[i : i+1])
		}
	})
	t.Run("Progress", func(t *testing.T) {
		const chunk = 64 << 10
		conn, rest := start(20 * chunk)
		began := time.Now()
		for len(rest) > 0 {
			n := min(chunk, len(rest))
			if _, err := conn.Write(rest[:n]); err != nil {
				t.Fatalf("cut off after %v: %v", time.Since(began), err)
			}
			rest = rest[n:]
			time.Sleep(100 * time.Millisecond)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), "Slow upload") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if took := time.Since(began); took < 2*window {
			t.Logf("the upload took only %v; it does not show the deadline moving", took)
		}
	})
}
