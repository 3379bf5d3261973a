package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// recorder is an API client that keeps every answer's body, so that a
// test can say what no answer held.
type recorder struct {
	*apiClient
	bodies []string
}

func (r *recorder) call(method, path string, body any) (int, map[string]any) {
	r.t.Helper()
	status, b := r.do(method, path, body)
	r.bodies = append(r.bodies, b)
	var out map[string]any
	json.Unmarshal([]byte(b), &out)
	return status, out
}

func (r *recorder) ok(method, path string, body any) map[string]any {
	r.t.Helper()
	status, out := r.call(method, path, body)
	if status >= 300 {
		r.t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

// fieldOf is the field an error answer names.
func fieldOf(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

// TestIntegrationsAPI runs the integrations API end to end on both
// engines, every exchange checked against the API document: a create,
// read, update and delete round trip; administrators only, as the pages;
// a credential that goes in and never comes out (not in a list, a read, an
// update, a test's error or the audit trail); the version check; another
// tenant's integration not found; and bad input named by its field.
func TestIntegrationsAPI(t *testing.T) {
	const leak = "LEAK-api-7f3c9a12e4"
	var seen []string // the Authorization headers the third-party API got
	third := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/deals" && r.Header.Get("Authorization") == "Bearer "+leak:
			fmt.Fprint(w, `{"results":[{"amount":"1500.5","stage":"won"},{"amount":20,"stage":"open"}]}`)
		case r.URL.Path == "/paged":
			// A careless API that puts the caller's token in its next link.
			fmt.Fprintf(w, `{"results":[{"amount":1}],"paging":{"next":"/page/%s"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(third.Close) // after the engines' subtests, which run side by side
	allow := func(c *ServeConfig) { c.Integrations.AllowCIDRs = prefixList{netip.MustParsePrefix("127.0.0.0/8")} }

	forEachServer(t, allow, func(t *testing.T, m *Main, adminTemp string) {
		seen = nil
		c := newAPIClient(t, m)
		c.signIn("admin", adminTemp)
		admin := &recorder{apiClient: c}
		config := func(path string) map[string]any {
			return map[string]any{"url": third.URL + path, "items": "results[*]", "value": "amount", "dims": map[string]string{"stage": "stage"},
				"metric": "crm.deal_amount", "auth": map[string]any{"kind": "bearer"}}
		}
		deals := map[string]any{"name": "crm-deals", "label": "CRM deals", "config": config("/deals"), "credential": leak,
			"interval_seconds": 3600, "enabled": false}

		// Plain http:// is refused, naming the URL, until it is allowed.
		status, out := admin.call("POST", "integrations", deals)
		if status != http.StatusBadRequest || fieldOf(out) != "config.url" {
			t.Fatalf("http:// without allow_http: %d %v", status, out)
		}
		deals["allow_http"] = true
		created := admin.ok("POST", "integrations", deals)["integration"].(map[string]any)
		id := num(created["id"])
		if created["credential"] != "set" || created["allow_http"] != true || num(created["version"]) != 1 || num(created["interval_seconds"]) != 3600 {
			t.Fatalf("created: %v", created)
		}
		path := fmt.Sprintf("integrations/%d", id)
		list := admin.ok("GET", "integrations", nil)["integrations"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["name"] != "crm-deals" {
			t.Fatalf("list: %v", list)
		}
		got := admin.ok("GET", path, nil)["integration"].(map[string]any)
		if got["label"] != "CRM deals" || got["credential"] != "set" || got["config"].(map[string]any)["url"] != third.URL+"/deals" {
			t.Fatalf("get: %v", got)
		}

		// The test pulls with the stored credential and writes nothing.
		tested := admin.ok("POST", path+"/test", nil)
		points, _ := tested["points"].([]any)
		if tested["ok"] != true || num(tested["total"]) != 2 || len(points) != 2 ||
			points[0].(map[string]any)["value"] != 1500.5 || points[0].(map[string]any)["dimensions"].(map[string]any)["stage"] != "won" {
			t.Fatalf("test: %v", tested)
		}
		if len(seen) != 1 || seen[0] != "Bearer "+leak {
			t.Fatalf("the API was asked with %q", seen)
		}
		if after := admin.ok("GET", path, nil)["integration"].(map[string]any); after["last_run_at"] != nil || num(after["version"]) != 1 {
			t.Fatalf("a test changed the integration: %v", after)
		}

		// An update without a credential keeps it; one from an old version
		// is refused and changes nothing.
		upd := admin.ok("PUT", path, map[string]any{"label": "CRM pipeline", "version": 1})["integration"].(map[string]any)
		if upd["label"] != "CRM pipeline" || upd["credential"] != "set" || num(upd["version"]) != 2 || upd["name"] != "crm-deals" {
			t.Fatalf("update: %v", upd)
		}
		if status, out := admin.call("PUT", path, map[string]any{"label": "Stale", "version": 1}); status != http.StatusConflict || fieldOf(out) != "version" {
			t.Fatalf("stale update: %d %v", status, out)
		}
		if status, out := admin.call("PUT", path, map[string]any{"label": "No version"}); status != http.StatusBadRequest || fieldOf(out) != "version" {
			t.Fatalf("update without a version: %d %v", status, out)
		}
		if got := admin.ok("GET", path, nil)["integration"].(map[string]any); got["label"] != "CRM pipeline" || num(got["version"]) != 2 {
			t.Fatalf("after refused updates: %v", got)
		}
		// Forbidding plain HTTP again with the URL still http:// is refused.
		if status, out := admin.call("PUT", path, map[string]any{"allow_http": false, "version": 2}); status != http.StatusBadRequest || fieldOf(out) != "config.url" {
			t.Fatalf("http:// after allow_http false: %d %v", status, out)
		}

		// Bad input: every problem named by its field, nothing saved.
		for _, tc := range []struct {
			name  string
			body  any
			raw   string
			field string
		}{
			{"unknown field", map[string]any{"name": "x", "colour": "red"}, "", "colour"},
			{"unknown field in config", map[string]any{"name": "x", "config": map[string]any{"url": "https://api.example.com", "secret_sauce": 1}}, "", "secret_sauce"},
			{"wrong type", map[string]any{"name": "x", "interval_seconds": "hourly"}, "", "interval_seconds"},
			{"malformed JSON", nil, `{"name": "x",`, "body"},
			{"bad name", map[string]any{"name": "CRM Deals!", "label": "x", "config": config("/deals"), "allow_http": true, "credential": leak}, "", "name"},
			{"interval too short", map[string]any{"name": "x", "label": "x", "config": config("/deals"), "allow_http": true, "credential": leak, "interval_seconds": 60}, "", "interval_seconds"},
			{"no credential", map[string]any{"name": "x", "label": "x", "config": config("/deals"), "allow_http": true}, "", "credential"},
			{"credential header", map[string]any{"name": "x", "label": "x", "allow_http": true, "credential": leak,
				"config": map[string]any{"url": third.URL, "value": "v", "metric": "m", "headers": map[string]string{"X-Api-Token": leak}}}, "", "config.headers"},
		} {
			var status int
			var b string
			if tc.raw != "" {
				status, b = c.csSend("POST", c.base+"integrations", "application/json", []byte(tc.raw))
			} else {
				status, b = c.do("POST", "integrations", tc.body)
			}
			admin.bodies = append(admin.bodies, b)
			var out map[string]any
			json.Unmarshal([]byte(b), &out)
			if status != http.StatusBadRequest || fieldOf(out) != tc.field {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.name, status, b, tc.field)
			}
		}
		if n := len(admin.ok("GET", "integrations", nil)["integrations"].([]any)); n != 1 {
			t.Fatalf("%d integrations after bad input", n)
		}

		// A failed test says why, with the credential redacted from what
		// the third-party API put in its link.
		paged := map[string]any{"name": "crm-paged", "label": "Paged", "allow_http": true, "credential": leak, "enabled": false,
			"config": map[string]any{"url": third.URL + "/paged", "items": "results[*]", "value": "amount", "metric": "crm.paged",
				"auth": map[string]any{"kind": "bearer"}, "pagination": map[string]any{"kind": "next_url", "next_url": "paging.next"}}}
		pid := num(admin.ok("POST", "integrations", paged)["integration"].(map[string]any)["id"])
		failed := admin.ok("POST", fmt.Sprintf("integrations/%d/test", pid), nil)
		e, _ := failed["error"].(map[string]any)
		if msg, _ := e["message"].(string); failed["ok"] != false || !strings.Contains(msg, "/page/[redacted]") || !strings.Contains(msg, "404") {
			t.Fatalf("failed test: %v", failed)
		}
		// A new credential replaces the one set, and is not shown either.
		rep := admin.ok("PUT", fmt.Sprintf("integrations/%d", pid), map[string]any{"credential": leak + "-2", "version": 1})["integration"].(map[string]any)
		if rep["credential"] != "set" || num(rep["version"]) != 2 {
			t.Fatalf("replaced credential: %v", rep)
		}
		// Without authentication the credential is removed.
		none := admin.ok("PUT", fmt.Sprintf("integrations/%d", pid), map[string]any{"config": map[string]any{"url": third.URL + "/paged",
			"items": "results[*]", "value": "amount", "metric": "crm.paged"}, "version": 2})["integration"].(map[string]any)
		if none["credential"] != "not set" {
			t.Fatalf("no authentication: %v", none)
		}

		// Administrators only, as the pages: a user without the
		// administration area is refused both, one who may read it reads.
		role := func(name, grant string) int64 {
			return num(admin.ok("POST", "roles", map[string]any{"name": name, "grants": map[string]string{"cases": "read", "administration": grant}})["role"].(map[string]any)["id"])
		}
		user := func(name string, role int64) *recorder {
			res := admin.ok("POST", "users", map[string]any{"username": name, "display_name": "Person " + name, "roles": []int64{role}})
			u := newAPIClient(t, m)
			u.signIn(name, res["temporary_password"].(string))
			return &recorder{apiClient: u}
		}
		staff, reader := user("staff", role("no-admin", "deny")), user("reader", role("admin-reader", "read"))
		pageStatus, _ := staff.csPage("GET", "admin/integrations")
		for _, op := range []struct{ method, path string }{{"GET", "integrations"}, {"GET", path}, {"PUT", path}, {"DELETE", path}, {"POST", path + "/test"}} {
			status, out := staff.call(op.method, op.path, map[string]any{"label": "Mine", "version": 2})
			if op.method == "GET" || op.method == "DELETE" || strings.HasSuffix(op.path, "/test") {
				status, out = staff.call(op.method, op.path, nil)
			}
			if status != http.StatusForbidden || status != pageStatus || strings.Contains(mustJSON(t, out), "CRM") {
				t.Errorf("staff: %s %s: %d (the page %d) %v", op.method, op.path, status, pageStatus, out)
			}
		}
		if got := reader.ok("GET", path, nil)["integration"].(map[string]any); got["credential"] != "set" {
			t.Errorf("reader: %v", got)
		}
		for _, op := range []struct {
			method, path string
			body         any
		}{{"POST", "integrations", deals}, {"PUT", path, map[string]any{"label": "Mine", "version": 2}}, {"DELETE", path, nil}, {"POST", path + "/test", nil}} {
			if status, _ := reader.call(op.method, op.path, op.body); status != http.StatusForbidden {
				t.Errorf("reader: %s %s: %d, want 403", op.method, op.path, status)
			}
		}

		// Another tenant's administrator finds no such integration.
		if _, err := m.app.tenants.Create(context.Background(), "other", "Other LLP"); err != nil {
			t.Fatal(err)
		}
		oc := newAPIClient(t, m)
		oc.base = m.URL() + "api/v1/t/other/"
		oc.signIn("admin", m.app.adminPassword)
		other := &recorder{apiClient: oc}
		if list := other.ok("GET", "integrations", nil)["integrations"].([]any); len(list) != 0 {
			t.Errorf("the other tenant lists %v", list)
		}
		for _, op := range []struct {
			method string
			body   any
		}{{"GET", nil}, {"PUT", map[string]any{"label": "Taken", "version": 2}}, {"POST", nil}, {"DELETE", nil}} {
			p := path
			if op.method == "POST" {
				p += "/test"
			}
			if status, _ := other.call(op.method, p, op.body); status != http.StatusNotFound {
				t.Errorf("the other tenant: %s %s: %d, want 404", op.method, p, status)
			}
		}
		if got := admin.ok("GET", path, nil)["integration"].(map[string]any); got["label"] != "CRM pipeline" {
			t.Errorf("after the other tenant: %v", got)
		}

		// Delete, then it is gone.
		admin.ok("DELETE", path, nil)
		if status, _ := admin.call("GET", path, nil); status != http.StatusNotFound {
			t.Errorf("deleted: %d", status)
		}

		// The credential is in no answer and nowhere in the audit trail,
		// which holds every change and test.
		events, raw := auditEvents(t, c, "object_type=integration&limit=200")
		trail := mustJSON(t, raw)
		for _, action := range []string{"integration.create", "integration.update", "integration.test", "integration.allow_http", "integration.delete"} {
			if !strings.Contains(trail, `"`+action+`"`) {
				t.Errorf("no %s in the audit trail (%d events)", action, len(events))
			}
		}
		for who, bodies := range map[string][]string{"admin": admin.bodies, "staff": staff.bodies, "reader": reader.bodies, "other": other.bodies, "audit": {trail}} {
			for _, b := range bodies {
				if strings.Contains(b, leak) {
					t.Fatalf("%s: an answer holds the credential: %.300s", who, b)
				}
			}
		}
	})
}
