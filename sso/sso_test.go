package sso_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/sso"
	"strongroom/sso/ssotest"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestSignIn(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		f.link(f.gProv, "g-ann", f.staffID)

		t.Run("a linked Google identity signs in", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			if err != nil {
				t.Fatal(err)
			}
			if res.UserID != f.staffID || res.Login.SecondFactor || res.Created {
				t.Fatalf("result: %+v", res)
			}
			p, err := f.ids.Authenticate(ctx, f.h, res.Login.Token, "198.51.100.4")
			if err != nil || p.User.ID != f.staffID {
				t.Fatalf("session: %v", err)
			}
			if p.Restricted() {
				t.Fatal("a temporary password must be changed after signing in without it")
			}
			evs := f.events("auth.login")
			last := evs[len(evs)-1]
			if last.Details["method"] != "sso" || last.Details["provider"] == "" || last.SourceIP != "198.51.100.4" || last.ObjectID != itoa(f.staffID) {
				t.Fatalf("audit: %+v", last)
			}
		})

		t.Run("the issuer in the response must be the provider's (mix-up)", func(t *testing.T) {
			f.google.IssParam = f.entra.Issuer
			defer func() { f.google.IssParam = "" }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "issuer_mismatch")
		})

		t.Run("an issuer advertised must be sent", func(t *testing.T) {
			op := ssotest.New(t, "/realm")
			op.SendIss = true
			op.AddClient(ssotest.Client{ID: "strongroom", Secret: "other-secret", RedirectURIs: []string{redirect}})
			op.AddUser("ann", ssotest.User{Subject: "o-ann"})
			prov, err := f.svc.CreateProvider(ctx, f.h, f.admin, sso.ProviderInput{Kind: sso.KindOIDC, Name: "Firm IdP",
				Issuer: op.Issuer, ClientID: "strongroom", ClientSecret: "other-secret"})
			if err != nil {
				t.Fatal(err)
			}
			f.link(prov, "o-ann", f.staffID)
			a := f.authorize(prov, op, "ann")
			if a.cb.Iss != op.Issuer {
				t.Fatalf("iss %q", a.cb.Iss)
			}
			a.cb.Iss = ""
			res, err := f.finish(a)
			wantRefused(t, f, res, err, "issuer_mismatch")
			if _, err := f.finish(f.authorize(prov, op, "ann")); err != nil {
				t.Fatalf("with iss: %v", err)
			}
		})

		t.Run("the ID token's issuer must be the provider's", func(t *testing.T) {
			f.google.Tweak = func(c map[string]any) { c["iss"] = f.entra.Issuer }
			defer func() { f.google.Tweak = nil }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "token_invalid")
		})

		t.Run("wrong audience", func(t *testing.T) {
			f.google.Tweak = func(c map[string]any) { c["aud"] = "another-app" }
			defer func() { f.google.Tweak = nil }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "token_invalid")
		})

		t.Run("authorized party of another application", func(t *testing.T) {
			f.google.Tweak = func(c map[string]any) { c["aud"] = []string{"strongroom", "another-app"}; c["azp"] = "another-app" }
			defer func() { f.google.Tweak = nil }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "azp_mismatch")
		})

		t.Run("expired token", func(t *testing.T) {
			f.google.TokenLifetime = -time.Minute
			defer func() { f.google.TokenLifetime = 0 }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "token_expired")
		})

		t.Run("missing nonce", func(t *testing.T) {
			f.google.Tweak = func(c map[string]any) { delete(c, "nonce") }
			defer func() { f.google.Tweak = nil }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "nonce_mismatch")
		})

		t.Run("wrong nonce", func(t *testing.T) {
			f.google.Tweak = func(c map[string]any) { c["nonce"] = "another-sign-in" }
			defer func() { f.google.Tweak = nil }()
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "nonce_mismatch")
		})

		t.Run("a replayed answer finds its state used", func(t *testing.T) {
			a := f.authorize(f.gProv, f.google, "ann")
			if _, err := f.finish(a); err != nil {
				t.Fatal(err)
			}
			res, err := f.finish(a)
			wantRefused(t, f, res, err, "unknown_state")
		})

		t.Run("a replayed code is refused by the provider", func(t *testing.T) {
			a := f.authorize(f.gProv, f.google, "ann")
			if _, err := f.finish(a); err != nil {
				t.Fatal(err)
			}
			b := f.authorize(f.gProv, f.google, "ann")
			b.cb.Code = a.cb.Code
			refused := f.google.Refused
			res, err := f.finish(b)
			wantRefused(t, f, res, err, "code_refused")
			if f.google.Refused != refused+1 {
				t.Fatal("the provider was not asked")
			}
		})

		t.Run("state from another browser", func(t *testing.T) {
			a := f.authorize(f.gProv, f.google, "ann")
			a.cb.Browser = f.authorize(f.gProv, f.google, "ann").start.Browser
			res, err := f.finish(a)
			wantRefused(t, f, res, err, "other_browser")
			a.cb.Browser = ""
			a2 := f.authorize(f.gProv, f.google, "ann")
			a2.cb.Browser = ""
			res, err = f.finish(a2)
			wantRefused(t, f, res, err, "other_browser")
		})

		t.Run("an expired state", func(t *testing.T) {
			a := f.authorize(f.gProv, f.google, "ann")
			f.svc.Now = func() time.Time { return time.Now().Add(sso.StateLifetime + time.Minute) }
			defer func() { f.svc.Now = time.Now }()
			res, err := f.finish(a)
			wantRefused(t, f, res, err, "expired_state")
		})

		t.Run("Google hosted domain of another firm", func(t *testing.T) {
			f.link(f.gProv, "g-out", f.staffID)
			res, err := f.finish(f.authorize(f.gProv, f.google, "outsider"))
			wantRefused(t, f, res, err, "domain_refused")
		})

		t.Run("an unverified e-mail", func(t *testing.T) {
			f.link(f.gProv, "g-unv", f.staffID)
			res, err := f.finish(f.authorize(f.gProv, f.google, "unverified"))
			wantRefused(t, f, res, err, "email_unverified")
		})

		t.Run("Entra identity of the firm's directory", func(t *testing.T) {
			f.link(f.eProv, "e-bob", f.staffID)
			res, err := f.finish(f.authorize(f.eProv, f.entra, "bob"))
			if err != nil || res.UserID != f.staffID {
				t.Fatalf("%+v %v", res, err)
			}
		})

		t.Run("Entra tid of another directory", func(t *testing.T) {
			f.link(f.eProv, "e-str", f.staffID)
			res, err := f.finish(f.authorize(f.eProv, f.entra, "stranger"))
			wantRefused(t, f, res, err, "directory_refused")
		})

		t.Run("unknown identity with JIT off", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.gProv, f.google, "newcomer"))
			wantRefused(t, f, res, err, "not_linked")
			if want := "Your account at Google is not linked to a user of this firm. Ask your administrator."; strongroom.ErrorMessage(err) != want {
				t.Fatalf("message %q", strongroom.ErrorMessage(err))
			}
		})

		t.Run("disabled user", func(t *testing.T) {
			if err := f.ids.SetUserStatus(ctx, f.h, f.admin, f.staffID, true); err != nil {
				t.Fatal(err)
			}
			defer f.ids.SetUserStatus(ctx, f.h, f.admin, f.staffID, false)
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			if err == nil || res != nil || strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("signed in: %v", err)
			}
			evs := f.events("auth.login_failed")
			if last := evs[len(evs)-1]; last.Details["reason"] != "disabled" || last.Details["method"] != "sso" {
				t.Fatalf("audit: %+v", last)
			}
		})
	})
}

