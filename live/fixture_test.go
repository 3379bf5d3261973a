package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"strongroom"
)

// fixture is a hub behind a real TLS server on loopback. Who a socket
// belongs to comes from the "who" cookie, "tenant:kind:principal:credential",
// standing in for the session and kiosk cookies the web package reads.
type fixture struct {
	t   *testing.T
	hub *Hub
	srv *httptest.Server

	mu         sync.Mutex
	denied     map[string]error // credential → what its Authorize answers
	dashboards map[string][]int // principal → the dashboards they may see

	authCalls  atomic.Int64 // Authorize calls
	authnCalls atomic.Int64 // Authenticate calls
}

// testAccess is what the fixture's Authenticate puts in Subscriber.Access.
type testAccess struct{ Fingerprint string }

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	base := runtime.NumGoroutine()
	f := &fixture{t: t, denied: map[string]error{}, dashboards: map[string][]int{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f.hub = NewHub(cfg)
	mux := http.NewServeMux()
	mux.Handle("GET /live", f.hub.Handler(HandlerOptions{Authenticate: f.authenticate, AllowTopic: f.allowTopic}))
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(func() {
		f.hub.Close()
		f.srv.Close()
		f.srv.Client().CloseIdleConnections()
		checkGoroutines(t, base)
	})
	return f
}

// checkGoroutines fails the test if goroutines it started outlive it.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines before the test, %d after:\n%s", base, n, buf)
	}
}

func (f *fixture) authenticate(r *http.Request) (Subscriber, error) {
	f.authnCalls.Add(1)
	ck, err := r.Cookie("who")
	if err != nil {
		return Subscriber{}, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in.")
	}
	p := strings.Split(ck.Value, ":")
	if len(p) != 5 {
		return Subscriber{}, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in.")
	}
	cred := p[3]
	return Subscriber{Tenant: p[0], Kind: Kind(p[1]), Principal: p[2], Credential: cred,
		Access: testAccess{Fingerprint: p[4]},
		Authorize: func(ctx context.Context) error {
			f.authCalls.Add(1)
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.denied[cred]
		}}, nil
}

// allowTopic knows topics "tenant/<slug>/dashboard/<n>" for n below 100;
// a principal may follow those of its own tenant it was given.
// "shared/status" is open to every tenant.
func (f *fixture) allowTopic(_ context.Context, sub Subscriber, topic string) error {
	if topic == "shared/status" {
		return nil
	}
	var slug string
	var n int
	if _, err := fmt.Sscanf(strings.ReplaceAll(topic, "/", " "), "tenant %s dashboard %d", &slug, &n); err != nil || n >= 100 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such topic.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if slug != sub.Tenant || !slices.Contains(f.dashboards[sub.Principal], n) {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Not yours.")
	}
	return nil
}

func (f *fixture) deny(cred string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[cred] = err
}

func (f *fixture) grant(principal string, dashboards ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dashboards[principal] = dashboards
}

func (f *fixture) url() string { return "wss" + strings.TrimPrefix(f.srv.URL, "https") + "/live" }

func (f *fixture) origin() string { return f.srv.URL }

// dial opens a socket as who ("" for no cookie) from origin.
func (f *fixture) dial(who, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if who != "" {
		h.Set("Cookie", "who="+who)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return websocket.Dial(ctx, f.url(), &websocket.DialOptions{HTTPClient: f.srv.Client(), HTTPHeader: h})
}

// viewer is a test client: a socket that belongs to one subscriber.
type viewer struct {
	t  *testing.T
	ws *websocket.Conn
}

func (f *fixture) connect(who string) *viewer {
	f.t.Helper()
	ws, _, err := f.dial(who, f.origin())
	if err != nil {
		f.t.Fatalf("dial as %s: %v", who, err)
	}
	ws.SetReadLimit(4 << 20)
	f.t.Cleanup(func() { _ = ws.CloseNow() })
	return &viewer{t: f.t, ws: ws}
}

func (v *viewer) send(s string) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		v.t.Fatalf("send %s: %v", s, err)
	}
}

// next reads the next message, or returns the error that ended the socket.
func (v *viewer) next() (message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := v.ws.Read(ctx)
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return message{}, fmt.Errorf("message %q: %w", data, err)
	}
	return m, nil
}

func (v *viewer) mustNext() message {
	v.t.Helper()
	m, err := v.next()
	if err != nil {
		v.t.Fatalf("read: %v", err)
	}
	return m
}

// subscribe subscribes and returns the server's answer.
func (v *viewer) subscribe(topic string) string {
	v.t.Helper()
	v.send(`{"subscribe":"` + topic + `"}`)
	m := v.mustNext()
	if m.Topic != topic {
		v.t.Fatalf("answer for topic %q, want %q", m.Topic, topic)
	}
	return m.Status
}

// closedWith reads until the socket closes and returns its close code.
func (v *viewer) closedWith() websocket.StatusCode {
	v.t.Helper()
	for {
		_, err := v.next()
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			v.t.Logf("socket ended without a close frame: %v", err)
			return -1
		}
	}
}

// whoRender renders the fragment a subscriber of the fixture sees.
var whoTemplate = template.Must(template.New("who").Parse(`<p>for {{.Principal}} in {{.Tenant}}: {{.Value}}</p>`))

func whoRender(value string) func(context.Context, Subscriber) (template.HTML, error) {
	return func(_ context.Context, sub Subscriber) (template.HTML, error) {
		var b strings.Builder
		err := whoTemplate.Execute(&b, map[string]string{"Principal": sub.Principal, "Tenant": sub.Tenant, "Value": value})
		return template.HTML(b.String()), err
	}
}
