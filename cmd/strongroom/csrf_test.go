package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postForm POSTs a form with extra headers (and cookies) and returns the
// response with its body read.
func postForm(t *testing.T, c *http.Client, target string, form url.Values, headers map[string]string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-sr-demo" && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// A form posted from another site is refused before it does anything:
// the right password signs nobody in, wrong ones count towards no lockout,
// and a signed-in user's session is not used. The same form from the
// site itself works.
func TestCrossSiteFormsRefused(t *testing.T) {
	m, c, out := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, out.String())
	origin := strings.TrimSuffix(m.URL(), "/")
	login := origin + "/t/demo/login"
	crossSite := []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	}
	sameSite := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": origin}

	for _, headers := range crossSite {
		resp, body := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, headers)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "came from another site") {
			t.Fatalf("cross-site sign-in %v: %d %q", headers, resp.StatusCode, body)
		}
		if ck := sessionCookieOf(resp); ck != nil {
			t.Fatalf("cross-site sign-in %v set a session cookie", headers)
		}
	}
	// More wrong passwords than the lockout threshold (5): if any of them
	// reached the sign-in, the account would now be locked.
	for i := range 6 {
		headers := crossSite[i%len(crossSite)]
		if resp, _ := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {"wrong password guess"}}, headers); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site wrong password %v: %d", headers, resp.StatusCode)
		}
	}

	resp, body := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, sameSite)
	session := sessionCookieOf(resp)
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("same-origin sign-in: %d %q", resp.StatusCode, body)
	}

	// Signed in, a cross-site password change is refused and the session
	// and password stay as they were.
	change := url.Values{"current_password": {adminTemp}, "new_password": {"a passphrase chosen elsewhere 42"}, "confirm": {"a passphrase chosen elsewhere 42"}}
	for _, headers := range crossSite {
		if resp, body := postForm(t, c, origin+"/t/demo/password", change, headers, session); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site password change %v: %d %q", headers, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest("GET", origin+"/t/demo/password", nil)
	req.AddCookie(session)
	got, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != http.StatusOK || !strings.Contains(string(page), "You signed in with a temporary password") {
		t.Fatalf("after refused cross-site posts the session should still be there with the password temporary: %d %q", got.StatusCode, page)
	}
	if resp, body := postForm(t, c, login, url.Values{"username": {"admin"}, "password": {adminTemp}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the temporary password should still work (no Origin or Sec-Fetch-Site: not a browser): %d %q", resp.StatusCode, body)
	}
}
