package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserGroupPages walks Administration → Groups as an administrator
// would: make a group, add and remove a member, rename it, delete it on
// its confirmation page; each page screenshotted and checked with axe.
func TestBrowserGroupPages(t *testing.T) {
	browsertest.Require(t)
	b, _, api := adminBrowser(t, "copper kettle northern lights 7781")
	api.must("POST", "users", map[string]any{"username": "ppartner", "display_name": "Pat Partner"})

	b.open("/t/demo/admin/groups")
	b.wantText("There are no groups yet")
	b.look("admin-groups-empty")
	b.submitWant("#create-group", 400)
	b.wantText("This field is required")
	b.look("admin-groups-error")
	b.fill("name", "Equity partners")
	b.fill("description", "See the firm's figures")
	b.submit("#create-group")
	b.wantText("The group has been created")
	b.wantText("No one belongs to this group yet")
	b.do(chromedp.SetValue(chromedp.ID("user_id"), memberOption(t, api, "ppartner")))
	b.submit("#add-member")
	b.wantText("The user has been added to the group.")
	b.wantText("Pat Partner (ppartner)")
	b.look("admin-group")
	b.submit("main table button[type=submit]")
	b.wantText("The user has been taken out of the group.")

	b.open("/t/demo/admin/groups")
	b.wantText("Equity partners")
	b.look("admin-groups")
	b.submit("main table a.btn-outline-danger")
	b.wantText("Delete group Equity partners?")
	b.look("admin-group-delete")
	b.submit("#confirm-delete")
	b.wantPath("/t/demo/admin/groups")
	b.wantText("The group has been deleted")
}

// memberOption is the user id the add-member select offers for username.
func memberOption(t *testing.T, api *apiClient, username string) string {
	t.Helper()
	for _, u := range api.must("GET", "users", nil)["users"].([]any) {
		if u := u.(map[string]any); u["username"] == username {
			return fmt.Sprint(num(u["id"]))
		}
	}
	t.Fatalf("no user %s", username)
	return ""
}

// TestGroupPagesOverHTTPS checks the group pages' answers without a
// browser, on both engines: errors kept on the form, a stale rename,
// and the pages refused to those who do not administer the workspace.
func TestGroupPagesOverHTTPS(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		s, loc := admin.pageForm("admin/groups", url.Values{"name": {"Partners"}})
		if s != 303 || !strings.Contains(loc, "done=group-created") {
			t.Fatalf("create: %d %s", s, loc)
		}
		path := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/t/demo/")
		if s, body := admin.pageForm("admin/groups", url.Values{"name": {"partners"}}); s != 409 || !strings.Contains(body, "A group with that name exists.") || !strings.Contains(body, `value="partners"`) {
			t.Errorf("a taken name: %d", s)
		}
		if s, body := admin.pageForm(path, url.Values{"name": {"Renamed"}, "version": {"7"}}); s != 409 || !strings.Contains(body, `value="Renamed"`) {
			t.Errorf("stale rename: %d %s", s, body)
		}
		if s, body := admin.pageForm(path+"/members", url.Values{"user_id": {""}}); s != 400 || !strings.Contains(body, "Choose a user to add.") {
			t.Errorf("no user chosen: %d", s)
		}
		if s, body := admin.pageForm(path+"/members", url.Values{"user_id": {"99999"}}); s != 404 || !strings.Contains(body, "No such user.") {
			t.Errorf("an unknown user: %d %s", s, body)
		}

		role := num(admin.must("POST", "roles", map[string]any{"name": "dash-edit", "grants": map[string]string{"dashboards": "edit"}})["role"].(map[string]any)["id"])
		res := admin.must("POST", "users", map[string]any{"username": "staffer", "display_name": "Staffer", "roles": []int64{role}})
		staff := newAPIClient(t, m)
		staff.signIn("staffer", res["temporary_password"].(string))
		for _, p := range []string{"admin/groups", path, path + "/delete"} {
			if s, _, body := staff.page(p); s != 403 || strings.Contains(body, "Partners") {
				t.Errorf("staff GET %s: %d", p, s)
			}
		}
		if s, _ := staff.pageForm("admin/groups", url.Values{"name": {"Mine"}}); s != 403 {
			t.Errorf("staff creates a group: %d", s)
		}
		if s, _ := admin.pageForm(path+"/delete", nil); s != 303 {
			t.Errorf("delete: %d", s)
		}
		if s, _, _ := admin.page(path); s != 404 {
			t.Errorf("deleted group page: %d", s)
		}
	})
}
