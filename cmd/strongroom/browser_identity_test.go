package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/identity/totp"
	"strongroom/internal/browsertest"
)

// TestBrowserIdentity walks the first day of a workspace in a real headless
// Chromium: the administrator signs in with the temporary password the
// server printed, is made to choose their own, creates a paralegal and
// signs out; the paralegal signs in with the temporary password they were
// given, is made to change it, sets up two-factor sign-in, signs out, and
// signs in again with their password and a code from the authenticator.
func TestBrowserIdentity(t *testing.T) {
	browsertest.Require(t)
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, stdout.String())
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	base := "https://localhost:" + u.Port()
	const (
		adminPass = "violet lantern orbits the quarry 1987"
		paraPass  = "amber tundra kettle mosaic river"
	)

	// Each part runs in a browser of its own (fresh cookies), which also
	// keeps each within browsertest.Timeout.
	var paraTemp string
	t.Run("AdministratorCreatesUser", func(t *testing.T) {
		b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: base}
		b.firstSignIn("/t/demo/admin/users/new", "admin", adminTemp, adminPass)

		b.open("/t/demo/admin/users/new")
		b.wantPath("/t/demo/admin/users/new")
		b.fill("username", "paralegal")
		b.fill("display_name", "Pat Paralegal")
		b.do(chromedp.Click(chromedp.Search(`//label[normalize-space(.)="Staff"]`)))
		b.submit("#save-user")
		b.wantText("User paralegal created")
		paraTemp = b.text("temporary-password")
		if len(paraTemp) < 20 {
			t.Fatalf("temporary password on the page: %q", paraTemp)
		}
		b.submit("#sign-out")
		b.wantPath("/t/demo/login")
		b.wantText("You have signed out.")
	})
	if t.Failed() {
		return
	}

	var secret string
	var enrolStep int64
	t.Run("UserSetsUpTwoFactor", func(t *testing.T) {
		b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: base}
		b.firstSignIn("/t/demo/sessions", "paralegal", paraTemp, paraPass)

		b.open("/t/demo/totp")
		secret = b.text("totp-secret")
		// The QR code is a data: URL; it must load under the page's CSP.
		if w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelector("img.qr").naturalWidth`)); err != nil || w == 0 {
			t.Errorf("QR code image not shown: width %d, %v", w, err)
		}
		now := time.Now()
		code, err := totp.CodeAt(secret, now)
		if err != nil {
			t.Fatalf("code for the secret on the page: %v", err)
		}
		enrolStep = now.Unix() / totp.Period
		b.fill("code", code)
		b.submit("main button[type=submit]")
		b.wantText("Two-factor sign-in is on")
		if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`)); err != nil || n != 10 {
			t.Errorf("%d recovery codes shown (%v), want 10", n, err)
		}
		b.look("totp-done")
		b.submit("#continue")
		b.wantPath("/t/demo/")
		b.open("/t/demo/totp")
		b.wantText("Two-factor sign-in is on for your account.")
		b.submit("#sign-out")
		b.wantPath("/t/demo/login")
	})
	if t.Failed() {
		return
	}

	// A code is accepted once: wait for the step after the one used to
	// enrol, so the next sign-in uses a fresh code as a person would.
	next := time.Unix((enrolStep+1)*totp.Period, 0)
	if wait := time.Until(next); wait > totp.Period*time.Second+time.Second {
		t.Fatalf("clock went backwards: next step in %s", wait)
	} else if wait > 0 {
		time.Sleep(wait)
	}

	t.Run("UserSignsInWithCode", func(t *testing.T) {
		b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: base}
		b.open("/t/demo/sessions")
		b.wantPath("/t/demo/login")
		b.fill("username", "paralegal")
		b.fill("password", paraPass)
		b.submit("main button[type=submit]")
		b.wantPath("/t/demo/login/code")
		b.look("login-code")
		code, err := totp.CodeAt(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		b.fill("code", code)
		b.submit("main button[type=submit]")
		b.wantPath("/t/demo/sessions")
		b.wantText("Signed in as Pat Paralegal (paralegal)")
		b.wantText("This session")
	})
}

// browser drives one Chromium tab through the pages, failing the test at
// the first step that does not work.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// demoBrowser starts a server with the demo tenant and a browser that
// trusts only its certificate, and returns the browser with the first
// administrator's temporary password.
func demoBrowser(t *testing.T) (*browser, string) {
	t.Helper()
	return demoBrowserWith(t, func(c *ServeConfig) { c.Demo = true })
}

