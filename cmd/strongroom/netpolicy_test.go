package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"strongroom/identity"
	"strongroom/live"
	"strongroom/tenancy"
)

// fromAddr sends every request as if from *ip, in X-Forwarded-For (believed
// only when the peer is a trusted proxy).
type fromAddr struct {
	ip   *string
	next http.RoundTripper
}

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if *f.ip != "" {
		r.Header.Set("X-Forwarded-For", *f.ip)
	}
	return f.next.RoundTrip(r)
}

// addrClient is an apiClient whose address can move.
type addrClient struct {
	*apiClient
	ip *string
}

func newAddrClient(t *testing.T, m *Main, ip string) addrClient {
	t.Helper()
	c := newAPIClient(t, m)
	c.http.Transport = fromAddr{ip: &ip, next: c.http.Transport}
	return addrClient{c, &ip}
}

func (c addrClient) from(ip string) addrClient { *c.ip = ip; return c }

// raw sends a request to a full path and returns everything the answer
// says: status, the headers that matter and the body.
func (c addrClient) raw(method, path, token string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, strings.TrimSuffix(strings.TrimSuffix(c.base, "api/v1/t/demo/"), "/")+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type") + "\n" + string(b)
}

// dialLiveFrom opens a live endpoint with c's cookies, as if from ip.
func dialLiveFrom(t *testing.T, m *Main, c addrClient, path, ip string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ws, resp, err := dialWS(t, m, c.http.Jar, path, http.Header{"Origin": {strings.TrimSuffix(m.URL(), "/")}, "X-Forwarded-For": {ip}})
	if ws != nil {
		t.Cleanup(func() { ws.CloseNow() })
	}
	return ws, resp, err
}

func allowlistStorage(m *Main) []string {
	s := []string{"--data-dir", m.Config.Storage.DataDir, "--master-key-file", m.Config.Storage.MasterKeyFile}
	if m.Config.Storage.Database != "" {
		s = append(s, "--database", m.Config.Storage.Database)
	}
	return s
}

// The tenant's IP allowlist end to end, on both engines, behind a trusted
// proxy: the lockout guard, bad input, a stale version; then every kind of
// access (a session's pages, sign-in, an API token, a kiosk link, the live
// socket) from inside and outside the list, IPv4 and IPv6; a refusal
// byte-identical to an unknown tenant's answer and audited once a minute
// per address; and the operator's --clear.
func TestIPAllowlistOverHTTPS(t *testing.T) {
	forEachServer(t, func(c *ServeConfig) {
		c.TrustedProxies = "127.0.0.1"
		// The open socket left out by a new list closes at the hub's next
		// sweep: a short one, so the test does not wait for the default.
		c.Live = live.Config{SweepInterval: 200 * time.Millisecond, AuthTTL: time.Millisecond}
		c.Kiosk = KioskConfig{NoFloor: true, DashboardExists: func(_ context.Context, _ *tenancy.Handle, _ *identity.Principal, id int64) (bool, error) {
			return id >= 1 && id <= 5, nil
		}}
	}, testIPAllowlist)
}

