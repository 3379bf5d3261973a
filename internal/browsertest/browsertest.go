// Package browsertest starts a real headless Chromium for end-to-end tests.
//
// Tests find the browser at $STRONGROOM_CHROMIUM or as "chromium" on the PATH.
// Without one they skip, except in CI (CI=true), where a missing browser is a
// failure: a browser test that never runs proves nothing.
package browsertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Timeout bounds the life of one browser, and with it every action run on the
// context NewContext returns.
const Timeout = 60 * time.Second

// ExecPath returns the Chromium binary tests use, or "" when there is none.
func ExecPath() string {
	if p := os.Getenv("STRONGROOM_CHROMIUM"); p != "" {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
		return ""
	}
	if full, err := exec.LookPath("chromium"); err == nil {
		return full
	}
	return ""
}

// Require skips the test when no Chromium is installed, or fails it in CI.
//
// Under the race detector browser tests are skipped: what they check is
// the pages, which the detector does not look at, and it slows the server
// behind Chromium several times over. .ci/run runs them in a step of their
// own without it (and STRONGROOM_BROWSER_UNDER_RACE=1 runs them anyway).
func Require(tb testing.TB) string {
	tb.Helper()
	if raceDetector && os.Getenv("STRONGROOM_BROWSER_UNDER_RACE") != "1" {
		tb.Skip("browser tests run without the race detector (go test -run TestBrowser, as .ci/run does)")
	}
	path := ExecPath()
	if path != "" {
		return path
	}
	msg := "no Chromium: install the chromium package or set STRONGROOM_CHROMIUM to a Chrome or Chromium binary"
	if p := os.Getenv("STRONGROOM_CHROMIUM"); p != "" {
		msg = fmt.Sprintf("no Chromium: STRONGROOM_CHROMIUM=%q is not an executable", p)
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + " (CI=true, so this is a failure, not a skip)")
	}
	tb.Skip(msg)
	return ""
}

// SPKIPin returns the base64 SHA-256 of the certificate's public key, the
// form Chromium's ignore-certificate-errors-spki-list flag takes.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Pin makes the browser accept certificates whose public key has the SPKIPin
// pin, and no other untrusted certificate: it is how a test accepts a
// self-signed certificate after checking its printed fingerprint.
func Pin(pin string) chromedp.ExecAllocatorOption {
	return chromedp.Flag("ignore-certificate-errors-spki-list", pin)
}

// NewContext starts a headless Chromium with a fresh profile and returns a
// context for its first tab. The browser is stopped and its profile removed
// when the test ends; it lives at most Timeout. extra adds or overrides
// flags, e.g. Pin(pin).
func NewContext(tb testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	path := Require(tb)

	out := new(lockedBuffer)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), // small /dev/shm in containers
		chromedp.CombinedOutput(out),
		// No UserDataDir: chromedp then makes a fresh temporary profile,
		// passes it as --user-data-dir (which the SPKI flag needs) and
		// removes it, with any straggling child processes, on exit.
	}
	opts = append(opts, extra...)

	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		if err := chromedp.Cancel(browserCtx); err != nil && ctx.Err() == nil {
			tb.Logf("close Chromium: %v", err)
		}
		cancelBrowser()
		cancelAlloc() // waits for the process to exit and the profile to go
		cancelTimeout()
		if tb.Failed() {
			tb.Logf("Chromium output:\n%s", out.tail(8<<10))
		}
	})

	// Start the browser now so that a browser that cannot start fails here,
	// with its output, rather than in the first action.
	if err := chromedp.Do(browserCtx); err != nil {
		tb.Fatalf("start Chromium %s: %v", path, err)
	}
	// Reduced motion, as a user may ask for: Bootstrap then scrolls at
	// once rather than smoothly, so that a click lands where chromedp
	// scrolled the element to rather than where it was mid-scroll.
	reduceMotion := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})
	if err := chromedp.Do(browserCtx, chromedp.EmulateViewport(Widths[0], 900), reduceMotion); err != nil {
		tb.Fatalf("set up Chromium's page: %v", err)
	}
	return browserCtx
}

// lockedBuffer collects the browser's output, which arrives on another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.Bytes()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return string(s)
}
