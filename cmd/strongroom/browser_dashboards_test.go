package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserDashboardPages makes a dashboard as a partner would, through
// the forms in a real browser: one widget of each kind, a widget form
// with mistakes, the dashboard drawn (with a figure that arrives over
// plain HTTP marked), sharing and the deletion's confirmation; each page
// screenshotted and checked with axe.
func TestBrowserDashboardPages(t *testing.T) {
	browsertest.Require(t)
	const pw = "granite harbour velvet compass 2093"
	b, _, api := adminBrowser(t, pw)
	api.must("POST", "metrics", map[string]any{"name": "finance.fees", "label": "Fees billed", "unit": "USD"})
	now := time.Now().UTC()
	var pts []map[string]any
	for i := range 26 {
		pts = append(pts, map[string]any{"metric": "finance.fees", "value": 18000 + 900*(i%5) + 300*i, "at": now.AddDate(0, 0, -7*i).Format(time.RFC3339)})
	}
	api.must("POST", "metrics/points", map[string]any{"points": pts})
	for i, pg := range []string{"Litigation", "Litigation", "Corporate", "Employment", "Litigation", "Corporate"} {
		api.must("POST", "cases", map[string]any{"title": fmt.Sprintf("Matter %d", i+1), "client": "Client " + pg, "practice_group": pg})
	}
	group := num(api.must("POST", "groups", map[string]any{"name": "Equity partners"})["group"].(map[string]any)["id"])
	role := num(api.must("POST", "roles", map[string]any{"name": "Partner (no financial records)", "grants": map[string]string{"dashboards": "read", "cases": "read"}})["role"].(map[string]any)["id"])
	viewer := api.must("POST", "users", map[string]any{"username": "ppartner", "display_name": "Pat Partner", "roles": []int64{role}})
	api.must("PUT", fmt.Sprintf("groups/%d/members/%d", group, num(viewer["user"].(map[string]any)["id"])), nil)
	form := url.Values{"name": {"legacy"}, "label": {"Legacy billing"}, "url": {"http://127.0.0.1:1/data"}, "method": {"GET"},
		"items": {"items[*]"}, "value": {"v"}, "metric": {"finance.fees"}, "pagination_kind": {"none"}, "auth_kind": {"bearer"},
		"secret": {"s3cret"}, "interval_minutes": {"60"}, "enabled": {"on"}, "version": {"0"}, "allow_http": {"on"}}
	if s, loc := api.pageForm("admin/integrations/new", form); s != 303 {
		t.Fatalf("integration: %d %s", s, loc)
	}

	b.open("/t/demo/")
	b.submit(`nav.app-nav a[href="/t/demo/dashboards"]`)
	b.wantPath("/t/demo/dashboards")
	b.look("dashboards-empty")
	b.submit("#new-dashboard")
	b.fill("name", "Firm figures")
	b.fill("description", "The partners' weekly view of matters and fees.")
	b.submit("#save-dashboard")
	b.wantText("The dashboard has been created")
	b.look("dashboard-editor-empty")
	base := strings.TrimSuffix(b.path(), "/edit")

	b.addWidget("kpi", "Open matters", "case:open", map[string]string{"target": "40", "refresh_seconds": "60"})
	b.addWidget("kpi", "Fees this quarter", "finance.fees", map[string]string{"period": "this_quarter"})
	b.addWidget("timeseries", "Fees by week", "finance.fees", map[string]string{"bucket": "week", "style": "area", "period": "last_12_months"})
	b.addWidget("bar", "Open matters by practice group", "case:open", map[string]string{"group_by": "practice_group", "width": "2"})
	b.addWidget("bar", "Billed by month", "case:billed", map[string]string{"bucket": "month", "period": "last_12_months", "width": "2"})
	b.addWidget("table", "Fees by month", "finance.fees", map[string]string{"bucket": "", "period": "last_12_months", "width": "2"})

	// A widget form with mistakes: each shown beside its field, kept.
	b.submit("#add-widget")
	b.look("dashboard-widget-new")
	b.do(chromedp.SetValue(chromedp.ID("kind"), "kpi"), chromedp.SetValue(chromedp.ID("source"), "other"),
		chromedp.SetValue(chromedp.ID("period"), "custom"))
	b.fill("source_other", "Fees!")
	b.fill("target", "a lot")
	b.do(chromedp.SetValue(chromedp.ID("bucket"), "week"))
	b.submitWant("#save-widget", 400)
	b.wantText("nothing has been saved")
	b.look("dashboard-widget-errors")

	b.open("/t/demo/dashboards")
	b.wantText("Firm figures")
	b.look("dashboards")
	b.submit("main table a")
	b.wantText("Some figures arrive over unencrypted HTTP")
	b.wantText("Open matters")
	b.look("dashboard-view")

	b.submit("#edit-dashboard")
	b.look("dashboard-editor")
	b.submit("main table tbody tr:last-child button[aria-label^='Move']")
	b.wantText("The widget has been moved")

	b.submit("#share-dashboard")
	b.do(chromedp.SetValue(chromedp.ID("group_id"), shareOption(t, b)))
	b.submit("#add-share")
	b.wantText("The dashboard's sharing has been saved")
	b.look("dashboard-share")

	// The partner, who may not see financial records, sees the dashboard
	// without the billed figures.
	b.submit("#sign-out")
	b.firstSignIn(base, "ppartner", viewer["temporary_password"].(string), "northern copper lantern meadow 5521")
	b.open(base)
	b.wantText("Not shown")
	b.look("dashboard-view-viewer")
	b.submit("#sign-out")
	b.open("/t/demo/login")
	b.fill("username", "admin")
	b.fill("password", pw)
	b.submit("main button[type=submit]")

	b.open(base + "/delete")
	b.wantText("Delete dashboard Firm figures?")
	b.look("dashboard-delete")
	b.submit("#confirm-delete")
	b.wantPath("/t/demo/dashboards")
	b.wantText("The dashboard has been deleted")
}

// shareOption is the value of the first group the share form offers.
func shareOption(t *testing.T, b *browser) string {
	t.Helper()
	v := b.attr("#group_id option:nth-child(2)", "value")
	if v == "" {
		t.Fatal("no group offered")
	}
	return v
}

// addWidget adds a widget through the form of the dashboard editor the
// browser is on: its kind, title and source, and any other fields by id.
func (b *browser) addWidget(kind, title, source string, fields map[string]string) {
	b.t.Helper()
	b.submit("#add-widget")
	b.do(chromedp.SetValue(chromedp.ID("kind"), kind), chromedp.SetValue(chromedp.ID("source"), source))
	b.fill("title", title)
	for id, v := range fields {
		b.do(chromedp.SetValue(chromedp.ID(id), v))
	}
	b.submit("#save-widget")
	b.wantText("The widget has been added")
}
