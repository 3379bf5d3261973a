package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/sso"
	"strongroom/sso/ssotest"
)

// ssoWorld is a server whose demo tenant has a Google-like provider on
// loopback, with a user linked to an identity there.
type ssoWorld struct {
	t        *testing.T
	m        *Main
	op       *ssotest.Provider
	admin    *apiClient
	adminPW  string
	provider map[string]any
	userPW   string
}

// ssoProviders starts the loopback providers and configures the server to
// trust them.
func ssoProviders(t *testing.T) (*ssotest.Provider, func(*ServeConfig)) {
	op := ssotest.New(t, "")
	pool := x509.NewCertPool()
	pool.AddCert(op.Server.Certificate())
	return op, func(c *ServeConfig) {
		c.TrustedProxies = "127.0.0.1"
		c.SSO = sso.Config{RootCAs: pool, GoogleIssuer: op.Issuer}
	}
}

func newSSOWorld(t *testing.T, m *Main, op *ssotest.Provider, adminTemp string) *ssoWorld {
	t.Helper()
	w := &ssoWorld{t: t, m: m, op: op, admin: newAPIClient(t, m)}
	w.adminPW = w.admin.signIn("admin", adminTemp)
	w.provider = w.admin.must("POST", "sso/providers", map[string]any{"kind": "google", "name": "Google", "client_id": "strongroom-demo",
		"client_secret": "very-secret-value", "allowed_domains": []string{"firm.example"}})["provider"].(map[string]any)
	op.AddClient(ssotest.Client{ID: "strongroom-demo", Secret: "very-secret-value", RedirectURIs: []string{w.provider["redirect_uri"].(string)}})
	op.AddUser("ann", ssotest.User{Subject: "g-ann", Claims: map[string]any{"email": "ann@firm.example", "email_verified": true, "hd": "firm.example"}})
	op.AddUser("newcomer", ssotest.User{Subject: "g-new", Claims: map[string]any{"email": "nick@firm.example", "email_verified": true, "hd": "firm.example"}})
	temp := w.admin.must("POST", "users", map[string]any{"username": "ann", "display_name": "Ann"})
	w.userPW = newAPIClient(t, m).signIn("ann", temp["temporary_password"].(string))
	w.admin.must("POST", "sso/links", map[string]any{"provider_id": num(w.provider["id"]), "subject": "g-ann", "user_id": num(temp["user"].(map[string]any)["id"])})
	return w
}

// ssoBrowser is a user agent trusting the server and the provider, sending
// requests as if from *ip behind the trusted proxy.
type ssoBrowser struct {
	t    *testing.T
	http *http.Client
	base string // https://127.0.0.1:PORT/
	ip   *string
}

