package main

import (
	"context"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/identity"
	"strongroom/internal/browsertest"
	"strongroom/tenancy"
)

// TestBrowserKiosk makes a kiosk link the way an administrator does, in a
// real headless Chromium, and opens its address the way a screen does: the
// address leaves the address bar, the screen shows its dashboards in large
// type. The pages are looked at (screenshots at both widths, axe-core).
func TestBrowserKiosk(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowserWith(t, func(c *ServeConfig) {
		c.Demo = true
		c.Kiosk.DashboardExists = func(_ context.Context, _ *tenancy.Handle, _ *identity.Principal, id int64) (bool, error) {
			return id <= 5, nil
		}
	})
	b.firstSignIn("/t/demo/admin/kiosk-links", "admin", adminTemp, "amber kiosk lantern harbour 4410")
	b.open("/t/demo/admin/kiosk-links")
	b.fill("label", "Reception TV")
	b.do(chromedp.Clear(chromedp.ID("rotation_seconds")))
	b.fill("rotation_seconds", "60")
	b.fill("dashboards", "2, 1")
	b.submit("#create-kiosk-link")
	b.wantText("Copy the address now")
	b.look("admin-kiosk-created")
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("kiosk-url").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(shown)
	if err != nil || u.Scheme != "https" {
		t.Fatalf("address shown %q", shown)
	}

	b.open(u.Path)
	b.wantPath("/t/demo/k/")
	b.wantText("Dashboard 1 of 2")
	b.look("kiosk-screen")

	b.open("/t/demo/admin/kiosk-links")
	b.wantText("Reception TV")
	b.look("admin-kiosk-list")
	b.submit(`a[aria-label="Revoke Reception TV"]`)
	b.wantText("Its screen stops at once")
	b.look("admin-kiosk-revoke")
}
