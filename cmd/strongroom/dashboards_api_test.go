package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDashboardsAPI runs the dashboards and groups API end to end on both
// engines, every exchange checked against the API document: who sees and
// changes a shared dashboard, what a refusal says, validation naming its
// fields, and every operation once.
func TestDashboardsAPI(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		role := func(name string, grants map[string]string) int64 {
			return num(admin.must("POST", "roles", map[string]any{"name": name, "grants": grants})["role"].(map[string]any)["id"])
		}
		roles := map[string]int64{
			"edit": role("dash-edit", map[string]string{"dashboards": "edit"}),
			"read": role("dash-read", map[string]string{"dashboards": "read"}),
			"none": role("no-dash", map[string]string{"cases": "read"}),
		}
		userIDs := map[string]int64{}
		user := func(name, grant string) *apiClient {
			res := admin.must("POST", "users", map[string]any{"username": name, "display_name": "Person " + name, "roles": []int64{roles[grant]}})
			userIDs[name] = num(res["user"].(map[string]any)["id"])
			c := newAPIClient(t, m)
			c.signIn(name, res["temporary_password"].(string))
			return c
		}
		owner, viewer, editor, outsider, lost := user("owner", "edit"), user("viewer", "read"), user("editor", "edit"), user("outsider", "edit"), user("lost", "none")

		group := func(name string, members ...string) int64 {
			id := num(admin.must("POST", "groups", map[string]any{"name": name})["group"].(map[string]any)["id"])
			for _, u := range members {
				admin.must("PUT", fmt.Sprintf("groups/%d/members/%d", id, userIDs[u]), nil)
			}
			return id
		}
		viewers, editors := group("Viewers", "viewer", "lost"), group("Editors", "editor", "lost")
		if s, b := admin.do("POST", "groups", map[string]any{"name": "viewers"}); s != http.StatusConflict || !strings.Contains(b, `"field":"name"`) {
			t.Errorf("a group name in other case: %d %s", s, b)
		}

		d := owner.must("POST", "dashboards", map[string]any{"name": "Pipeline", "description": "Weekly"})["dashboard"].(map[string]any)
		id := num(d["id"])
		path := fmt.Sprintf("dashboards/%d", id)
		w1 := owner.must("POST", path+"/widgets", map[string]any{"kind": "kpi", "title": "Open", "source": "case:open",
			"options": map[string]any{"target": "120", "width": 1}})["widget"].(map[string]any)
		w2 := owner.must("POST", path+"/widgets", map[string]any{"kind": "timeseries", "title": "Fees", "source": "finance.fees",
			"options": map[string]any{"period": "custom", "from": "2026-01-01", "to": "2026-06-30", "bucket": "week", "style": "area"}})["widget"].(map[string]any)
		owner.must("PUT", fmt.Sprintf("%s/shares/%d", path, viewers), map[string]any{"permission": "view"})
		owner.must("PUT", fmt.Sprintf("%s/shares/%d", path, editors), map[string]any{"permission": "edit"})

		// Who sees it: the same answer as a missing dashboard for the others.
		_, missing := owner.do("GET", "dashboards/999999", nil)
		for _, tc := range []struct {
			name   string
			c      *apiClient
			get    int
			listed bool
		}{
			{"owner", owner, 200, true}, {"viewer", viewer, 200, true}, {"editor", editor, 200, true},
			{"outsider", outsider, 404, false}, {"lost", lost, 404, false}, {"administrator", admin, 404, false},
		} {
			s, b := tc.c.do("GET", path, nil)
			if s != tc.get || (s == 404 && b != missing) || (s == 200 && !strings.Contains(b, `"Pipeline"`)) {
				t.Errorf("%s: GET %s: %d %s", tc.name, path, s, b)
			}
			s, b = tc.c.do("GET", "dashboards", nil)
			switch {
			case tc.c == lost:
				if s != 403 || strings.Contains(b, "Pipeline") {
					t.Errorf("lost: list: %d %s", s, b)
				}
			case s != 200 || strings.Contains(b, `"Pipeline"`) != tc.listed:
				t.Errorf("%s: list: %d %s", tc.name, s, b)
			}
		}
		if _, b := viewer.do("GET", path, nil); strings.Contains(b, "Editors") || strings.Contains(b, `"shares"`) {
			t.Errorf("a viewer sees the shares: %s", b)
		}
		if s, _ := viewer.do("GET", path+"/shares", nil); s != 403 {
			t.Errorf("a viewer lists the shares: %d", s)
		}
		if b := editor.must("GET", path+"/shares", nil); len(b["shares"].([]any)) != 2 {
			t.Errorf("editor's shares: %v", b)
		}

		// Who changes it.
		version := num(d["version"])
		for _, tc := range []struct {
			name string
			c    *apiClient
			want int
		}{{"viewer", viewer, 403}, {"outsider", outsider, 404}, {"lost", lost, 404}, {"administrator", admin, 404}} {
			if s, b := tc.c.do("PUT", path, map[string]any{"name": "Taken over", "version": version}); s != tc.want {
				t.Errorf("%s renames: %d %s", tc.name, s, b)
			}
			if s, b := tc.c.do("DELETE", fmt.Sprintf("%s?version=%d&confirm=true", path, version), nil); s != tc.want {
				t.Errorf("%s deletes: %d %s", tc.name, s, b)
			}
		}
		renamed := editor.must("PUT", path, map[string]any{"name": "Pipeline (weekly)", "version": version})["dashboard"].(map[string]any)
		if renamed["description"] != "Weekly" || num(renamed["version"]) != version+1 {
			t.Errorf("rename kept the description? %v", renamed)
		}
		version++
		if s, b := editor.do("PUT", path, map[string]any{"name": "Stale", "version": version - 1}); s != 409 || !strings.Contains(b, `"field":"version"`) {
			t.Errorf("stale rename: %d %s", s, b)
		}

		// Validation names every field at fault.
		s, b := owner.do("POST", path+"/widgets", map[string]any{"kind": "pie", "title": "", "source": "DROP TABLE",
			"options": map[string]any{"period": "custom", "from": "2026-05-01", "to": "2026-04-01", "refresh_seconds": 5, "width": 7}})
		for _, field := range []string{"kind", "title", "source", "options.to", "options.refresh_seconds", "options.width"} {
			if s != 400 || !strings.Contains(b, `"field":"`+field+`"`) {
				t.Errorf("bad widget: %d, no problem for %s: %s", s, field, b)
			}
		}
		if s, b := owner.do("POST", path+"/widgets", map[string]any{"kind": "kpi", "title": "T", "source": "a.b", "options": map[string]any{"colour": "red"}}); s != 400 || !strings.Contains(b, `"field":"colour"`) {
			t.Errorf("an unknown option: %d %s", s, b)
		}

		// Widgets: change, reorder, remove.
		up := editor.must("PUT", fmt.Sprintf("%s/widgets/%d", path, num(w1["id"])), map[string]any{"title": "Open cases", "version": num(w1["version"])})["widget"].(map[string]any)
		if up["source"] != "case:open" || up["options"].(map[string]any)["target"] != "120" {
			t.Errorf("a PUT lost fields it did not send: %v", up)
		}
		order := owner.must("PUT", path+"/order", map[string]any{"order": []int64{num(w2["id"]), num(w1["id"])}, "version": version})["dashboard"].(map[string]any)
		if ws := order["widgets"].([]any); num(ws[0].(map[string]any)["id"]) != num(w2["id"]) {
			t.Errorf("order: %v", ws)
		}
		version++

		// Duplicate: a viewer without dashboards edit may not; the copy has no shares.
		if s, _ := viewer.do("POST", path+"/duplicate", map[string]any{}); s != 403 {
			t.Errorf("a viewer duplicates: %d", s)
		}
		cp := outsider.do
		if s, _ := cp("POST", path+"/duplicate", map[string]any{}); s != 404 {
			t.Errorf("an outsider duplicates: %d", s)
		}
		copied := editor.must("POST", path+"/duplicate", map[string]any{"name": "Mine"})["dashboard"].(map[string]any)
		if copied["permission"] != "owner" || len(copied["widgets"].([]any)) != 2 || len(copied["shares"].([]any)) != 0 {
			t.Errorf("copy: %v", copied)
		}
		owner.must("DELETE", fmt.Sprintf("%s/widgets/%d", path, num(w1["id"])), nil)

		// Groups: members, a user's groups, leaving.
		members := admin.must("GET", fmt.Sprintf("groups/%d/members", viewers), nil)["members"].([]any)
		if len(members) != 2 || members[0].(map[string]any)["display_name"] != "Person viewer" {
			t.Errorf("members: %v", members)
		}
		for _, p := range []string{fmt.Sprintf("groups/%d/members", viewers), fmt.Sprintf("users/%d/groups", userIDs["viewer"])} {
			if s, b := editor.do("GET", p, nil); s != 403 || strings.Contains(b, "Person") {
				t.Errorf("editor GET %s: %d %s", p, s, b)
			}
		}
		mine := viewer.must("GET", "me/groups", nil)["groups"].([]any)
		theirs := admin.must("GET", fmt.Sprintf("users/%d/groups", userIDs["lost"]), nil)["groups"].([]any)
		if len(mine) != 1 || len(theirs) != 2 {
			t.Errorf("groups: mine %v, lost's %v", mine, theirs)
		}
		if s, _ := editor.do("PUT", fmt.Sprintf("groups/%d/members/%d", editors, userIDs["outsider"]), nil); s != 403 {
			t.Errorf("a non-administrator adds a member: %d", s)
		}
		admin.must("DELETE", fmt.Sprintf("groups/%d/members/%d", viewers, userIDs["viewer"]), nil)
		if s, _ := viewer.do("GET", path, nil); s != 404 {
			t.Errorf("after leaving the group: %d", s)
		}
		g := admin.must("GET", fmt.Sprintf("groups/%d", editors), nil)["group"].(map[string]any)
		admin.must("PUT", fmt.Sprintf("groups/%d", editors), map[string]any{"description": "Can edit", "version": num(g["version"])})
		if gs := editor.must("GET", "groups", nil)["groups"].([]any); len(gs) != 2 {
			t.Errorf("groups listed to a dashboard editor: %v", gs)
		}
		owner.must("DELETE", fmt.Sprintf("%s/shares/%d", path, viewers), nil)
		admin.must("DELETE", fmt.Sprintf("groups/%d", editors), nil)
		if s, _ := editor.do("GET", path, nil); s != 404 {
			t.Errorf("after the group's deletion: %d", s)
		}

		// Deleting needs confirmation.
		if s, b := owner.do("DELETE", fmt.Sprintf("%s?version=%d", path, version), nil); s != 400 || !strings.Contains(b, `"field":"confirm"`) {
			t.Errorf("unconfirmed delete: %d %s", s, b)
		}
		owner.must("DELETE", fmt.Sprintf("%s?version=%d&confirm=true", path, version), nil)
		if s, _ := owner.do("GET", path, nil); s != 404 {
			t.Errorf("deleted: %d", s)
		}
		got := []string{}
		for _, x := range owner.must("GET", "dashboards", nil)["dashboards"].([]any) {
			got = append(got, x.(map[string]any)["name"].(string))
		}
		if !slices.Equal(got, []string{}) {
			t.Errorf("owner's dashboards after the deletion: %v", got)
		}
	})
}