func TestLinks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		f.link(f.gProv, "g-ann", f.staffID)

		t.Run("an identity linked to another user is refused", func(t *testing.T) {
			_, err := f.svc.LinkUser(ctx, f.h, f.admin, sso.LinkInput{ProviderID: f.gProv.ID, Subject: "g-ann", UserID: 1})
			if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "subject" {
				t.Fatalf("linked twice: %v", err)
			}
		})

		t.Run("only administrators link", func(t *testing.T) {
			staff := &identity.Principal{User: &identity.User{ID: 2}, Subject: access.NewSubject(2, false, nil, nil)}
			if _, err := f.svc.LinkUser(ctx, f.h, staff, sso.LinkInput{ProviderID: f.gProv.ID, Subject: "x", UserID: 2}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
				t.Fatalf("staff linked: %v", err)
			}
			if _, err := f.svc.Providers(ctx, f.h, staff); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
				t.Fatalf("staff listed: %v", err)
			}
		})

		t.Run("bad input names its fields", func(t *testing.T) {
			_, err := f.svc.LinkUser(ctx, f.h, f.admin, sso.LinkInput{})
			got := map[string]bool{}
			for _, p := range strongroom.ErrorProblems(err) {
				got[p.Field] = true
			}
			if !got["subject"] || !got["provider_id"] || !got["user_id"] {
				t.Fatalf("%v", err)
			}
			if _, err := f.svc.LinkUser(ctx, f.h, f.admin, sso.LinkInput{ProviderID: f.gProv.ID, Subject: "x", UserID: 999}); strongroom.ErrorField(err) != "user_id" {
				t.Fatalf("unknown user: %v", err)
			}
		})

		t.Run("unlinked, the identity no longer signs in", func(t *testing.T) {
			links, err := f.svc.Links(ctx, f.h, f.admin, f.staffID)
			if err != nil || len(links) != 1 || links[0].Subject != "g-ann" || links[0].Issuer != f.google.Issuer {
				t.Fatalf("links %+v %v", links, err)
			}
			if err := f.svc.Unlink(ctx, f.h, f.admin, links[0].ID); err != nil {
				t.Fatal(err)
			}
			if len(f.events("sso.link")) != 1 || len(f.events("sso.unlink")) != 1 {
				t.Fatal("link changes not audited")
			}
			res, err := f.finish(f.authorize(f.gProv, f.google, "ann"))
			wantRefused(t, f, res, err, "not_linked")
		})
	})
}

