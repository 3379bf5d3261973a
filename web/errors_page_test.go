package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"strongroom"
	"strongroom/store"
	"strongroom/tenancy"
)

// noTenants is a tenant registry that cannot answer: a database that is down.
type noTenants struct{ err error }

func (n noTenants) Get(context.Context, string) (*tenancy.Handle, func(), error) {
	return nil, nil, n.err
}

// The error page is shown even when the tenant or the session cannot be
// loaded; its way back leads to the tenant's start page, not "/"; and
// without a session it names no tenant.
func TestErrorPageFallsBackToThePlainPage(t *testing.T) {
	h := testHandler(t)
	h.cfg.Faults = store.NewFaults(h.log)
	for _, tenants := range []Tenants{nil, noTenants{strongroom.Errorf(strongroom.EUNAVAILABLE, "down")},
		noTenants{strongroom.Errorf(strongroom.ENOTFOUND, "no")}} {
		h.tenants = tenants
		for _, path := range []string{"/t/acme/cases/99", "/t/acme/", "/nowhere", "/t/Not_A_Slug/x"} {
			r := httptest.NewRequest("GET", path, nil)
			r.AddCookie(&http.Cookie{Name: sessionCookie("acme"), Value: "stale"})
			w := httptest.NewRecorder()
			h.renderError(w, r, strongroom.Errorf(strongroom.ENOTFOUND, "Page not found."))
			body := w.Body.String()
			if w.Code != http.StatusNotFound || !strings.Contains(body, "Page not found.") || strings.Contains(body, "Sign out") {
				t.Fatalf("%s: %d\n%s", path, w.Code, body)
			}
			want := `href="/"`
			if strings.HasPrefix(path, "/t/acme/") {
				want = `href="/t/acme/"`
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s: the way back is not %s:\n%s", path, want, body)
			}
		}
	}
}
