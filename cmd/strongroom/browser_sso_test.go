package main

import (
	"crypto/x509"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
	"strongroom/sso"
	"strongroom/sso/ssotest"
)

// TestBrowserSSO sets up single sign-on in a real Chromium and signs in
// through a real OpenID Connect provider on loopback: the administrator
// adds a Google provider on Administration → Single sign-on (a missing
// domain refused beside its field), links their own account to an
// identity, signs out, presses "Sign in with Google", signs in on the
// provider's page and comes back signed in; the signed-out page offers the
// provider's sign-out. Then SSO only, with its break-glass administrator.
func TestBrowserSSO(t *testing.T) {
	browsertest.Require(t)
	op := ssotest.New(t, "")
	pool := x509.NewCertPool()
	pool.AddCert(op.Server.Certificate())
	m, _, stdout := startServer(t, func(c *ServeConfig) {
		c.Demo = true
		c.SSO = sso.Config{RootCAs: pool, GoogleIssuer: op.Issuer}
	})
	adminTemp := printedAdminPassword(t, stdout.String())
	pins := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))) + "," +
		browsertest.SPKIPin(op.Server.Certificate())
	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pins)), base: "https://localhost:" + u.Port()}
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5120")

	b.open("/t/demo/admin/sso")
	b.wantText("No provider is set up yet")
	redirectURI := b.text("redirect-uri")
	op.AddClient(ssotest.Client{ID: "strongroom-demo", Secret: "browser-secret", RedirectURIs: []string{redirectURI}})
	op.AddUser("admin@firm.example", ssotest.User{Subject: "g-admin",
		Claims: map[string]any{"email": "admin@firm.example", "email_verified": true, "hd": "firm.example"}})

	b.fill("name", "Google")
	b.fill("client_id", "strongroom-demo")
	b.fill("client_secret", "browser-secret")
	b.submitWant("#save-provider", 400)
	b.wantText("Name your firm's Google Workspace domain")
	b.fill("client_secret", "browser-secret") // a secret is never sent back to the form
	b.fill("allowed_domains", "firm.example")
	b.submit("#save-provider")
	b.wantText("The identity provider has been saved.")

	b.fill("subject", "g-admin")
	b.submit("#save-link")
	b.wantText("The identity has been linked to the user.")
	b.wantText("g-admin")
	b.look("sso-admin")

	b.submit("#sign-out")
	b.wantPath("/t/demo/login")
	b.wantText("Sign out of Google too")
	b.open("/t/demo/login")
	b.wantText("Sign in with Google")
	b.look("sso-login")

	b.do(chromedp.Click(chromedp.CSS("a.sso-button")), chromedp.WaitVisible(chromedp.ID("login")))
	b.wantText("Test identity provider")
	b.look("sso-provider-signin")
	b.fill("login", "admin@firm.example")
	b.submit("#signin")
	b.wantPath("/t/demo/")
	b.wantText("Sign out")

	// SSO only: refused without a break-glass administrator, then saved;
	// the password form stays, folded away below the provider's button.
	b.open("/t/demo/admin/sso")
	b.do(chromedp.Click(chromedp.ID("sso_only")))
	b.submitWant("#save-policy", 400)
	b.wantText("break-glass administrator who can still sign in with a password")
	b.do(chromedp.SetValue(chromedp.ID("break_glass_user_id"), "1"))
	b.submit("#save-policy")
	b.wantText("The single sign-on policy has been saved.")
	b.submit("#sign-out")
	b.open("/t/demo/login")
	b.wantText("Sign in through your firm's identity provider")
	b.wantText("Break-glass sign-in with a password (administrator only)")
	b.look("sso-login-sso-only")
}