func TestJustInTime(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		staff := f.role(access.StaffRole)
		if err := f.policy(sso.PolicyInput{JIT: true}); strongroom.ErrorField(err) != "jit_role_ids" {
			t.Fatalf("JIT without a role: %v", err)
		}
		if err := f.policy(sso.PolicyInput{JIT: true, JITRoleIDs: []int64{999}}); strongroom.ErrorField(err) != "jit_role_ids" {
			t.Fatalf("JIT with an unknown role: %v", err)
		}
		if err := f.policy(sso.PolicyInput{JIT: true, JITRoleIDs: []int64{staff}}); err != nil {
			t.Fatal(err)
		}

		t.Run("an identity of the verified domain is created", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.gProv, f.google, "newcomer"))
			if err != nil || !res.Created {
				t.Fatalf("%+v %v", res, err)
			}
			u, err := f.ids.GetUser(ctx, f.h, f.admin, res.UserID)
			if err != nil || u.Username != "nick@firm.example" || u.DisplayName != "Nick New" || len(u.RoleIDs) != 1 || u.RoleIDs[0] != staff || u.PasswordTemporary {
				t.Fatalf("user %+v %v", u, err)
			}
			evs := f.events("user.create")
			if last := evs[len(evs)-1]; last.Actor.Kind != "system" || last.Details["via"] != "sso" {
				t.Fatalf("audit %+v", last)
			}
			again, err := f.finish(f.authorize(f.gProv, f.google, "newcomer"))
			if err != nil || again.Created || again.UserID != res.UserID {
				t.Fatalf("second sign-in: %+v %v", again, err)
			}
		})

		t.Run("not for an unverified e-mail", func(t *testing.T) {
			f.google.AddUser("unv2", ssotest.User{Subject: "g-unv2", Claims: map[string]any{"email": "x@firm.example", "email_verified": false, "hd": "firm.example"}})
			res, err := f.finish(f.authorize(f.gProv, f.google, "unv2"))
			wantRefused(t, f, res, err, "email_unverified")
		})
	})
}

