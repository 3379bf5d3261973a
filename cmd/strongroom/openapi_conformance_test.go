package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"strongroom/web"
)

// Every /api/v1 exchange that the tests' HTTP clients make (startServer,
// newAPIClient) is checked against the API document that the server
// serves (web.APIDocument): the route must be an operation of the
// document, the status one of its responses and a JSON body must match
// the response's schema. A request the server accepted (2xx) must also
// match the operation's parameters and request body. A failure names the
// route, the status and what does not match. (That every query parameter
// the handlers read is described is checked in package web.)

// apiSpec is the loaded document and a ServeMux of its operations, which
// matches requests the way the server's own ServeMux does.
type apiSpec struct {
	doc   *openapi3.T
	mux   *http.ServeMux
	mu    sync.Mutex
	count map[string]int // "GET /api/v1/…" → exchanges checked
}

var loadAPISpec = sync.OnceValues(func() (*apiSpec, error) {
	b, err := web.APIDocument()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	s := &apiSpec{doc: doc, mux: http.NewServeMux(), count: map[string]int{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			pattern := path
			if strings.HasSuffix(pattern, "/") {
				pattern += "{$}"
			}
			s.count[method+" "+path] = 0
			s.mux.Handle(method+" "+pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m := r.Context().Value(matchKey{}).(*specMatch)
				m.route, m.params = route, map[string]string{}
				for _, p := range op.Parameters {
					if p.Value.In == "path" {
						m.params[p.Value.Name] = r.PathValue(p.Value.Name)
					}
				}
			}))
		}
	}
	return s, nil
})

type matchKey struct{}

type specMatch struct {
	route  *routers.Route
	params map[string]string
}

// match finds the operation of a request, as the server would route it.
func (s *apiSpec) match(req *http.Request) (*routers.Route, map[string]string) {
	m := &specMatch{}
	probe := httptest.NewRequest(req.Method, req.URL.RequestURI(), nil).WithContext(context.WithValue(context.Background(), matchKey{}, m))
	s.mux.ServeHTTP(httptest.NewRecorder(), probe)
	return m.route, m.params
}

// checkAPI wraps next so that every /api/v1 exchange is checked.
func checkAPI(t testing.TB, next http.RoundTripper) http.RoundTripper {
	spec, err := loadAPISpec()
	if err != nil {
		t.Fatalf("the API document does not load: %v", err)
	}
	return &conformingTransport{t: t, spec: spec, next: next}
}

type conformingTransport struct {
	t    testing.TB
	spec *apiSpec
	next http.RoundTripper
}

