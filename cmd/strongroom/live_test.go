package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"strongroom/live"
)

// liveMsg is what the live endpoint sends.
type liveMsg struct {
	Topic, Target, HTML, Status string
}

// liveSocket is one browser's socket: what it received, and how it
// closed.
type liveSocket struct {
	t      *testing.T
	ws     *websocket.Conn
	msgs   chan liveMsg
	closed chan websocket.StatusCode
}

// dialLive opens the live endpoint at path with the cookies of jarFrom,
// sending origin.
func dialLive(t *testing.T, m *Main, c *apiClient, path, origin string) (*liveSocket, *http.Response, error) {
	t.Helper()
	ws, resp, err := dialWS(t, m, c.http.Jar, path, http.Header{"Origin": {origin}})
	if err != nil {
		return nil, resp, err
	}
	s := &liveSocket{t: t, ws: ws, msgs: make(chan liveMsg, 256), closed: make(chan websocket.StatusCode, 1)}
	go func() {
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				s.closed <- websocket.CloseStatus(err)
				close(s.msgs)
				return
			}
			var msg liveMsg
			_ = json.Unmarshal(b, &msg)
			s.msgs <- msg
		}
	}()
	t.Cleanup(func() { ws.CloseNow() })
	return s, resp, nil
}

// dialWS opens a WebSocket to path on m, trusting only its certificate,
// sending jar's cookies and header.
func dialWS(t *testing.T, m *Main, jar http.CookieJar, path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	hc := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "wss://" + strings.TrimSuffix(strings.TrimPrefix(m.URL(), "https://"), "/") + path
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: header})
}

func (s *liveSocket) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	if err := s.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		s.t.Fatal(err)
	}
}

// next waits (generously) for a message that match accepts.
func (s *liveSocket) next(what string, match func(liveMsg) bool) liveMsg {
	s.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case msg, ok := <-s.msgs:
			if !ok {
				s.t.Fatalf("%s: the socket closed first", what)
			}
			if match(msg) {
				return msg
			}
		case <-deadline:
			s.t.Fatalf("%s: nothing came", what)
		}
	}
}

func (s *liveSocket) subscribe(topic string) string {
	s.t.Helper()
	s.send(map[string]string{"subscribe": topic})
	return s.next("answer to "+topic, func(m liveMsg) bool { return m.Topic == topic && m.Status != "" }).Status
}

// waitClosed waits (generously) for the socket to close and returns its
// close code; what came before is drained.
func (s *liveSocket) waitClosed(what string) websocket.StatusCode {
	s.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case _, ok := <-s.msgs:
			if !ok {
				return <-s.closed
			}
		case <-deadline:
			s.t.Fatalf("%s: the socket stayed open", what)
		}
	}
}

// TestLiveUpdates runs live updates end to end over TLS on both engines:
// a kiosk screen and a group member follow a dashboard and get its
// redrawn panels when points are pushed; the kiosk sees no source, no
// other dashboard and no figure its identity may not read; a revoked
// link, a removed member and a sign-out close their sockets with 4401;
// a wrong origin, a missing cookie and every topic not theirs are
// refused, the last all with one answer.
func TestLiveUpdates(t *testing.T) {
	forEachServer(t, func(c *ServeConfig) {
		c.Kiosk = KioskConfig{NoFloor: true}
		c.Live = live.Config{SweepInterval: 300 * time.Millisecond, AuthTTL: time.Millisecond}
		c.LiveTick = 100 * time.Millisecond
	}, testLiveUpdates)
}

