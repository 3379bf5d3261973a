package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom/identity/totp"
	"strongroom/operators"
)

// TestOperatorConsole walks the console over HTTPS as a browser would,
// with forms and redirects: first sign-in with enrolment, the tenant list,
// creating and disabling a tenant, the event log, signing out.
func TestOperatorConsole(t *testing.T) {
	m, client, _ := startServer(t, nil)
	ctx := context.Background()
	if _, err := m.app.operators.CreateFirst(ctx, operators.NewOperator{Name: "jane.doe", DisplayName: "Jane Doe", Password: testOperatorPassword}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client.Jar = jar
	base := m.URL() + "operator/"
	shots := os.Getenv("STRONGROOM_OPERATOR_PAGES") // a directory to keep each page's HTML in, for looking at
	keep := func(name, body string) {
		if shots != "" {
			os.WriteFile(filepath.Join(shots, name+".html"), []byte(strings.ReplaceAll(body, `"/static/`, `"static/`)), 0o600)
		}
	}
	send := func(method, path string, form url.Values, header ...string) (int, string, http.Header) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, base+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	expect := func(status int, body string, hdr http.Header, wantStatus int, want string) {
		t.Helper()
		if status != wantStatus || !strings.Contains(body+hdr.Get("Location"), want) {
			t.Fatalf("got %d %q (Location %q), want %d with %q", status, body, hdr.Get("Location"), wantStatus, want)
		}
	}

	s, b, h := send("GET", "tenants", nil)
	expect(s, b, h, http.StatusSeeOther, "/operator/sign-in")
	s, b, h = send("GET", "sign-in", nil)
	expect(s, b, h, 200, "Operator sign-in")
	keep("sign_in", b)
	s, b, h = send("POST", "sign-in", url.Values{"name": {"jane.doe"}, "password": {"wrong horse battery staple"}})
	expect(s, b, h, http.StatusUnauthorized, "not right")
	s, b, h = send("POST", "sign-in", url.Values{"name": {"jane.doe"}, "password": {testOperatorPassword}})
	expect(s, b, h, http.StatusSeeOther, "/operator/enrol")
	if c := h.Get("Set-Cookie"); !strings.HasPrefix(c, "__Host-sr-op=") || !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") || !strings.Contains(c, "Path=/") {
		t.Fatalf("cookie: %s", c)
	}
	// Half signed in reaches nothing but the enrolment.
	s, b, h = send("GET", "tenants", nil)
	expect(s, b, h, http.StatusSeeOther, "/operator/sign-in")
	s, b, h = send("GET", "enrol", nil)
	expect(s, b, h, 200, "Set up your authenticator app")
	keep("enrol", b)
	secret := regexp.MustCompile(`user-select-all">([A-Z2-7]+)<`).FindStringSubmatch(b)
	if secret == nil {
		t.Fatalf("no secret on the enrolment page: %s", b)
	}
	s, b, h = send("POST", "enrol", url.Values{"code": {"000000"}})
	expect(s, b, h, http.StatusUnprocessableEntity, "not right")
	code, _ := totp.CodeAt(secret[1], time.Now())
	s, b, h = send("POST", "enrol", url.Values{"code": {code}})
	expect(s, b, h, http.StatusSeeOther, "/operator/tenants?notice=enrolled")

	// Nothing but the password page until the one-time password is replaced.
	s, b, h = send("GET", "tenants?notice=enrolled", nil)
	expect(s, b, h, http.StatusSeeOther, "/operator/password?notice=enrolled")
	s, b, h = send("GET", "password?notice=enrolled", nil)
	expect(s, b, h, 200, "Choose your own password")
	keep("password", b)
	for _, p := range []string{"tenants", "operators", "events", "access"} {
		s, b, h = send("GET", p, nil)
		expect(s, b, h, http.StatusSeeOther, "/operator/password")
	}
	s, b, h = send("POST", "tenants", url.Values{"slug": {"too-soon"}})
	expect(s, b, h, http.StatusForbidden, "Choose your own password first")
	s, b, h = send("POST", "password", url.Values{"current_password": {testOperatorPassword}, "new_password": {testOperatorPassword}, "confirm": {testOperatorPassword}})
	expect(s, b, h, http.StatusUnprocessableEntity, "other than the one you have now")
	s, b, h = send("POST", "password", url.Values{"current_password": {testOperatorPassword}, "new_password": {ownOperatorPassword}, "confirm": {"something else"}})
	expect(s, b, h, http.StatusUnprocessableEntity, "not the same")
	s, b, h = send("POST", "password", url.Values{"current_password": {"wrong horse battery staple"}, "new_password": {ownOperatorPassword}, "confirm": {ownOperatorPassword}})
	expect(s, b, h, http.StatusUnprocessableEntity, "not your current password")
	s, b, h = send("POST", "password", url.Values{"current_password": {testOperatorPassword}, "new_password": {ownOperatorPassword}, "confirm": {ownOperatorPassword}})
	expect(s, b, h, http.StatusSeeOther, "/operator/tenants?notice=password")

	s, b, h = send("GET", "tenants?notice=password", nil)
	expect(s, b, h, 200, `href="/operator/access">Access requests</a>`)
	if !strings.Contains(b, "Your password is changed") {
		t.Errorf("no notice of the change: %s", b)
	}
	keep("tenants", b)
	// Another site's form is refused.
	s, b, h = send("POST", "tenants", url.Values{"slug": {"evil"}}, "Sec-Fetch-Site", "cross-site")
	expect(s, b, h, http.StatusForbidden, "another site")
	s, b, h = send("POST", "tenants", url.Values{"slug": {"Not A Slug"}})
	expect(s, b, h, http.StatusUnprocessableEntity, "slug")
	s, b, h = send("POST", "tenants", url.Values{"slug": {"acme-law"}, "display_name": {"Acme Law LLP"}})
	expect(s, b, h, 200, "Created tenant acme-law")
	if !strings.Contains(b, "<code>acme-law</code>") {
		t.Fatalf("tenant list: %s", b)
	}
	keep("tenant_created", b)
	s, b, h = send("GET", "tenants/acme-law/disable", nil)
	expect(s, b, h, 200, "Disable tenant acme-law?")
	keep("confirm", b)
	s, b, h = send("POST", "tenants/acme-law/disable", url.Values{})
	expect(s, b, h, http.StatusSeeOther, "notice=tenant-disabled")
	if tn, _ := m.app.control.FindTenant(ctx, "acme-law"); tn == nil || tn.Status != "disabled" {
		t.Fatalf("tenant after disabling: %+v", tn)
	}
	s, b, h = send("GET", "operators", nil)
	expect(s, b, h, 200, "Create an operator")
	s, b, h = send("POST", "operators", url.Values{"name": {"support"}, "role": {"staff"}})
	expect(s, b, h, http.StatusUnprocessableEntity, "personal")
	s, b, h = send("POST", "operators", url.Values{"name": {"sam.staff"}, "display_name": {"Sam Staff"}, "role": {"staff"}})
	expect(s, b, h, 200, "one-time password")
	keep("operators", b)
	s, b, h = send("GET", "events", nil)
	expect(s, b, h, 200, "tenant.disabled")
	keep("events", b)
	for _, want := range []string{"tenant.created", "operator.created", "operator.totp_enrolled", "operator.sign_in_failed", "operator.password_changed"} {
		if !strings.Contains(b, want) {
			t.Errorf("event log lacks %s", want)
		}
	}
	s, b, h = send("POST", "sign-out", url.Values{})
	expect(s, b, h, http.StatusSeeOther, "/operator/sign-in")
	s, b, h = send("GET", "tenants", nil)
	expect(s, b, h, http.StatusSeeOther, "/operator/sign-in")
}