func (c *conformingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || req.Method == http.MethodHead {
		return c.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.GetBody != nil && isJSON(req.Header.Get("Content-Type")) {
		if rc, err := req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	var respBody []byte
	if isJSON(resp.Header.Get("Content-Type")) {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil { // hand the failure on; there is nothing whole to check
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
			return resp, nil
		}
		respBody = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	for _, problem := range c.spec.check(req, reqBody, resp, respBody) {
		c.t.Errorf("OpenAPI conformance: %s %.200s → %d: %s", req.Method, req.URL.RequestURI(), resp.StatusCode, problem)
	}
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

// tenantPath is the path of a request under the tenant's own prefix: a
// request to a tenant's host name (SLUG.SUFFIX/api/v1/…) is served as
// /api/v1/t/SLUG/….
func tenantAPIPath(req *http.Request) string {
	p := req.URL.Path
	if strings.HasPrefix(p, "/api/v1/t/") || p == "/api/v1/" || p == "/api/v1/openapi.json" {
		return p
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if slug, _, ok := strings.Cut(host, "."); ok && !strings.ContainsAny(slug, ":") && (slug[0] < '0' || slug[0] > '9') {
		return "/api/v1/t/" + slug + "/" + strings.TrimPrefix(p, "/api/v1/")
	}
	return p
}

func (s *apiSpec) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) []string {
	ctx := context.Background()
	probe := req.Clone(ctx)
	probe.URL.Path, probe.URL.RawPath = tenantAPIPath(req), ""
	route, params := s.match(probe)
	if route == nil {
		// No operation: the server must have answered that there is no such page.
		if resp.StatusCode != http.StatusNotFound {
			return []string{"no operation of the API document matches this request (add it to web/openapi_doc.go)"}
		}
		return s.checkError(respBody)
	}
	s.mu.Lock()
	s.count[route.Method+" "+route.Path]++
	s.mu.Unlock()
	where := route.Method + " " + route.Path

	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	var problems []string
	if resp.StatusCode < 300 {
		// The server took the request: the document must describe it.
		if reqBody == nil {
			in.Options.ExcludeRequestBody = true
		} else {
			probe.Body = io.NopCloser(bytes.NewReader(reqBody))
			probe.ContentLength = int64(len(reqBody))
		}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			problems = append(problems, fmt.Sprintf("the request does not match %s in the API document: %v", where, err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: respBody == nil, MultiError: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, fmt.Sprintf("the response does not match %s in the API document: %v (body %.300s)", where, err, respBody))
	}
	return problems
}

// checkError checks an answer of no operation: the Error body.
func (s *apiSpec) checkError(body []byte) []string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{"the answer is not a JSON error body: " + string(body)}
	}
	if err := s.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return []string{"the answer does not match the Error schema: " + err.Error()}
	}
	return nil
}

// TestMain keeps every test away from the real user's configuration (a
// server started without --master-key-file keeps its key there) and, in
// verbose runs, lists the API operations no test exercised.
func TestMain(m *testing.M) {
	config, err := os.MkdirTemp("", "strongroom-test-config-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CONFIG_HOME", config)
	code := m.Run()
	os.RemoveAll(config)
	if testing.Verbose() {
		if spec, err := loadAPISpec(); err == nil {
			var idle []string
			for op, n := range spec.count {
				if n == 0 {
					idle = append(idle, op)
				}
			}
			sort.Strings(idle)
			if len(idle) == len(spec.count) {
				os.Exit(code) // no API exchange in this run
			}
			fmt.Printf("OpenAPI conformance: %d of %d operations exercised; not exercised: %s\n",
				len(spec.count)-len(idle), len(spec.count), strings.Join(idle, ", "))
		}
	}
	os.Exit(code)
}

// TestAPIConformanceCatchesMismatch shows that the check fails on a
// response that does not match the document, naming route, status and
// field.
func TestAPIConformanceCatchesMismatch(t *testing.T) {
	spec, err := loadAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://127.0.0.1/api/v1/t/demo/me/tokens", nil)
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{200, `{"tokens":[{"id":1,"name":"ci","created_at":"2026-01-02T03:04:05Z","expires_at":"2026-02-02T03:04:05Z","revoked":false,"colour":"red"}]}`, "colour"},
		{200, `{"tokens":[{"id":"one","name":"ci","created_at":"2026-01-02T03:04:05Z","expires_at":"2026-02-02T03:04:05Z","revoked":false}]}`, "id"},
		{418, `{"error":{"code":"invalid","message":"No."}}`, "status is not supported"},
		{404, `{"error":{"code":"not_found"}}`, "message"},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}}}
		problems := spec.check(req, nil, resp, []byte(tc.body))
		if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tc.want) {
			t.Errorf("%d %s: problems %q, want one naming %q", tc.status, tc.body, problems, tc.want)
		}
	}
	ok := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	if p := spec.check(req, nil, ok, []byte(`{"tokens":[]}`)); len(p) != 0 {
		t.Errorf("a matching answer: %q", p)
	}
	// A request the server took must match the document too.
	post := httptest.NewRequest("POST", "https://127.0.0.1/api/v1/t/demo/classes", nil)
	post.Header.Set("Content-Type", "application/json")
	created := &http.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"application/json"}}}
	p := spec.check(post, []byte(`{"name":"Privileged","colour":"red"}`), created, []byte(`{"class":{"id":1,"name":"Privileged","description":""}}`))
	if len(p) == 0 || !strings.Contains(p[0], "colour") {
		t.Errorf("an undescribed request field: %q", p)
	}
}
