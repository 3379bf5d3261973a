package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSettingsOverHTTPS: the settings API takes the formatting and the
// upload limit beside the security policy; a request with one bad field is
// refused naming it and changes nothing; a good one is kept, audited, and
// shown on the settings page; fields left out keep their values.
func TestSettingsOverHTTPS(t *testing.T) {
	forEachServer(t, func(c *ServeConfig) { c.MaxUploadMiB = 512 }, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		get := func() map[string]any {
			t.Helper()
			return admin.must("GET", "settings", nil)["settings"].(map[string]any)
		}
		before := get()
		if before["locale"] != "en-US" || before["time_zone"] != "UTC" || before["currency"] != "USD" ||
			num(before["max_upload_bytes"]) != 100<<20 || num(before["max_upload_ceiling_bytes"]) != 512<<20 {
			t.Fatalf("a new tenant's settings: %v", before)
		}
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"locale": "xx-XX", "time_zone": "Europe/Paris"}, "locale"},
			{map[string]any{"locale": "fr-FR", "time_zone": "Europe/Atlantis"}, "time_zone"},
			{map[string]any{"locale": "fr-FR", "currency": "FRF1"}, "currency"},
			{map[string]any{"locale": "fr-FR", "max_upload_bytes": 1024 << 20}, "max_upload_bytes"},
			{map[string]any{"locale": "fr-FR", "max_upload_bytes": 10}, "max_upload_bytes"},
			{map[string]any{"locale": "fr-FR", "idle_timeout_minutes": 0}, "idle_timeout_minutes"},
		} {
			status, body := admin.do("PUT", "settings", tc.body)
			var e struct {
				Error struct{ Code, Field string } `json:"error"`
			}
			json.Unmarshal([]byte(body), &e)
			if status != 400 || e.Error.Code != "invalid" || e.Error.Field != tc.field {
				t.Errorf("PUT %v: %d %s, want 400 on %s", tc.body, status, body, tc.field)
			}
		}
		if after := get(); !equalJSON(after, before) {
			t.Fatalf("refused updates changed the settings:\n%v\n%v", before, after)
		}
		out := admin.must("PUT", "settings", map[string]any{"locale": "fr-FR", "time_zone": "Europe/Paris", "currency": "EUR", "max_upload_bytes": 256 << 20})
		s := out["settings"].(map[string]any)
		if s["locale"] != "fr-FR" || s["time_zone"] != "Europe/Paris" || s["currency"] != "EUR" || num(s["max_upload_bytes"]) != 256<<20 ||
			num(s["lockout_threshold"]) != num(before["lockout_threshold"]) {
			t.Fatalf("settings after the update: %v", s)
		}
		if got := get(); !equalJSON(got, s) {
			t.Fatalf("settings read back: %v", got)
		}
		events := admin.must("GET", "audit/events?action=settings.update", nil)
		if n := len(events["events"].([]any)); n != 2 { // formatting, upload limit
			t.Errorf("%d settings.update events, want 2: %v", n, events)
		}
		status, page := admin.csPage("GET", "admin/settings")
		if status != 200 || !strings.Contains(page, `<option value="fr-FR" selected>`) || !strings.Contains(page, `value="Europe/Paris"`) ||
			!strings.Contains(page, `value="256"`) || !strings.Contains(page, "567,50\u00a0€") || !strings.Contains(page, " CET") && !strings.Contains(page, " CEST") {
			t.Errorf("settings page: %d\n%s", status, page)
		}
		// Staff may neither read nor change the settings.
		staff := newCaseWorldUser(t, m, admin)
		if status, _ := staff.do("PUT", "settings", map[string]any{"locale": "de-DE"}); status != 403 {
			t.Errorf("staff PUT settings: %d", status)
		}
	})
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// newCaseWorldUser makes a staff user with the cases area and signs them in.
func newCaseWorldUser(t *testing.T, m *Main, admin *apiClient) *apiClient {
	t.Helper()
	w := &caseWorld{m: m, admin: admin}
	return w.user(t, map[string]string{"cases": "edit"}, false)
}