func TestPolicy(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		temp, err := f.ids.ResetPassword(ctx, f.h, f.admin, f.staffID)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("SSO only needs a break-glass administrator", func(t *testing.T) {
			if err := f.policy(sso.PolicyInput{SSOOnly: true}); strongroom.ErrorField(err) != "break_glass_user_id" {
				t.Fatalf("no break-glass: %v", err)
			}
			if err := f.policy(sso.PolicyInput{SSOOnly: true, BreakGlassUserID: f.staffID}); strongroom.ErrorField(err) != "break_glass_user_id" {
				t.Fatalf("staff as break-glass: %v", err)
			}
			if err := f.policy(sso.PolicyInput{SSOOnly: true, BreakGlassUserID: 4242}); strongroom.ErrorField(err) != "break_glass_user_id" {
				t.Fatalf("unknown break-glass: %v", err)
			}
			if len(f.events("sso.policy_update")) != 0 {
				t.Fatal("a refused policy was saved")
			}
		})

		t.Run("password refused under SSO only, break-glass allowed", func(t *testing.T) {
			adminTemp, err := f.ids.ResetPassword(ctx, f.h, f.admin, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.policy(sso.PolicyInput{SSOOnly: true, BreakGlassUserID: 1}); err != nil {
				t.Fatal(err)
			}
			_, err = f.ids.Login(ctx, f.h, "ann", temp, "192.0.2.50", "test")
			if strongroom.ErrorCode(err) != strongroom.EFORBIDDEN || !strings.Contains(strongroom.ErrorMessage(err), "single sign-on") {
				t.Fatalf("password allowed under SSO only: %v", err)
			}
			evs := f.events("auth.login_failed")
			if last := evs[len(evs)-1]; last.Details["reason"] != "sso_only" {
				t.Fatalf("audit %+v", last)
			}
			// A wrong password still gets the one answer for every failure.
			if _, err := f.ids.Login(ctx, f.h, "ann", "wrong", "192.0.2.50", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("wrong password: %v", err)
			}
			admins, err := f.ids.ListUsers(ctx, f.h, f.admin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.ids.Login(ctx, f.h, admins[0].Username, adminTemp, "192.0.2.50", "test"); err != nil {
				t.Fatalf("break-glass refused: %v", err)
			}
			if err := f.policy(sso.PolicyInput{}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.ids.Login(ctx, f.h, "ann", temp, "192.0.2.50", "test"); err != nil {
				t.Fatalf("password refused with SSO only off: %v", err)
			}
		})

		t.Run("the provider's MFA counts only when the policy says so", func(t *testing.T) {
			f.link(f.eProv, "e-bob", f.staffID)
			f.enrolTOTP("ann", f.staffID)
			res, err := f.finish(f.authorize(f.eProv, f.entra, "bob"))
			if err != nil || !res.Login.SecondFactor {
				t.Fatalf("own second factor not asked: %+v %v", res, err)
			}
			if err := f.policy(sso.PolicyInput{ProviderMFA: true}); err != nil {
				t.Fatal(err)
			}
			res, err = f.finish(f.authorize(f.eProv, f.entra, "bob"))
			if err != nil || res.Login.SecondFactor {
				t.Fatalf("provider MFA not counted: %+v %v", res, err)
			}
			f.entra.Tweak = func(c map[string]any) { c["amr"] = []string{"pwd"} }
			defer func() { f.entra.Tweak = nil }()
			res, err = f.finish(f.authorize(f.eProv, f.entra, "bob"))
			if err != nil || !res.Login.SecondFactor {
				t.Fatalf("password-only amr counted: %+v %v", res, err)
			}
		})
	})
}

func TestProviders(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)

		t.Run("bad input names every field", func(t *testing.T) {
			cases := []struct {
				in    sso.ProviderInput
				field string
			}{
				{sso.ProviderInput{Kind: "saml"}, "kind"},
				{sso.ProviderInput{Kind: sso.KindOIDC, Name: "X", ClientID: "c", ClientSecret: "s", Issuer: "http://idp.example"}, "issuer"},
				{sso.ProviderInput{Kind: sso.KindEntra, Name: "X", ClientID: "c", ClientSecret: "s", DirectoryID: "common"}, "directory_id"},
				{sso.ProviderInput{Kind: sso.KindEntra, Name: "X", ClientID: "c", ClientSecret: "s", DirectoryID: "firm"}, "directory_id"},
				{sso.ProviderInput{Kind: sso.KindGoogle, Name: "X", ClientID: "c", ClientSecret: "s"}, "allowed_domains"},
				{sso.ProviderInput{Kind: sso.KindGoogle, Name: "X", ClientID: "c", ClientSecret: "s", AllowedDomains: []string{"not a domain"}}, "allowed_domains"},
				{sso.ProviderInput{Kind: sso.KindGoogle, Name: "X", ClientID: "c", AllowedDomains: []string{"firm.example"}}, "client_secret"},
				{sso.ProviderInput{Kind: sso.KindGoogle, Name: "", ClientID: "c", ClientSecret: "s", AllowedDomains: []string{"firm.example"}}, "name"},
				{sso.ProviderInput{Kind: sso.KindGoogle, Name: "Google", ClientID: "c", ClientSecret: "s", AllowedDomains: []string{"firm.example"}}, "name"},
			}
			for _, c := range cases {
				_, err := f.svc.CreateProvider(ctx, f.h, f.admin, c.in)
				found := strongroom.ErrorField(err) == c.field
				for _, p := range strongroom.ErrorProblems(err) {
					found = found || p.Field == c.field
				}
				if !found {
					t.Errorf("%+v: want a problem with %s, got %v", c.in, c.field, err)
				}
			}
			list, _ := f.svc.Providers(ctx, f.h, f.admin)
			if len(list) != 2 {
				t.Fatalf("a refused provider was saved: %d", len(list))
			}
		})

		t.Run("the secret is sealed and never read back", func(t *testing.T) {
			var sealed []byte
			if err := f.h.DB.QueryRowContext(ctx, `SELECT sealed_secret FROM sso_providers WHERE id = ?`, f.gProv.ID).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if len(sealed) == 0 || bytes.Contains(sealed, []byte("s3cret-client")) {
				t.Fatal("secret stored in the clear")
			}
			if !f.gProv.SecretSet {
				t.Fatal("secret not marked set")
			}
			for _, ev := range f.events("sso.provider_create") {
				for _, c := range ev.Changes {
					if c.After == "s3cret-client" {
						t.Fatal("secret in the audit trail")
					}
				}
			}
		})

		t.Run("an update keeps the secret unless a new one is given", func(t *testing.T) {
			in := sso.ProviderInput{Name: "Google Workspace", ClientID: "strongroom", AllowedDomains: []string{"firm.example"}, Version: f.gProv.Version}
			p, err := f.svc.UpdateProvider(ctx, f.h, f.admin, f.gProv.ID, in)
			if err != nil || p.Name != "Google Workspace" || !p.SecretSet {
				t.Fatalf("%+v %v", p, err)
			}
			if _, err := f.svc.UpdateProvider(ctx, f.h, f.admin, f.gProv.ID, in); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
				t.Fatalf("stale update: %v", err)
			}
			f.link(f.gProv, "g-ann", f.staffID)
			if _, err := f.finish(f.authorize(f.gProv, f.google, "ann")); err != nil {
				t.Fatalf("sign-in after update: %v", err)
			}
		})

		t.Run("delete removes its links", func(t *testing.T) {
			if err := f.svc.DeleteProvider(ctx, f.h, f.admin, f.gProv.ID); err != nil {
				t.Fatal(err)
			}
			links, _ := f.svc.Links(ctx, f.h, f.admin, 0)
			if len(links) != 0 {
				t.Fatalf("links left: %+v", links)
			}
			if _, err := f.svc.Begin(ctx, f.h, f.gProv.ID, redirect, ""); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
				t.Fatalf("begin with a deleted provider: %v", err)
			}
		})

		t.Run("end-session URL from discovery", func(t *testing.T) {
			if got := f.svc.EndSessionURL(ctx, f.eProv); got != f.entra.Issuer+"/logout" {
				t.Fatalf("end session %q", got)
			}
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
