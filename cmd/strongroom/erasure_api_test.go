package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestErasureOverHTTPS: the subject access export and the erasure over the
// JSON API and the administration pages, every exchange checked against
// the API document. A non-administrator and another tenant's
// administrator are refused and learn nothing; afterwards none of the
// person's values is readable through the contact, search or audit API.
func TestErasureOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		w := &caseWorld{m: m, admin: admin}
		secret := "Marigold Featherstonehaugh"
		caseID := num(admin.must("POST", "cases", map[string]any{"title": "Estate of the late owner", "client": "Executors"})["case"].(map[string]any)["id"])
		part := admin.must("POST", fmt.Sprintf("cases/%d/contacts", caseID), map[string]any{"kind": "person", "name": secret,
			"email": "marigold.f@example.com", "phone": "+44 20 7946 0555", "role": "witness"})["contact"].(map[string]any)
		contactID := num(part["contact"].(map[string]any)["id"])
		partID := num(part["id"])
		exportPath := fmt.Sprintf("subjects/contact/%d/export", contactID)
		erasePath := fmt.Sprintf("subjects/contact/%d/erase", contactID)

		// Refused: staff with every area but administration, and the
		// administrator of another tenant. Neither answer names the person.
		staff := w.user(t, map[string]string{"cases": "edit", "contacts": "edit", "audit": "read", "administration": "read"}, false)
		for _, c := range []struct {
			method, path string
		}{{"GET", exportPath}, {"POST", erasePath}} {
			status, body := staff.do(c.method, c.path, nil)
			if status != http.StatusForbidden || strings.Contains(body, "Marigold") {
				t.Errorf("staff %s %s: %d %s", c.method, c.path, status, body)
			}
		}
		ctx := context.Background()
		if _, err := m.app.tenants.Create(ctx, "other", "Other LLP"); err != nil {
			t.Fatal(err)
		}
		outsider := newAPIClient(t, m)
		outsider.base = m.URL() + "api/v1/t/other/"
		outsider.signIn("admin", m.app.adminPassword)
		outsider.base = m.URL() + "api/v1/t/demo/"
		for _, c := range []struct{ method, path string }{{"GET", exportPath}, {"POST", erasePath}} {
			status, body := outsider.do(c.method, c.path, nil)
			if status != http.StatusUnauthorized || strings.Contains(body, "Marigold") {
				t.Errorf("other tenant's admin %s %s: %d %s", c.method, c.path, status, body)
			}
		}

		x := admin.must("GET", exportPath, nil)
		if fields := x["fields"].(map[string]any); fields["name"] != secret || fields["email"] != "marigold.f@example.com" {
			t.Errorf("export fields: %v", fields)
		}
		if evs := x["audit_events"].([]any); len(evs) == 0 || !strings.Contains(fmt.Sprint(evs), secret) {
			t.Errorf("export holds no opened audit event: %v", evs)
		}
		if status, body := admin.do("GET", "subjects/user/1/export", nil); status != http.StatusOK || !strings.Contains(body, `"username":"admin"`) {
			t.Errorf("export of the administrator: %d %s", status, body)
		}
		if status, body := admin.do("POST", "subjects/user/1/erase", nil); status != http.StatusConflict || !strings.Contains(body, "Disable the account first") {
			t.Errorf("erase an active user: %d %s", status, body)
		}
		for _, p := range []string{"subjects/contact/99999/erase", "subjects/robot/1/erase", "subjects/contact/x/erase"} {
			if status, _ := admin.do("POST", p, nil); status != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", p, status)
			}
		}

		before := map[string]bool{}
		for _, p := range []string{"audit/export.jsonl", fmt.Sprintf("contacts/%d", partID)} {
			_, body := admin.do("GET", p, nil)
			before[p] = strings.Contains(body, "Featherstonehaugh")
		}
		if !before[fmt.Sprintf("contacts/%d", partID)] {
			t.Fatalf("the contact does not show the name before the erasure: %v", before)
		}
		t.Logf("before the erasure, the person's name reads in: %v", before)

		done := admin.must("POST", erasePath, nil)
		if done["subject"] != fmt.Sprintf("contact:%d", contactID) {
			t.Errorf("erase: %v", done)
		}
		if status, _ := admin.do("POST", erasePath, nil); status != http.StatusNotFound {
			t.Errorf("erase twice: %d", status)
		}
		if status, _ := admin.do("GET", exportPath, nil); status != http.StatusNotFound {
			t.Errorf("export after erasure: %d", status)
		}
		testErasurePages(t, admin, staff, caseID)

		// The audit trail first: a search records what was searched for.
		for _, p := range []string{"audit/export.jsonl", fmt.Sprintf("cases/%d/contacts", caseID), fmt.Sprintf("contacts/%d", partID),
			"search?q=Featherstonehaugh"} {
			status, body := admin.do("GET", p, nil)
			if strings.Contains(body, "Featherstonehaugh") || strings.Contains(body, "marigold.f@example.com") || status >= 500 {
				t.Errorf("GET %s after erasure: %d shows the person: %s", p, status, body)
			}
		}
	})
}

