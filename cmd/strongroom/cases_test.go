package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestCasesOverHTTPS runs the cases API and pages over real HTTPS on each
// engine. One server per engine serves every part: each part tags its cases
// so that it only ever looks at its own.
func TestCasesOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		w := newCaseWorld(t, m, admin)
		t.Run("CRUD and audit", func(t *testing.T) { testCasesCRUD(t, w) })
		t.Run("access matrix", func(t *testing.T) { testCasesMatrix(t, w) })
		t.Run("start page matrix", func(t *testing.T) { testHomeMatrix(t, w) })
		t.Run("bad input", func(t *testing.T) { testCasesBadInput(t, w) })
		t.Run("import", func(t *testing.T) { testCasesImport(t, w) })
		t.Run("pages", func(t *testing.T) { testCasesPages(t, w) })
	})
}

// caseWorld is the demo tenant with two security classes that the
// administrator holds (nobody may classify a record out of their own sight).
type caseWorld struct {
	m      *Main
	admin  *apiClient
	classA int64
	classB int64
	users  int
}

func newCaseWorld(t *testing.T, m *Main, admin *apiClient) *caseWorld {
	w := &caseWorld{m: m, admin: admin}
	w.classA = num(admin.must("POST", "classes", map[string]string{"name": "Local counsel A"})["class"].(map[string]any)["id"])
	w.classB = num(admin.must("POST", "classes", map[string]string{"name": "Local counsel B"})["class"].(map[string]any)["id"])
	me := admin.must("GET", "me", nil)["user"].(map[string]any)
	admin.must("PUT", fmt.Sprintf("users/%d", num(me["id"])), map[string]any{"classes": []int64{w.classA, w.classB}, "version": num(me["version"])})
	return w
}