func testIPAllowlist(t *testing.T, m *Main, adminTemp string) {
	admin := newAddrClient(t, m, "192.0.2.7")
	admin.signIn("admin", adminTemp)
	token := admin.must("POST", "me/tokens", map[string]any{"name": "feed", "expires_in_days": 30})["token"].(string)
	made := admin.must("POST", "kiosk-links", map[string]any{"label": "Reception TV", "rotation_seconds": 15,
		"dashboards": []int64{1}, "areas": []string{"dashboards"}, "restricted": false, "allowed_cidrs": []string{"198.51.100.0/28"}})
	tv := newAddrClient(t, m, "198.51.100.5")
	if status, _ := tv.raw("GET", made["path"].(string), ""); status != http.StatusSeeOther {
		t.Fatalf("kiosk enter: %d", status)
	}

	got := admin.must("GET", "ip-allowlist", nil)["ip_allowlist"].(map[string]any)
	if got["your_address"] != "192.0.2.7" || len(got["entries"].([]any)) != 0 || num(got["version"]) != 1 {
		t.Fatalf("new: %v", got)
	}
	if _, body := admin.csPage("GET", "admin/network"); !strings.Contains(body, "Your address: <strong id=\"your-address\">192.0.2.7</strong>") {
		t.Fatalf("page: %s", body)
	}
	unchanged := func(what string) {
		t.Helper()
		if got := admin.must("GET", "ip-allowlist", nil)["ip_allowlist"].(map[string]any); len(got["entries"].([]any)) != 0 || num(got["version"]) != 1 {
			t.Fatalf("%s changed the list: %v", what, got)
		}
	}

	// Leaving oneself out is refused unless confirmed; bad input names its field.
	status, body := admin.do("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "198.51.100.0/24"}}, "version": 1})
	if status != 400 || !strings.Contains(body, `"field":"entries"`) || !strings.Contains(body, "192.0.2.7") {
		t.Fatalf("lockout: %d %s", status, body)
	}
	unchanged("the lockout guard")
	status, body = admin.do("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.7"}, {"cidr": "10.0.0.0/33"}, {"cidr": "192.0.2.9", "label": strings.Repeat("L", 101)}}, "version": 1})
	if status != 400 || !strings.Contains(body, `"entries[1].cidr"`) || !strings.Contains(body, `"entries[2].label"`) {
		t.Fatalf("bad input: %d %s", status, body)
	}
	unchanged("bad input")
	status, body = admin.pageForm("admin/network", url.Values{"entries": {"198.51.100.0/24 TV\nnonsense"}, "version": {"1"}})
	if status != 400 || !strings.Contains(body, "Line 2 (network)") {
		t.Fatalf("form: %d %s", status, body)
	}
	status, body = admin.pageForm("admin/network", url.Values{"entries": {"198.51.100.0/24 TV"}, "version": {"1"}})
	if status != 400 || !strings.Contains(body, "would lock you out") {
		t.Fatalf("form lockout: %d %s", status, body)
	}
	unchanged("the form")

	// A list with the administrator's office, an IPv6 network and the TV's network.
	saved := admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.0/24", "label": "Office"},
		{"cidr": "2001:db8:5::/48", "label": "Office v6"}, {"cidr": "198.51.100.0/24", "label": "Lobby"}}, "version": 1})["ip_allowlist"].(map[string]any)
	if num(saved["version"]) != 2 {
		t.Fatalf("saved: %v", saved)
	}
	if status, body := admin.do("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{}, "version": 1}); status != 409 || !strings.Contains(body, `"field":"version"`) {
		t.Fatalf("stale: %d %s", status, body)
	}

	// The answers an unknown tenant gets, asked by a stranger without cookies.
	stranger := newAddrClient(t, m, "203.0.113.9")
	// The error page links to the start page of the slug in its path, the
	// same for a tenant that exists as for one that does not.
	_, unknownPage := stranger.raw("GET", "/t/nosuch/", "")
	unknownPage = strings.ReplaceAll(unknownPage, "/t/nosuch/", "/t/demo/")
	_, unknownAPI := stranger.raw("GET", "/api/v1/t/nosuch/me", "")
	refused := func(c addrClient, method, path, token, want string) {
		t.Helper()
		if status, body := c.raw(method, path, token); status != 404 || body != want {
			t.Fatalf("%s %s from %s: %d %q, want the unknown tenant's %q", method, path, *c.ip, status, body, want)
		}
	}
	allowed := func(c addrClient, method, path, token string, want int) {
		t.Helper()
		if status, body := c.raw(method, path, token); status != want {
			t.Fatalf("%s %s from %s: %d %s", method, path, *c.ip, status, body)
		}
	}

	allowed(admin, "GET", "/t/demo/", "", 200)
	allowed(admin.from("192.0.2.200"), "GET", "/api/v1/t/demo/me", "", 200)
	allowed(stranger.from("2001:db8:5:77::1"), "GET", "/api/v1/t/demo/me", token, 200)
	allowed(stranger.from("192.0.2.50"), "GET", "/t/demo/login", "", 200)
	refused(stranger.from("2001:db8:6::1"), "GET", "/api/v1/t/demo/me", token, unknownAPI)
	refused(stranger.from("203.0.113.9"), "GET", "/api/v1/t/demo/me", token, unknownAPI)
	refused(stranger, "GET", "/api/v1/t/demo/status", "", unknownAPI)
	refused(stranger, "GET", "/t/demo/login", "", unknownPage)
	refused(stranger, "POST", "/api/v1/t/demo/login", "", unknownAPI)
	refused(admin.from("203.0.113.9"), "GET", "/t/demo/", "", unknownPage) // with a session cookie
	refused(admin, "GET", "/t/demo/admin/network", "", unknownPage)
	refused(admin, "GET", "/t/demo/no-such-page", "", unknownPage)

	// The kiosk link: the tenant's list and the link's own both apply.
	allowed(tv, "GET", "/t/demo/k/", "", 200)
	if status, _ := tv.from("198.51.100.100").raw("GET", "/t/demo/k/", ""); status != 404 { // in the tenant's list, outside the link's
		t.Fatalf("outside the link's own list: %d", status)
	}
	refused(tv.from("203.0.113.50"), "GET", "/t/demo/k/", "", unknownPage)
	tv.from("198.51.100.5")

	// The live socket: the same answer as for an unknown tenant.
	admin.from("192.0.2.7")
	inside, _, err := dialLiveFrom(t, m, admin, "/t/demo/live", "192.0.2.7")
	if err != nil {
		t.Fatalf("live from inside: %v", err)
	}
	_, outside, err := dialLiveFrom(t, m, admin, "/t/demo/live", "203.0.113.9")
	_, unknown, _ := dialLiveFrom(t, m, admin, "/t/nosuch/live", "192.0.2.7")
	if err == nil || outside == nil || unknown == nil || outside.StatusCode != unknown.StatusCode {
		t.Fatalf("live from outside: %v %v, unknown tenant %v", outside, err, unknown)
	}

	// A new list that leaves the open socket's address out closes it at
	// the hub's next sweep.
	admin.from("192.0.2.8")
	ver := num(admin.must("GET", "ip-allowlist", nil)["ip_allowlist"].(map[string]any)["version"])
	admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.8", "label": "Office"},
		{"cidr": "2001:db8:5::/48", "label": "Office v6"}, {"cidr": "198.51.100.0/24", "label": "Lobby"}}, "version": ver})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, _, err := inside.Read(ctx); err != nil {
			if code := websocket.CloseStatus(err); code != live.CodeAccessEnded {
				t.Fatalf("the socket left out: %v (%d)", err, code)
			}
			break
		}
	}

	// Refusals are audited, one per address a minute.
	evs, _ := auditEvents(t, admin.apiClient, "action=netpolicy.refused")
	byIP := map[string]int{}
	for _, e := range evs {
		byIP[fmt.Sprint(e["source_ip"])]++
	}
	if byIP["203.0.113.9"] != 1 || byIP["2001:db8:6::1"] != 1 || byIP["203.0.113.50"] != 1 {
		t.Fatalf("refusals audited: %v", byIP)
	}

	// The operator lifts the list.
	operatorSignedIn(t, allowlistStorage(m)...)
	operatorGranted(t, "demo", allowlistStorage(m)...)
	code, out, errs := cli(t, append([]string{"tenant", "ip-allowlist", "demo", "--show"}, allowlistStorage(m)...)...)
	if code != 0 || !strings.Contains(out, "2001:db8:5::/48") || !strings.Contains(out, "Lobby") {
		t.Fatalf("--show: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli(t, append([]string{"tenant", "ip-allowlist", "demo", "--clear"}, allowlistStorage(m)...)...); code != 0 {
		t.Fatalf("--clear: %d %s %s", code, out, errs)
	}
	deadline := time.Now().Add(20 * time.Second) // the server's cache is a few seconds old at most
	for {
		status, _ := stranger.from("203.0.113.9").raw("GET", "/t/demo/login", "")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("--clear did not lift the list")
		}
		time.Sleep(200 * time.Millisecond)
	}
	evs, _ = auditEvents(t, admin.apiClient, "action=netpolicy.clear")
	if len(evs) != 1 {
		t.Fatalf("clear audited: %v", evs)
	}
	b, _ := json.Marshal(evs[0])
	if !strings.Contains(string(b), "test.operator") {
		t.Fatalf("clear event: %s", b)
	}
}

