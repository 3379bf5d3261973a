package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/format"
	"strongroom/home"
	"strongroom/identity"
)

func testHandler(t *testing.T) *Handler {
	t.Helper()
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{pages: pages, log: slog.New(slog.DiscardHandler)}
}

// testPrincipal is a signed-in user holding the built-in role named role.
func testPrincipal(role string, u identity.User) *identity.Principal {
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == role {
			roles = append(roles, r)
		}
	}
	if u.ID == 0 {
		u.ID, u.Username, u.DisplayName, u.Status = 1, "admin", "Ada Admin", "active"
	}
	return &identity.Principal{User: &u, Subject: access.NewSubject(u.ID, false, nil, roles), SessionID: "s1"}
}

// TestPagesRender executes every page template with the data its handler
// gives it, so a template that breaks at run time fails here, and checks
// that no page carries inline script or style (the CSP would block them).
func TestPagesRender(t *testing.T) {
	h := testHandler(t)
	tenant := &strongroom.Tenant{Slug: "demo", DisplayName: "Demo Law LLP"}
	admin := testPrincipal(access.AdministratorRole, identity.User{})
	staff := testPrincipal(access.StaffRole, identity.User{ID: 2, Username: "pat", DisplayName: "Pat Paralegal", Status: "active", TOTPEnabled: true})
	temp := testPrincipal(access.StaffRole, identity.User{ID: 3, Username: "new", DisplayName: "New Person", Status: "active", PasswordTemporary: true})
	at := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	roles := access.BuiltinRoles()
	for i := range roles {
		roles[i].ID = int64(i + 1)
	}
	user := &identity.User{ID: 2, Username: "pat", DisplayName: "Pat Paralegal", Status: "active", LockedAt: at, FailedLogins: 5,
		TOTPEnabled: true, Version: 3, RoleIDs: []int64{2}}
	sessions := []identity.Session{{ID: "s1", UserID: 2, CreatedAt: at, LastSeenAt: at, ExpiresAt: at.Add(time.Hour), SourceIP: "192.0.2.7", UserAgent: "Firefox", Current: true},
		{ID: "s2", UserID: 2, CreatedAt: at, LastSeenAt: at, ExpiresAt: at, SourceIP: "198.51.100.1", UserAgent: "Chrome"}}

	tests := []struct {
		name, page string
		me         *identity.Principal
		values     url.Values
		data       any
		err        error
		fields     []string
		status     int
		contains   []string
		absent     []string
	}{
		{name: "login", page: "login", values: url.Values{"username": {"pat"}, "next": {"/t/demo/tokens"}},
			err: strongroom.Errorf(strongroom.EUNAUTHORIZED, "The user name or password is not right."), fields: []string{"username", "password"},
			status: 401, contains: []string{"Sign in to Demo Law LLP", `value="pat"`, `value="/t/demo/tokens"`, `role="alert"`}, absent: []string{"Signed in as"}},
		{name: "login throttled", page: "login", err: strongroom.Errorf(strongroom.ETOOMANY, "Too many failed sign-ins."), status: 429, contains: []string{"Too many"}},
		{name: "code", page: "login_code", err: strongroom.FieldError("code", "That code is not right."), fields: []string{"code"},
			status: 400, contains: []string{`id="code-error"`, `aria-invalid="true"`}},
		{name: "home admin", page: "home", me: admin, data: homeView{Cases: true, Audit: true, MyTotal: 12,
			MyCases:   []home.Case{{ID: 7, Number: "2026-00007", Title: "Acme v. Widget", Client: "Acme", Status: "pending"}},
			Deadlines: &home.Deadlines{Total: 2, Overdue: 1, Items: []home.Deadline{{ID: 3, Kind: "deadline", Title: "Reply brief", DueOn: "2026-03-01", Overdue: true, Case: home.Case{ID: 7, Number: "2026-00007"}}}},
			Recent:    []home.Case{{ID: 7, Number: "2026-00007", Title: "Acme v. Widget", ViewedAt: at}},
			Activity:  []activity{{auditItem: auditItem{Event: audit.Event{Action: "note.create", ObjectType: "note", ObjectID: "4", Time: at}}, Mine: true}},
			Access:    []accessLevel{{"Cases", "edit"}, {"Audit", "none"}}},
			contains: []string{"Welcome, Ada Admin", "/t/demo/admin/users", "/t/demo/logout", "Signed in as", "12 in all, the 1 changed last shown",
				"Overdue", "Mar 1, 2026", "1 overdue", "/t/demo/cases/7", "Note created</span> by You", "/t/demo/audit/records/note/4", "No access", "Pending"}},
		{name: "home staff", page: "home", me: staff, data: homeView{Cases: true, Deadlines: &home.Deadlines{}, Access: []accessLevel{{"Administration", "none"}}},
			contains: []string{"/t/demo/tokens", "You are not responsible for any open case", "Cases you open appear here", "No open deadlines"},
			absent:   []string{"/t/demo/admin/", "Recent activity"}},
		{name: "home no cases", page: "home", me: staff, data: homeView{Access: []accessLevel{{"Cases", "none"}}},
			contains: []string{"My account"}, absent: []string{"My open cases", "My deadlines"}},
		{name: "password temporary", page: "password", me: temp, err: strongroom.FieldError("new_password", "Password must be at least 15 characters long."),
			fields: []string{"current_password", "new_password", "confirm"}, status: 400,
			contains: []string{"temporary password", `id="new_password-error"`, "15 characters"}, absent: []string{`href="/t/demo/"`}},
		{name: "totp setup", page: "totp", me: admin, data: totpSetup{QR: "data:image/png;base64,iVBORw0KGgo=", Secret: "JBSWY3DPEHPK3PXP"},
			contains: []string{`src="data:image/png;base64,iVBORw0KGgo="`, `<code id="totp-secret">JBSWY3DPEHPK3PXP</code>`}},
		{name: "totp wrong code", page: "totp", me: admin, err: strongroom.FieldError("code", "That code is not right."), fields: []string{"code"},
			status: 400, contains: []string{"Start again with a new QR code", `id="code-error"`}},
		{name: "totp on", page: "totp", me: staff, contains: []string{"Two-factor sign-in is on for your account."}, absent: []string{`name="code"`}},
		{name: "recovery codes", page: "totp_done", me: staff, data: []string{"abcd-efgh", "ijkl-mnop"},
			contains: []string{"<code>abcd-efgh</code>", "I have saved them — continue"}},
		{name: "sessions", page: "sessions", me: staff, data: sessionsView{Sessions: sessions, Return: "sessions"},
			contains: []string{"This session", "/t/demo/sessions/s2/end", "198.51.100.1"}},
		{name: "tokens", page: "tokens", me: staff, values: url.Values{"expires_in_days": {"400"}},
			data: []identity.APIToken{{ID: 7, Name: "Export", CreatedAt: at, ExpiresAt: at}, {ID: 8, Name: "Old", Revoked: true, LastUsedAt: at}},
			err:  strongroom.FieldError("expires_in_days", "A token must expire in 1 to 366 days."), fields: []string{"name", "expires_in_days"},
			status: 400, contains: []string{"/t/demo/tokens/7/revoke", "Revoked", `value="400"`, `id="expires_in_days-error"`}, absent: []string{"/t/demo/tokens/8/revoke"}},
		{name: "token created", page: "token_created", me: staff, data: createdToken{Token: &identity.APIToken{Name: "Export", ExpiresAt: at}, Secret: "srt_secret"},
			contains: []string{"srt_secret"}},
		{name: "users", page: "admin_users", me: admin, data: []userRow{{User: user, Roles: []string{"Staff"}}},
			contains: []string{"locked since May 4, 2026", "Staff", "/t/demo/admin/users/2"}},
		{name: "new user", page: "admin_user", me: admin, data: userView{Roles: roles}, values: url.Values{"username": {"x y"}, "roles": {"2"}},
			err: strongroom.FieldError("username", "A user name may not hold spaces."), fields: userFields, status: 400,
			contains: []string{"New user", `id="username-error"`, `value="2" checked`, "/t/demo/admin/users/new"}, absent: []string{"Delete user"}},
		{name: "user", page: "admin_user", me: admin, values: userValues(user),
			data:   userView{User: user, Roles: roles, Failures: []identity.LoginFailure{{At: at, SourceIP: "203.0.113.9"}}, Sessions: sessions},
			err:    &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version", Message: "Someone else changed this user."},
			fields: userFields, status: 409,
			contains: []string{"Someone else changed this user.", `name="version" value="3"`, "Unlock pat", "/t/demo/admin/users/2/reset-totp", "203.0.113.9", `value="admin/users/2"`}},
		{name: "user secret", page: "admin_user_secret", me: admin, data: userSecret{User: user, Password: "abcde-fghij", Created: true},
			contains: []string{"User pat created", `<code id="temporary-password">abcde-fghij</code>`}},
		{name: "roles", page: "admin_roles", me: admin, data: []roleRow{{Role: roles[1], Summary: grantSummary(roles[1])}},
			contains: []string{"edit: cases", "read: reports, dashboards", "/t/demo/admin/roles/2/delete"}},
		{name: "role", page: "admin_role", me: admin, values: url.Values{"name": {"Clerk"}, "grant-cases": {"read"}, "grant-audit": {"deny"}},
			data: roleView{ID: 5, Areas: areaFields()}, err: strongroom.FieldError("grant-notes", "Unknown grant."), fields: []string{"name", "grant-notes"},
			status: 400, contains: []string{`<option value="read" selected>`, `<option value="deny" selected>`, `id="grant-notes-error"`, "/t/demo/admin/roles/5"}},
		{name: "classes", page: "admin_classes", me: admin, data: []identity.Class{{ID: 4, Name: "Merger X"}},
			contains: []string{"Merger X", "/t/demo/admin/classes/4/delete"}},
		{name: "settings", page: "admin_settings", me: admin, values: url.Values{"mfa": {"admins"}, "lockout_threshold": {"5"}, "locale": {"de-DE"}, "currency": {"EUR"}, "time_zone": {"Mars/Base"}},
			data: settingsPageView{Locales: format.Locales(), Currencies: format.CommonCurrencies(), Zones: format.CommonZones(), CeilingMiB: 4096},
			err:  strongroom.FieldError("time_zone", "Use a time zone name such as Europe/London."), fields: []string{"time_zone"}, status: 400,
			contains: []string{`<option value="admins" selected>`, `value="5"`, `<option value="de-DE" selected>`, `<option value="EUR" selected>`,
				`value="Mars/Base"`, `id="time_zone-error"`, "is-invalid", "4,096 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := view{Tenant: tenant, Me: tt.me, Form: form{Values: url.Values{}}, Page: tt.data}
			if tt.values != nil {
				v.Form.Values = tt.values
			}
			w := httptest.NewRecorder()
			if err := h.renderForm(w, tt.page, v, tt.err, tt.fields...); err != nil {
				t.Fatal(err)
			}
			want := tt.status
			if want == 0 {
				want = http.StatusOK
			}
			body := w.Body.String()
			if w.Code != want {
				t.Errorf("status %d, want %d", w.Code, want)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("no %q in\n%s", s, body)
				}
			}
			for _, s := range append(tt.absent, "<script", " style=", "javascript:") {
				if strings.Contains(body, s) {
					t.Errorf("%q in\n%s", s, body)
				}
			}
		})
	}
}

