package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"strongroom/identity/passkeytest"
)

// pkClient is a browser's side of the passkey ceremonies over HTTPS: the
// client's cookies and a software authenticator at the server's origin.
type pkClient struct {
	*apiClient
	auth *passkeytest.Authenticator
}

func newPKClient(t *testing.T, m *Main) *pkClient {
	t.Helper()
	return &pkClient{apiClient: newAPIClient(t, m), auth: &passkeytest.Authenticator{Origin: strings.TrimSuffix(m.URL(), "/")}}
}

// ceremony posts JSON to a ceremony endpoint of the demo tenant.
func (c *pkClient) ceremony(path string, body []byte) (int, map[string]any, string) {
	c.t.Helper()
	u := strings.Replace(c.base, "/api/v1/t/demo/", "/t/demo/", 1) + path
	status, raw := c.csSend("POST", u, "application/json", body)
	var out map[string]any
	json.Unmarshal([]byte(raw), &out)
	return status, out, raw
}

func (c *pkClient) must(path string, body []byte) map[string]any {
	c.t.Helper()
	status, out, raw := c.ceremony(path, body)
	if status != 200 {
		c.t.Fatalf("POST %s: %d %s", path, status, raw)
	}
	return out
}

// register adds a passkey through the account page's endpoints.
func (c *pkClient) register(name, pw string) {
	c.t.Helper()
	in, _ := json.Marshal(map[string]string{"name": name, "current_password": pw})
	opts := c.must("passkeys/register/begin", in)
	body, _, err := c.auth.Register(opts)
	if err != nil {
		c.t.Fatal(err)
	}
	if out := c.must("passkeys/register/finish", body); out["redirect"] != "/t/demo/passkeys?done=passkey-added" {
		c.t.Fatalf("finish: %v", out)
	}
}

