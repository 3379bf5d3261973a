package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// Administration → Integrations over HTTPS: a preset fills the form; a
// plain http:// URL is refused naming the field unless allowed, and then
// shown with a warning; a saved credential is said to be set and never
// written into a page; the test button shows why a pull would fail
// (loopback, which serve refuses without --integration-allow-cidr).
func TestIntegrationPages(t *testing.T) {
	const leak = "LEAK-pages-5b8e21d0"
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		a := newAPIClient(t, m)
		a.signIn("admin", adminTemp)
		page := func(path string, texts ...string) string {
			t.Helper()
			s, b := a.csPage("GET", path)
			if s != 200 {
				t.Fatalf("GET %s: %d\n%s", path, s, b)
			}
			for _, x := range texts {
				if !strings.Contains(b, x) {
					t.Fatalf("GET %s does not say %q:\n%s", path, x, b)
				}
			}
			if strings.Contains(b, leak) {
				t.Fatalf("GET %s shows the credential", path)
			}
			return b
		}
		page("admin/integrations", "No integrations yet", "New integration")
		page("admin/integrations/new?preset=hubspot-deals", `value="https://api.hubapi.com/crm/v3/objects/deals"`, `value="properties.amount"`)

		form := url.Values{"name": {"crm"}, "label": {"CRM"}, "url": {"http://127.0.0.1:1/data"}, "method": {"GET"},
			"items": {"items[*]"}, "value": {"v"}, "metric": {"crm.value"}, "pagination_kind": {"none"}, "auth_kind": {"bearer"},
			"secret": {leak}, "interval_minutes": {"60"}, "enabled": {"on"}, "version": {"0"}}
		status, body := a.pageForm("admin/integrations/new", form)
		if status != 400 || !strings.Contains(body, `id="url-error"`) || strings.Contains(body, leak) {
			t.Fatalf("http:// without the allowance: %d\n%s", status, body)
		}
		form.Set("allow_http", "on")
		status, loc := a.pageForm("admin/integrations/new", form)
		if status != 303 || !strings.Contains(loc, "/admin/integrations/") {
			t.Fatalf("create: %d %s", status, loc)
		}
		edit := strings.TrimPrefix(loc, "/t/demo/")
		page(edit, "Plain HTTP allowed", ">Set<", "Leave empty to keep it")
		page("admin/integrations", "Plain HTTP allowed", "CRM", "Set")

		// Saved again without a credential: the one set is kept.
		form.Set("secret", "")
		form.Set("url", "https://127.0.0.1:1/data")
		form.Del("allow_http")
		form.Set("version", "1")
		if status, loc := a.pageForm(edit, form); status != 303 {
			t.Fatalf("update: %d %s", status, loc)
		}
		b := page(edit, ">Set<")
		if strings.Contains(b, "Plain HTTP allowed") {
			t.Fatal("the warning stays after plain HTTP was forbidden again")
		}
		status, body = a.pageForm(edit+"/test", url.Values{})
		if status != 200 || !strings.Contains(body, "127.0.0.1") || !strings.Contains(body, "integration-allow-cidr") || strings.Contains(body, leak) {
			t.Fatalf("test: %d\n%s", status, body)
		}
		events, _ := auditEvents(t, a, "action=integration.allow_http")
		if len(events) != 2 {
			t.Fatalf("allow_http events: %v", events)
		}
		for _, action := range []string{"integration.create", "integration.update", "integration.test", "integration.allow_http"} {
			evs, raw := auditEvents(t, a, "action="+action)
			if len(evs) == 0 || strings.Contains(mustJSON(t, raw), leak) {
				t.Fatalf("%s: %v", action, raw)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
