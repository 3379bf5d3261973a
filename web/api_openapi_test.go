package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// apiRoute is a route of the JSON API as the document names it: the
// lower-case method and the OpenAPI path.
type apiRoute struct{ method, path string }

func (r apiRoute) String() string { return strings.ToUpper(r.method) + " " + r.path }

// routeOf turns a ServeMux pattern into an API route; ok is false for
// routes outside /api/v1/.
func routeOf(pattern string) (apiRoute, bool) {
	method, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/api/v1/") {
		return apiRoute{}, false
	}
	return apiRoute{strings.ToLower(method), strings.TrimSuffix(path, "{$}")}, true
}

// TestAPIDocumentCoversRoutes fails when a route under /api/v1/ has no
// operation in the API document (openapi_doc.go), or the document
// describes an operation that no route serves.
func TestAPIDocumentCoversRoutes(t *testing.T) {
	h, err := New(nil, Services{}, slog.New(slog.DiscardHandler), Config{})
	if err != nil {
		t.Fatal(err)
	}
	doc := apiDocument()
	var routes []apiRoute
	for _, p := range h.Routes() {
		r, ok := routeOf(p)
		if !ok {
			continue
		}
		routes = append(routes, r)
		if doc.Paths[r.path][r.method] == nil {
			t.Errorf("route %s has no operation in the API document: add d.op(%q, %q, …) to web/openapi_doc.go",
				r, strings.ToUpper(r.method), strings.TrimPrefix(r.path, "/api/v1/t/{slug}/"))
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			if !slices.Contains(routes, apiRoute{method, path}) {
				t.Errorf("the API document describes %s %s, which no route serves", strings.ToUpper(method), path)
			}
		}
	}
	if len(routes) < 80 {
		t.Fatalf("only %d API routes found", len(routes))
	}
}

// TestAPIDocumentIsValid loads the served document with kin-openapi and
// validates it as OpenAPI 3.1, examples and all.
func TestAPIDocumentIsValid(t *testing.T) {
	b, err := APIDocument()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Summary == "" || len(op.Responses.Map()) == 0 {
				t.Errorf("%s %s: no summary or no responses", method, path)
			}
		}
	}
}

// TestAPIDocumentServed checks the public document and its page: no
// sign-in, cache headers, a revalidation by ETag, and no tenant in it.
func TestAPIDocumentServed(t *testing.T) {
	h, err := New(nil, Services{}, slog.New(slog.DiscardHandler), Config{HostSuffix: "example.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"strongroom.example", "demo.example.test"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "https://"+host+"/api/v1/openapi.json", nil)
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" ||
			!strings.Contains(rec.Header().Get("Cache-Control"), "max-age") || rec.Header().Get("ETag") == "" {
			t.Fatalf("%s: %d %v", host, rec.Code, rec.Header())
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["openapi"] != "3.1.0" {
			t.Fatalf("%s: not an OpenAPI 3.1 document: %v", host, err)
		}
		if strings.Contains(rec.Body.String(), "demo") {
			t.Errorf("%s: the document names a tenant", host)
		}
		again := httptest.NewRequest("GET", "https://"+host+"/api/v1/openapi.json", nil)
		again.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		rec2 := httptest.NewRecorder()
		h.ServeHTTP(rec2, again)
		if rec2.Code != http.StatusNotModified || rec2.Body.Len() != 0 {
			t.Errorf("%s: revalidation: %d", host, rec2.Code)
		}

		page := httptest.NewRecorder()
		h.ServeHTTP(page, httptest.NewRequest("GET", "https://"+host+"/api/v1/", nil))
		body := page.Body.String()
		for _, want := range []string{"<h1>Strongroom API</h1>", "/api/v1/t/{slug}/cases/{id}", "Authorization: Bearer", "schema-Error", `href="/api/v1/openapi.json"`} {
			if page.Code != 200 || !strings.Contains(body, want) {
				t.Errorf("%s: reference page: %d, lacks %q", host, page.Code, want)
			}
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
			t.Errorf("%s: the page has inline script or style", host)
		}
	}
}
