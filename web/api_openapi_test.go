package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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

// queryReads finds the query parameters read in a file of the API:
// q.Get("name"), v["name"], {"name", func…} and the audit filter fields.
var queryReads = regexp.MustCompile(`(?:Query\(\)|\bq|\bv|\braw)\.Get\("([a-z_]+)"\)|\bv\["([a-z_]+)"\]|\{"([a-z_]+)", func\(`)

// apiFiles are the files whose handlers read query parameters, with the
// tag of the operations they serve.
var apiFiles = map[string][]string{
	"api_cases.go": {"Cases", "Case records"}, "api_cases_import.go": {"Cases"}, "api_cases_records.go": {"Case records"},
	"api_documents.go": {"Documents"}, "api_reports.go": {"Reports"}, "api_search.go": {"Search"}, "audit_view.go": {"Audit"},
	"api.go": {"Sign-in", "Administration"}, "api_audit.go": {"Audit"}, "api_metrics.go": {"Metrics"},
	"api_dashboards.go": {"Dashboards"},
	"api_sso.go":        {"Administration"},
}

// TestAPIDocumentListsQueryParameters fails when an API handler reads a
// query parameter that no operation of its kind describes.
func TestAPIDocumentListsQueryParameters(t *testing.T) {
	doc := apiDocument()
	described := map[string]map[string]bool{} // tag → query parameters
	for _, item := range doc.Paths {
		for _, op := range item {
			for _, p := range op.Parameters {
				if p.In == "query" {
					if described[op.Tags[0]] == nil {
						described[op.Tags[0]] = map[string]bool{}
					}
					described[op.Tags[0]][p.Name] = true
				}
			}
		}
	}
	files, _ := filepath.Glob("api*.go")
	files = append(files, "audit_view.go")
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, m := range queryReads.FindAllStringSubmatch(string(src), -1) {
			names[m[1]+m[2]+m[3]] = true
		}
		if file == "audit_view.go" {
			for _, n := range auditFilterFields {
				names[n] = true
			}
		}
		tags, known := apiFiles[file]
		if !known && len(names) > 0 {
			t.Errorf("%s reads query parameters %v: add the file and the tag of its operations to apiFiles here", file, slices.Sorted(maps.Keys(names)))
			continue
		}
		for name := range names {
			if !slices.ContainsFunc(tags, func(tag string) bool { return described[tag][name] }) {
				t.Errorf("%s reads the query parameter %q, which no %v operation of the API document describes: add .query(%q, …) to its d.op in web/openapi_doc.go",
					file, name, tags, name)
			}
		}
	}
}