// fullDemoBrowser is demoBrowser with the demo's sample data: thousands of
// cases, its people and classes, as a firm trying Strongroom sees it.
func fullDemoBrowser(t *testing.T) (*browser, string) {
	t.Helper()
	return demoBrowserWith(t, func(c *ServeConfig) { c.Demo, c.DemoEmpty = true, false })
}

func demoBrowserWith(t *testing.T, configure func(*ServeConfig)) (*browser, string) {
	t.Helper()
	m, _, stdout := startServer(t, configure)
	adminTemp := printedAdminPassword(t, stdout.String())
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + u.Port()}, adminTemp
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v\npage:\n%s", err, b.body())
	}
}

// firstSignIn opens a page that needs a session, is sent to the sign-in
// form, signs in with a temporary password and is made to replace it
// before anything else, ending on the tenant's home page.
func (b *browser) firstSignIn(page, user, temp, permanent string) {
	b.t.Helper()
	b.open(page)
	b.wantPath("/t/demo/login")
	b.fill("username", user)
	b.fill("password", temp)
	b.submit("main button[type=submit]")
	b.wantPath("/t/demo/password") // made to change the temporary password first
	b.wantText("temporary password")
	b.fill("current_password", temp)
	b.fill("new_password", permanent)
	b.fill("confirm", permanent)
	b.submit("main button[type=submit]")
	b.wantPath("/t/demo/")
}

func (b *browser) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("open %s: status %d\n%s", path, resp.Status, b.body())
	}
}

func (b *browser) fill(id, value string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.ID(id), value))
}

// submit clicks a button and waits for the page the form leads to (after
// any redirects), which must be a success.
func (b *browser) submit(css string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("click %s: %v", css, err)
	}
	if resp.Status >= 300 {
		b.t.Fatalf("click %s: status %d\n%s", css, resp.Status, b.body())
	}
}

func (b *browser) text(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("read #%s: %v\npage:\n%s", id, err, b.body())
	}
	return strings.TrimSpace(s)
}

func (b *browser) body() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

func (b *browser) wantPath(path string) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Path != path {
		b.t.Fatalf("at %s, want path %s\npage:\n%s", loc, path, b.body())
	}
}

func (b *browser) wantText(s string) {
	b.t.Helper()
	if body := b.body(); !strings.Contains(body, s) {
		b.t.Fatalf("page does not say %q; it says:\n%s", s, body)
	}
}

// printedAdminPassword returns the demo administrator's temporary password,
// printed on the line after "… with the temporary password".
func printedAdminPassword(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if strings.Contains(line, `as "admin" with the temporary password`) && i+1 < len(lines) {
			if pw := strings.TrimSpace(lines[i+1]); pw != "" {
				return pw
			}
		}
	}
	t.Fatalf("no temporary password printed; stdout:\n%s", out)
	return ""
}

