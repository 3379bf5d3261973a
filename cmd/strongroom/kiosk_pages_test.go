package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"strongroom/identity"
	"strongroom/tenancy"
)

// Administration → Kiosk links, the expiry and the change form, on both
// engines: the expiry is written in the workspace's time zone, a past or
// malformed one is refused naming the field and kept in the form; a change
// is made from the version the form was opened at, and one made from an
// older version, through the form or the API, is refused with 409 and
// changes nothing.
func TestKioskExpiryAndVersion(t *testing.T) {
	dashboards := func(c *ServeConfig) {
		c.Kiosk = KioskConfig{NoFloor: true, DashboardExists: func(_ context.Context, _ *tenancy.Handle, _ *identity.Principal, id int64) (bool, error) {
			return id >= 1 && id <= 5, nil
		}}
	}
	forEachServer(t, dashboards, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		admin.must("PUT", "settings", map[string]any{"time_zone": "Europe/Paris"})
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		links := func() []any { return admin.must("GET", "kiosk-links", nil)["kiosk_links"].([]any) }
		page := func(path string, texts ...string) string {
			t.Helper()
			status, body := admin.csPage("GET", path)
			for _, x := range texts {
				if status != http.StatusOK || !strings.Contains(body, x) {
					t.Fatalf("GET %s: %d, does not say %q:\n%s", path, status, x, body)
				}
			}
			return body
		}
		page("admin/kiosk-links", `id="expires_at"`, `type="datetime-local"`, "(Europe/Paris)")

		form := url.Values{"label": {"Reception TV"}, "rotation_seconds": {"20"}, "dashboards": {"2, 1"}, "areas": {"dashboards"}}
		for _, tc := range []struct{ value, message string }{
			{"2020-01-31T18:00", "The expiry must be in the future"},
			{"next Friday at five", "Write the expiry as a date and time"},
			{"2027-02-30T10:00", "Write the expiry as a date and time"},
		} {
			form.Set("expires_at", tc.value)
			status, body := admin.pageForm("admin/kiosk-links", form)
			if status != http.StatusBadRequest || !strings.Contains(body, `id="expires_at-error"`) || !strings.Contains(body, tc.message) ||
				!strings.Contains(body, `value="`+html.EscapeString(tc.value)+`"`) || !strings.Contains(body, `value="Reception TV"`) {
				t.Fatalf("expiry %q: %d\n%s", tc.value, status, body)
			}
		}
		if n := len(links()); n != 0 {
			t.Fatalf("%d links after refused forms", n)
		}

		// A valid expiry is the wall-clock time in Paris.
		local := time.Now().In(paris).AddDate(0, 1, 0).Format("2006-01-02T15:04")
		want, _ := time.ParseInLocation("2006-01-02T15:04", local, paris)
		form.Set("expires_at", local)
		if status, body := admin.pageForm("admin/kiosk-links", form); status != http.StatusOK || !strings.Contains(body, "kiosk-url") {
			t.Fatalf("create: %d\n%s", status, body)
		}
		link := links()[0].(map[string]any)
		id, path := num(link["id"]), fmt.Sprintf("kiosk-links/%d", num(link["id"]))
		if at, err := time.Parse(time.RFC3339, fmt.Sprint(link["expires_at"])); err != nil || !at.Equal(want) || num(link["version"]) != 1 {
			t.Fatalf("created link: %v, want expiry %s", link, want)
		}

		// The change form opens at the link's version, its expiry in Paris.
		edit := fmt.Sprintf("admin/kiosk-links/%d/edit", id)
		page("admin/kiosk-links", fmt.Sprintf(`href="/t/demo/%s"`, edit))
		page(edit, `name="version" value="1"`, `value="`+local+`"`, `value="2, 1"`, "Change kiosk link Reception TV")
		change := url.Values{"label": {"Lobby"}, "rotation_seconds": {"20"}, "dashboards": {"3"}, "areas": {"dashboards"}, "expires_at": {""}, "version": {"1"}}
		change.Set("expires_at", "2020-01-31T18:00")
		if status, body := admin.pageForm(edit, change); status != http.StatusBadRequest || !strings.Contains(body, `id="expires_at-error"`) ||
			!strings.Contains(body, `value="2020-01-31T18:00"`) || !strings.Contains(body, `name="version" value="1"`) {
			t.Fatalf("change to a past expiry: %d\n%s", status, body)
		}
		change.Set("expires_at", "")
		if status, to := admin.pageForm(edit, change); status != http.StatusSeeOther || !strings.Contains(to, "done=kiosk-changed") {
			t.Fatalf("change: %d %s", status, to)
		}
		saved := admin.must("GET", path, nil)["kiosk_link"].(map[string]any)
		if saved["label"] != "Lobby" || saved["expires_at"] != nil || num(saved["version"]) != 2 || fmt.Sprint(saved["dashboards"]) != "[3]" {
			t.Fatalf("after the change: %v", saved)
		}

		// Stale: the form and the API, from version 1, are refused.
		updates := countAuditAction(t, admin, "kiosk.update")
		change.Set("label", "Stale form")
		status, body := admin.pageForm(edit, change)
		if status != http.StatusConflict || !strings.Contains(body, "Someone else changed this kiosk link since you opened it") ||
			!strings.Contains(body, `value="Stale form"`) {
			t.Fatalf("stale form: %d\n%s", status, body)
		}
		change.Del("version")
		if status, _ := admin.pageForm(edit, change); status != http.StatusConflict {
			t.Fatalf("form without a version: %d", status)
		}
		status, body = admin.do("PUT", path, map[string]any{"label": "Stale API", "version": 1})
		if status != http.StatusConflict || !strings.Contains(body, `"field":"version"`) || !strings.Contains(body, "Someone else changed this kiosk link") {
			t.Fatalf("stale API: %d %s", status, body)
		}
		status, body = admin.do("PUT", path, map[string]any{"label": "No version"})
		if status != http.StatusBadRequest || !strings.Contains(body, `"field":"version"`) {
			t.Fatalf("API without a version: %d %s", status, body)
		}
		after := admin.must("GET", path, nil)["kiosk_link"].(map[string]any)
		if after["label"] != "Lobby" || num(after["version"]) != 2 || countAuditAction(t, admin, "kiosk.update") != updates {
			t.Fatalf("refused changes changed the link: %v", after)
		}
		// From the current version the API changes it.
		if got := admin.must("PUT", path, map[string]any{"label": "Board room", "version": 2})["kiosk_link"].(map[string]any); got["label"] != "Board room" || num(got["version"]) != 3 {
			t.Fatalf("API change: %v", got)
		}
	})
}

func countAuditAction(t *testing.T, c *apiClient, action string) int {
	t.Helper()
	events, _ := auditEvents(t, c, "action="+action)
	return len(events)
}
