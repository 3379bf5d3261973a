package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserIntegrations looks at Administration → Integrations in a real
// headless Chromium: a new integration from the HubSpot preset, saved
// with a token, its edit page (the credential said to be set, not shown),
// the test result and the list (screenshots at both widths, axe-core).
func TestBrowserIntegrations(t *testing.T) {
	browsertest.Require(t)
	const token = "pat-na1-browser-7c1d"
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true; c.DemoEmpty = true })
	adminTemp := printedAdminPassword(t, stdout.String())
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	port := m.URL()[strings.LastIndex(m.URL(), ":")+1:]
	b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + strings.TrimSuffix(port, "/")}
	b.firstSignIn("/t/demo/admin/integrations", "admin", adminTemp, "violet lantern orbits the quarry 1987")
	b.open("/t/demo/admin/integrations")
	b.wantText("No integrations yet")
	b.look("admin-integrations-empty")
	b.open("/t/demo/admin/integrations/new?preset=hubspot-deals")
	b.look("admin-integration-new")
	b.fill("name", "crm")
	// Point the preset at a loopback address, which serve refuses: the
	// test shows why without any traffic leaving the machine.
	b.do(chromedp.SetValue(chromedp.ID("url"), "https://127.0.0.1:1/crm/v3/objects/deals"))
	b.fill("secret", token)
	b.submit("#save-integration")
	b.wantText("Leave empty to keep it")
	b.submit("#test-integration")
	b.wantText("integration-allow-cidr")
	if strings.Contains(b.body(), token) {
		t.Fatal("the token is on the page")
	}
	b.look("admin-integration")
	b.open("/t/demo/admin/integrations")
	b.wantText("HubSpot")
	b.look("admin-integrations")
}
