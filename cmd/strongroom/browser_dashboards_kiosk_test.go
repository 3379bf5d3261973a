package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserDashboardsToKiosk is the whole way from figures to a wall
// screen, in real headless Chromium windows that share nothing: an
// administrator makes a group, a dashboard with each kind of widget over
// case data and a pushed metric, and shares it with the group; a member
// opens it and someone outside the group is told it does not exist; a
// kiosk link over two dashboards is opened on a "TV" that never signs in,
// which rotates between them, takes a pushed figure without reloading,
// and stops when the link is revoked.
func TestBrowserDashboardsToKiosk(t *testing.T) {
	browsertest.Require(t)
	b, m, api := adminBrowser(t, "harbour slate orchard beacon 6604")
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	window := func() *browser {
		return &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: b.base}
	}

	// Figures: matters in three practice groups and a pipeline pushed
	// from a CRM.
	for i, pg := range []string{"Litigation", "Litigation", "Corporate", "Employment", "Litigation"} {
		api.must("POST", "cases", map[string]any{"title": fmt.Sprintf("Matter %d", i+1), "client": "Client " + pg, "practice_group": pg})
	}
	api.must("POST", "metrics", map[string]any{"name": "crm.pipeline", "label": "Pipeline", "unit": "USD"})
	push := func(v int) {
		api.must("POST", "metrics/points", map[string]any{"points": []map[string]any{
			{"metric": "crm.pipeline", "value": v, "at": time.Now().UTC().Format(time.RFC3339)}}})
	}
	push(250000)
	role := num(api.must("POST", "roles", map[string]any{"name": "Partner", "grants": map[string]string{"dashboards": "read", "cases": "read"}})["role"].(map[string]any)["id"])
	member := api.must("POST", "users", map[string]any{"username": "mpartner", "display_name": "Morgan Partner", "roles": []int64{role}})
	outsider := api.must("POST", "users", map[string]any{"username": "oassociate", "display_name": "Olive Associate", "roles": []int64{role}})

	// The group, made on its pages.
	b.open("/t/demo/admin/groups")
	b.fill("name", "Partners")
	b.submit("#create-group")
	b.wantText("The group has been created")
	b.do(chromedp.SetValue(chromedp.ID("user_id"), memberOption(t, api, "mpartner")))
	b.submit("#add-member")
	b.wantText("Morgan Partner (mpartner)")

	// The dashboard, made and shared on its pages.
	b.open("/t/demo/dashboards")
	b.submit("#new-dashboard")
	b.fill("name", "Practice overview")
	b.submit("#save-dashboard")
	b.wantText("The dashboard has been created")
	overview := strings.TrimSuffix(b.path(), "/edit")
	b.addWidget("kpi", "Open matters", "case:open", map[string]string{"target": "10"})
	b.addWidget("kpi", "Pipeline", "crm.pipeline", map[string]string{"refresh_seconds": "3600"})
	b.addWidget("timeseries", "Matters opened", "case:opened", map[string]string{"bucket": "week", "period": "this_quarter"})
	b.addWidget("bar", "Open matters by practice group", "case:open", map[string]string{"group_by": "practice_group"})
	b.addWidget("table", "Matters opened by month", "case:opened", map[string]string{"bucket": "month", "period": "last_12_months"})
	b.open(overview + "/share")
	b.do(chromedp.SetValue(chromedp.ID("group_id"), shareOption(t, b)))
	b.submit("#add-share")
	b.wantText("The dashboard's sharing has been saved")
	b.open(overview)
	b.wantText("Open matters by practice group")
	b.look("done-dashboard")

	// A member of the group sees it; someone outside it is told there is
	// no such page, as for one that never existed.
	mb := window()
	mb.firstSignIn(overview, "mpartner", member["temporary_password"].(string), "meadow lantern copper ridge 3318")
	mb.open(overview)
	mb.wantText("Practice overview")
	mb.wantText("Litigation")
	mb.look("done-dashboard-member")
	ob := window()
	ob.firstSignIn("/t/demo/", "oassociate", outsider["temporary_password"].(string), "north quarry velvet thistle 9021")
	if s := ob.openStatus(overview); s != 404 {
		t.Fatalf("outside the group: %d\n%s", s, ob.body())
	}
	if s := ob.openStatus("/t/demo/dashboards/999999"); s != 404 {
		t.Fatalf("a dashboard that does not exist: %d", s)
	}

	// A second dashboard: the pipeline alone.
	second := num(api.must("POST", "dashboards", map[string]any{"name": "Pipeline"})["dashboard"].(map[string]any)["id"])
	api.must("POST", fmt.Sprintf("dashboards/%d/widgets", second), map[string]any{"kind": "kpi", "title": "Pipeline this month",
		"source": "crm.pipeline", "options": map[string]any{"period": "this_month", "refresh_seconds": 3600}})
	overviewID := strings.TrimPrefix(overview, "/t/demo/dashboards/")

	// The kiosk link, made on its page, over both.
	b.open("/t/demo/admin/kiosk-links")
	b.fill("label", "Reception TV")
	b.do(chromedp.Clear(chromedp.ID("rotation_seconds")))
	b.fill("rotation_seconds", "10")
	b.fill("dashboards", fmt.Sprintf("%s, %d", overviewID, second))
	b.do(chromedp.Click(chromedp.ID("area-cases")))
	b.submit("#create-kiosk-link")
	b.wantText("Copy the address now")
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("kiosk-url").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(strings.TrimSpace(shown))
	if err != nil {
		t.Fatal(err)
	}

	// The TV: a window that never signs in.
	tv := window()
	tv.open(u.Path)
	tv.wantPath("/t/demo/k/")
	tv.wantText("Dashboard 1 of 2")
	tv.wantText("Open matters by practice group")
	tv.look("done-kiosk-overview")
	tv.waitText("Dashboard 2 of 2", 30*time.Second)
	tv.wantText("Pipeline this month")
	tv.look("done-kiosk-pipeline")

	// A pushed figure reaches the screen without a reload: live.js marks
	// what it swapped in. A rotation may reload the page between the
	// push and the update; the next push then arrives on the new page.
	updated := false
	for attempt := 0; attempt < 4 && !updated; attempt++ {
		tv.waitEval(`document.documentElement.getAttribute("data-live-state") === "open" && !!document.querySelector("[data-live-target]")`, 20*time.Second)
		push(100000 + attempt)
		updated = tv.evalWithin(`!!document.querySelector("[data-live-target][data-live-updated]")`, 8*time.Second)
	}
	if !updated {
		t.Fatalf("no live update reached the screen:\n%s", tv.body())
	}

	// Revoked: the screen's socket is closed, the page reloads into the
	// answer for a link that does not exist, and no figure is left.
	api.must("POST", fmt.Sprintf("kiosk-links/%d/revoke", kioskLinkID(t, api, "Reception TV")), nil)
	tv.waitText("not found", 20*time.Second)
	if n := tv.count("[data-live-target]"); n != 0 {
		t.Fatalf("a revoked screen still shows %d panels", n)
	}
	tv.look("done-kiosk-revoked")
}

// kioskLinkID is the id of the kiosk link labelled label.
func kioskLinkID(t *testing.T, api *apiClient, label string) int64 {
	t.Helper()
	for _, l := range api.must("GET", "kiosk-links", nil)["kiosk_links"].([]any) {
		if l := l.(map[string]any); l["label"] == label {
			return num(l["id"])
		}
	}
	t.Fatalf("no kiosk link %q", label)
	return 0
}

// waitText waits until the page (whatever reloads it meanwhile) says s,
// case-insensitively.
func (b *browser) waitText(s string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if strings.Contains(strings.ToLower(b.body()), strings.ToLower(s)) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("page did not come to say %q within %s; it says:\n%s", s, within, b.body())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// evalWithin reports whether a script's answer became true within a time.
func (b *browser) evalWithin(script string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](script)); err == nil && ok {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func (b *browser) waitEval(script string, within time.Duration) {
	b.t.Helper()
	if !b.evalWithin(script, within) {
		b.t.Fatalf("%s did not hold within %s; page:\n%s", script, within, b.body())
	}
}
