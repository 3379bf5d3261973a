package main

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"strongroom/identity/passkeytest"
	"strongroom/sso"
	"strongroom/sso/ssotest"
)

// TestFirmSetUpThroughTheAPI sets a firm up from the JSON API alone for
// "Entra ID single sign-on only, provisioned by SCIM, from the office
// network only, passkeys for administrators", then checks each promise
// from outside: the provisioned user signs in through Entra ID from the
// office (linked by the directory's object id, with the role the
// provider's group maps to) and from nowhere else, has no password that
// works, and is signed out at once when the directory deactivates them;
// the SCIM client is held to the office network too; and the break-glass
// administrator needs the password and the passkey.
func TestFirmSetUpThroughTheAPI(t *testing.T) {
	const (
		directory = "3f0e9c1d-2b4a-4c6e-8f10-a1b2c3d4e5f6"
		oid       = "7d2c1b0a-9e8f-4a6b-8c5d-4e3f2a1b0c9d"
		office    = "192.0.2.40"
		away      = "198.51.100.77"
	)
	op := ssotest.New(t, "/"+directory+"/v2.0")
	pool := x509.NewCertPool()
	pool.AddCert(op.Server.Certificate())
	opBase := op.Server.URL
	configure := func(c *ServeConfig) {
		c.TrustedProxies = "127.0.0.1"
		c.SSO = sso.Config{RootCAs: pool, EntraIssuer: func(tid string) string { return opBase + "/" + tid + "/v2.0" }}
	}
	forEachServer(t, configure, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAddrClient(t, m, office)
		adminPW := admin.signIn("admin", adminTemp)
		origin := strings.TrimSuffix(m.URL(), "/")
		key := &passkeytest.Authenticator{Origin: origin}

		// Passkeys for administrators: the administrator adds one, and the
		// tenant requires a second factor of administrators.
		(&pkClient{apiClient: admin.apiClient, auth: key}).register("Partner's laptop", adminPW)
		admin.must("PUT", "settings", map[string]any{"lockout_threshold": 5, "mfa": "admins", "idle_timeout_minutes": 30, "absolute_timeout_minutes": 720})
		if me := admin.must("GET", "me", nil); me["must_enrol_totp"] == true {
			t.Fatalf("an administrator with a passkey is asked to enrol an app: %v", me)
		}

		// Entra ID, single sign-on only, the administrator the break-glass account.
		prov := admin.must("POST", "sso/providers", map[string]any{"kind": "entra", "name": "Microsoft", "client_id": "strongroom-firm",
			"client_secret": "entra-client-secret", "directory_id": directory})["provider"].(map[string]any)
		op.AddClient(ssotest.Client{ID: "strongroom-firm", Secret: "entra-client-secret", RedirectURIs: []string{prov["redirect_uri"].(string)}})
		op.AddUser("bob", ssotest.User{Subject: "pairwise-bob", Claims: map[string]any{"tid": directory, "oid": oid,
			"preferred_username": "bob@firm.example", "name": "Bob Baker", "amr": []string{"pwd", "mfa"}}})
		pol := admin.must("GET", "sso/policy", nil)["policy"].(map[string]any)
		admin.must("PUT", "sso/policy", map[string]any{"sso_only": true, "break_glass_user_id": 1, "provider_mfa": true, "version": num(pol["version"])})

		// Provisioned by SCIM: a token for the directory, a user whose
		// externalId is their object id, a group mapped to a role.
		secret := admin.must("POST", "scim/tokens", map[string]any{"name": "Entra ID"})["secret"].(string)
		dirClient := newSCIMClient(t, m, "demo", secret, office)
		bob := dirClient.must("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@firm.example",
			"externalId":"`+oid+`","active":true,"displayName":"Bob Baker","emails":[{"primary":true,"type":"work","value":"bob@firm.example"}]}`, 201)
		bobID := bob["id"].(string)
		var staffRole int64
		for _, r := range admin.must("GET", "roles", nil)["roles"].([]any) {
			if r := r.(map[string]any); r["name"] == "Staff" {
				staffRole = num(r["id"])
			}
		}
		if staffRole == 0 {
			t.Fatal("no Staff role")
		}
		g := dirClient.must("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Fee earners",
			"members":[{"value":"`+bobID+`"}]}`, 201)
		admin.must("PUT", "scim/groups/"+g["id"].(string)+"/roles", map[string]any{"role_ids": []int64{staffRole}})

		// From the office network only; the administrator is in the office,
		// so the list saves without a lock-out confirmation.
		admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.0/24", "label": "Office"}}, "version": 1})

		entraSignIn := func(ip string) (*ssoBrowser, int) {
			t.Helper()
			b := newBrowser(t, m, op, ip)
			status, loc, _ := b.send("GET", fmt.Sprintf("t/demo/sso/%d/start", num(prov["id"])), nil)
			if status != http.StatusSeeOther {
				return b, status
			}
			op.AutoLogin = "bob"
			status, cb, _ := b.send("GET", loc, nil)
			if status != http.StatusFound {
				t.Fatalf("provider: %d %s", status, cb)
			}
			status, _, _ = b.send("GET", cb, nil)
			return b, status
		}

		t.Run("the provisioned user signs in through Entra ID from the office", func(t *testing.T) {
			b, status := entraSignIn(office)
			if status != http.StatusSeeOther {
				t.Fatalf("callback: %d", status)
			}
			status, _, body := b.send("GET", "api/v1/t/demo/me", nil)
			if status != 200 || !strings.Contains(body, `"username":"bob@firm.example"`) || strings.Contains(body, `"must_enrol_totp":true`) {
				t.Fatalf("me: %d %s", status, body)
			}
			user := admin.must("GET", "users/"+bobID, nil)["user"].(map[string]any)
			if roles := fmt.Sprint(user["roles"]); roles != fmt.Sprintf("[%d]", staffRole) {
				t.Fatalf("roles from the group mapping: %s", roles)
			}
			evs, _ := auditEvents(t, admin.apiClient, "action=sso.link")
			if len(evs) != 1 || fmt.Sprint(evs[0]["details"]) != fmt.Sprintf("map[link:1 provider:%d via:scim]", num(prov["id"])) {
				t.Fatalf("link by the directory's object id not audited: %v", evs)
			}
		})

		t.Run("and from nowhere else", func(t *testing.T) {
			if _, status := entraSignIn(away); status != http.StatusNotFound {
				t.Fatalf("sign-in from outside the office: %d", status)
			}
			dirClient.from(away)
			if status, _, _ := dirClient.do("GET", "/Users", ""); status != http.StatusNotFound {
				t.Fatalf("SCIM from outside the office: %d", status)
			}
			dirClient.from(office)
		})

		t.Run("passwords are for the break-glass administrator only, with the passkey", func(t *testing.T) {
			if status, _ := newAddrClient(t, m, office).do("POST", "login", map[string]string{"username": "bob@firm.example", "password": "any password at all"}); status != http.StatusUnauthorized {
				t.Fatalf("password of a provisioned user: %d", status)
			}
			glass := &pkClient{apiClient: newAddrClient(t, m, office).apiClient, auth: key}
			if out := glass.apiClient.must("POST", "login", map[string]string{"username": "admin", "password": adminPW}); out["second_factor"] != true {
				t.Fatalf("break-glass sign-in without the passkey: %v", out)
			}
			if status, _ := glass.apiClient.do("GET", "users", nil); status == http.StatusOK {
				t.Fatal("the password alone opened the administrator's session")
			}
			glass.must("passkeys/second-factor/finish", glass.assert("passkeys/second-factor/begin", key))
			glass.apiClient.must("GET", "users", nil)
			away := newAddrClient(t, m, away)
			if status, _ := away.do("POST", "login", map[string]string{"username": "admin", "password": adminPW}); status != http.StatusNotFound {
				t.Fatalf("break-glass sign-in from outside the office: %d", status)
			}
		})

		t.Run("deactivation in the directory signs the user out at once", func(t *testing.T) {
			b, status := entraSignIn(office)
			if status != http.StatusSeeOther {
				t.Fatalf("callback: %d", status)
			}
			dirClient.must("PATCH", "/Users/"+bobID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, 200)
			if status, _, _ := b.send("GET", "api/v1/t/demo/me", nil); status != http.StatusUnauthorized {
				t.Fatalf("session after deactivation: %d", status)
			}
			if _, status := entraSignIn(office); status != http.StatusUnauthorized {
				t.Fatalf("sign-in after deactivation: %d", status)
			}
		})
	})
}
