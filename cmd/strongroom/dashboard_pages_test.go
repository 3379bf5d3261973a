package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// dashWorld is a workspace with an editor, a member of the group the
// editor shares with (who may not see financial records), an outsider
// and a stored metric with points, for the dashboard pages' tests.
type dashWorld struct {
	m                          *Main
	admin, editor, member, out *apiClient
	groupID                    int64
	memberName                 string
}

func newDashWorld(t *testing.T, m *Main, adminTemp string) *dashWorld {
	t.Helper()
	w := &dashWorld{m: m, admin: newAPIClient(t, m)}
	w.admin.signIn("admin", adminTemp)
	user := func(name string, grants map[string]string) (*apiClient, int64) {
		role := num(w.admin.must("POST", "roles", map[string]any{"name": "role " + name, "grants": grants})["role"].(map[string]any)["id"])
		res := w.admin.must("POST", "users", map[string]any{"username": name, "display_name": "Person " + name, "roles": []int64{role}})
		c := newAPIClient(t, m)
		c.signIn(name, res["temporary_password"].(string))
		return c, num(res["user"].(map[string]any)["id"])
	}
	var memberID int64
	w.editor, _ = user("editor", map[string]string{"dashboards": "edit", "cases": "edit", "financial": "edit"})
	w.member, memberID = user("member", map[string]string{"dashboards": "read", "cases": "read"})
	w.out, _ = user("outsider", map[string]string{"dashboards": "edit", "cases": "read", "financial": "read"})
	w.groupID = num(w.admin.must("POST", "groups", map[string]any{"name": "Partners"})["group"].(map[string]any)["id"])
	w.admin.must("PUT", fmt.Sprintf("groups/%d/members/%d", w.groupID, memberID), nil)
	w.editor.must("POST", "cases", map[string]any{"title": "Acme v. Widget", "client": "Acme"})
	w.editor.must("POST", "metrics", map[string]any{"name": "finance.fees", "label": "Fees billed", "unit": "USD"})
	now := time.Now().UTC()
	var pts []map[string]any
	for i := range 5 {
		pts = append(pts, map[string]any{"metric": "finance.fees", "value": 1000 * (i + 1), "at": now.AddDate(0, 0, -7*i).Format(time.RFC3339)})
	}
	w.editor.must("POST", "metrics/points", map[string]any{"points": pts})
	return w
}