// TestSignInPages checks the pages over plain HTTP where a browser adds
// nothing: statuses, kept and never-echoed values, field errors, the
// forced password change, 403 pages and edit conflicts.
func TestSignInPages(t *testing.T) {
	m, c, out := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, out.String())
	origin := strings.TrimSuffix(m.URL(), "/")
	get := func(path string, session *http.Cookie) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", origin+path, nil)
		if session != nil {
			req.AddCookie(session)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	post := func(path string, form url.Values, session *http.Cookie) (*http.Response, string) {
		t.Helper()
		var cookies []*http.Cookie
		if session != nil {
			cookies = append(cookies, session)
		}
		return postForm(t, c, origin+path, form, nil, cookies...)
	}
	want := func(what string, resp *http.Response, body string, status int, contains ...string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("%s: status %d, want %d\n%s", what, resp.StatusCode, status, body)
		}
		for _, s := range contains {
			if !strings.Contains(body+resp.Header.Get("Location"), s) {
				t.Fatalf("%s: no %q in\n%s", what, s, body)
			}
		}
	}
	signIn := func(user, pw string) *http.Cookie {
		t.Helper()
		resp, body := post("/t/demo/login", url.Values{"username": {user}, "password": {pw}}, nil)
		want("sign in as "+user, resp, body, http.StatusSeeOther)
		return sessionCookieOf(resp)
	}
	changePassword := func(session *http.Cookie, from, to string) *http.Cookie {
		t.Helper()
		resp, body := post("/t/demo/password", url.Values{"current_password": {from}, "new_password": {to}, "confirm": {to}}, session)
		want("change password", resp, body, http.StatusSeeOther, "/t/demo/?done=password")
		return sessionCookieOf(resp)
	}

	resp, body := get("/t/demo/login", nil)
	want("sign-in page", resp, body, http.StatusOK, "Demo Law LLP", `name="password"`)
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Fatalf("inline script or style on the sign-in page:\n%s", body)
	}
	resp, body = get("/t/demo/sessions", nil)
	want("signed-out visitor", resp, body, http.StatusSeeOther, "/t/demo/login?next=%2Ft%2Fdemo%2Fsessions")

	resp, body = post("/t/demo/login", url.Values{"username": {"admin"}, "password": {"hunter2 is my secret"}, "next": {"/t/demo/tokens"}}, nil)
	want("wrong password", resp, body, http.StatusUnauthorized, "is not right", `value="admin"`, `value="/t/demo/tokens"`)
	if strings.Contains(body, "hunter2") {
		t.Fatal("the password was sent back")
	}
	resp, _ = post("/t/demo/login", url.Values{"username": {"admin"}, "password": {adminTemp}, "next": {"https://evil.example/"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/t/demo/" {
		t.Fatalf("sign-in with a foreign next: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	admin := sessionCookieOf(resp)
	resp, body = get("/t/demo/admin/users", admin)
	want("temporary password first", resp, body, http.StatusSeeOther, "/t/demo/password")

	resp, body = post("/t/demo/password", url.Values{"current_password": {adminTemp}, "new_password": {"short pass"}, "confirm": {"short pass"}}, admin)
	want("short password", resp, body, http.StatusBadRequest, `id="new_password-error"`, "at least 15 characters")
	resp, body = post("/t/demo/password", url.Values{"current_password": {adminTemp}, "new_password": {"one long passphrase"}, "confirm": {"another one"}}, admin)
	want("mismatch", resp, body, http.StatusBadRequest, `id="confirm-error"`)
	const adminPass = "violet lantern orbits the quarry 1987"
	admin = changePassword(admin, adminTemp, adminPass)

	resp, body = get("/t/demo/admin/users", admin)
	want("user list", resp, body, http.StatusOK, "Administrator", ">admin</a>")
	resp, body = post("/t/demo/admin/users/new", url.Values{"username": {"reader"}, "display_name": {""}}, admin)
	want("user without a display name", resp, body, http.StatusBadRequest, `id="display_name-error"`, `value="reader"`)
	resp, body = post("/t/demo/admin/users/new", url.Values{"username": {"reader"}, "display_name": {"Rita Reader"}}, admin)
	want("create user", resp, body, http.StatusCreated, `id="temporary-password"`)
	readerTemp := between(t, body, `<code id="temporary-password">`, "</code>")
	userPath := "/t/demo/admin/users/" + between(t, body, `href="/t/demo/admin/users/`, `"`)

	// An edit based on an old version is refused and kept on screen.
	resp, body = get(userPath, admin)
	want("user page", resp, body, http.StatusOK, `name="version" value="1"`)
	resp, body = post(userPath, url.Values{"username": {"reader"}, "display_name": {"Rita R."}, "version": {"1"}}, admin)
	want("edit", resp, body, http.StatusSeeOther, "done=user-saved")
	resp, body = post(userPath, url.Values{"username": {"reader"}, "display_name": {"Rita Stale"}, "version": {"1"}}, admin)
	want("stale edit", resp, body, http.StatusConflict, "Someone else changed this user", `value="Rita Stale"`)

	reader := changePassword(signIn("reader", readerTemp), readerTemp, "amber tundra kettle mosaic river")
	resp, body = get("/t/demo/admin/users", reader)
	want("no administration", resp, body, http.StatusForbidden, "You do not have access to administration.")
	resp, body = post(userPath+"/disable", nil, reader)
	want("no administration action", resp, body, http.StatusForbidden)
	resp, body = get("/t/demo/tokens", reader)
	want("own tokens", resp, body, http.StatusOK, "You have no API tokens.")

	resp, body = post("/t/demo/admin/settings", url.Values{"lockout_threshold": {"5"}, "auto_unlock_after_minutes": {"0"},
		"mfa": {"optional"}, "idle_timeout_minutes": {"0"}, "absolute_timeout_minutes": {"720"}}, admin)
	want("bad idle timeout", resp, body, http.StatusBadRequest, `id="idle_timeout_minutes-error"`)
}

// between returns the text of s between the first from and the next to.
func between(t *testing.T, s, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		t.Fatalf("no %q in\n%s", from, s)
	}
	v, _, ok := strings.Cut(rest, to)
	if !ok {
		t.Fatalf("no %q after %q in\n%s", to, from, s)
	}
	return v
}

// look screenshots the current page at a desk's and a phone's width into
// the test's artifact directory and checks it with axe-core; see
// browsertest.Look.
func (b *browser) look(name string) {
	b.t.Helper()
	browsertest.Look(b.t, b.ctx, name)
}
