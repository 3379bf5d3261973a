package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserProvisioning looks at Administration → Provisioning (SCIM) in
// a real Chromium: the base URL, a token without a name (refused beside
// the field), a token made and shown once, which then provisions a group;
// the group given a role; and the token revoked after a confirmation page.
func TestBrowserProvisioning(t *testing.T) {
	browsertest.Require(t)
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, stdout.String())
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, _ := url.Parse(m.URL())
	b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + u.Port()}
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5121")

	b.open("/t/demo/admin/provisioning")
	if got := b.text("scim-base-url"); !strings.HasSuffix(got, "/scim/v2/t/demo") {
		t.Fatalf("base url %q", got)
	}
	b.wantText("No SCIM token yet.")
	b.wantText("No group has come from the identity provider yet.")
	b.look("admin-scim-empty")

	b.submitWant("#make-scim-token", http.StatusBadRequest)
	b.wantText("Name the token")

	b.fill("name", "Entra ID")
	b.submitWant("#make-scim-token", http.StatusCreated)
	secret := b.text("scim-token-secret")
	b.wantText("it is shown only this once")
	b.look("admin-scim-token")

	entra := newSCIMClient(t, m, "demo", secret, "")
	entra.must("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Litigation team"}`, 201)

	b.open("/t/demo/admin/provisioning")
	b.wantText("Litigation team")
	b.do(chromedp.Click(chromedp.CSS(`#scim-groups input[type=checkbox]`)))
	b.submit(`#scim-groups button[type=submit]`)
	b.wantText("The group's roles have been saved")
	b.look("admin-scim-mapped")

	b.open("/t/demo/admin/provisioning")
	b.do(chromedp.Click(chromedp.CSS(`#scim-tokens a.btn-outline-danger`)))
	b.do(chromedp.WaitVisible(chromedp.ID("confirm-delete")))
	b.wantText("Revoke SCIM token Entra ID?")
	b.look("admin-scim-revoke")
	b.submit("#confirm-delete")
	b.wantText("The SCIM token has been revoked")
	entra.refused("GET", "/Users", "", 401, "")
}
