package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConfirmPages checks, on each engine, the pages that ask before a
// deletion: a GET states the consequence and deletes nothing; a thing that
// does not exist, or that the user may not see, answers as a missing one.
func TestConfirmPages(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		a := newAPIClient(t, m)
		a.signIn("admin", adminTemp)
		w := newCaseWorld(t, m, a)
		base := strings.Replace(a.base, "/api/v1/t/demo/", "/t/demo/", 1)
		post := func(path string, v url.Values) (int, string) {
			return a.csSend("POST", base+path, "application/x-www-form-urlencoded", []byte(v.Encode()))
		}
		want := func(t *testing.T, path string, status int, texts ...string) string {
			t.Helper()
			s, b := a.csPage("GET", path)
			if s != status {
				t.Fatalf("GET %s: %d, want %d\n%s", path, s, status, b)
			}
			for _, x := range texts {
				if !strings.Contains(b, x) {
					t.Fatalf("GET %s does not say %q:\n%s", path, x, b)
				}
			}
			return b
		}

		t.Run("role", func(t *testing.T) {
			roleID := num(a.must("POST", "roles", map[string]any{"name": "Reviewer", "grants": map[string]string{"cases": "read"}})["role"].(map[string]any)["id"])
			a.must("POST", "users", map[string]any{"username": "rita", "display_name": "Rita", "roles": []int64{roleID}})
			path := fmt.Sprintf("admin/roles/%d/delete", roleID)
			want(t, "admin/roles", 200, `href="/t/demo/`+path+`"`)
			want(t, path, 200, "1 user holds this role: rita.", "they lose the access it grants", `action="/t/demo/`+path+`"`)
			want(t, "admin/roles", 200, "Reviewer") // the GET deleted nothing
			missing := want(t, "admin/roles/99999999/delete", 404)
			if other := want(t, "admin/roles/99999999", 404); other != missing {
				t.Errorf("a missing role's confirm page differs from its page:\n%s\n%s", missing, other)
			}
			if s, loc := post(path, nil); s != http.StatusSeeOther || !strings.Contains(loc, "role-deleted") {
				t.Fatalf("confirm: %d %s", s, loc)
			}
			want(t, path, 404)
		})

		t.Run("class", func(t *testing.T) {
			path := fmt.Sprintf("admin/classes/%d/delete", w.classB)
			want(t, "admin/classes", 200, `href="/t/demo/`+path+`"`)
			want(t, path, 200, "1 user holds this class: admin.", "records still carry")
			want(t, "admin/classes/99999999/delete", 404)
		})

		t.Run("record", func(t *testing.T) {
			s, loc := post("cases/new", url.Values{"title": {"Confirm case"}, "status": {"open"}, "classes": {fmt.Sprint(w.classA)}})
			if s != http.StatusSeeOther {
				t.Fatalf("case: %d", s)
			}
			casePath := strings.TrimPrefix(strings.Split(loc, "?")[0], "/t/demo/")
			if s, _ := post(casePath+"/notes/new", url.Values{"title": {"Hearing notes"}, "body": {"x"}}); s != http.StatusSeeOther {
				t.Fatalf("note: %d", s)
			}
			page := want(t, casePath, 200)
			noteDelete := strings.TrimPrefix(between(t, page, `<a class="delete" href="`, `"`), "/t/demo/")
			want(t, noteDelete, 200, "Delete the note “Hearing notes”?", "30 days", `name="version" value="1"`)
			want(t, casePath, 200, "Hearing notes") // the GET deleted nothing

			// A user who may not see the case's class gets what a missing note gives.
			outside := w.user(t, map[string]string{"cases": "edit", "notes": "edit"}, true)
			hs, hb := outside.csPage("GET", noteDelete)
			ms, mb := outside.csPage("GET", "notes/99999999/delete")
			if hs != 404 || hs != ms || hb != mb {
				t.Fatalf("hidden note: %d %s; missing: %d %s", hs, hb, ms, mb)
			}
			if s, loc := post(noteDelete, url.Values{"version": {"1"}}); s != http.StatusSeeOther || !strings.Contains(loc, "record-delete") {
				t.Fatalf("confirm: %d %s", s, loc)
			}
			want(t, noteDelete, 404)
		})
	})
}