// widgetForm is the widget form filled for a kind, as a browser sends it.
func widgetForm(kind, title, source string, extra ...string) url.Values {
	v := url.Values{"kind": {kind}, "title": {title}, "source": {source}, "period": {"last_12_months"}, "bucket": {""},
		"aggregation": {"sum"}, "style": {""}, "target": {""}, "group_by": {""}, "currency": {""}, "refresh_seconds": {""}, "width": {""},
		"source_other": {""}, "from": {""}, "to": {""}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// TestDashboardPagesOverHTTPS runs the dashboard pages on both engines:
// an editor makes a dashboard with every kind of widget through the
// forms and shares it; a member of the group sees it, with "Not shown"
// where they may not see the figure; others get the page of a missing
// dashboard; bad input is shown beside its field and changes nothing;
// deletion needs its confirmation.
func TestDashboardPagesOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		w := newDashWorld(t, m, adminTemp)
		ed := w.editor
		get := func(c *apiClient, path string, status int, texts ...string) string {
			t.Helper()
			s, b := c.csPage("GET", path)
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
		post := func(c *apiClient, path string, v url.Values, status int) string {
			t.Helper()
			s, b := c.pageForm(path, v)
			if s != status {
				t.Fatalf("POST %s: %d, want %d\n%s", path, s, status, b)
			}
			return b
		}

		get(ed, "dashboards", 200, "You have no dashboards yet", `id="new-dashboard"`, `href="/t/demo/dashboards"`)
		if b := get(w.member, "dashboards", 200, "No dashboard is shared with you yet"); strings.Contains(b, "new-dashboard") {
			t.Error("a viewer is offered New dashboard")
		}
		if b := post(ed, "dashboards/new", url.Values{"name": {""}, "description": {"Kept"}}, 400); !strings.Contains(b, `id="name-error"`) || !strings.Contains(b, ">Kept</textarea>") {
			t.Errorf("a dashboard without a name:\n%s", b)
		}
		loc := post(ed, "dashboards/new", url.Values{"name": {"Firm figures"}, "description": {"The partners' weekly view"}}, 303)
		base := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/t/demo/")
		base = strings.TrimSuffix(base, "/edit")
		id := strings.TrimPrefix(base, "dashboards/")

		// One widget of each kind, through the form.
		for _, f := range []url.Values{
			widgetForm("kpi", "Open cases", "case:open", "target", "10", "width", "1", "refresh_seconds", "60"),
			widgetForm("timeseries", "Fees by week", "finance.fees", "bucket", "week", "style", "area", "width", "2"),
			widgetForm("bar", "Billed by month", "case:billed", "bucket", "month", "width", "1"),
			widgetForm("table", "Fees (typed name)", "other", "source_other", "finance.fees", "width", "4"),
		} {
			if loc := post(ed, base+"/widgets/new", f, 303); !strings.Contains(loc, "done=widget-added") {
				t.Fatalf("add %s: %s", f.Get("kind"), loc)
			}
		}
		edit := get(ed, base+"/edit", 200, "Widgets (4)", "Open cases", "Fees by week", "Billed by month", "Fees (typed name)")
		_ = edit

		// Bad input: every problem beside its field, what was typed kept, nothing saved.
		bad := widgetForm("kpi", "", "other", "source_other", "Not A Metric", "period", "custom", "from", "2026-05-01", "to", "2026-04-01",
			"bucket", "week", "refresh_seconds", "often", "width", "9", "target", "lots")
		b := post(ed, base+"/widgets/new", bad, 400)
		for _, field := range []string{"title", "source_other", "to", "bucket", "refresh_seconds", "width", "target"} {
			if !strings.Contains(b, `id="`+field+`-error"`) {
				t.Errorf("no error beside %s", field)
			}
		}
		for _, kept := range []string{`value="Not A Metric"`, `value="often"`, `value="2026-05-01"`, `value="lots"`} {
			if !strings.Contains(b, kept) {
				t.Errorf("the form lost %s", kept)
			}
		}
		if !strings.Contains(b, "Enter a whole number.") || !strings.Contains(b, "nothing has been saved") {
			t.Errorf("bad widget page:\n%s", b)
		}
		get(ed, base+"/edit", 200, "Widgets (4)")

		// A stale widget edit says someone else changed it.
		d := ed.must("GET", base, nil)["dashboard"].(map[string]any)
		ws := d["widgets"].([]any)
		first := ws[0].(map[string]any)
		wpath := fmt.Sprintf("%s/widgets/%d", base, num(first["id"]))
		get(ed, wpath, 200, `value="Open cases"`, `<option value="case:open" selected>`)
		ok := widgetForm("kpi", "Open matters", "case:open", "refresh_seconds", "60", "version", fmt.Sprint(num(first["version"])))
		post(ed, wpath, ok, 303)
		if b := post(ed, wpath, widgetForm("kpi", "Stale title", "case:open", "version", fmt.Sprint(num(first["version"]))), 409); !strings.Contains(b, "Someone else changed this widget") || !strings.Contains(b, `value="Stale title"`) {
			t.Errorf("stale widget edit:\n%s", b)
		}

		// Move the last widget up; a move based on an old version is refused.
		version := fmt.Sprint(num(d["version"]))
		last := fmt.Sprintf("%s/widgets/%d/move", base, num(ws[3].(map[string]any)["id"]))
		post(ed, last, url.Values{"direction": {"up"}, "version": {version}}, 303)
		if b := post(ed, last, url.Values{"direction": {"up"}, "version": {version}}, 409); !strings.Contains(b, "Someone else changed this dashboard") {
			t.Errorf("stale move:\n%s", b)
		}
		order := ed.must("GET", base, nil)["dashboard"].(map[string]any)["widgets"].([]any)
		if order[2].(map[string]any)["title"] != "Fees (typed name)" {
			t.Errorf("after moving up: %v", order)
		}

		// Shared with the group: its member sees it; others see a missing one.
		get(ed, base+"/share", 200, "It is shared with no group", "Partners (1 member)")
		if b := post(ed, base+"/share", url.Values{"group_id": {""}, "permission": {"view"}}, 400); !strings.Contains(b, `id="group_id-error"`) {
			t.Errorf("share without a group:\n%s", b)
		}
		post(ed, base+"/share", url.Values{"group_id": {fmt.Sprint(w.groupID)}, "permission": {"view"}}, 303)
		get(ed, base+"/share", 200, "Shared with (1)", "Stop sharing")
		if events, _ := auditEvents(t, w.admin, "action=dashboard.share&object_id="+id); len(events) != 1 {
			t.Errorf("share events: %v", events)
		}

		view := get(w.member, base, 200, "Firm figures", "The partners&#39; weekly view", `data-live-topic="tenant/demo/dashboard/`+id+`"`,
			`data-live-endpoint="/t/demo/live"`, `<meta http-equiv="refresh" content="60">`, "Open matters", "Fees by week", "Shared: view only")
		if n := strings.Count(view, `<section class="dash-panel`); n != 4 {
			t.Errorf("%d panels", n)
		}
		billed := between(t, view, "Billed by month</h3>", "</section>")
		if !strings.Contains(billed, "Not shown") || strings.Contains(billed, "<svg") || strings.Contains(billed, "<table") {
			t.Errorf("the billed panel for a viewer without financial access:\n%s", billed)
		}
		if !strings.Contains(between(t, view, "Fees by week</h3>", "</section>"), `class="visually-hidden"`) {
			t.Error("the chart has no data table")
		}
		for _, editorOnly := range []string{`id="edit-dashboard"`, `id="delete-dashboard"`, `id="share-dashboard"`} {
			if strings.Contains(view, editorOnly) {
				t.Errorf("a viewer is offered %s", editorOnly)
			}
		}
		if !strings.Contains(get(w.member, "dashboards", 200), "Firm figures") {
			t.Error("the member's list lacks the dashboard")
		}
		get(w.member, base+"/edit", 403)
		post(w.member, base+"/widgets/new", widgetForm("kpi", "Mine", "case:open"), 403)

		missing := get(w.out, "dashboards/999999", 404)
		for _, p := range []string{base, base + "/edit", base + "/share", base + "/delete", base + "/duplicate"} {
			if b := get(w.out, p, 404); strings.Contains(b, "Firm figures") {
				t.Errorf("outsider GET %s names the dashboard", p)
			}
		}
		if b := get(w.out, base, 404); strings.ReplaceAll(b, "dashboards/"+id+"\"", "dashboards/999999\"") != missing {
			t.Errorf("an unshared dashboard's page differs from a missing one's:\n%s\n---\n%s", b, missing)
		}
		if strings.Contains(get(w.out, "dashboards", 200), "Firm figures") {
			t.Error("the outsider's list shows it")
		}
		// A user of another tenant.
		if _, err := m.app.tenants.Create(context.Background(), "other", "Other LLP"); err != nil {
			t.Fatal(err)
		}
		foreign := newAPIClient(t, m)
		foreign.base = m.URL() + "api/v1/t/other/"
		foreign.signIn("admin", m.app.adminPassword)
		if s, b := foreign.csSend("GET", m.URL()+"t/other/"+base, "", nil); s != 404 || strings.Contains(b, "Firm figures") {
			t.Errorf("another tenant's user: %d", s)
		}

		// Unshared: audited, and the member no longer sees it.
		post(ed, fmt.Sprintf("%s/share/%d/remove", base, w.groupID), nil, 303)
		if events, _ := auditEvents(t, w.admin, "action=dashboard.unshare&object_id="+id); len(events) != 1 {
			t.Errorf("unshare events: %v", events)
		}
		get(w.member, base, 404)

		// Duplicate, with the default name.
		loc = post(ed, base+"/duplicate", url.Values{"name": {""}}, 303)
		get(ed, strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/t/demo/"), 200, "Copy of Firm figures", "Fees by week")

		// Delete: the page asks first; a POST without its confirmation deletes nothing.
		confirm := get(ed, base+"/delete", 200, "Delete dashboard Firm figures?", "Its 4 widgets go with it.")
		post(ed, base+"/delete", url.Values{}, 400)
		get(ed, base, 200)
		dv := between(t, confirm, `name="version" value="`, `"`)
		post(ed, base+"/delete", url.Values{"version": {dv}}, 303)
		get(ed, base, 404)
	})
}

// TestDashboardPlainHTTPBadge: a panel whose metric an integration allowed
// plain HTTP records is marked, and the dashboard says so; once plain
// HTTP is forbidden again the marks go.
func TestDashboardPlainHTTPBadge(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		w := newDashWorld(t, m, adminTemp)
		ed := w.editor
		_, loc := ed.pageForm("dashboards/new", url.Values{"name": {"Fees"}})
		base := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/t/demo/"), "/edit")
		ed.pageForm(base+"/widgets/new", widgetForm("kpi", "Open cases", "case:open"))
		ed.pageForm(base+"/widgets/new", widgetForm("timeseries", "Fees by week", "finance.fees"))
		if _, b := ed.csPage("GET", base); strings.Contains(b, "unencrypted") {
			t.Fatal("a warning with no plain-HTTP integration")
		}
		form := url.Values{"name": {"legacy"}, "label": {"Legacy billing"}, "url": {"http://127.0.0.1:1/data"}, "method": {"GET"},
			"items": {"items[*]"}, "value": {"v"}, "metric": {"finance.fees"}, "pagination_kind": {"none"}, "auth_kind": {"bearer"},
			"secret": {"s3cret"}, "interval_minutes": {"60"}, "enabled": {"on"}, "version": {"0"}, "allow_http": {"on"}}
		s, iloc := w.admin.pageForm("admin/integrations/new", form)
		if s != 303 {
			t.Fatalf("create integration: %d %s", s, iloc)
		}
		_, b := ed.csPage("GET", base)
		if !strings.Contains(b, "Some figures arrive over unencrypted HTTP") {
			t.Fatalf("no warning:\n%s", b)
		}
		if !strings.Contains(between(t, b, "Fees by week", "</h3>"), "Arrives unencrypted") || strings.Contains(between(t, b, "Open cases", "</h3>"), "unencrypted") {
			t.Errorf("the wrong panels are marked:\n%s", b)
		}
		form.Del("allow_http")
		form.Set("url", "https://127.0.0.1:1/data")
		form.Set("secret", "")
		form.Set("version", "1")
		if s, loc := w.admin.pageForm(strings.TrimPrefix(iloc, "/t/demo/"), form); s != 303 {
			t.Fatalf("update integration: %d %s", s, loc)
		}
		if _, b := ed.csPage("GET", base); strings.Contains(b, "unencrypted") {
			t.Error("the warning stays after plain HTTP was forbidden")
		}
	})
}
