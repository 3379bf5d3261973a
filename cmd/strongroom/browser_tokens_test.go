package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserTokenScope makes a push-only API token on the tokens page in
// a real browser and looks at the form and the list (axe-core included).
func TestBrowserTokenScope(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/tokens", "admin", adminTemp, "saffron harbour quill meadow 4471")
	b.open("/t/demo/tokens")
	b.look("tokens-form")
	b.fill("name", "Dashboard feed")
	b.do(chromedp.SetValue(chromedp.ID("scope"), "metrics:write"))
	b.submit("#make-token")
	b.wantText("New API token: Dashboard feed")
	b.open("/t/demo/tokens")
	b.wantText("Push metrics only")
	b.look("tokens-list")
}