// testErasurePages: Administration → Personal data lists the person with
// both actions; the export downloads JSON; the erase link leads to a
// confirmation page that states the consequence, whose button erases.
// A non-administrator is refused each page with nothing of the person.
func testErasurePages(t *testing.T, admin, staff *apiClient, caseID int64) {
	name := "Peregrine Ashdown-Vesey"
	part := admin.must("POST", fmt.Sprintf("cases/%d/contacts", caseID), map[string]any{"kind": "person", "name": name, "role": "expert"})
	id := num(part["contact"].(map[string]any)["contact"].(map[string]any)["id"])
	base := fmt.Sprintf("admin/personal-data/contact/%d/", id)
	for _, p := range []string{"admin/personal-data", base + "export", base + "erase"} {
		if status, _, body := staff.page(p); status != http.StatusForbidden || strings.Contains(body, "Peregrine") {
			t.Errorf("staff GET %s: %d", p, status)
		}
	}
	status, _, body := admin.page("admin/personal-data")
	if status != 200 || !strings.Contains(body, name) || !strings.Contains(body, base+"export") || !strings.Contains(body, base+"erase") ||
		!strings.Contains(body, "Export personal data") || !strings.Contains(body, "Erase personal data") {
		t.Fatalf("personal data page: %d %s", status, body)
	}
	status, hdr, body := admin.page(base + "export")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment") || !strings.Contains(body, `"name": "`+name+`"`) {
		t.Errorf("export download: %d %v %s", status, hdr, body)
	}
	status, _, body = admin.page(base + "erase")
	if status != 200 || !strings.Contains(body, "cannot be undone") || !strings.Contains(body, "every backup") ||
		!strings.Contains(body, `action="/t/demo/`+base+`erase"`) {
		t.Errorf("confirmation page: %d %s", status, body)
	}
	status, _, body = admin.page("admin/personal-data/user/1/erase")
	if status != 200 || !strings.Contains(body, "This account is active") || !strings.Contains(body, `action="/t/demo/admin/users/1/disable"`) {
		t.Errorf("erasing an active user's data asks to disable first: %d %s", status, body)
	}
	if status, body := staff.pageForm(base+"erase", nil); status != http.StatusForbidden || strings.Contains(body, "Peregrine") {
		t.Errorf("staff POST erase: %d", status)
	}
	if status, body := admin.pageForm(base+"erase", nil); status != http.StatusSeeOther {
		t.Fatalf("erase through the page: %d %s", status, body)
	}
	status, _, body = admin.page("admin/personal-data?erased=1")
	if status != 200 || strings.Contains(body, name) || !strings.Contains(body, "was erased") {
		t.Errorf("after erasure: %d %s", status, body)
	}
}
