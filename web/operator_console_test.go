package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server without an operator realm has no console: every console path
// answers 404, and no operator cookie is believed.
func TestOperatorConsoleAbsent(t *testing.T) {
	h, err := New(nil, Services{}, slog.New(slog.DiscardHandler), Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"GET /operator/", "GET /operator/sign-in", "POST /operator/sign-in", "GET /operator/tenants", "POST /operator/tenants/acme/disable", "GET /operator/operators"} {
		method, path, _ := strings.Cut(p, " ")
		req := httptest.NewRequest(method, "https://example.test"+path, strings.NewReader("name=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: operatorCookie, Value: "forged"})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
}

// Every console page parses with the console layout.
func TestOperatorTemplates(t *testing.T) {
	pages, err := operatorTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"operator_sign_in", "operator_code", "operator_enrol", "operator_tenants", "operator_operators", "operator_confirm", "operator_events"} {
		if pages[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
}