func newBrowser(t *testing.T, m *Main, op *ssotest.Provider, ip string) *ssoBrowser {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	pool.AddCert(op.Server.Certificate())
	jar, _ := cookiejar.New(nil)
	b := &ssoBrowser{t: t, base: m.URL(), ip: &ip}
	b.http = &http.Client{Jar: jar, Transport: fromAddr{ip: b.ip, next: checkAPI(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(b.http.CloseIdleConnections)
	return b
}

func (b *ssoBrowser) send(method, u string, form url.Values) (int, string, string) {
	b.t.Helper()
	if !strings.HasPrefix(u, "https://") {
		u = b.base + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// toProvider presses the provider's button and returns the provider's
// answer: the callback URL with its code and state.
func (b *ssoBrowser) toProvider(w *ssoWorld, login string) string {
	b.t.Helper()
	status, loc, body := b.send("GET", fmt.Sprintf("t/demo/sso/%d/start?next=%%2Ft%%2Fdemo%%2Faccount", num(w.provider["id"])), nil)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, w.op.Issuer+"/authorize?") {
		b.t.Fatalf("start: %d %s %s", status, loc, body)
	}
	for _, want := range []string{"code_challenge_method=S256", "nonce=", "state=", "hd=firm.example"} {
		if !strings.Contains(loc, want) {
			b.t.Fatalf("authorize URL without %s: %s", want, loc)
		}
	}
	w.op.AutoLogin = login
	status, cb, _ := b.send("GET", loc, nil)
	if status != http.StatusFound || !strings.HasPrefix(cb, w.provider["redirect_uri"].(string)+"?") {
		b.t.Fatalf("provider: %d %s", status, cb)
	}
	return cb
}

// TestSSOOverHTTPS signs in through a real OpenID Connect provider on
// loopback, end to end over HTTPS on both engines: the sign-in button, the
// provider's round trip, the session; an answer brought to another
// browser, an unknown identity, the IP allowlist on the callback; the
// admin API (secret never shown, links refused twice); SSO only with its
// break-glass administrator; the provider's sign-out link.
func TestSSOOverHTTPS(t *testing.T) {
	op, configure := ssoProviders(t)
	forEachServer(t, configure, func(t *testing.T, m *Main, adminTemp string) {
		w := newSSOWorld(t, m, op, adminTemp)
		id := num(w.provider["id"])
		if w.provider["client_secret"] != "set" || strings.Contains(fmt.Sprint(w.admin.must("GET", "sso/providers", nil)), "very-secret-value") {
			t.Fatalf("secret shown: %v", w.provider)
		}
		if status, body := w.admin.do("POST", "sso/links", map[string]any{"provider_id": id, "subject": "g-ann", "user_id": 1}); status != http.StatusConflict || !strings.Contains(body, `"field":"subject"`) {
			t.Fatalf("identity linked twice: %d %s", status, body)
		}
		if status, body := w.admin.do("POST", "sso/providers", map[string]any{"kind": "entra", "name": "Microsoft", "client_id": "x", "client_secret": "y", "directory_id": "common"}); status != 400 || !strings.Contains(body, `"directory_id"`) {
			t.Fatalf("common directory: %d %s", status, body)
		}
		if status, body := w.admin.do("POST", "sso/providers", map[string]any{"kind": "oidc", "name": "Plain", "client_id": "x", "client_secret": "y", "issuer": "http://idp.example"}); status != 400 || !strings.Contains(body, `"issuer"`) {
			t.Fatalf("http issuer: %d %s", status, body)
		}

		t.Run("sign in through the provider", func(t *testing.T) {
			b := newBrowser(t, m, op, "192.0.2.20")
			if status, _, body := b.send("GET", "t/demo/login", nil); status != 200 || !strings.Contains(body, "Sign in with Google") {
				t.Fatalf("login page: %d %s", status, body)
			}
			status, loc, body := b.send("GET", b.toProvider(w, "ann"), nil)
			if status != http.StatusSeeOther || loc != "/t/demo/account" {
				t.Fatalf("callback: %d %s %s", status, loc, body)
			}
			if status, _, body := b.send("GET", "api/v1/t/demo/me", nil); status != 200 || !strings.Contains(body, `"username":"ann"`) {
				t.Fatalf("me: %d %s", status, body)
			}
			// Signing out offers the provider's own sign-out.
			status, loc, _ = b.send("POST", "t/demo/logout", url.Values{})
			if status != http.StatusSeeOther {
				t.Fatalf("logout: %d", status)
			}
			if _, _, body := b.send("GET", strings.TrimPrefix(loc, "/"), nil); !strings.Contains(body, op.Issuer+"/logout") || !strings.Contains(body, "Sign out of Google too") {
				t.Fatalf("signed-out page: %s", body)
			}
		})

		t.Run("an answer brought to another browser is refused", func(t *testing.T) {
			cb := newBrowser(t, m, op, "192.0.2.21").toProvider(w, "ann")
			other := newBrowser(t, m, op, "192.0.2.22")
			status, _, body := other.send("GET", cb, nil)
			if status != http.StatusUnauthorized || !strings.Contains(body, "started in another browser") {
				t.Fatalf("other browser: %d %s", status, body)
			}
			if status, _, _ := other.send("GET", "api/v1/t/demo/me", nil); status != http.StatusUnauthorized {
				t.Fatal("signed in from another browser")
			}
		})

		t.Run("an unknown identity is refused with JIT off", func(t *testing.T) {
			b := newBrowser(t, m, op, "192.0.2.23")
			status, _, body := b.send("GET", b.toProvider(w, "newcomer"), nil)
			if status != http.StatusUnauthorized || !strings.Contains(body, "Your account at Google is not linked to a user of this firm. Ask your administrator.") {
				t.Fatalf("unknown identity: %d %s", status, body)
			}
			evs, _ := auditEvents(t, w.admin, "action=sso.refused")
			if len(evs) == 0 || evs[0]["source_ip"] != "192.0.2.23" {
				t.Fatalf("refusal not audited: %v", evs)
			}
		})

		t.Run("the IP allowlist holds for the callback", func(t *testing.T) {
			b := newBrowser(t, m, op, "192.0.2.24")
			cb := b.toProvider(w, "ann")
			w.admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "127.0.0.1"}}, "version": 1, "confirm_lockout": true})
			status, _, _ := b.send("GET", cb, nil)
			w.admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{}, "version": 2})
			if status != http.StatusNotFound {
				t.Fatalf("callback from outside the allowlist: %d", status)
			}
		})

		t.Run("SSO only refuses passwords but the break-glass administrator's", func(t *testing.T) {
			pol := w.admin.must("GET", "sso/policy", nil)["policy"].(map[string]any)
			if status, body := w.admin.do("PUT", "sso/policy", map[string]any{"sso_only": true, "version": num(pol["version"])}); status != 400 || !strings.Contains(body, `"break_glass_user_id"`) {
				t.Fatalf("no break-glass: %d %s", status, body)
			}
			w.admin.must("PUT", "sso/policy", map[string]any{"sso_only": true, "break_glass_user_id": 1, "version": num(pol["version"])})
			if status, body := newAPIClient(t, m).do("POST", "login", map[string]string{"username": "ann", "password": w.userPW}); status != http.StatusForbidden || !strings.Contains(body, "single sign-on") {
				t.Fatalf("password under SSO only: %d %s", status, body)
			}
			newAPIClient(t, m).must("POST", "login", map[string]string{"username": "admin", "password": w.adminPW})
			b := newBrowser(t, m, op, "192.0.2.25")
			if _, _, body := b.send("GET", "t/demo/login", nil); !strings.Contains(body, "Break-glass sign-in with a password") {
				t.Fatalf("login page under SSO only: %s", body)
			}
			if status, _, _ := b.send("GET", b.toProvider(w, "ann"), nil); status != http.StatusSeeOther {
				t.Fatalf("SSO under SSO only: %d", status)
			}
		})

		t.Run("providers and links through the admin API", func(t *testing.T) {
			path := fmt.Sprintf("sso/providers/%d", id)
			got := w.admin.must("GET", path, nil)["provider"].(map[string]any)
			changed := w.admin.must("PUT", path, map[string]any{"name": "Google Workspace", "client_id": "strongroom-demo",
				"allowed_domains": []string{"firm.example"}, "version": num(got["version"])})["provider"].(map[string]any)
			if changed["name"] != "Google Workspace" || changed["client_secret"] != "set" {
				t.Fatalf("update: %v", changed)
			}
			if status, _ := w.admin.do("PUT", path, map[string]any{"name": "Stale", "client_id": "x", "allowed_domains": []string{"firm.example"}, "version": num(got["version"])}); status != http.StatusConflict {
				t.Fatalf("stale update: %d", status)
			}
			links := w.admin.must("GET", "sso/links?user_id=2", nil)["links"].([]any)
			if len(links) != 1 {
				t.Fatalf("links: %v", links)
			}
			w.admin.must("DELETE", fmt.Sprintf("sso/links/%d", num(links[0].(map[string]any)["id"])), nil)
			b := newBrowser(t, m, op, "192.0.2.26")
			if status, _, body := b.send("GET", b.toProvider(w, "ann"), nil); status != http.StatusUnauthorized || !strings.Contains(body, "not linked") {
				t.Fatalf("unlinked identity: %d %s", status, body)
			}
			w.admin.must("DELETE", path, nil)
			if status, _ := w.admin.do("GET", path, nil); status != http.StatusNotFound {
				t.Fatalf("deleted provider: %d", status)
			}
		})
	})
}