func testLiveUpdates(t *testing.T, m *Main, adminTemp string) {
	origin := strings.TrimSuffix(m.URL(), "/")
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	admin.must("POST", "metrics", map[string]any{"name": "crm.pipeline", "label": "Pipeline", "unit": "EUR"})
	role := num(admin.must("POST", "roles", map[string]any{"name": "dash-read", "grants": map[string]string{"dashboards": "read"}})["role"].(map[string]any)["id"])
	made := admin.must("POST", "users", map[string]any{"username": "member", "display_name": "Member", "roles": []int64{role}})
	memberID := num(made["user"].(map[string]any)["id"])
	member := newAPIClient(t, m)
	member.signIn("member", made["temporary_password"].(string))
	group := num(admin.must("POST", "groups", map[string]any{"name": "Viewers"})["group"].(map[string]any)["id"])
	admin.must("PUT", fmt.Sprintf("groups/%d/members/%d", group, memberID), nil)

	dash := func(name string, widgets ...[2]string) (int64, []int64) {
		id := num(admin.must("POST", "dashboards", map[string]any{"name": name})["dashboard"].(map[string]any)["id"])
		var ws []int64
		for _, w := range widgets {
			ws = append(ws, num(admin.must("POST", fmt.Sprintf("dashboards/%d/widgets", id),
				map[string]any{"kind": "kpi", "title": w[0], "source": w[1]})["widget"].(map[string]any)["id"]))
		}
		return id, ws
	}
	a, aw := dash("Alpha board", [2]string{"Pipeline now", "crm.pipeline"}, [2]string{"Open matters", "case:open"})
	b, _ := dash("Secret Bravo", [2]string{"Bravo widget", "crm.won"})
	admin.must("PUT", fmt.Sprintf("dashboards/%d/shares/%d", a, group), map[string]any{"permission": "view"})

	// A kiosk link over Alpha only, reading dashboards and nothing else.
	link := admin.must("POST", "kiosk-links", map[string]any{"label": "Lobby", "rotation_seconds": 15,
		"dashboards": []int64{a}, "areas": []string{"dashboards"}, "restricted": false})
	linkID := num(link["kiosk_link"].(map[string]any)["id"])
	tv := &screen{t: t, c: newAPIClient(t, m).http, m: m}
	tvClient := &apiClient{t: t, http: tv.c}
	tv.get(link["path"].(string))
	resp, page := tv.get("/t/demo/k/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Pipeline now") || !strings.Contains(page, "chart-theme-dark") ||
		!strings.Contains(page, `data-live-endpoint="/t/demo/k/live"`) || !strings.Contains(page, fmt.Sprintf(`data-live-topic="tenant/demo/dashboard/%d"`, a)) {
		t.Fatalf("kiosk screen: %d %s", resp.StatusCode, page)
	}
	for _, secret := range []string{"Secret Bravo", "Bravo widget", "crm.pipeline", "crm.won", "case:open", "case.open", "dash-hint"} {
		if strings.Contains(page, secret) {
			t.Errorf("the kiosk screen shows %q", secret)
		}
	}
	if !strings.Contains(page, "Not shown") {
		t.Errorf("the case widget is not marked as not shown to the kiosk: %s", page)
	}

	// Refused at the door: a wrong origin, no cookie.
	if _, resp, err := dialLive(t, m, admin, "/t/demo/live", "https://evil.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong origin: %v %v", resp, err)
	}
	if _, resp, err := dialLive(t, m, newAPIClient(t, m), "/t/demo/live", origin); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no cookie: %v %v", resp, err)
	}
	if _, resp, err := dialLive(t, m, newAPIClient(t, m), "/t/demo/k/live", origin); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no kiosk cookie: %v %v", resp, err)
	}

	topic := func(id int64) string { return fmt.Sprintf("tenant/demo/dashboard/%d", id) }
	kio, _, err := dialLive(t, m, tvClient, "/t/demo/k/live", origin)
	if err != nil {
		t.Fatal(err)
	}
	mem, _, err := dialLive(t, m, member, "/t/demo/live", origin)
	if err != nil {
		t.Fatal(err)
	}
	adm, _, err := dialLive(t, m, admin, "/t/demo/live", origin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		s     *liveSocket
		topic string
		want  string
	}{
		{"kiosk, its dashboard", kio, topic(a), "subscribed"},
		{"kiosk, a dashboard not in its link", kio, topic(b), "refused"},
		{"kiosk, another tenant's topic", kio, fmt.Sprintf("tenant/other/dashboard/%d", a), "refused"},
		{"kiosk, a missing dashboard", kio, topic(999999), "refused"},
		{"member, a shared dashboard", mem, topic(a), "subscribed"},
		{"member, an unshared dashboard", mem, topic(b), "refused"},
		{"member, another tenant's topic", mem, fmt.Sprintf("tenant/other/dashboard/%d", a), "refused"},
		{"member, nonsense", mem, "tenant/demo/dashboard/01", "refused"},
		{"admin, own dashboard", adm, topic(a), "subscribed"},
	} {
		if got := tc.s.subscribe(tc.topic); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}

	// A push redraws Alpha's panels for each of them.
	day := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	push := func(v float64) {
		admin.must("POST", "metrics/points", map[string]any{"points": []map[string]any{{"metric": "crm.pipeline", "at": day, "value": v}}})
	}
	push(4242)
	panel := func(id int64) func(liveMsg) bool {
		return func(m liveMsg) bool { return m.Topic == topic(a) && m.Target == fmt.Sprintf("panel-%d", id) }
	}
	for name, s := range map[string]*liveSocket{"kiosk": kio, "member": mem, "admin": adm} {
		got := s.next(name+": the pushed panel", panel(aw[0]))
		if got.HTML == "" || strings.Contains(got.HTML, "crm.pipeline") || strings.Contains(got.HTML, "No figures yet") {
			t.Errorf("%s: the pushed panel: %q", name, got.HTML)
		}
		cases := s.next(name+": the case panel", panel(aw[1]))
		if restricted := name != "admin"; strings.Contains(cases.HTML, "Not shown") != restricted {
			t.Errorf("%s: the case panel: %q", name, cases.HTML)
		}
	}

	// The member leaves the group: their socket closes within seconds.
	admin.must("DELETE", fmt.Sprintf("groups/%d/members/%d", group, memberID), nil)
	if code := mem.waitClosed("member removed"); code != live.CodeAccessEnded {
		t.Errorf("member removed: closed with %d", code)
	}
	// The link is revoked: the screen's socket closes, and hears no more.
	admin.must("POST", fmt.Sprintf("kiosk-links/%d/revoke", linkID), nil)
	if code := kio.waitClosed("link revoked"); code != live.CodeAccessEnded {
		t.Errorf("link revoked: closed with %d", code)
	}
	push(5000)
	adm.next("admin after the revocation", panel(aw[0]))
	// Signing out closes the user's socket.
	admin.must("POST", "logout", nil)
	if code := adm.waitClosed("signed out"); code != live.CodeAccessEnded {
		t.Errorf("signed out: closed with %d", code)
	}
	if _, resp, err := dialLive(t, m, admin, "/t/demo/live", origin); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after sign-out: %v", err)
	}
	_ = errors.New
}

