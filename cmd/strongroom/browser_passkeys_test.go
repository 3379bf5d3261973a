package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// addAuthenticator gives the browser a virtual platform authenticator
// (Chromium's DevTools WebAuthn domain): CTAP2, built in, holding resident
// keys and verifying its user, who always touches it.
func (b *browser) addAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	var id webauthn.AuthenticatorID
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		id = res.AuthenticatorID
		return err
	}))
	return id
}

// credentials counts the passkeys the virtual authenticator holds.
func (b *browser) credentials(id webauthn.AuthenticatorID) int {
	b.t.Helper()
	var n int
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		n = len(res.Credentials)
		return err
	}))
	return n
}

// clickWait clicks a button that runs a passkey ceremony in the page's
// script, which then moves the page on: the wait is for the new path.
func (b *browser) clickWait(css, path string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(css)))
	b.waitEval(`location.pathname === "`+path+`"`, 15*time.Second)
	b.waitEval(`document.readyState === "complete"`, 5*time.Second)
}

// Passkeys in a real Chromium with its virtual authenticator, over the
// server's HTTPS: add one on the account page, sign out, sign in with the
// password and the passkey as second factor, sign in with the passkey alone
// once the administrator allows it, then remove the passkey.
func TestBrowserPasskeys(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	const pw = "lantern orchard copper willow 2291"
	b.firstSignIn("/t/demo/passkeys", "admin", adminTemp, pw)
	auth := b.addAuthenticator()

	b.open("/t/demo/passkeys")
	b.wantText("You have no passkeys yet")
	// A name too long is refused with the field named, and nothing is made.
	// (the name is left empty)
	b.do(chromedp.Click(chromedp.CSS("#add-passkey")))
	b.waitEval(`!document.getElementById("passkey-problems").hidden`, 10*time.Second)
	b.wantText("This field is required.")
	if n := b.credentials(auth); n != 0 {
		t.Fatalf("a refused name made %d passkeys", n)
	}
	b.fill("name", "Office laptop")
	b.do(chromedp.Click(chromedp.CSS("#add-passkey")))
	b.waitText("The passkey has been added", 15*time.Second)
	b.wantText("Office laptop")
	if n := b.credentials(auth); n != 1 {
		t.Fatalf("the authenticator holds %d passkeys, want 1", n)
	}
	b.look("passkeys-account")

	// Sign out; the password alone now leads to the second factor.
	b.submit("#sign-out")
	b.wantPath("/t/demo/login")
	b.fill("username", "admin")
	b.fill("password", pw)
	b.submit("main button[type=submit]")
	b.wantPath("/t/demo/login/code")
	b.wantText("Use your passkey")
	b.look("passkey-prompt")
	b.clickWait("#passkey-use", "/t/demo/")
	b.wantText("Welcome")

	// The administrator allows passkey sign-in without a password.
	b.open("/t/demo/admin/settings")
	b.do(chromedp.Click(chromedp.ID("passkey_sign_in")))
	b.submit("#save-passkey-settings")
	b.wantText("The passkey setting has been saved.")
	b.do(chromedp.ScrollIntoView(chromedp.ID("passkey-settings-heading")))
	b.look("passkey-settings")
	// The administrator's page of a user's passkeys (here their own).
	b.open("/t/demo/admin/users/1/passkeys")
	b.wantText("Office laptop")
	b.look("admin-user-passkeys")
	b.submit("#sign-out")
	b.wantPath("/t/demo/login")
	b.wantText("Sign in with a passkey")
	b.look("passkey-sign-in")
	b.clickWait("#passkey-sign-in", "/t/demo/")
	b.wantText("Welcome")

	// Remove the passkey, on its confirmation page.
	b.open("/t/demo/passkeys")
	b.submit("a[href$='/remove']")
	b.wantText("Remove passkey Office laptop?")
	b.submit("#confirm-delete")
	b.wantText("The passkey has been removed")
	b.wantText("You have no passkeys yet")
}
