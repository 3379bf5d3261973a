package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserPages walks the demo firm's pages as its administrator, in a
// real headless Chromium, and looks at each one (browsertest.Look): a
// screenshot at a desk's and a phone's width, no sideways overflow, and
// axe-core's WCAG 2.1 A/AA rules. Pages with a test of their own are looked
// at there; this tour covers the rest.
func TestBrowserPages(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := fullDemoBrowser(t)
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5120")

	// The demo's case numbers are generated: take the first case listed.
	b.open("/t/demo/cases")
	first, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main td a[href*='/cases/']").getAttribute("href")`))
	if err != nil || first == "" {
		t.Fatalf("no case on the case list: %v\n%s", err, b.body())
	}

	pages := []struct{ name, path string }{
		{"home", "/t/demo/"},
		{"cases", "/t/demo/cases"},
		{"case", first},
		{"case-new", "/t/demo/cases/new"},
		{"case-documents", first + "/documents"},
		{"search", "/t/demo/search?q=contract"},
		{"reports", "/t/demo/reports"},
		{"audit", "/t/demo/audit"},
		{"admin-users", "/t/demo/admin/users"},
		{"admin-roles", "/t/demo/admin/roles"},
		{"admin-classes", "/t/demo/admin/classes"},
		{"admin-settings", "/t/demo/admin/settings"},
		{"admin-personal-data", "/t/demo/admin/personal-data"},
		{"admin-erase-contact", "/t/demo/admin/personal-data/contact/1/erase"},
		{"password", "/t/demo/password"},
		{"totp", "/t/demo/totp"},
		{"sessions", "/t/demo/sessions"},
		{"tokens", "/t/demo/tokens"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b.t = t
			b.open(p.path)
			b.look("tour-" + p.name)
		})
	}
}
