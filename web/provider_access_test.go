package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/operators"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// TestOperatorIsReadOnly serves requests of an operator under a grant
// through asOperator, as authedScope does once the console's session and
// the grant are found: nothing but GET and HEAD, none of the workspace's
// administration or account pages, a principal of the grant's scope named
// operator:NAME, and every request in the tenant's trail without its query.
func TestOperatorIsReadOnly(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		th, ids := seedtest.Tenant(t, e)
		h, err := New(nil, Services{Identity: ids}, slog.New(slog.DiscardHandler), Config{})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		op := &operators.Operator{ID: 7, Name: "olga", DisplayName: "Olga Operator"}
		g := &grants.Grant{ID: 5, Tenant: "firm", OperatorID: 7, OperatorName: "olga", Reason: grants.Support, Ticket: "SUP-9",
			Scope: grants.Scope{Areas: []access.Area{access.Cases}}, State: grants.Active, StartsAt: now, EndsAt: now.Add(time.Hour)}
		var seen *identity.Principal
		fn := func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
			seen = p
			w.WriteHeader(http.StatusOK)
			return nil
		}
		for _, c := range []struct {
			method, path string
			want         int
			served       bool
		}{
			{"GET", "/t/firm/cases?q=secret+client", 200, true},
			{"HEAD", "/t/firm/", 200, true},
			{"GET", "/api/v1/t/firm/cases", 200, true},
			{"POST", "/t/firm/cases", 403, false},
			{"POST", "/t/firm/logout", 403, false},
			{"PUT", "/api/v1/t/firm/ip-allowlist", 403, false},
			{"DELETE", "/api/v1/t/firm/dashboards/1", 403, false},
			{"GET", "/t/firm/admin/users", 403, false},
			{"GET", "/t/firm/admin/provider-access", 403, false},
			{"GET", "/t/firm/tokens", 403, false},
			{"GET", "/t/firm/sessions", 403, false},
			{"GET", "/t/firm/passkeys", 403, false},
			{"GET", "/api/v1/t/firm/kiosk-links", 403, false},
		} {
			seen = nil
			w := httptest.NewRecorder()
			r := httptest.NewRequestWithContext(context.Background(), c.method, c.path, nil)
			if err := h.asOperator(w, r, th, op, g, fn, identity.ScopeFull); err != nil {
				t.Fatal(err)
			}
			if w.Code != c.want || (seen != nil) != c.served {
				t.Errorf("%s %s: %d served=%v, want %d served=%v", c.method, c.path, w.Code, seen != nil, c.want, c.served)
			}
			if seen != nil {
				if seen.AuditActor() != (audit.Actor{Kind: audit.ActorOperator, ID: "olga"}) || seen.User.ID >= 0 ||
					seen.Subject.Allowed(access.Cases, access.Edit) || seen.Subject.Allowed(access.Financial, access.Read) ||
					seen.RequireAdmin() == nil {
					t.Errorf("%s %s: principal %+v", c.method, c.path, seen)
				}
			}
		}
		evs, err := th.Audit.Events(context.Background(), 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		var reqs []audit.Event
		for _, e := range evs {
			if e.Action == "operator.request" {
				reqs = append(reqs, e)
			}
		}
		if len(reqs) != 13 {
			t.Fatalf("%d operator.request events, want 13", len(reqs))
		}
		first := reqs[0]
		if first.Details["path"] != "/t/firm/cases" || first.Details["status"] != "200" || first.Details["grant"] != "5" ||
			first.Actor.ID != "olga" || strings.Contains(first.Details["path"], "secret") {
			t.Fatalf("first request: %+v", first)
		}
		if reqs[3].Details["status"] != "403" || reqs[3].Details["method"] != "POST" {
			t.Fatalf("refused POST: %+v", reqs[3])
		}
		rep, err := th.Audit.Verify(context.Background())
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// TestOperatorWithoutGrantIsAnonymous walks every tenant route with the
// operator console's cookie and no tenant session: with no grant the answer
// is exactly the anonymous visitor's.
func TestOperatorWithoutGrantIsAnonymous(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		th, ids := seedtest.Tenant(t, e)
		reg := oneTenant{th}
		control, err := e.OpenControl(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer control.Close()
		gs := grants.New(control, reg, nil)
		k, err := keys.Open(context.Background(), filepath.Join(t.TempDir(), "master.key"), true)
		if err != nil {
			t.Fatal(err)
		}
		ops := operators.New(control, k, password.NewHasher(password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0), slog.New(slog.DiscardHandler))
		h, err := New(reg, Services{Identity: ids, Operators: ops, Grants: gs}, slog.New(slog.DiscardHandler), Config{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, pat := range h.Routes() {
			method, path, ok := strings.Cut(pat, " ")
			if !ok || !(strings.Contains(path, "/t/{slug}/")) || strings.Contains(path, "/scim/") {
				continue
			}
			path = strings.NewReplacer("{slug}", "firm", "{$}", "", "{id}", "1", "{type}", "contact", "{action}", "x",
				"{format}", "csv", "{kind}", "notes", "{rid}", "1", "{vid}", "1", "{wid}", "1", "{token}", "x", "{name}", "x", "{gid}", "1",
				"{provider}", "1", "{version}", "1", "{uid}", "1", "{record}", "1", "{path...}", "x").Replace(path)
			if strings.Contains(path, "{") {
				continue
			}
			answer := func(cookie bool) (int, string) {
				r := httptest.NewRequest(method, "https://example.test"+path, nil)
				if cookie {
					r.AddCookie(&http.Cookie{Name: operatorCookie, Value: "console-session"})
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code, w.Header().Get("Location")
			}
			c1, l1 := answer(false)
			c2, l2 := answer(true)
			if c1 != c2 || l1 != l2 {
				t.Errorf("%s %s: anonymous %d %q, operator without grant %d %q", method, path, c1, l1, c2, l2)
			}
			n++
		}
		if n < 50 {
			t.Fatalf("only %d tenant routes walked", n)
		}
	})
}

// oneTenant hands out one tenant's handle.
type oneTenant struct{ h *tenancy.Handle }

func (o oneTenant) Get(_ context.Context, slug string) (*tenancy.Handle, func(), error) {
	if slug != o.h.Tenant.Slug {
		return nil, nil, strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	return o.h, func() {}, nil
}

// TestProviderAccessPagesRender draws the administrators' page (with a
// break-glass notice, a pending request and a grant's trail), the
// operator's page and a page under a grant with its banner. With
// STRONGROOM_SCREENSHOTS set it also writes them there as HTML.
func TestProviderAccessPagesRender(t *testing.T) {
	h := testHandler(t)
	h.formats, _ = newFormatCache()
	tenant := &strongroom.Tenant{Slug: "demo", DisplayName: "Demo Law LLP"}
	admin := testPrincipal(access.AdministratorRole, identity.User{})
	admin.ProviderNotices = 1
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pa := &providerAccess{Approval: "automatic", Pending: 1,
		Notices: []grants.Notice{{ID: 1, GrantID: 3, Operator: "olga", Reason: grants.BreakGlass, Ticket: "P1-OUTAGE", CreatedAt: at}},
		Grants: []grantRow{
			{ID: 4, Operator: "oscar", Reason: "incident", Ticket: "INC-7", Scope: "read-only: all areas; no classified records", State: "pending", Requested: rfc(at), Actions: []action{}},
			{ID: 3, Operator: "olga", Reason: "break_glass", Ticket: "P1-OUTAGE", Scope: "read-only: cases, documents; no classified records", State: "active",
				Requested: rfc(at), From: rfc(at), Until: rfc(at.Add(time.Hour)), Actions: []action{
					{Seq: 40, At: rfc(at), Actor: "operator:olga", Action: "provider_access.break_glass"},
					{Seq: 41, At: rfc(at.Add(time.Minute)), Actor: "operator:olga", Action: "operator.request", Method: "GET", Path: "/t/demo/cases", Status: "200"}}},
		}}
	v := view{Tenant: tenant, Me: admin, Form: form{Values: url.Values{}}, Page: pa, Here: "/t/demo/admin/provider-access"}
	op := &operators.Operator{ID: 7, Name: "olga", DisplayName: "Olga Operator"}
	g := &grants.Grant{ID: 3, Reason: grants.Support, Ticket: "SUP-9", State: grants.Active, StartsAt: at, EndsAt: at.Add(time.Hour)}
	under := grants.Principal(op, g, "")
	under.GrantText = "grant #3 (Customer-initiated support, SUP-9) until 1 Dec 2026 10:00 UTC"
	ov := &operatorView{Me: op, Active: "access", Form: form{Values: url.Values{"duration_minutes": {"60"}}}, Page: operatorAccessView{Operator: op,
		Requests: []grantRow{{ID: 3, Reason: "support", Ticket: "SUP-9", Scope: "read-only: all areas; no classified records", State: "active", From: rfc(at), Until: rfc(at.Add(time.Hour))}},
		Reasons:  grants.Reasons(), Areas: []access.Area{access.Cases, access.Documents}}}
	for _, c := range []struct {
		name, page string
		data       any
		want       []string
	}{
		{"admin", "admin_provider_access", v, []string{"Break-glass access", "Acknowledge", "Approve", "Revoke", "GET /t/demo/cases", "id=\"break-glass-notice\""}},
		{"operator", "operator_access", ov, []string{"File a request", "SUP-9", "End now", "Operator console", `aria-current="page" href="/operator/access"`}},
		{"banner", "confirm", view{Tenant: tenant, Me: under, Form: form{Values: url.Values{}}, Page: confirmView{Title: "x"}},
			[]string{"You are working in <strong>Demo Law LLP</strong> as operator <strong>olga</strong> under grant #3", "operator <strong>olga</strong>"}},
	} {
		w := httptest.NewRecorder()
		render := h.render
		if ov, ok := c.data.(*operatorView); ok {
			render = func(w http.ResponseWriter, status int, page string, _ any) error {
				return h.renderOperator(w, status, page, ov)
			}
		}
		if err := render(w, http.StatusOK, c.page, c.data); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body := w.Body.String()
		for _, s := range c.want {
			if !strings.Contains(body, s) {
				t.Errorf("%s: no %q", c.name, s)
			}
		}
		if c.name == "banner" && strings.Contains(body, "id=\"sign-out\"") {
			t.Error("an operator is offered the tenant's sign-out")
		}
		if dir := os.Getenv("STRONGROOM_SCREENSHOTS"); dir != "" {
			static, _ := filepath.Abs("static")
			html := strings.ReplaceAll(body, `href="/static/`, `href="file://`+static+`/`)
			os.WriteFile(filepath.Join(dir, "provider-access-"+c.name+".html"), []byte(html), 0o644)
		}
	}
}
