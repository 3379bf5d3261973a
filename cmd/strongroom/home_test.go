package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom/store"
)

// testHomeMatrix is the start page's row of the access matrix: a user is
// responsible for a case of each class (none, A, B, A and B), each with an
// overdue deadline, and opened each of them once (as if their classes had
// been different then). Their start page names exactly the cases they may
// read, in every list (open cases, deadlines, recently viewed, activity)
// and in every count; a hidden case leaves no trace.
func testHomeMatrix(t *testing.T, w *caseWorld) {
	a := w.admin
	ctx := context.Background()
	h, release, err := w.m.registry.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	classes := map[string][]int64{"none": {}, "A": {w.classA}, "B": {w.classB}, "AB": {w.classA, w.classB}}
	withAudit := map[string]string{"cases": "edit", "audit": "read"}
	for _, u := range []struct {
		name       string
		grants     map[string]string
		restricted bool
		classes    []int64
		sees       []string
	}{
		{"staff", withAudit, false, nil, []string{"none"}},
		{"staff-A", withAudit, false, []int64{w.classA}, []string{"none", "A", "AB"}},
		{"counsel-A", withAudit, true, []int64{w.classA}, []string{"A", "AB"}},
		{"counsel-B", map[string]string{"cases": "read"}, true, []int64{w.classB}, []string{"B", "AB"}},
		{"counsel-none", withAudit, true, nil, nil},
		{"no-cases", map[string]string{"financial": "edit", "audit": "read"}, false, []int64{w.classA}, nil},
	} {
		t.Run(u.name, func(t *testing.T) {
			c := w.user(t, u.grants, u.restricted, u.classes...)
			uid := num(c.must("GET", "me", nil)["user"].(map[string]any)["id"])
			ids := map[string]int64{}
			for name, cl := range classes {
				title := fmt.Sprintf("Home secret %s %s", u.name, name)
				cs := csObj(a.must("POST", "cases", map[string]any{"title": title, "classes": cl, "responsible": []int64{uid}}), "case")
				ids[name] = num(cs["id"])
				a.must("POST", fmt.Sprintf("cases/%d/events", ids[name]), map[string]any{"kind": "deadline",
					"title": fmt.Sprintf("Home deadline %s %s", u.name, name), "due_on": "2026-01-05"})
				if _, err := h.DB.ExecContext(ctx, `INSERT INTO case_views (user_id, case_id, viewed_at) VALUES (?, ?, ?)`,
					uid, ids[name], store.FormatTime(time.Now())); err != nil {
					t.Fatal(err)
				}
			}
			status, body := c.csPage("GET", "")
			if status != 200 {
				t.Fatalf("start page: %d %s", status, body)
			}
			visible := map[string]bool{}
			for _, name := range u.sees {
				visible[name] = true
			}
			for name, id := range ids {
				title, deadline := fmt.Sprintf("Home secret %s %s<", u.name, name), fmt.Sprintf("Home deadline %s %s<", u.name, name)
				history := fmt.Sprintf("audit/records/case/%d\"", id)
				link := fmt.Sprintf("/cases/%d\"", id)
				if visible[name] {
					// Listed in my cases and recently viewed (the title
					// twice), and in my deadlines.
					if strings.Count(body, title) != 2 || !strings.Contains(body, deadline) {
						t.Errorf("visible case %s: title %d times, deadline shown %v", name, strings.Count(body, title), strings.Contains(body, deadline))
					}
					if u.grants["audit"] != "" && !strings.Contains(body, history) {
						t.Errorf("visible case %s: no activity", name)
					}
					continue
				}
				for _, leak := range []string{title, deadline, history, link} {
					if strings.Contains(body, leak) {
						t.Errorf("hidden case %s shows on the start page: %q", name, leak)
					}
				}
			}
			n := len(u.sees)
			if n > 0 && (!strings.Contains(body, fmt.Sprintf("%d in all", n)) || !strings.Contains(body, fmt.Sprintf("%d open, ", n))) {
				t.Errorf("start page counts, want %d:\n%s", n, body)
			}
			if n == 0 && (strings.Contains(body, " in all<") || strings.Contains(body, " overdue<")) {
				t.Errorf("a user who sees none of the cases is given counts:\n%s", body)
			}
		})
	}
}
