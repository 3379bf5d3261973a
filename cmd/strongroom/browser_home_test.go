package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// homeBrowser is demoBrowser with the server, for tests that also set
// data up through the API.
func homeBrowser(t *testing.T) (*browser, *Main, string) {
	t.Helper()
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, stdout.String())
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + u.Port()}, m, adminTemp
}

// adminBrowser is homeBrowser signed in as the demo's administrator,
// whose temporary password is replaced by pw, with an API client signed
// in alike.
func adminBrowser(t *testing.T, pw string) (*browser, *Main, *apiClient) {
	t.Helper()
	b, m, adminTemp := homeBrowser(t)
	b.firstSignIn("/t/demo/", "admin", adminTemp, pw)
	api := newAPIClient(t, m)
	api.signIn("admin", pw)
	return b, m, api
}

// openStatus opens a page that is not a success and returns its status.
func (b *browser) openStatus(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// TestBrowserStartPage: a lawyer's start page lists the open cases they
// are responsible for, their deadlines with the overdue ones first and
// marked, and the cases they opened last; a missing page is shown inside
// the workspace with a way back to it; the settings page changes how
// every page writes dates and money.
func TestBrowserStartPage(t *testing.T) {
	browsertest.Require(t)
	b, m, adminTemp := homeBrowser(t)
	const pw = "harbour lantern quiet meadow 4410"
	b.firstSignIn("/t/demo/", "admin", adminTemp, pw)
	b.wantText("You are not responsible for any open case")
	b.look("home-empty")

	api := newAPIClient(t, m)
	api.signIn("admin", pw)
	me := num(api.must("GET", "me", nil)["user"].(map[string]any)["id"])
	newCase := func(title, client string) int64 {
		c := api.must("POST", "cases", map[string]any{"title": title, "client": client, "responsible": []int64{me}})
		return num(c["case"].(map[string]any)["id"])
	}
	today := time.Now().UTC()
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	hargreaves := newCase("Hargreaves v. Northwind Shipping", "Hargreaves plc")
	pemberton := newCase("Estate of Pemberton", "Pemberton family")
	api.must("POST", "cases", map[string]any{"title": "Someone else's matter"})
	for _, ev := range []struct {
		id          int64
		kind, title string
		due         int
	}{
		{pemberton, "deadline", "Exchange witness statements", 5},
		{hargreaves, "deadline", "File the defence", -3},
		{hargreaves, "hearing", "Case management hearing", 12},
	} {
		api.must("POST", fmt.Sprintf("cases/%d/events", ev.id), map[string]any{"kind": ev.kind, "title": ev.title, "due_on": day(ev.due)})
	}

	b.open("/t/demo/")
	cases := b.text("my-cases-heading") + b.body()
	if !strings.Contains(cases, "Hargreaves v. Northwind Shipping") || !strings.Contains(cases, "Estate of Pemberton") ||
		strings.Contains(cases, "Someone else's matter") {
		t.Fatalf("my open cases:\n%s", cases)
	}
	deadlines := b.text("my-deadlines")
	first, second, third := strings.Index(deadlines, "File the defence"), strings.Index(deadlines, "Exchange witness statements"),
		strings.Index(deadlines, "Case management hearing")
	if first < 0 || second < first || third < second {
		t.Fatalf("deadlines not soonest (overdue) first:\n%s", deadlines)
	}
	if !strings.Contains(deadlines[:second], "Overdue") || strings.Contains(deadlines[second:], "Overdue") {
		t.Fatalf("only the past deadline should be marked overdue:\n%s", deadlines)
	}
	b.wantText("Cases you open appear here")

	// Opening a case puts it at the top of the recently viewed.
	b.open(fmt.Sprintf("/t/demo/cases/%d", hargreaves))
	b.open(fmt.Sprintf("/t/demo/cases/%d", pemberton))
	b.open("/t/demo/")
	recent := b.text("recently-viewed")
	if p, h := strings.Index(recent, "Estate of Pemberton"), strings.Index(recent, "Hargreaves"); p < 0 || h < p {
		t.Fatalf("recently viewed, newest first:\n%s", recent)
	}
	b.wantText("Recent activity in my cases")
	b.look("home")

	// A page that does not exist is shown in the workspace's frame, with
	// its navigation and a way back to the start page.
	if status := b.openStatus("/t/demo/cases/987654"); status != http.StatusNotFound {
		t.Fatalf("missing case: status %d", status)
	}
	b.wantText("Back to the start page")
	b.wantText("Signed in as")
	b.look("not-found")
	b.submit("main a.btn-primary")
	b.wantPath("/t/demo/")

	// Settings: a bad time zone is refused beside the field and changes
	// nothing; then German formatting applies to every page.
	b.open("/t/demo/admin/settings")
	b.do(chromedp.SetValue(chromedp.ID("locale"), "de-DE"), chromedp.SetValue(chromedp.ID("currency"), "EUR"),
		chromedp.SetValue(chromedp.ID("time_zone"), "Europe/Atlantis"))
	if resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.ID("save-formatting"))); err != nil || resp.Status != http.StatusBadRequest {
		t.Fatalf("a bad time zone: %v %v", resp, err)
	}
	if msg := b.text("time_zone-error"); !strings.Contains(msg, "time zone") {
		t.Fatalf("time zone error: %q", msg)
	}
	b.look("settings-error")
	b.do(chromedp.SetValue(chromedp.ID("time_zone"), "Europe/Berlin"))
	b.submit("#save-formatting")
	b.wantPath("/t/demo/admin/settings")
	b.wantText("The formatting has been saved")
	b.look("settings")
	api.must("GET", "settings", nil)
	if s := api.must("GET", "settings", nil)["settings"].(map[string]any); s["locale"] != "de-DE" || s["time_zone"] != "Europe/Berlin" || s["currency"] != "EUR" {
		t.Fatalf("settings after the page saved them: %v", s)
	}
	b.open("/t/demo/")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	due := today.AddDate(0, 0, -3)
	if want := due.Format("02.01.2006"); !strings.Contains(b.text("my-deadlines"), want) {
		t.Fatalf("the start page does not write dates as de-DE does (%s):\n%s", want, b.text("my-deadlines"))
	}
	if zone := time.Now().In(berlin).Format("MST"); !strings.Contains(b.text("recently-viewed"), zone) {
		t.Fatalf("times not shown in Berlin's zone (%s):\n%s", zone, b.text("recently-viewed"))
	}
	b.look("home-de")
}

