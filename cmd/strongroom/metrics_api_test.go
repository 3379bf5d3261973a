package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bearer sends a request with an API token and no cookie.
func (c *apiClient) bearer(token, method, path string, body any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricPoints counts the demo tenant's stored points, and its audit
// events of an action.
func metricPoints(t *testing.T, m *Main, action string) (points, events int) {
	t.Helper()
	ctx := context.Background()
	h, release, err := m.registry.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_points`).Scan(&points); err != nil {
		t.Fatal(err)
	}
	evs, err := h.Audit.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == action {
			events++
		}
	}
	return points, events
}

// TestMetricsAPI pushes points with a session, a full token and a
// metrics:write token; refuses every kind of bad input without storing
// anything; refuses the scoped token on every other route, and another
// tenant's token everywhere; and reads the series back.
func TestMetricsAPI(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		admin.must("POST", "metrics", map[string]any{"name": "crm.pipeline", "label": "Pipeline", "unit": "EUR"})
		admin.must("POST", "metrics", map[string]any{"name": "erp.stock", "source": "integration"})
		token := func(scope string) string {
			tk := admin.must("POST", "me/tokens", map[string]any{"name": "feed " + scope, "expires_in_days": 30, "scope": scope})
			if tk["scope"] != scope {
				t.Fatalf("token made with scope %v, want %s", tk["scope"], scope)
			}
			return tk["token"].(string)
		}
		pushOnly, full := token("metrics:write"), token("full")
		client := newAPIClient(t, m) // no cookies: only the token speaks

		day := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Hour)
		at := day.Format(time.RFC3339)
		point := func(value any, dims map[string]string) map[string]any {
			p := map[string]any{"metric": "crm.pipeline", "at": at, "value": value}
			if dims != nil {
				p["dimensions"] = dims
			}
			return p
		}
		push := func(points ...map[string]any) map[string]any { return map[string]any{"points": points} }

		// Valid pushes: the scoped token, a full token and the session.
		for name, send := range map[string]func(body any) (int, string){
			"metrics:write token": func(b any) (int, string) { return client.bearer(pushOnly, "POST", "metrics/points", b) },
			"full token":          func(b any) (int, string) { return client.bearer(full, "POST", "metrics/points", b) },
			"session":             func(b any) (int, string) { return admin.do("POST", "metrics/points", b) },
		} {
			status, body := send(push(point(123.4, map[string]string{"region": "north"}), point(50, map[string]string{"region": "south"})))
			if status != http.StatusOK || !strings.Contains(body, `"points":2`) {
				t.Fatalf("%s push: %d %s", name, status, body)
			}
		}
		// The same keys three times: still two points.
		points, pushes := metricPoints(t, m, "metric.push")
		if points != 2 || pushes != 3 {
			t.Fatalf("%d points and %d push events, want 2 and 3", points, pushes)
		}

		bad := map[string]struct {
			body  any
			field string
		}{
			"unknown metric": {push(point(1, nil), map[string]any{"metric": "crm.nope", "at": at, "value": 1}), "points[1].metric"},
			"integration":    {push(map[string]any{"metric": "erp.stock", "at": at, "value": 1}), "points[0].metric"},
			"no value":       {push(map[string]any{"metric": "crm.pipeline", "at": at}), "points[0].value"},
			"text value":     {push(point(1, nil), point("12", nil)), "points[1].value"},
			"huge value":     {json.RawMessage(`{"points":[{"metric":"crm.pipeline","at":"` + at + `","value":1e999}]}`), "points[0].value"},
			"bad time":       {push(map[string]any{"metric": "crm.pipeline", "at": "yesterday", "value": 1}), "points[0].at"},
			"future":         {push(map[string]any{"metric": "crm.pipeline", "at": time.Now().Add(48 * time.Hour).Format(time.RFC3339), "value": 1}), "points[0].at"},
			"ancient":        {push(map[string]any{"metric": "crm.pipeline", "at": "2001-01-01T00:00:00Z", "value": 1}), "points[0].at"},
			"many dims":      {push(point(1, map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1"})), "points[0].dimensions"},
			"long dim":       {push(point(1, map[string]string{"region": strings.Repeat("n", 101)})), "points[0].dimensions.region"},
			"unknown field":  {push(map[string]any{"metric": "crm.pipeline", "at": at, "value": 1, "colour": "red"}), "points[0].colour"},
			"no points":      {map[string]any{"points": []any{}}, "points"},
			"not a list":     {map[string]any{"points": "all"}, "points"},
		}
		many := make([]map[string]any, 1001)
		for i := range many {
			many[i] = point(i, nil)
		}
		bad["too many"] = struct {
			body  any
			field string
		}{push(many...), "points"}
		for name, c := range bad {
			status, body := client.bearer(pushOnly, "POST", "metrics/points", c.body)
			var e struct {
				Error struct{ Code, Field, Message string }
			}
			json.Unmarshal([]byte(body), &e)
			if status != http.StatusBadRequest || e.Error.Field != c.field {
				t.Errorf("%s: %d %s, want 400 naming %s", name, status, body, c.field)
			}
		}
		if points, n := metricPoints(t, m, "metric.push"); points != 2 || n != 3 {
			t.Errorf("after refused pushes: %d points, %d push events; want 2 and 3", points, n)
		}

		// The scoped token reaches nothing else, reads included.
		_, refusedBefore := metricPoints(t, m, "auth.permission_denied")
		others := []struct{ method, path string }{
			{"GET", "me"}, {"GET", "metrics"}, {"GET", "metrics/crm.pipeline/series"}, {"GET", "metrics/crm.pipeline/latest"},
			{"POST", "metrics"}, {"DELETE", "metrics/crm.pipeline"}, {"GET", "cases"}, {"GET", "me/tokens"}, {"POST", "me/tokens"},
			{"GET", "users"}, {"GET", "reports/cases"}, {"GET", "audit/events"}, {"GET", "search?q=pipeline"},
		}
		for _, o := range others {
			status, body := client.bearer(pushOnly, o.method, o.path, nil)
			if status != http.StatusForbidden || !strings.HasPrefix(body, `{"error":{"code":"forbidden"`) {
				t.Errorf("metrics:write token %s %s: %d %s, want 403", o.method, o.path, status, body)
			}
		}
		if _, refused := metricPoints(t, m, "auth.permission_denied"); refused-refusedBefore != len(others) {
			t.Errorf("%d refusals audited, want %d", refused-refusedBefore, len(others))
		}
		// A full token reads.
		if status, body := client.bearer(full, "GET", "metrics/crm.pipeline/latest?dim=region:north", nil); status != http.StatusOK || !strings.Contains(body, `"value":123.4`) {
			t.Errorf("full token latest: %d %s", status, body)
		}

		// Another tenant's token, scoped or not, is not a token here.
		if _, err := m.app.tenants.Create(context.Background(), "other", "Other LLP"); err != nil {
			t.Fatal(err)
		}
		outsider := newAPIClient(t, m)
		outsider.base = m.URL() + "api/v1/t/other/"
		outsider.signIn("admin", m.app.adminPassword)
		foreign := outsider.must("POST", "me/tokens", map[string]any{"name": "x", "expires_in_days": 1, "scope": "metrics:write"})["token"].(string)
		outsider.must("POST", "metrics", map[string]any{"name": "crm.pipeline"})
		if status, _ := outsider.bearer(foreign, "POST", "metrics/points", push(point(1, nil))); status != http.StatusOK {
			t.Errorf("the other tenant's token in its own tenant: %d", status)
		}
		if status, body := client.bearer(foreign, "POST", "metrics/points", push(point(999, nil))); status != http.StatusUnauthorized {
			t.Errorf("another tenant's token: %d %s, want 401", status, body)
		}
		if points, _ := metricPoints(t, m, "metric.push"); points != 2 {
			t.Errorf("%d points after the other tenant's token, want 2", points)
		}

		// Series: a day bucket over the last three days, grouped by region.
		from, to := day.Add(-48*time.Hour).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
		s := admin.must("GET", fmt.Sprintf("metrics/crm.pipeline/series?from=%s&to=%s&bucket=day&agg=sum&group_by=region", from, to), nil)
		groups := s["groups"].([]any)
		if len(groups) != 2 || groups[0].(map[string]any)["key"] != "north" {
			t.Fatalf("series groups %v", groups)
		}
		var north float64
		for _, b := range groups[0].(map[string]any)["buckets"].([]any) {
			north += b.(map[string]any)["value"].(float64)
		}
		if north != 123.4 {
			t.Errorf("north total %v, want 123.4", north)
		}
		if status, body := admin.do("GET", "metrics/crm.pipeline/series?bucket=hour", nil); status != http.StatusBadRequest || !strings.Contains(body, `"field":"bucket"`) {
			t.Errorf("bad bucket: %d %s", status, body)
		}
		if status, body := admin.do("GET", "metrics/crm.pipeline/series?from=soon", nil); status != http.StatusBadRequest || !strings.Contains(body, `"field":"from"`) {
			t.Errorf("bad from: %d %s", status, body)
		}
		if status, _ := admin.do("GET", "metrics/crm.none/series", nil); status != http.StatusNotFound {
			t.Errorf("unknown metric: %d", status)
		}
		k := admin.must("GET", fmt.Sprintf("metrics/crm.pipeline/kpi?from=%s&to=%s", day.Format(time.RFC3339), to), nil)
		if k["current"].(map[string]any)["value"] != 173.4 || k["previous"].(map[string]any)["value"] != 0.0 || k["percent"] != nil {
			t.Errorf("kpi %v", k)
		}
		list := admin.must("GET", "metrics", nil)
		if len(list["metrics"].([]any)) != 2 || len(list["case_metrics"].([]any)) == 0 {
			t.Errorf("list %v", list)
		}
		// A case figure through the same route.
		if c := admin.must("GET", "metrics/case.open/series", nil); c["current"] != true {
			t.Errorf("case.open %v", c)
		}
		admin.must("DELETE", "metrics/crm.pipeline", nil)
		if points, _ := metricPoints(t, m, "metric.push"); points != 0 {
			t.Errorf("%d points after delete", points)
		}
	})
}

// TestTokenPageScope makes a push-only token on the API tokens page: the
// form offers the scope, the list shows it, and the token works as made.
func TestTokenPageScope(t *testing.T) {
	m, temp := engineServer(t, "sqlite", nil)
	admin := newAPIClient(t, m)
	admin.signIn("admin", temp)
	page := func(path string) string {
		_, body := admin.csSend("GET", m.URL()+"t/demo/"+path, "", nil)
		return body
	}
	if form := page("tokens"); !strings.Contains(form, `<select class="form-select" id="scope" name="scope"`) || !strings.Contains(form, `value="metrics:write"`) {
		t.Fatalf("the token form offers no scope")
	}
	status, body := admin.pageForm("tokens", url.Values{"name": {"Dashboard feed"}, "expires_in_days": {"30"}, "scope": {"everything"}})
	if status != http.StatusBadRequest || !strings.Contains(body, `href="#scope"`) || !strings.Contains(body, "Unknown token scope") {
		t.Errorf("an unknown scope: %d", status)
	}
	status, body = admin.pageForm("tokens", url.Values{"name": {"Dashboard feed"}, "expires_in_days": {"30"}, "scope": {"metrics:write"}})
	secret := regexp.MustCompile(`<code id="token-secret">(srt_[^<]+)</code>`).FindStringSubmatch(body)
	if status != http.StatusCreated || secret == nil {
		t.Fatalf("make a token: %d", status)
	}
	if list := page("tokens"); !strings.Contains(list, "Push metrics only") {
		t.Errorf("the token list does not show the scope")
	}
	client := newAPIClient(t, m)
	if status, _ := client.bearer(secret[1], "GET", "me", nil); status != http.StatusForbidden {
		t.Errorf("push-only token GET me: %d, want 403", status)
	}
	admin.must("POST", "metrics", map[string]any{"name": "web.visits"})
	pt := map[string]any{"points": []any{map[string]any{"metric": "web.visits", "at": time.Now().UTC().Format(time.RFC3339), "value": 3}}}
	if status, body := client.bearer(secret[1], "POST", "metrics/points", pt); status != http.StatusOK {
		t.Errorf("push-only token push: %d %s", status, body)
	}
}
