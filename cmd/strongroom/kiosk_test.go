package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// screen is one browser on a wall: its own cookies, sending from one
// client address through the trusted proxy.
type screen struct {
	t    *testing.T
	c    *http.Client
	m    *Main
	ip   string
	host string // a host name for the tenant (--tenant-host-suffix), or none
}

func (s *screen) get(path string) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", strings.TrimSuffix(s.m.URL(), "/")+path, nil)
	req.Header.Set("X-Forwarded-For", s.ip)
	if s.host != "" {
		req.Host = s.host
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Kiosk links end to end, on both engines, through a trusted proxy that
// names each client's address: a link's URL moves its token into a cookie
// and out of the address bar; the screen shows and counts its views;
// thousands of guesses from many addresses stop being tested while the
// screen keeps showing; the allowlist, regenerate and revoke apply at once;
// and the token is nowhere in the logs or in any answer but the one that
// made it.
func TestKioskOverHTTPS(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel() // the two engines side by side, as forEachServerAtOnce
			if engine == "postgres" && os.Getenv(storetest.PostgresEnv) == "" {
				t.Skip(storetest.PostgresEnv + " is not set")
			}
			var logs syncBuffer
			m, temp := engineServerLogging(t, engine, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), func(c *ServeConfig) {
				c.TrustedProxies, c.TenantHostSuffix = "127.0.0.1", "example.test"
				c.Kiosk = KioskConfig{NoFloor: true,
					Guard: kiosk.GuardConfig{AddressBurst: 5, AddressRefill: time.Hour, TenantBurst: 20, TenantRefill: time.Hour, Memory: time.Hour},
					DashboardExists: func(_ context.Context, _ *tenancy.Handle, _ *identity.Principal, id int64) (bool, error) {
						return id >= 1 && id <= 5, nil
					}}
			})
			testKiosk(t, m, temp, &logs)
		})
	}
}