// auditCount counts the tenant's audit events.
func (w *caseWorld) auditCount(t *testing.T) int {
	t.Helper()
	h, release, err := w.m.registry.Get(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	evs, err := h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// user makes a user with a new role of the given grants and signs them in.
func (w *caseWorld) user(t *testing.T, grants map[string]string, restricted bool, classes ...int64) *apiClient {
	t.Helper()
	w.users++
	name := fmt.Sprintf("cu%d", w.users)
	role := w.admin.must("POST", "roles", map[string]any{"name": "role " + name, "grants": grants})
	body := map[string]any{"username": name, "display_name": "Case user " + name, "restricted": restricted,
		"roles": []int64{num(role["role"].(map[string]any)["id"])}, "classes": classes}
	temp := w.admin.must("POST", "users", body)["temporary_password"].(string)
	c := newAPIClient(t, w.m)
	c.signIn(name, temp)
	return c
}

func csObj(m map[string]any, key string) map[string]any { v, _ := m[key].(map[string]any); return v }

func testCasesCRUD(t *testing.T, w *caseWorld) {
	a := w.admin
	before := w.auditCount(t)
	c := csObj(a.must("POST", "cases", map[string]any{"title": "Acme v. Widget", "client": "Acme", "tags": []string{"crud"},
		"classes": []int64{w.classA}}), "case")
	id := num(c["id"])
	if c["status"] != "open" || !strings.HasSuffix(c["number"].(string), "-00001") || num(c["version"]) != 1 {
		t.Fatalf("created %v", c)
	}
	fin := csObj(a.must("POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "invoice", "amount": "1234.5",
		"currency": "EUR", "occurred_on": "2026-03-01", "description": "March invoice"}), "financial_record")
	if fin["amount"] != "1234.50" || fin["own_classes"] != false || !slices.Equal(csIDs(fin["classes"]), []int64{w.classA}) {
		t.Fatalf("financial record %v", fin)
	}
	note := csObj(a.must("POST", fmt.Sprintf("cases/%d/notes", id), map[string]any{"title": "Strategy",
		"body": "**Plan** <script>alert(1)</script> [x](javascript:alert(2))"}), "note")
	if html := note["body_html"].(string); strings.Contains(html, "<script") || strings.Contains(html, "javascript:") || !strings.Contains(html, "<strong>Plan</strong>") {
		t.Fatalf("note html %q", html)
	}
	ev := csObj(a.must("POST", fmt.Sprintf("cases/%d/events", id), map[string]any{"kind": "deadline", "title": "Reply brief",
		"due_on": "2026-04-01", "remind_on": "2026-03-25"}), "event")
	ct := csObj(a.must("POST", fmt.Sprintf("cases/%d/contacts", id), map[string]any{"kind": "person", "name": "Jane Roe",
		"email": "jane@example.com", "role": "witness"}), "contact")
	if csObj(ct, "contact")["name"] != "Jane Roe" {
		t.Fatalf("contact %v", ct)
	}
	if n := w.auditCount(t); n != before+5 {
		t.Fatalf("%d audit events for 5 creations", n-before)
	}
	// Update with the version; a second update on the old one conflicts.
	up := csObj(a.must("PUT", fmt.Sprintf("cases/%d", id), map[string]any{"status": "pending", "version": 1}), "case")
	if up["status"] != "pending" || up["title"] != "Acme v. Widget" || num(up["version"]) != 2 {
		t.Fatalf("updated %v", up)
	}
	status, body := a.do("PUT", fmt.Sprintf("cases/%d", id), map[string]any{"title": "Overwritten", "version": 1})
	if status != http.StatusConflict || !strings.Contains(body, "Someone else changed this case") {
		t.Fatalf("stale update: %d %s", status, body)
	}
	status, body = a.do("PUT", fmt.Sprintf("financial/%d", num(fin["id"])), map[string]any{"amount": "99.99", "version": 7})
	if status != http.StatusConflict {
		t.Fatalf("stale financial update: %d %s", status, body)
	}
	a.must("PUT", fmt.Sprintf("events/%d", num(ev["id"])), map[string]any{"done": true, "version": 1})
	if n := w.auditCount(t); n != before+7 {
		t.Fatalf("%d audit events after two updates", n-before-5)
	}
	// Deleting a record, then the case: both gone, answered like missing.
	status, body = a.do("DELETE", fmt.Sprintf("notes/%d", num(note["id"])), nil)
	if status != http.StatusBadRequest || !strings.Contains(body, `"field":"version"`) {
		t.Fatalf("delete without version: %d %s", status, body)
	}
	a.must("DELETE", fmt.Sprintf("notes/%d?version=1", num(note["id"])), nil)
	a.must("DELETE", fmt.Sprintf("cases/%d?version=2", id), nil)
	s1, b1 := a.do("GET", fmt.Sprintf("cases/%d", id), nil)
	s2, b2 := a.do("GET", "cases/987654", nil)
	if s1 != 404 || s1 != s2 || b1 != b2 {
		t.Fatalf("deleted case %d %s, missing case %d %s", s1, b1, s2, b2)
	}
	s1, b1 = a.do("GET", fmt.Sprintf("financial/%d", num(fin["id"])), nil)
	s2, b2 = a.do("GET", "financial/987654", nil)
	if s1 != 404 || b1 != b2 {
		t.Fatalf("record of a deleted case %d %s, missing %d %s", s1, b1, s2, b2)
	}
	if n := w.auditCount(t); n != before+9 {
		t.Fatalf("%d audit events after two deletions", n-before-7)
	}
	// MDL groups: administrators create them, case editors assign them.
	g := csObj(a.must("POST", "mdl-groups", map[string]string{"code": "MDL 3004", "name": "Paraquat"}), "mdl_group")
	c2 := csObj(a.must("POST", "cases", map[string]any{"title": "In the group", "mdl_id": num(g["id"]), "tags": []string{"crud"}}), "case")
	list := a.must("GET", fmt.Sprintf("cases?mdl_id=%d", num(g["id"])), nil)["cases"].([]any)
	if len(list) != 1 || num(list[0].(map[string]any)["id"]) != num(c2["id"]) {
		t.Fatalf("cases of the group: %v", list)
	}
}

func csIDs(v any) []int64 {
	var out []int64
	for _, x := range v.([]any) {
		out = append(out, num(x))
	}
	return out
}

// testCasesMatrix checks, over HTTPS, what users with and without each
// area and class see of cases and records: lists hold exactly the visible
// ones, hidden ones answer exactly like missing ones, and a missing area is
// a 403 that carries no data.
func testCasesMatrix(t *testing.T, w *caseWorld) {
	a := w.admin
	type made struct {
		id, fin, note int64
		title         string
	}
	cs := map[string]made{}
	for name, classes := range map[string][]int64{"none": {}, "A": {w.classA}, "B": {w.classB}, "AB": {w.classA, w.classB}} {
		title := "Matrix secret " + name
		c := csObj(a.must("POST", "cases", map[string]any{"title": title, "tags": []string{"matrix"}, "classes": classes,
			"practice_group": "Matrix group " + name}), "case")
		id := num(c["id"])
		fin := csObj(a.must("POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "fee", "amount": "777.77",
			"currency": "USD", "occurred_on": "2026-01-01", "description": "Secret fee " + name}), "financial_record")
		note := csObj(a.must("POST", fmt.Sprintf("cases/%d/notes", id), map[string]any{"title": "Secret note " + name, "body": "x"}), "note")
		cs[name] = made{id, num(fin["id"]), num(note["id"]), title}
	}
	// A record with its own class inside case A: visible only with B.
	ownB := num(csObj(a.must("POST", fmt.Sprintf("cases/%d/financial", cs["A"].id), map[string]any{"kind": "fee", "amount": "1",
		"currency": "USD", "occurred_on": "2026-01-02", "description": "Own class B", "classes": []int64{w.classB}}), "financial_record")["id"])

	full := map[string]string{"cases": "edit", "financial": "edit", "notes": "read", "audit": "read"}
	noFinancial := map[string]string{"cases": "edit", "notes": "edit", "financial": "deny"}
	noCases := map[string]string{"financial": "edit"}
	sees := func(restricted bool, held []int64, classes []int64) bool {
		if len(classes) == 0 {
			return !restricted
		}
		for _, c := range classes {
			if slices.Contains(held, c) {
				return true
			}
		}
		return false
	}
	caseClasses := map[string][]int64{"none": nil, "A": {w.classA}, "B": {w.classB}, "AB": {w.classA, w.classB}}
	for _, u := range []struct {
		name       string
		grants     map[string]string
		restricted bool
		classes    []int64
	}{
		{"staff", full, false, nil},
		{"staff-A", full, false, []int64{w.classA}},
		{"counsel-A", full, true, []int64{w.classA}},
		{"counsel-B", full, true, []int64{w.classB}},
		{"counsel-none", full, true, nil},
		{"no-financial-A", noFinancial, true, []int64{w.classA}},
		{"no-cases", noCases, false, []int64{w.classA}},
		// Last: its write below adds a record to case B.
		{"staff-AB", full, false, []int64{w.classA, w.classB}},
	} {
		t.Run(u.name, func(t *testing.T) {
			c := w.user(t, u.grants, u.restricted, u.classes...)
			hasCases, hasFin := u.grants["cases"] != "", u.grants["financial"] == "edit"
			status, body := c.do("GET", "cases?tag=matrix", nil)
			if !hasCases {
				csForbidden(t, "case list", status, body)
			} else {
				var got, want []string
				for _, x := range csDecode(t, body)["cases"].([]any) {
					got = append(got, x.(map[string]any)["title"].(string))
				}
				for name, m := range cs {
					if sees(u.restricted, u.classes, caseClasses[name]) {
						want = append(want, m.title)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("case list %v, want %v", got, want)
				}
				if total := num(csDecode(t, body)["total"]); total != int64(len(want)) {
					t.Errorf("case list total %d, want %d", total, len(want))
				}
			}
			csCheckListPaths(t, c, hasCases, func(name string) bool { return sees(u.restricted, u.classes, caseClasses[name]) })
			for name, m := range cs {
				visible := sees(u.restricted, u.classes, caseClasses[name])
				csCheckRead(t, c, fmt.Sprintf("cases/%d", m.id), "cases/987654", hasCases, visible, m.title)
				csCheckRead(t, c, fmt.Sprintf("financial/%d", m.fin), "financial/987654", hasFin, visible, "Secret fee")
				// Records of the case: the case must be visible, and the area held.
				status, body := c.do("GET", fmt.Sprintf("cases/%d/financial", m.id), nil)
				switch {
				case !hasFin || !hasCases:
					csForbidden(t, "financial list", status, body)
				case !visible:
					if status != 404 || strings.Contains(body, "Secret") {
						t.Errorf("financial list of hidden case %s: %d %s", name, status, body)
					}
				default:
					// The records made above; users before this one may
					// have added others.
					list := slices.DeleteFunc(csDecode(t, body)["financial"].([]any), func(x any) bool {
						d, _ := x.(map[string]any)["description"].(string)
						return !strings.HasPrefix(d, "Secret fee") && d != "Own class B"
					})
					want := 1
					if name == "A" && sees(u.restricted, u.classes, []int64{w.classB}) {
						want = 2
					}
					if len(list) != want {
						t.Errorf("financial list of case %s: %d records, want %d", name, len(list), want)
					}
				}
				// The case page in the browser: hidden is the not-found page.
				ps, pb := c.csPage("GET", fmt.Sprintf("cases/%d", m.id))
				switch {
				case !hasCases && ps != 403, hasCases && !visible && ps != 404, hasCases && visible && ps != 200:
					t.Errorf("case page %s: %d", name, ps)
				}
				if ps == 200 && hasFin != strings.Contains(pb, "Secret fee") {
					t.Errorf("case page %s shows financial records: %v, area held: %v", name, !hasFin, hasFin)
				}
				if ps != 200 && strings.Contains(pb, "Matrix secret") {
					t.Errorf("refused case page %s leaks the title", name)
				}
			}
			csCheckRead(t, c, fmt.Sprintf("financial/%d", ownB), "financial/987654", hasFin, sees(u.restricted, u.classes, []int64{w.classB}), "Own class B")
			// The history of case A: a record of its own class B in it is
			// in the history only for those who may see class B.
			csCheckHistory(t, c, cs["A"].id, hasCases && u.grants["audit"] != "", sees(u.restricted, u.classes, []int64{w.classA}),
				sees(u.restricted, u.classes, []int64{w.classB}))
			// Writing: hidden is missing; no area is forbidden.
			status, body = c.do("POST", fmt.Sprintf("cases/%d/financial", cs["B"].id), map[string]any{"kind": "fee", "amount": "1",
				"currency": "EUR", "occurred_on": "2026-01-01"})
			switch {
			case !hasFin:
				csForbidden(t, "create financial", status, body)
			case !hasCases:
				csForbidden(t, "create financial without cases", status, body)
			case !sees(u.restricted, u.classes, []int64{w.classB}):
				if status != 404 {
					t.Errorf("create in hidden case: %d %s", status, body)
				}
			}
		})
	}
}

// csCheckListPaths checks what the case list page and the CSV exports
// (page and API) show of the matrix cases: the visible ones only, in the
// rows, the count and the practice groups offered.
func csCheckListPaths(t *testing.T, c *apiClient, hasCases bool, visible func(string) bool) {
	t.Helper()
	ps, page := c.csPage("GET", "cases?tag=matrix")
	apiStatus, apiCSV := c.do("GET", "cases/export.csv?tag=matrix&sort=title", nil)
	ds, pageCSV := c.csPage("GET", "cases/export.csv?tag=matrix&sort=title")
	if !hasCases {
		csForbidden(t, "case export", apiStatus, apiCSV)
		if ps != 403 || ds != 403 || strings.Contains(page+pageCSV, "Matrix") {
			t.Errorf("case list page %d, export %d without the cases area", ps, ds)
		}
		return
	}
	if ps != 200 || apiStatus != 200 || ds != 200 || apiCSV != pageCSV {
		t.Fatalf("case list page %d, exports %d and %d (the same: %v)", ps, apiStatus, ds, apiCSV == pageCSV)
	}
	lines := strings.Split(strings.TrimSpace(apiCSV), "\n")
	if lines[0] != "number,title,client,practice_group,status,opened_on,closed_on,updated_at,tags,responsible" {
		t.Errorf("export header %q", lines[0])
	}
	n := 0
	for _, name := range []string{"none", "A", "B", "AB"} {
		want := visible(name)
		if want {
			n++
		}
		if strings.Contains(apiCSV, "Matrix secret "+name+",") != want {
			t.Errorf("export lists case %s: %v, visible: %v", name, !want, want)
		}
		if strings.Contains(page, ">Matrix secret "+name+"<") != want || strings.Contains(page, `<option value="Matrix group `+name+`"`) != want {
			t.Errorf("list page shows case %s or offers its group: %v, visible: %v", name, !want, want)
		}
	}
	if len(lines) != n+1 {
		t.Errorf("export of %d lines, want a header and %d cases", len(lines), n)
	}
	if want := fmt.Sprintf(`id="case-count">%d case`, n); !strings.Contains(page, want) {
		t.Errorf("list page count: no %s", want)
	}
}

// csCheckHistory checks the history tab of a case holding a financial
// record of its own class: 403 without the audit area, the not-found page
// for a hidden case, and the record's events only for those who may see it.
func csCheckHistory(t *testing.T, c *apiClient, caseID int64, hasAudit, caseVisible, ownVisible bool) {
	t.Helper()
	status, body := c.csPage("GET", fmt.Sprintf("cases/%d?tab=history", caseID))
	ms, mb := c.csPage("GET", "cases/987654?tab=history")
	switch {
	case !caseVisible && hasAudit:
		if status != 404 || ms != 404 || body != mb {
			t.Errorf("history of a hidden case: %d; of a missing one: %d", status, ms)
		}
	case !caseVisible:
		if status != 404 && status != 403 || strings.Contains(body, "Matrix secret") {
			t.Errorf("history of a hidden case without the audit area: %d", status)
		}
	case !hasAudit:
		if status != 403 || strings.Contains(body, ">Financial record created<") {
			t.Errorf("history without the audit area: %d", status)
		}
	default:
		// The case, its financial record and its note were created; so
		// was the record of its own class.
		want := 1
		if ownVisible {
			want = 2
		}
		created, rows := strings.Count(body, ">Financial record created<"), strings.Count(body, `href="/t/demo/audit/events/`)
		if status != 200 || created != want || rows != want+2 {
			t.Errorf("history: %d with %d events, %d financial records created; want %d and %d", status, rows, created, want+2, want)
		}
	}
}

// checkRead GETs one record: 403 without the area (no data), 404 exactly
// like a missing record when hidden, 200 when visible.
func csCheckRead(t *testing.T, c *apiClient, path, missing string, area, visible bool, secret string) {
	t.Helper()
	status, body := c.do("GET", path, nil)
	switch {
	case !area:
		csForbidden(t, path, status, body)
	case !visible:
		ms, mb := c.do("GET", missing, nil)
		if status != 404 || status != ms || body != mb {
			t.Errorf("hidden %s: %d %s; missing: %d %s", path, status, body, ms, mb)
		}
	case status != 200 || !strings.Contains(body, secret):
		t.Errorf("visible %s: %d %s", path, status, body)
	}
}

func csForbidden(t *testing.T, what string, status int, body string) {
	t.Helper()
	if status != http.StatusForbidden || !strings.HasPrefix(body, `{"error":{"code":"forbidden"`) || strings.Contains(body, "Secret") ||
		strings.Contains(body, "Matrix") {
		t.Errorf("%s: %d %s, want a bare 403", what, status, body)
	}
}

func csDecode(t *testing.T, body string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return out
}

// page requests a page of the demo tenant with the client's session.
func (c *apiClient) csPage(method, path string) (int, string) {
	c.t.Helper()
	return c.csSend(method, strings.Replace(c.base, "/api/v1/t/demo/", "/t/demo/", 1)+path, "", nil)
}

// send makes a request with a raw body.
func (c *apiClient) csSend(method, u, contentType string, body []byte) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

func testCasesBadInput(t *testing.T, w *caseWorld) {
	a := w.admin
	c := csObj(a.must("POST", "cases", map[string]any{"title": "Bad input", "tags": []string{"bad"}}), "case")
	id := num(c["id"])
	before := w.auditCount(t)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"amount as a number", "POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "fee", "amount": 12.5, "currency": "EUR", "occurred_on": "2026-01-01"}, 400, "amount"},
		{"float-looking amount", "POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "fee", "amount": "1.25e2", "currency": "EUR", "occurred_on": "2026-01-01"}, 400, "amount"},
		{"too many decimals", "POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "fee", "amount": "0.00001", "currency": "EUR", "occurred_on": "2026-01-01"}, 400, "amount"},
		{"overflow", "POST", fmt.Sprintf("cases/%d/financial", id), map[string]any{"kind": "fee", "amount": "100000000000.5", "currency": "EUR", "occurred_on": "2026-01-01"}, 400, "amount"},
		{"bad date", "POST", fmt.Sprintf("cases/%d/events", id), map[string]any{"kind": "hearing", "title": "H", "due_on": "2026-02-29"}, 400, "due_on"},
		{"bad status", "PUT", fmt.Sprintf("cases/%d", id), map[string]any{"status": "dormant", "version": 1}, 400, "status"},
		{"unknown field", "POST", "cases", map[string]any{"title": "T", "colour": "red"}, 400, "colour"},
		{"unknown case", "POST", "cases/987654/notes", map[string]any{"title": "T", "body": ""}, 404, ""},
		{"malformed id", "GET", "cases/abc", nil, 404, ""},
		{"bad cursor", "GET", "cases?cursor=not-a-cursor", nil, 400, "cursor"},
		{"page too large", "GET", "cases?limit=500", nil, 400, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := a.do(tc.method, tc.path, tc.body)
			if status != tc.status || (tc.field != "" && !strings.Contains(body, `"field":"`+tc.field+`"`)) {
				t.Fatalf("%d %s, want %d naming %q", status, body, tc.status, tc.field)
			}
		})
	}
	if n := w.auditCount(t); n != before {
		t.Fatalf("bad input wrote %d audit events", n-before)
	}
}

func testCasesImport(t *testing.T, w *caseWorld) {
	a := w.admin
	post := func(kind, query, csv string) (int, map[string]any) {
		status, body := a.csSend("POST", a.base+"import/"+kind+query, "text/csv", []byte(csv))
		return status, csDecode(t, body)
	}
	count := func() int { return len(a.must("GET", "cases?tag=imported&limit=200", nil)["cases"].([]any)) }
	before, events := count(), w.auditCount(t)
	bad := "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n" +
		",Imported fine,,,open,2026-01-01,,imported,\n" +
		",Imported bad,,,open,2026-01-32,,imported,\n" +
		",\"Imported unclosed,,,open,,,imported,\n"
	status, out := post("cases", "?dry_run=true", bad)
	rep := csObj(out, "import")
	if status != 200 || rep["valid"] != false || num(rep["error_count"]) != 2 {
		t.Fatalf("dry run of a bad file: %d %v", status, out)
	}
	first := rep["errors"].([]any)[0].(map[string]any)
	if num(first["line"]) != 3 || first["field"] != "opened_on" {
		t.Fatalf("first error %v", first)
	}
	status, out = post("cases", "", bad)
	if status != 400 || !strings.HasPrefix(csObj(out, "error")["message"].(string), "line 3, field opened_on:") {
		t.Fatalf("commit of a bad file: %d %v", status, out)
	}
	if count() != before || w.auditCount(t) != events {
		t.Fatal("a refused import wrote something")
	}
	status, out = post("cases", "", "title,number\nx,y\n")
	if status != 400 || csObj(out, "error")["field"] != "header" {
		t.Fatalf("wrong header: %d %v", status, out)
	}
	good := "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n" +
		",Imported one,Acme,,open,2026-01-01,,imported,Local counsel A\n" +
		"IMP-HTTP-2,Imported two,,,pending,2026-01-02,,imported;second,\n"
	status, out = post("cases", "?dry_run=true", good)
	if status != 200 || csObj(out, "import")["valid"] != true || num(csObj(out, "import")["rows"]) != 2 || count() != before {
		t.Fatalf("dry run: %d %v", status, out)
	}
	status, out = post("cases", "", good)
	if status != 200 || num(csObj(out, "import")["created"]) != 2 || count() != before+2 {
		t.Fatalf("commit: %d %v", status, out)
	}
	fin := "case_number,kind,amount,currency,occurred_on,description\n" +
		"IMP-HTTP-2,fee,10.00,EUR,2026-01-05,ok\n" +
		"IMP-HTTP-2,fee,10.123456,EUR,2026-01-05,too precise\n"
	status, out = post("financial", "", fin)
	if status != 400 || !strings.HasPrefix(csObj(out, "error")["message"].(string), "line 3, field amount:") {
		t.Fatalf("financial import: %d %v", status, out)
	}
	// Read-only users may not import.
	ro := w.user(t, map[string]string{"cases": "read", "financial": "read"}, false)
	s, b := ro.csSend("POST", ro.base+"import/financial?dry_run=true", "text/csv", []byte(fin))
	csForbidden(t, "import by a reader", s, b)
}

// testCasesPages drives the server-rendered pages as a browser without
// JavaScript would: forms, redirects, the import page.
func testCasesPages(t *testing.T, w *caseWorld) {
	a := w.admin
	base := strings.Replace(a.base, "/api/v1/t/demo/", "/t/demo/", 1)
	form := func(path string, v url.Values) (int, string) {
		return a.csSend("POST", base+path, "application/x-www-form-urlencoded", []byte(v.Encode()))
	}
	for _, p := range []string{"cases", "cases/new", "cases/import", "cases/mdl-groups"} {
		if s, b := a.csPage("GET", p); s != 200 || strings.Contains(b, "<script") {
			t.Fatalf("%s: %d", p, s)
		}
	}
	status, loc := form("cases/new", url.Values{"title": {"Page case"}, "tags": {"pages, web"}, "status": {"open"},
		"classes": {fmt.Sprint(w.classA)}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "/t/demo/cases/") {
		t.Fatalf("create by form: %d %s", status, loc)
	}
	casePath := strings.TrimPrefix(strings.Split(loc, "?")[0], "/t/demo/")
	if s, b := form("cases/new", url.Values{"title": {""}}); s != 400 || !strings.Contains(b, `id="title-error"`) {
		t.Fatalf("empty title: %d", s)
	}
	s, _ := form(casePath+"/notes/new", url.Values{"title": {"Page note"}, "body": {"Hello <b>there</b> [x](javascript:alert(1))"}})
	if s != http.StatusSeeOther {
		t.Fatalf("note by form: %d", s)
	}
	s, _ = form(casePath+"/financial/new", url.Values{"kind": {"fee"}, "amount": {"12.3456"}, "currency": {"GBP"}, "occurred_on": {"2026-02-02"}, "description": {"Page fee"}})
	if s != http.StatusSeeOther {
		t.Fatalf("financial by form: %d", s)
	}
	s, _ = form(casePath+"/financial/new", url.Values{"kind": {"payment"}, "amount": {"-1234567.5"}, "currency": {"JPY"}, "occurred_on": {"2026-02-03"}, "description": {"Yen refund"}})
	if s != http.StatusSeeOther {
		t.Fatalf("negative yen by form: %d", s)
	}
	s, b := form(casePath+"/financial/new", url.Values{"kind": {"fee"}, "amount": {"1e9"}, "currency": {"GBP"}, "occurred_on": {"2026-02-02"}})
	if s != 400 || !strings.Contains(b, `id="amount-error"`) {
		t.Fatalf("bad amount by form: %d", s)
	}
	s, b = a.csPage("GET", casePath)
	// Amounts are shown exactly, with symbol and separators, right-aligned.
	for _, want := range []string{`<th scope="col" class="num">Amount</th>`, `<td class="amount">£12.3456</td>`, `<td class="amount">-¥1,234,567.5</td>`, "<td>Payment</td>"} {
		if !strings.Contains(b, want) {
			t.Errorf("case page lacks %s", want)
		}
	}
	if s, b := a.csPage("GET", "reports/financial?by=currency"); s != 200 || !strings.Contains(b, `<td class="num">-¥1,234,567.5</td>`) || strings.Contains(b, "1234567.5") || strings.Contains(b, "3112.08") {
		t.Errorf("financial report page (amounts exact and formatted, in tables and charts): %d\n%s", s, b)
	}
	if s != 200 || !strings.Contains(b, "Hello &lt;b&gt;there&lt;/b&gt;") ||
		strings.Contains(b, "javascript:") || strings.Contains(b, "<b>there") {
		t.Fatalf("case page: %d\n%s", s, b)
	}
	// Edit with a stale version is refused and the form kept.
	s, b = form(casePath+"/edit", url.Values{"title": {"Stale title"}, "status": {"open"}, "version": {"99"}})
	if s != http.StatusConflict || !strings.Contains(b, "Someone else changed this case") || !strings.Contains(b, "Stale title") {
		t.Fatalf("stale edit: %d", s)
	}
	// The import page: check, then import the checked file.
	csv := "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n,Page import,,,open,,,pages,\n"
	s, b = a.csMultipart(base+"cases/import", map[string]string{"kind": "cases", "action": "check"}, csv)
	if s != 200 || !strings.Contains(b, `id="import-ready"`) || !strings.Contains(b, "Page import") {
		t.Fatalf("import check: %d\n%s", s, b)
	}
	s, b = a.csMultipart(base+"cases/import", map[string]string{"kind": "cases", "action": "check"}, csv+",\"broken\n")
	if s != 400 || !strings.Contains(b, `id="import-errors"`) {
		t.Fatalf("import check of a broken file: %d", s)
	}
	s, loc = a.csMultipart(base+"cases/import", map[string]string{"kind": "cases", "action": "import"}, csv)
	if s != http.StatusSeeOther || !strings.Contains(loc, "done=import-done") {
		t.Fatalf("import: %d %s", s, loc)
	}
	// The list: a bad parameter is named on the page, which keeps the form.
	if s, b := a.csPage("GET", "cases?sort=colour&q=Page"); s != 400 || !strings.Contains(b, "Sort by one of") || !strings.Contains(b, `value="Page"`) {
		t.Fatalf("bad sort: %d\n%s", s, b)
	}
	if s, b := a.csPage("GET", "cases?q=page+CASE&tag=pages"); s != 200 || !strings.Contains(b, ">Page case<") || !strings.Contains(b, `id="case-count">1 case<`) {
		t.Fatalf("contains-match: %d\n%s", s, b)
	}
	// My cases: the ones the caller is responsible for.
	me := num(a.must("GET", "me", nil)["user"].(map[string]any)["id"])
	a.must("POST", "cases", map[string]any{"title": "Mine by API", "tags": []string{"mine"}, "responsible": []int64{me}})
	a.must("POST", "cases", map[string]any{"title": "Not mine by API", "tags": []string{"mine"}})
	if got := a.must("GET", "cases?mine=1&tag=mine", nil); num(got["total"]) != 1 || got["cases"].([]any)[0].(map[string]any)["title"] != "Mine by API" {
		t.Fatalf("my cases: %v", got)
	}
	if got := a.must("GET", fmt.Sprintf("cases?responsible=%d&tag=mine&sort=title&dir=desc", me), nil); num(got["total"]) != 1 {
		t.Fatalf("cases of a responsible user: %v", got)
	}
	if s, b := a.csPage("GET", "cases?mine=1&tag=mine"); s != 200 || !strings.Contains(b, ">Mine by API<") || strings.Contains(b, ">Not mine by API<") ||
		!strings.Contains(b, `id="mine" name="mine" type="checkbox" value="1" checked`) {
		t.Fatalf("my cases page: %d\n%s", s, b)
	}
	if s, _ := a.csPage("GET", casePath+"?tab=nonsense"); s != 400 {
		t.Fatalf("unknown tab: %d", s)
	}
	// Deleting the case: its page says what goes (and deletes nothing),
	// then its Confirm deletes it.
	cur := csObj(a.must("GET", strings.TrimPrefix(casePath, "/"), nil), "case")
	version := fmt.Sprint(num(cur["version"]))
	if s, b := a.csPage("GET", casePath+"/delete"); s != 200 || !strings.Contains(b, "2 financial records and 1 note will be deleted with it.") ||
		!strings.Contains(b, `name="version" value="`+version+`"`) || !strings.Contains(b, `action="/t/demo/`+casePath+`/delete"`) {
		t.Fatalf("delete confirmation: %d\n%s", s, b)
	}
	if s, _ := a.csPage("GET", casePath); s != 200 {
		t.Fatalf("the confirmation page deleted the case: %d", s)
	}
	s, loc = form(casePath+"/delete", url.Values{"version": {version}})
	if s != http.StatusSeeOther || !strings.Contains(loc, "case-deleted") {
		t.Fatalf("delete: %d %s", s, loc)
	}
	if s, _ := a.csPage("GET", casePath); s != 404 {
		t.Fatalf("deleted case page: %d", s)
	}
}

// multipart posts a form with a CSV file as the browser's upload form does.
func (c *apiClient) csMultipart(u string, fields map[string]string, file string) (int, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "import.csv")
	fw.Write([]byte(file))
	mw.Close()
	return c.csSend("POST", u, mw.FormDataContentType(), buf.Bytes())
}