// The other pages share the layout: it must render with their data too.
func TestLayoutWithOtherPages(t *testing.T) {
	h := testHandler(t)
	for page, data := range map[string]any{
		"front":  nil,
		"error":  view{Page: errorPage{Status: 404, Message: "Page not found.", Home: "/"}},
		"tenant": map[string]any{"Tenant": &strongroom.Tenant{Slug: "demo", DisplayName: "Demo Law LLP"}},
	} {
		if h.pages[page] == nil {
			continue // tenant.html goes once GET /t/{slug}/ serves home
		}
		w := httptest.NewRecorder()
		if err := h.render(w, http.StatusOK, page, data); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if strings.Contains(w.Body.String(), "Sign out") {
			t.Errorf("%s shows a sign-out button", page)
		}
	}
}

// Errors the user cannot put right in the form go to the error page.
func TestRenderFormErrorPage(t *testing.T) {
	h := testHandler(t)
	for _, err := range []error{errTest("database on fire"), strongroom.Errorf(strongroom.EFORBIDDEN, "No."),
		strongroom.Errorf(strongroom.ENOTFOUND, "No such user.")} {
		w := httptest.NewRecorder()
		v := view{Tenant: &strongroom.Tenant{Slug: "demo"}, Form: form{Values: url.Values{}}}
		if got := h.renderForm(w, "login", v, err); got != err || w.Body.Len() != 0 {
			t.Errorf("%v should go to the error page, not into the form: %v %q", err, got, w.Body.String())
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestNoticesAreFixed(t *testing.T) {
	h := testHandler(t)
	tenant := &strongroom.Tenant{Slug: "demo", DisplayName: "Demo"}
	for _, q := range []string{"done=<b>hi</b>", "done=password"} {
		r := httptest.NewRequest("GET", "/t/demo/login?"+q, nil)
		v := view{Tenant: tenant, Notice: notices[r.URL.Query().Get("done")], Form: form{Values: url.Values{}}}
		w := httptest.NewRecorder()
		if err := h.render(w, http.StatusOK, "login", v); err != nil {
			t.Fatal(err)
		}
		if body := w.Body.String(); strings.Contains(body, "hi</b>") || strings.Contains(body, "&lt;b&gt;") ||
			(q == "done=password") != strings.Contains(body, "Your password has been changed.") {
			t.Errorf("%s: %s", q, body)
		}
	}
}

func TestSessionsReturn(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "sessions",
		"sessions":            "sessions",
		"admin/users/12":      "admin/users/12",
		"admin/users/12/../x": "sessions",
		"admin/users/-1":      "sessions",
		"//evil.example":      "sessions",
	} {
		if got := sessionsReturn(in); got != want {
			t.Errorf("sessionsReturn(%q) = %q, want %q", in, got, want)
		}
	}
}