// assert answers the options a begin endpoint gives with the authenticator.
func (c *pkClient) assert(begin string, a *passkeytest.Authenticator) []byte {
	c.t.Helper()
	opts := c.must(begin, []byte(`{}`))
	body, err := a.Assert(opts, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return body
}

// noLibraryText checks that an error answer is one of Strongroom's own.
func noLibraryText(t *testing.T, raw string) {
	t.Helper()
	for _, s := range []string{"Error validating", "rpIdHash", "ceremony", "Unable to", "Failed to", "origin", "cbor"} {
		if strings.Contains(raw, s) {
			t.Fatalf("an answer shows the library's words %q: %s", s, raw)
		}
	}
}

// Passkeys over HTTPS on both engines: added from the account page with
// bad input refused, then the second factor after the password, passkey
// sign-in once the tenant allows it, and the refusals: a replayed answer, a
// wrong origin, an unreadable answer, another browser's challenge, a
// disabled user, a removed passkey, and passkey sign-in while disallowed.
func TestPasskeysOverHTTPS(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		created := admin.must("POST", "users", map[string]any{"username": "clerk", "display_name": "Clerk"})
		clerkID := num(created["user"].(map[string]any)["id"])
		c := newPKClient(t, m)
		pw := c.signIn("clerk", created["temporary_password"].(string))

		// Bad input names its field and adds nothing.
		for _, tt := range []struct{ in, field string }{
			{`{"name": "", "current_password": "` + pw + `"}`, "name"},
			{`{"name": "` + strings.Repeat("x", 101) + `", "current_password": "` + pw + `"}`, "name"},
			{`{"name": "Laptop", "current_password": "wrong wrong wrong"}`, "current_password"},
			{`{"name": 7}`, "name"},
		} {
			status, out, raw := c.ceremony("passkeys/register/begin", []byte(tt.in))
			e, _ := out["error"].(map[string]any)
			if status != 400 || !strings.Contains(raw, `"field":"`+tt.field+`"`) || e["message"] == "" {
				t.Fatalf("begin %s: %d %s", tt.in, status, raw)
			}
		}
		status, _, raw := c.ceremony("passkeys/register/finish", []byte(`{"id": "x"}`))
		if status != 409 {
			t.Fatalf("finish without a begin: %d %s", status, raw)
		}
		in, _ := json.Marshal(map[string]string{"name": "Laptop", "current_password": pw})
		c.must("passkeys/register/begin", in)
		status, _, raw = c.ceremony("passkeys/register/finish", []byte(`{"id": "x", "response": {}}`))
		if status != 400 || !strings.Contains(raw, `"field":"passkey"`) {
			t.Fatalf("unreadable answer: %d %s", status, raw)
		}
		noLibraryText(t, raw)
		if _, body := c.csPage("GET", "passkeys"); !strings.Contains(body, "You have no passkeys yet") {
			t.Fatalf("refused registrations added a passkey:\n%s", body)
		}

		// A ceremony posted from another site is refused, as a form is.
		req, _ := http.NewRequest("POST", strings.Replace(c.base, "/api/v1/t/demo/", "/t/demo/", 1)+"passkeys/register/begin", strings.NewReader(string(in)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if resp, err := c.http.Do(req); err != nil || resp.StatusCode != 403 {
			t.Fatalf("cross-site begin: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		c.register("Laptop", pw)
		if _, body := c.csPage("GET", "passkeys"); !strings.Contains(body, "<td>Laptop</td>") || !strings.Contains(body, "/static/passkeys.js") {
			t.Fatalf("account page:\n%s", body)
		}

		// The API lists and renames it; bad input names its field.
		ks := c.apiClient.must("GET", "me/passkeys", nil)["passkeys"].([]any)
		if len(ks) != 1 || ks[0].(map[string]any)["name"] != "Laptop" {
			t.Fatalf("me/passkeys: %v", ks)
		}
		keyID := itoa(num(ks[0].(map[string]any)["id"]))
		if status, raw := c.apiClient.do("PUT", "me/passkeys/"+keyID, map[string]string{"name": ""}); status != 400 || !strings.Contains(raw, `"field":"name"`) {
			t.Fatalf("rename to nothing: %d %s", status, raw)
		}
		c.apiClient.must("PUT", "me/passkeys/"+keyID, map[string]string{"name": "Work laptop"})
		if status, _ := c.apiClient.do("GET", "users/1/passkeys", nil); status != 403 {
			t.Fatalf("a user read another's passkeys: %d", status)
		}
		if status, _ := admin.do("DELETE", "me/passkeys/"+keyID, nil); status != 404 {
			t.Fatalf("the administrator removed another's passkey as their own: %d", status)
		}
		if got := admin.must("GET", "users/"+itoa(clerkID)+"/passkeys", nil)["passkeys"].([]any); len(got) != 1 {
			t.Fatalf("admin list: %v", got)
		}

		// Signing in now takes the password and then the passkey.
		c2 := &pkClient{apiClient: newAPIClient(t, m), auth: c.auth}
		if got := c2.apiClient.must("POST", "login", map[string]string{"username": "clerk", "password": pw}); got["second_factor"] != true {
			t.Fatalf("password alone: %v", got)
		}
		if _, body := c2.csPage("GET", "login/code"); !strings.Contains(body, `id="passkey-use"`) || strings.Contains(body, `name="code"`) {
			t.Fatalf("second-factor page:\n%s", body)
		}
		// A wrong origin and a replay are refused; the half-way session stays.
		wrong := &passkeytest.Authenticator{Origin: "https://evil.example", Creds: c.auth.Creds}
		status, _, raw = c2.ceremony("passkeys/second-factor/finish", c2.assert("passkeys/second-factor/begin", wrong))
		if status != 400 || !strings.Contains(raw, `"field":"passkey"`) {
			t.Fatalf("wrong origin: %d %s", status, raw)
		}
		noLibraryText(t, raw)
		body := c2.assert("passkeys/second-factor/begin", c.auth)
		if out := c2.must("passkeys/second-factor/finish?next="+url.QueryEscape("/t/demo/passkeys"), body); out["redirect"] != "/t/demo/passkeys" {
			t.Fatalf("second factor: %v", out)
		}
		if me := c2.apiClient.must("GET", "me", nil); me["user"].(map[string]any)["username"] != "clerk" {
			t.Fatalf("me: %v", me)
		}
		if status, _, raw := c2.ceremony("passkeys/second-factor/finish", body); status < 400 {
			t.Fatalf("replayed second factor: %d %s", status, raw)
		}

		// Passkey sign-in: refused until the administrator allows it.
		anon := &pkClient{apiClient: newAPIClient(t, m), auth: c.auth}
		if status, _, raw := anon.ceremony("passkeys/sign-in/begin", []byte(`{}`)); status != 403 {
			t.Fatalf("sign-in while disallowed: %d %s", status, raw)
		}
		if _, page := anon.csPage("GET", "login"); strings.Contains(page, "passkey-sign-in") {
			t.Fatal("the sign-in page offers passkeys while disallowed")
		}
		if status, _ := admin.pageForm("admin/settings/passkeys", url.Values{"passkey_sign_in": {"on"}}); status != 303 {
			t.Fatalf("allow passkey sign-in: %d", status)
		}
		if got := admin.must("GET", "settings/passkeys", nil); got["passkey_sign_in"] != true {
			t.Fatalf("settings/passkeys: %v", got)
		}
		if status, _ := c.apiClient.do("PUT", "settings/passkeys", map[string]bool{"passkey_sign_in": false}); status != 403 {
			t.Fatalf("a user changed the passkey setting: %d", status)
		}
		if _, page := anon.csPage("GET", "login"); !strings.Contains(page, `id="passkey-sign-in"`) {
			t.Fatal("the sign-in page does not offer passkeys")
		}
		body = anon.assert("passkeys/sign-in/begin", c.auth)
		// Another browser (without the begin's cookie) cannot finish it.
		other := &pkClient{apiClient: newAPIClient(t, m), auth: c.auth}
		if status, _, raw := other.ceremony("passkeys/sign-in/finish", body); status != 409 {
			t.Fatalf("another browser's sign-in: %d %s", status, raw)
		}
		anon.must("passkeys/sign-in/finish", body)
		if me := anon.apiClient.must("GET", "me", nil); me["user"].(map[string]any)["username"] != "clerk" {
			t.Fatalf("me after passkey sign-in: %v", me)
		}

		// A disabled user's passkey signs nothing in.
		admin.must("POST", "users/"+itoa(clerkID)+"/disable", nil)
		late := &pkClient{apiClient: newAPIClient(t, m), auth: c.auth}
		if status, _, raw := late.ceremony("passkeys/sign-in/finish", late.assert("passkeys/sign-in/begin", c.auth)); status != 400 {
			t.Fatalf("disabled user: %d %s", status, raw)
		}
		admin.must("POST", "users/"+itoa(clerkID)+"/enable", nil)

		// The administrator removes the passkey (a lost device); it signs
		// nothing in any more, and the password alone is enough again.
		if _, page := admin.csPage("GET", "admin/users/"+itoa(clerkID)+"/passkeys"); !strings.Contains(page, "<td>Work laptop</td>") {
			t.Fatalf("admin list:\n%s", page)
		}
		if status, _ := admin.pageForm("admin/users/"+itoa(clerkID)+"/passkeys/"+keyID+"/remove", nil); status != 303 {
			t.Fatalf("admin removal: %d", status)
		}
		gone := &pkClient{apiClient: newAPIClient(t, m), auth: c.auth}
		if status, _, raw := gone.ceremony("passkeys/sign-in/finish", gone.assert("passkeys/sign-in/begin", c.auth)); status != 400 {
			t.Fatalf("removed passkey: %d %s", status, raw)
		}
		if got := gone.apiClient.must("POST", "login", map[string]string{"username": "clerk", "password": pw}); got["second_factor"] != false {
			t.Fatalf("after removal: %v", got)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
