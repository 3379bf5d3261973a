package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServer_OwnPolicyKeepsFrameAncestors checks that a handler that sets a
// Content-Security-Policy of its own still answers with frame-ancestors
// 'none', whether it writes the header explicitly, writes the body at once
// or flushes first, and that a policy already forbidding framing is kept.
func TestServer_OwnPolicyKeepsFrameAncestors(t *testing.T) {
	mux := http.NewServeMux()
	own := func(policy string, write func(w http.ResponseWriter)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", policy)
			write(w)
		}
	}
	mux.Handle("GET /header", own("default-src 'none'; sandbox", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }))
	mux.Handle("GET /body", own("default-src 'none'", func(w http.ResponseWriter) { io.WriteString(w, "x") }))
	mux.Handle("GET /flush", own("sandbox", func(w http.ResponseWriter) { http.NewResponseController(w).Flush() }))
	mux.Handle("GET /none", own("", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }))
	mux.Handle("GET /kept", own("default-src 'none'; frame-ancestors 'none'", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }))
	ts := MustOpen(t, Config{}, mux)
	for _, path := range []string{"/header", "/body", "/flush", "/none", "/kept"} {
		resp, _ := ts.MustGet(t, path, nil)
		csp := resp.Header.Get("Content-Security-Policy")
		if strings.Count(csp, "frame-ancestors 'none'") != 1 {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	resp, _ := ts.MustGet(t, "/header", nil)
	if got := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'; sandbox") {
		t.Errorf("the handler's own policy was replaced: %q", got)
	}
}
