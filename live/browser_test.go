package live

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"strongroom/internal/browsertest"
	"strongroom/server"
)

// livePage is a page as the dashboards will write it: the script from
// 'self', a topic region, a target in it, an element outside any target,
// and the no-JavaScript fallback.
var livePage = template.Must(template.New("page").Funcs(FuncMap()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Live</title>{{liveRefresh 30}}
<script src="/static/live.js" data-live-endpoint="/live" defer></script></head>
<body><p id="load-{{.Load}}">load {{.Load}}</p>
<section data-live-topic="tenant/acme/dashboard/1">
<div id="panel-1" data-live-target>before</div>
<div id="plain">plain</div>
</section>
<div id="panel-2" data-live-target>elsewhere</div>
</body></html>`))

// TestBrowser drives a real headless Chromium against a page with live.js
// under the server's Content-Security-Policy, over TLS with HTTP/2 offered
// as the server offers it: a published fragment replaces its target, a
// dropped socket reconnects, and an access-ended close reloads the page.
func TestBrowser(t *testing.T) {
	browsertest.Require(t)
	js, err := os.ReadFile("../web/static/live.js")
	if err != nil {
		t.Fatal(err)
	}
	f := newBrowserFixture(t, js)
	b := browsertest.NewContext(t, browsertest.Pin(browsertest.SPKIPin(f.srv.Certificate())))
	const topic = "tenant/acme/dashboard/1"
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	run(chromedp.Navigate(f.srv.URL+"/page"), chromedp.WaitVisible(chromedp.CSS("#load-1")))
	f.waitSubscribed(t, topic, 1)

	t.Run("FragmentSwaps", func(t *testing.T) {
		// Not swapped: a target the message may not name (unmarked, or
		// outside the topic's region), then the one it may.
		f.hub.Publish(context.Background(), topic, Update{Target: "plain", Render: whoRender("wrong")})
		f.hub.Publish(context.Background(), topic, Update{Target: "panel-2", Render: whoRender("wrong")})
		f.hub.Publish(context.Background(), topic, Update{Target: "panel-1", Render: whoRender("42 <b>")})
		run(chromedp.WaitVisible(chromedp.CSS("#panel-1 p")))
		if got := text("#panel-1"); got != "for u1 in acme: 42 <b>" {
			t.Errorf("panel-1 says %q", got)
		}
		if got := text("#plain"); got != "plain" {
			t.Errorf("an unmarked element was replaced: %q", got)
		}
		if got := text("#panel-2"); got != "elsewhere" {
			t.Errorf("a target outside the topic's region was replaced: %q", got)
		}
	})

	t.Run("Reconnects", func(t *testing.T) {
		for _, c := range f.hub.all() {
			c.close(websocket.StatusGoingAway, "restarting")
		}
		f.waitSubscribed(t, topic, 1)
		f.hub.Publish(context.Background(), topic, Update{Target: "panel-1", Render: whoRender("after reconnect")})
		run(chromedp.WaitVisible(chromedp.Search(`//div[@id="panel-1"][contains(., "after reconnect")]`)))
		if n := f.loads.Load(); n != 1 {
			t.Errorf("page loaded %d times; a reconnect must not reload it", n)
		}
	})

	t.Run("AccessEndedReloads", func(t *testing.T) {
		f.hub.CloseWhere(func(s Subscriber) bool { return s.Credential == "s1" }, "signed out")
		run(chromedp.WaitVisible(chromedp.CSS("#load-2")))
	})
}

// TestBrowserCSPBlocksOtherConnects is the control for TestBrowser: the
// same page under a policy without 'self' for connect-src never opens its
// socket, so TestBrowser's swap shows that the server's policy allows it.
func TestBrowserCSPBlocksOtherConnects(t *testing.T) {
	browsertest.Require(t)
	js, err := os.ReadFile("../web/static/live.js")
	if err != nil {
		t.Fatal(err)
	}
	f := newBrowserFixture(t, js)
	f.csp = strings.Replace(server.ContentSecurityPolicy, "default-src 'self'", "default-src 'self'; connect-src 'none'", 1)
	b := browsertest.NewContext(t, browsertest.Pin(browsertest.SPKIPin(f.srv.Certificate())))
	err = chromedp.Do(b, chromedp.Navigate(f.srv.URL+"/page"),
		chromedp.WaitReady(chromedp.CSS(`html[data-live-state="closed"], html[data-live-state="blocked"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.authnCalls.Load(); n != 0 {
		t.Errorf("the socket reached the server %d times under connect-src 'none'", n)
	}
}

type browserFixture struct {
	*fixture
	loads atomic.Int64
	csp   string
}

// newBrowserFixture serves the live page, live.js and the endpoint with
// the server's security headers; the page sets the "who" cookie the
// socket then carries.
func newBrowserFixture(t *testing.T, js []byte) *browserFixture {
	f := &browserFixture{csp: server.ContentSecurityPolicy}
	f.fixture = &fixture{t: t, denied: map[string]error{}, dashboards: map[string][]int{"u1": {1}}}
	f.hub = NewHub(Config{})
	mux := http.NewServeMux()
	mux.Handle("GET /live", f.hub.Handler(HandlerOptions{Authenticate: f.authenticate, AllowTopic: f.allowTopic}))
	mux.HandleFunc("GET /static/live.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(js)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: "acme:session:u1:s1:fp", Path: "/",
			Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = livePage.Execute(w, map[string]int64{"Load": f.loads.Add(1)})
	})
	mux.HandleFunc("GET /favicon.ico", http.NotFound)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", f.csp)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true // as server.Server offers h2; WebSockets still come over HTTP/1.1
	srv.StartTLS()
	f.srv = srv
	t.Cleanup(func() {
		f.hub.Close()
		srv.Close()
	})
	return f
}

// waitSubscribed waits until n sockets follow topic.
func (f *browserFixture) waitSubscribed(t *testing.T, topic string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(f.hub.subscribers(topic)) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets follow %s, want %d", len(f.hub.subscribers(topic)), topic, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
