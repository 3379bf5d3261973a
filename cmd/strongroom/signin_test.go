package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// Over HTTPS, through a trusted proxy: a sign-in gives the browser a
// device cookie; a flood of failures from many addresses spends the
// tenant's budget and is answered 429 with Retry-After; the browser with
// the cookie still gets in, a browser without one does not.
func TestSignInBudgetAndDeviceCookie(t *testing.T) {
	m, c, out := startServer(t, func(c *ServeConfig) {
		c.Demo, c.TrustedProxies = true, "127.0.0.1"
		c.SignIn = SignInConfig{BudgetBurst: 3, BudgetRefill: time.Hour}
	})
	adminTemp := printedAdminPassword(t, out.String())
	login := m.URL() + "t/demo/login"
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

	resp, body := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, from("192.0.2.10"))
	device := cookieNamed(resp, "__Host-srdevice-demo")
	if resp.StatusCode != http.StatusSeeOther || device == nil {
		t.Fatalf("sign-in: %d, no device cookie in %v: %q", resp.StatusCode, resp.Header["Set-Cookie"], body)
	}
	if !device.Secure || !device.HttpOnly || device.SameSite != http.SameSiteStrictMode || device.Path != "/" || device.MaxAge != 30*24*3600 {
		t.Fatalf("device cookie attributes: %+v", device)
	}

	for i := range 10 {
		resp, body := postForm(t, c, login, url.Values{"username": {fmt.Sprintf("guess-%d", i)}, "password": {"not anybody's password"}},
			from(fmt.Sprintf("198.18.0.%d", i+1)))
		want := http.StatusUnauthorized
		if i >= 3 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("flood attempt %d: %d %q", i, resp.StatusCode, body)
		}
		if want == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") != "60" || !strings.Contains(body, "Too many sign-ins are failing at the moment")) {
			t.Fatalf("refusal %d: Retry-After %q, %q", i, resp.Header.Get("Retry-After"), body)
		}
	}

	if resp, body := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, from("192.0.2.11")); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unknown browser while the budget is spent: %d %q", resp.StatusCode, body)
	}
	resp, body = postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, from("192.0.2.11"), device)
	if resp.StatusCode != http.StatusSeeOther || sessionCookieOf(resp) == nil || cookieNamed(resp, "__Host-srdevice-demo") == nil {
		t.Fatalf("known browser while the budget is spent: %d %q", resp.StatusCode, body)
	}

	// The JSON API takes the same cookie and gives the same answers.
	api := m.URL() + "api/v1/t/demo/login"
	for _, tc := range []struct {
		cookies []*http.Cookie
		status  int
	}{{nil, http.StatusTooManyRequests}, {[]*http.Cookie{device}, http.StatusOK}} {
		req, _ := http.NewRequest("POST", api, strings.NewReader(fmt.Sprintf(`{"username":"admin","password":%q}`, adminTemp)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "192.0.2.12")
		for _, ck := range tc.cookies {
			req.AddCookie(ck)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "") {
			t.Fatalf("API sign-in with %d cookies: %d, Retry-After %q", len(tc.cookies), resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
}

// After signing in, next cannot lead out of the tenant, however it is
// spelt.
func TestSignInNextStaysInTenant(t *testing.T) {
	m, c, out := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, out.String())
	for next, want := range map[string]string{
		"/t/demo/../../x":             "/t/demo/",
		"/t/demo/%2e%2e/%2e%2e/x":     "/t/demo/",
		"/t/demo/\\\\evil.example":    "/t/demo/",
		"https://evil.example/t/demo": "/t/demo/",
		"/t/demo/cases/../sessions":   "/t/demo/sessions",
	} {
		resp, body := postForm(t, c, m.URL()+"t/demo/login", url.Values{"username": {"admin"}, "password": {adminTemp}, "next": {next}}, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next=%q: %d to %q, want %q (%q)", next, resp.StatusCode, resp.Header.Get("Location"), want, body)
		}
	}
}

// The sign-in benchmark runs end to end and reports what it promises (a
// short run; the figures themselves are for docs/benchmarks.md).
func TestBenchLoginRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("benchmark run skipped in -short mode")
	}
	code, out, errs := cli(t, "bench", "login", "--duration", "1s", "--flood-rate", "50", "--addresses", "100", "--flood-workers", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"known user: p99", "hashes/s, failed sign-ins", "refused (429)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