// Without --trusted-proxies, X-Forwarded-For is the client's own claim and
// is ignored: the administrator's address is the TCP peer's, and a client
// outside the list cannot get in by naming an address inside it.
func TestIPAllowlistIgnoresSpoofedForwardedFor(t *testing.T) {
	m, temp := engineServer(t, "sqlite", func(c *ServeConfig) {
		c.Kiosk = KioskConfig{NoFloor: true}
	})
	admin := newAddrClient(t, m, "192.0.2.7")
	admin.signIn("admin", temp)
	if got := admin.must("GET", "ip-allowlist", nil)["ip_allowlist"].(map[string]any); got["your_address"] != "127.0.0.1" {
		t.Fatalf("your_address %v", got["your_address"])
	}
	status, body := admin.do("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.0/24"}}, "version": 1})
	if status != 400 || !strings.Contains(body, "127.0.0.1") {
		t.Fatalf("the spoofed address was believed: %d %s", status, body)
	}
	admin.must("PUT", "ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "192.0.2.0/24"}}, "version": 1, "confirm_lockout": true})
	_, unknown := admin.raw("GET", "/api/v1/t/nosuch/me", "")
	if status, body := admin.raw("GET", "/api/v1/t/demo/me", ""); status != 404 || body != unknown {
		t.Fatalf("in by a spoofed header: %d %s", status, body)
	}
}