func testKiosk(t *testing.T, m *Main, adminTemp string, logs *syncBuffer) {
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	var tokens []string
	made := admin.must("POST", "kiosk-links", map[string]any{"label": "Reception TV", "rotation_seconds": 15,
		"dashboards": []int64{2, 1}, "areas": []string{"dashboards"}, "restricted": false})
	token, path := made["token"].(string), made["path"].(string)
	tokens = append(tokens, token)
	id := num(made["kiosk_link"].(map[string]any)["id"])
	if !strings.HasPrefix(token, "srk_") || path != "/t/demo/k/"+token {
		t.Fatalf("created: token %d chars, path %q", len(token), path)
	}

	tv := &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "192.0.2.10"}
	resp, _ := tv.get(path)
	ck := cookieNamed(resp, "__Secure-srk-demo")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/t/demo/k/" || ck == nil {
		t.Fatalf("enter: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Header["Set-Cookie"])
	}
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/t/demo/k/" || ck.MaxAge < 300*24*3600 {
		t.Fatalf("cookie attributes %+v", ck)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Fatalf("Referrer-Policy %q", got)
	}
	show := func(s *screen, at string, want string) {
		t.Helper()
		resp, body := s.get("/t/demo/k/" + at)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Reception TV") || !strings.Contains(body, want) ||
			resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("screen %s%s: %d %q", s.ip, at, resp.StatusCode, body)
		}
	}
	show(tv, "", "Dashboard 1 of 2")
	if resp, _ := tv.get("/t/demo/k/"); resp.Header.Get("Refresh") != "15; url=/t/demo/k/?at=1" {
		t.Fatalf("Refresh %q", resp.Header.Get("Refresh"))
	}
	show(tv, "?at=1", "Dashboard 2 of 2")

	link := admin.must("GET", fmt.Sprintf("kiosk-links/%d", id), nil)["kiosk_link"].(map[string]any)
	if num(link["view_count"]) != 3 || link["last_viewed_at"] == nil {
		t.Fatalf("views: %v", link)
	}

	// Addressed by host name, the screen's paths have no /t/SLUG.
	lobby := &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "192.0.2.13", host: "demo.example.test"}
	resp, _ = lobby.get("/k/" + token)
	if ck := cookieNamed(resp, "__Secure-srk-demo"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/k/" || ck == nil || ck.Path != "/k/" {
		t.Fatalf("by host name: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Header["Set-Cookie"])
	}
	if resp, body := lobby.get("/k/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Dashboard 1 of 2") || resp.Header.Get("Refresh") != "15; url=/k/?at=1" {
		t.Fatalf("by host name: %d, Refresh %q", resp.StatusCode, resp.Header.Get("Refresh"))
	}
	// Unknown tokens and a missing cookie get the unknown page's answer.
	stranger := &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "192.0.2.99"}
	_, unknownPage := stranger.get("/t/demo/no-such-page")
	_, unknownTenant := stranger.get("/t/nosuch/no-such-page")
	for p, want := range map[string]string{"/t/demo/k/srk_" + strings.Repeat("A", 43): unknownPage, "/t/demo/k/": unknownPage,
		"/t/demo/k/nonsense": unknownPage, "/t/nosuch/k/" + token: unknownTenant} {
		if resp, body := stranger.get(p); resp.StatusCode != http.StatusNotFound || body != want {
			t.Fatalf("%s: %d, not the unknown page's answer: %q", strings.ReplaceAll(p, token, "TOKEN"), resp.StatusCode, body)
		}
	}

	// The allowlist: the screen's network only.
	admin.must("PUT", fmt.Sprintf("kiosk-links/%d", id), map[string]any{"allowed_cidrs": []string{"192.0.2.0/28"}, "version": num(link["version"])})
	show(tv, "", "Dashboard 1 of 2")
	outside := &screen{t: t, c: tv.c, m: m, ip: "192.0.2.200"}
	if resp, body := outside.get("/t/demo/k/"); resp.StatusCode != http.StatusNotFound || body != unknownPage {
		t.Fatalf("outside the allowlist: %d", resp.StatusCode)
	}

	// Paused: the holder of the token learns it, and the screen looks again.
	admin.must("POST", fmt.Sprintf("kiosk-links/%d/pause", id), nil)
	if resp, body := tv.get("/t/demo/k/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "This screen is paused.") ||
		!strings.HasPrefix(resp.Header.Get("Refresh"), "60") {
		t.Fatalf("paused: %d %q", resp.StatusCode, body)
	}
	admin.must("POST", fmt.Sprintf("kiosk-links/%d/resume", id), nil)
	show(tv, "", "Dashboard 1 of 2")

	// Regenerate: the old token and the cookie holding it stop at once;
	// the new URL works, and after it the cookie again.
	again := admin.must("POST", fmt.Sprintf("kiosk-links/%d/regenerate", id), nil)
	fresh := again["token"].(string)
	tokens = append(tokens, fresh)
	if resp, _ := tv.get("/t/demo/k/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the old cookie after regenerate: %d", resp.StatusCode)
	}
	if resp, _ := tv.get(path); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the old URL after regenerate: %d", resp.StatusCode)
	}
	if resp, _ := tv.get(again["path"].(string)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new URL: %d", resp.StatusCode)
	}
	show(tv, "", "Dashboard 1 of 2")

	// Revoke: at once, for good.
	admin.must("POST", fmt.Sprintf("kiosk-links/%d/revoke", id), nil)
	if resp, _ := tv.get("/t/demo/k/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("after revoke: %d", resp.StatusCode)
	}
	if status, _ := admin.do("POST", fmt.Sprintf("kiosk-links/%d/resume", id), nil); status != http.StatusConflict {
		t.Fatalf("resume a revoked link: %d", status)
	}

	h, release, err := m.registry.Get(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	before := countEvents(t, h, "kiosk.guess_failed")
	// The flood: 40 addresses, 25 guesses each, against a new link whose
	// screen reloads between rounds and shows every time.
	made = admin.must("POST", "kiosk-links", map[string]any{"label": "Reception TV", "rotation_seconds": 15,
		"dashboards": []int64{2, 1}, "areas": []string{"dashboards"}, "restricted": false})
	token, path = made["token"].(string), made["path"].(string)
	tokens = append(tokens, token)
	tv = &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "192.0.2.11"}
	if resp, _ := tv.get(path); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enter the new link: %d", resp.StatusCode)
	}
	var blockedAnswer string
	for round := range 25 {
		for a := range 40 {
			g := &screen{t: t, c: tv.c, m: m, ip: fmt.Sprintf("198.18.1.%d", a+1)}
			resp, body := g.get(fmt.Sprintf("/t/demo/k/srk_%043d", round*40+a))
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("guess from %s: %d", g.ip, resp.StatusCode)
			}
			blockedAnswer = body
		}
		show(tv, "", "Dashboard 1 of 2")
	}
	if blockedAnswer != unknownPage {
		t.Fatalf("a blocked address's answer differs from an unknown token's: %q", blockedAnswer)
	}
	tested := countEvents(t, h, "kiosk.guess_failed") - before
	if tested > 20+40 { // at most the tenant's budget and one for each address
		t.Fatalf("%d of 1000 guesses were tested against the table", tested)
	}
	t.Logf("%d of 1000 guesses tested", tested)
	// A blocked address cannot open a real link either.
	blocked := &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "198.18.1.1"}
	if resp, _ := blocked.get(path); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a blocked address opened a real link: %d", resp.StatusCode)
	}

	tokens = append(tokens, testKioskPages(t, m, admin)...)

	// The tokens are in no log line and in no later answer.
	_, list := admin.do("GET", "kiosk-links", nil)
	for _, tk := range tokens {
		secret := tk[len("srk_"):]
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a token is in the log")
		}
		if strings.Contains(list, secret) {
			t.Fatal("a token is in the list of links")
		}
	}
	if !strings.Contains(logs.String(), `"path":"/t/demo/k/srk_…"`) {
		t.Fatal("the access log does not show kiosk paths with the token left out")
	}
	if n := countEvents(t, h, "kiosk.view"); n < 30 {
		t.Fatalf("%d kiosk.view events", n)
	}
}

