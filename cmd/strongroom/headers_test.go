package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestResponsesForbidFraming checks that every kind of response keeps
// frame-ancestors 'none' in its Content-Security-Policy, including those
// that set a policy of their own (downloads): pages, API answers, error
// pages, static files, downloads and exports.
func TestResponsesForbidFraming(t *testing.T) {
	m, adminTemp := engineServer(t, "sqlite", nil)
	f := newDocFixture(t, m, adminTemp)
	c := f.admin
	api, pages := c.base, m.URL()+"t/demo/"
	doc := fmt.Sprintf("documents/%d/download", f.plain)
	targets := []struct{ method, url string }{
		{"GET", m.URL()},
		{"GET", m.URL() + "static/style.css"},
		{"GET", m.URL() + "no-such-page"},
		{"GET", api + "no-such-route"},
		{"GET", api + "me"},
		{"GET", api + doc},
		{"HEAD", api + doc},
		{"GET", api + doc + "?version=1"},
		{"GET", api + doc + "?version=x"},
		{"GET", pages + doc},
		{"GET", pages + "cases"},
		{"GET", api + "reports/cases/csv"},
		{"GET", pages + "audit/export.csv"},
		{"GET", api + "audit/checkpoint"},
		{"GET", m.URL() + "healthz"},
	}
	for _, tt := range targets {
		resp, _ := c.send(tt.method, tt.url, "", nil)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: %d, Content-Security-Policy %q, X-Frame-Options %q", tt.method, tt.url, resp.StatusCode, csp, resp.Header.Get("X-Frame-Options"))
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s: %d", tt.method, tt.url, resp.StatusCode)
		}
	}
	// A download keeps its own, stricter policy as well.
	resp, _ := c.send("GET", api+doc, "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("download policy %q", csp)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("download: %d", resp.StatusCode)
	}
}