// TestBrowserAdminPages looks at the administration and account pages as
// an administrator uses them: a new user and their temporary password, the
// user's page, the page that confirms their deletion, roles, classes,
// sessions, API tokens and the front page.
func TestBrowserAdminPages(t *testing.T) {
	browsertest.Require(t)
	b, m, adminTemp := homeBrowser(t)
	const pw = "copper kettle northern lights 7781"
	b.firstSignIn("/t/demo/", "admin", adminTemp, pw)
	api := newAPIClient(t, m)
	api.signIn("admin", pw)
	api.must("POST", "classes", map[string]string{"name": "Merger Alpha", "description": "The Alpha Holdings acquisition"})
	c := api.must("POST", "cases", map[string]any{"title": "Alpha Holdings acquisition", "client": "Alpha Holdings"})
	caseID := num(c["case"].(map[string]any)["id"])

	step := func(name, path string) {
		t.Helper()
		b.open(path)
		b.look(name)
	}
	step("front", "/")
	step("admin-users", "/t/demo/admin/users")
	b.open("/t/demo/admin/users/new")
	b.fill("username", "pparalegal")
	b.fill("display_name", "Pat Paralegal")
	b.do(chromedp.Click(chromedp.CSS(`input[name=roles]`)))
	b.look("admin-user-new")
	b.submit("#save-user")
	b.wantText("User pparalegal created")
	b.look("admin-user-secret")
	var id int64
	for _, u := range api.must("GET", "users", nil)["users"].([]any) {
		if u := u.(map[string]any); u["username"] == "pparalegal" {
			id = num(u["id"])
		}
	}
	// Make them responsible for a case: the deletion says so.
	cur := api.must("GET", fmt.Sprintf("cases/%d", caseID), nil)["case"].(map[string]any)
	api.must("PUT", fmt.Sprintf("cases/%d", caseID), map[string]any{"title": cur["title"], "client": cur["client"], "responsible": []int64{id},
		"version": num(cur["version"])})
	step("admin-user", fmt.Sprintf("/t/demo/admin/users/%d", id))
	b.submit("#delete-user")
	b.wantPath(fmt.Sprintf("/t/demo/admin/users/%d/delete", id))
	b.wantText("They are responsible for 1 case you can see")
	b.look("admin-user-delete")
	b.submit("#confirm-delete")
	b.wantPath("/t/demo/admin/users")
	b.wantText("The user has been deleted.")

	step("admin-roles", "/t/demo/admin/roles")
	step("admin-role", "/t/demo/admin/roles/new")
	step("admin-classes", "/t/demo/admin/classes")
	step("sessions", "/t/demo/sessions")
	b.open("/t/demo/tokens")
	b.fill("name", "Accounts export")
	b.submit("#make-token")
	b.wantText("shown only this once")
	b.look("token-created")
	step("tokens", "/t/demo/tokens")
}
