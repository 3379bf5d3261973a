package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowser serves the demo on SQLite with its self-signed certificate and
// drives a real headless Chromium against it. The browser accepts the
// certificate only through the pin of the key whose fingerprint the server
// printed, as a careful user would; browsers without that pin must refuse.
func TestBrowser(t *testing.T) {
	browsertest.Require(t)
	// SQLite in a temporary directory, no plain HTTP, and the demo tenant.
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true })
	printed := printedFingerprint(t, stdout.String())
	cert := readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
	if got := colonHex(sha256.Sum256(cert.Raw)); got != printed {
		t.Fatalf("cert.pem has SHA-256 fingerprint %s, the server printed %s", got, printed)
	}
	pin := browsertest.SPKIPin(cert)

	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatalf("URL %q: %v", m.URL(), err)
	}
	base := "https://localhost:" + u.Port()

	t.Run("PinnedFingerprint", func(t *testing.T) {
		b := browsertest.NewContext(t, browsertest.Pin(pin))
		for _, tt := range []struct {
			name, path string
			status     int64
			title      string
			body       []string
		}{
			{"Front", "/", http.StatusOK, "Strongroom", []string{"Strongroom"}},
			{"DemoTenant", "/t/demo/", http.StatusOK, "Demo Law LLP · Strongroom", []string{"Demo Law LLP"}},
			{"UnknownTenant", "/t/no-such-firm/", http.StatusNotFound, "", []string{"Page not found."}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := chromedp.Run(b, chromedp.NavigateResponse(base+tt.path))
				if err != nil {
					t.Fatalf("navigate to %s: %v", tt.path, err)
				}
				if resp.Status != tt.status {
					t.Errorf("status %d, want %d", resp.Status, tt.status)
				}
				title, err := chromedp.Run(b, chromedp.Title())
				if err != nil {
					t.Fatalf("title: %v", err)
				}
				if tt.title != "" && title != tt.title {
					t.Errorf("title %q, want %q", title, tt.title)
				}
				text := bodyText(t, b)
				for _, want := range tt.body {
					if !strings.Contains(text, want) {
						t.Errorf("page %s does not say %q; it says:\n%s", tt.path, want, text)
					}
				}
			})
		}
	})

	// Without the pin, or with the pin of another key, the browser must
	// stop at the certificate: the pin is what lets the tests in.
	refused := func(t *testing.T, extra ...chromedp.ExecAllocatorOption) {
		b := browsertest.NewContext(t, extra...)
		err := chromedp.Do(b, chromedp.Navigate(base+"/t/demo/"))
		var le *chromedp.LoadError
		if !errors.As(err, &le) || !strings.HasPrefix(le.ErrorText, "net::ERR_CERT_") {
			t.Fatalf("navigate without the pin: error %v, want a net::ERR_CERT_… load error", err)
		}
		t.Logf("refused: %s", le.ErrorText)
		if text, err := chromedp.Run(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil && strings.Contains(text, "Demo Law LLP") {
			t.Errorf("the page loaded anyway:\n%s", text)
		}
	}
	t.Run("NoPin", func(t *testing.T) { refused(t) })
	t.Run("OtherKeyPin", func(t *testing.T) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, browsertest.Pin(browsertest.SPKIPin(&x509.Certificate{RawSubjectPublicKeyInfo: spki})))
	})
}

// printedFingerprint returns the fingerprint on the line after the heading
// that "strongroom serve" prints for a self-signed certificate.
func printedFingerprint(t *testing.T, out string) string {
	t.Helper()
	const heading = "Self-signed certificate SHA-256 fingerprint:"
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) == heading && i+1 < len(lines) {
			if fp := strings.TrimSpace(lines[i+1]); fp != "" {
				return fp
			}
		}
	}
	t.Fatalf("no fingerprint printed; stdout:\n%s", out)
	return ""
}

func readCertificate(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

// colonHex formats a digest the way browsers show fingerprints: AB:CD:….
func colonHex(sum [sha256.Size]byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatalf("read page text: %v", err)
	}
	return text
}
