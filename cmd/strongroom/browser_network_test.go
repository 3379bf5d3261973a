package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserNetworkAccess looks at Administration → Network access in a
// real Chromium: the page with the administrator's address, a list that
// would lock them out (refused beside the field, nothing saved), a bad
// line named by its number, and a list with their address saved.
func TestBrowserNetworkAccess(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5120")
	b.open("/t/demo/admin/network")
	b.wantText("Your address: 127.0.0.1")
	b.look("admin-network")

	b.do(chromedp.SetValue(chromedp.ID("entries"), "198.51.100.0/24 Elsewhere"))
	b.submitWant("#save-network", http.StatusBadRequest)
	b.wantText("would lock you out")
	b.look("admin-network-lockout")

	b.do(chromedp.SetValue(chromedp.ID("entries"), "127.0.0.1 This machine\n10.0.0.0/33 Typo"))
	b.submitWant("#save-network", http.StatusBadRequest)
	b.wantText("Line 2 (network)")

	b.do(chromedp.SetValue(chromedp.ID("entries"), "127.0.0.1 This machine\n2001:db8::/32 Branch"))
	b.submit("#save-network")
	b.wantText("The network access list has been saved.")
	b.wantText("2 networks are allowed now.")
	b.look("admin-network-saved")
}