// testKioskPages goes through Administration → Kiosk links: a form with
// every problem listed, the address shown once with a copy button, the
// views in the list, and confirmation before revoke. It returns the
// tokens it saw.
func testKioskPages(t *testing.T, m *Main, admin *apiClient) []string {
	status, body := admin.pageForm("admin/kiosk-links", url.Values{"label": {""}, "rotation_seconds": {"5"}, "dashboards": {"1, x"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "There are 4 problems; nothing has been saved") || !strings.Contains(body, `href="#rotation_seconds"`) {
		t.Fatalf("invalid form: %d %q", status, body)
	}
	status, body = admin.pageForm("admin/kiosk-links", url.Values{"label": {"Board room"}, "rotation_seconds": {"20"}, "dashboards": {"3, 1"},
		"areas": {"dashboards"}, "allowed_cidrs": {"192.0.2.0/24\n198.51.100.7"}})
	shown := regexp.MustCompile(`<code id="kiosk-url">https://[^/]+(/t/demo/k/(srk_[A-Za-z0-9_-]{43}))</code>`).FindStringSubmatch(body)
	if status != http.StatusOK || shown == nil || !strings.Contains(body, `<script src="/static/kiosk-copy.js" defer></script>`) ||
		!strings.Contains(body, `data-copy="kiosk-url"`) {
		t.Fatalf("created page: %d %q", status, body)
	}
	tv := &screen{t: t, c: newAPIClient(t, m).http, m: m, ip: "192.0.2.12"}
	if resp, _ := tv.get(shown[1]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the address shown: %d", resp.StatusCode)
	}
	if resp, body := tv.get("/t/demo/k/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Dashboard 3") {
		t.Fatalf("the screen: %d %q", resp.StatusCode, body)
	}
	status, list := admin.csPage("GET", "admin/kiosk-links")
	if status != http.StatusOK || !strings.Contains(list, "Board room") || strings.Contains(list, shown[2][4:]) ||
		!regexp.MustCompile(`<td class="num">1</td>`).MatchString(list) {
		t.Fatalf("list: %d %q", status, list)
	}
	id := regexp.MustCompile(`/t/demo/admin/kiosk-links/(\d+)/revoke`).FindStringSubmatch(list)
	status, confirm := admin.csPage("GET", "admin/kiosk-links/"+id[1]+"/revoke")
	if status != http.StatusOK || !strings.Contains(confirm, "Its screen stops at once") {
		t.Fatalf("confirm: %d %q", status, confirm)
	}
	if status, to := admin.pageForm("admin/kiosk-links/"+id[1]+"/revoke", url.Values{}); status != http.StatusSeeOther || !strings.Contains(to, "done=kiosk-revoked") {
		t.Fatalf("revoke: %d %q", status, to)
	}
	if resp, _ := tv.get("/t/demo/k/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the screen after revoke: %d", resp.StatusCode)
	}
	return []string{shown[2]}
}

func countEvents(t *testing.T, h *tenancy.Handle, action string) int {
	t.Helper()
	evs, err := h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}