// TestLiveScreensShareReadings: a wall of screens on one kiosk link, each
// socket checked by every sweep, reads the link from the database about
// once per liveCheckTTL, not once per screen per check; and a revoke
// still ends every one of them at once.
func TestLiveScreensShareReadings(t *testing.T) {
	m, _, stdout := startServer(t, func(c *ServeConfig) {
		c.Demo = true
		c.Kiosk = KioskConfig{NoFloor: true}
		c.Live = live.Config{SweepInterval: 100 * time.Millisecond, AuthTTL: time.Millisecond}
	})
	admin := newAPIClient(t, m)
	admin.signIn("admin", printedAdminPassword(t, stdout.String()))
	dash := num(admin.must("POST", "dashboards", map[string]any{"name": "Lobby board"})["dashboard"].(map[string]any)["id"])
	link := admin.must("POST", "kiosk-links", map[string]any{"label": "Wall", "rotation_seconds": 60,
		"dashboards": []int64{dash}, "areas": []string{"dashboards"}, "restricted": false})
	tv := &screen{t: t, c: newAPIClient(t, m).http, m: m}
	tv.get(link["path"].(string))
	origin := strings.TrimSuffix(m.URL(), "/")
	const screens = 20
	var sockets []*liveSocket
	for range screens {
		s, _, err := dialLive(t, m, &apiClient{t: t, http: tv.c}, "/t/demo/k/live", origin)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.subscribe(fmt.Sprintf("tenant/demo/dashboard/%d", dash)); got != "subscribed" {
			t.Fatalf("subscribe: %s", got)
		}
		sockets = append(sockets, s)
	}
	before := m.web.LiveCredentialReads()
	time.Sleep(3 * time.Second) // about 30 sweeps of 20 sockets, each asking twice
	reads := m.web.LiveCredentialReads() - before
	// Without the shared reading it is some 1,200; with it, one a TTL,
	// or a few when the sweep's workers find it expired at once.
	if reads < 1 || reads > 24 {
		t.Errorf("%d screens on one link read it %d times in 3 s of sweeps; one reading should stand for all for 2 s", screens, reads)
	}
	admin.must("POST", fmt.Sprintf("kiosk-links/%d/revoke", num(link["kiosk_link"].(map[string]any)["id"])), nil)
	for _, s := range sockets {
		if code := s.waitClosed("revoked screen"); code != live.CodeAccessEnded {
			t.Fatalf("a revoked screen closed with %d", code)
		}
	}
	t.Logf("%d screens, %d credential reads in 3 s", screens, reads)
}
