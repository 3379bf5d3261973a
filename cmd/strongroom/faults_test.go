package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/store/storetest"
)

// faultAnswer is one response to a request made while something failed.
type faultAnswer struct {
	status     int
	retryAfter string
	location   string
	cookies    []*http.Cookie
	body       string
}

// send makes a request with the given client and optional bearer token.
func send(t *testing.T, c *http.Client, method, url, bearer string, body io.Reader) faultAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return faultAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"),
		location: resp.Header.Get("Location"), cookies: resp.Cookies(), body: string(b)}
}

// credentialWords are what an answer about a credential says; an answer
// about a fault must say none of them.
var credentialWords = []string{"token", "sign in", "signed in", "session", "expired", "revoked", "password", "not valid"}

// checkUnavailable fails unless a is an honest "try again" answer: 503, a
// retry hint, no redirect, no cleared cookie, nothing about the credential.
func checkUnavailable(t *testing.T, what string, a faultAnswer) {
	t.Helper()
	if a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
		t.Errorf("%s: %d (Retry-After %q) %s; want 503 with Retry-After", what, a.status, a.retryAfter, a.body)
	}
	if a.location != "" {
		t.Errorf("%s: redirected to %s", what, a.location)
	}
	for _, c := range a.cookies {
		if strings.HasPrefix(c.Name, "__Host-sr-") {
			t.Errorf("%s: the session cookie was touched: %v", what, c)
		}
	}
	lower := strings.ToLower(a.body)
	for _, w := range credentialWords {
		if strings.Contains(lower, w) {
			t.Errorf("%s: the answer speaks of the credential (%q): %s", what, w, a.body)
		}
	}
}

// A tenant database that fails while a user holds a valid API token and a
// valid session: the answer is 503 with a retry hint, never "your
// credential is not valid", and the session survives.
func TestDatabaseDownIsNotACredentialProblem(t *testing.T) {
	ways := []struct {
		name     string
		postgres bool // only on PostgreSQL
		fail     func(t *testing.T, m *Main)
	}{
		{"handle closed", false, func(t *testing.T, m *Main) {
			h, release, err := m.registry.Get(context.Background(), "demo")
			if err != nil {
				t.Fatal(err)
			}
			h.DB.Close() // the registry keeps handing out this handle
			release()
		}},
		{"server refuses connections", true, refuseConnections},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
				if way.postgres && m.Config.Storage.Database == "" {
					t.Skip("PostgreSQL only")
				}
				admin := newAPIClient(t, m)
				admin.signIn("admin", adminTemp)
				token := admin.must("POST", "me/tokens", map[string]any{"name": "ci", "expires_in_days": 30})["token"].(string)
				if a := send(t, admin.http, "GET", admin.base+"me", token, nil); a.status != 200 {
					t.Fatalf("token before the fault: %d %s", a.status, a.body)
				}
				way.fail(t, m)

				checkUnavailable(t, "API token", send(t, &http.Client{Transport: admin.http.Transport}, "GET", admin.base+"me", token, nil))
				checkUnavailable(t, "API session", send(t, admin.http, "GET", admin.base+"me", "", nil))
				page := send(t, admin.http, "GET", m.URL()+"t/demo/", "", nil)
				checkUnavailable(t, "page session", page)
				if !strings.Contains(page.body, "<h1>") {
					t.Errorf("page: not an HTML error page: %s", page.body)
				}
			})
		})
	}
}

// refuseConnections makes the PostgreSQL server refuse new connections to
// the demo tenant's database and ends those it has.
func refuseConnections(t *testing.T, m *Main) {
	t.Helper()
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	database := m.app.engine.Placement("demo")
	ident := pgx.Identifier{database}.Sanitize()
	if _, err := admin.Exec("ALTER DATABASE " + ident + " ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv)); err == nil {
			a.Exec("ALTER DATABASE " + ident + " ALLOW_CONNECTIONS true")
			a.Close()
		}
	})
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, database); err != nil {
		t.Fatal(err)
	}
}

// holdWriteLock takes, from a connection of its own, a lock on the demo
// tenant's database that a case creation must wait for: SQLite's write
// lock, or PostgreSQL's ACCESS EXCLUSIVE lock on the cases table. The
// returned function lets go of it.
func holdWriteLock(t *testing.T, m *Main) func() {
	t.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	lock := "BEGIN IMMEDIATE"
	if m.Config.Storage.Database != "" {
		dsn, _ := url.Parse(m.Config.Storage.Database)
		dsn.Path = "/" + m.app.engine.Placement("demo")
		db, err = sql.Open("pgx", dsn.String())
		lock = "BEGIN; LOCK TABLE cases IN ACCESS EXCLUSIVE MODE"
	} else {
		path := m.app.engine.(*sqlite.Engine).TenantPath(m.app.engine.Placement("demo"))
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	}
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, lock); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

// A tenant database that stops answering a writer: with a short deadline
// the request is answered 503 with a retry hint instead of waiting, and
// nothing of it is written.
func TestDatabaseDeadline(t *testing.T) {
	forEachServer(t, func(c *ServeConfig) { c.Storage.DBTimeout = 300 * time.Millisecond }, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		admin.must("POST", "cases", map[string]any{"title": "Before the freeze"})

		release := holdWriteLock(t, m)
		// The guard against a hang: far above the deadline, never reached
		// when the deadline holds.
		guarded := &http.Client{Transport: admin.http.Transport, Jar: admin.http.Jar, Timeout: 30 * time.Second}
		body, _ := json.Marshal(map[string]any{"title": "During the freeze"})
		a := send(t, guarded, "POST", admin.base+"cases", "", bytes.NewReader(body))
		release()

		checkUnavailable(t, "case creation", a)
		if !strings.Contains(a.body, `"code":"unavailable"`) || !strings.Contains(a.body, store.MsgUnavailable) {
			t.Errorf("case creation: %s", a.body)
		}
		list := admin.must("GET", "cases", nil)["cases"].([]any)
		if len(list) != 1 || !strings.Contains(fmt.Sprint(list), "Before the freeze") {
			t.Fatalf("after the freeze the cases are %v, want only the one made before", list)
		}
		admin.must("POST", "cases", map[string]any{"title": "After the freeze"})
	})
}

// mountSmallDisk mounts a tmpfs of size bytes on a fresh directory: a real
// file system that fills up. It needs root; without it the test is skipped.
func mountSmallDisk(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill up (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file into dir until the file system has no byte left,
// and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

// metric returns the value of an unlabelled metric on the metrics listener.
func metric(t *testing.T, m *Main, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + m.server.MetricsListenAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// A full disk: writes and uploads are answered 507 with the storage
// message and keep nothing; the fault is logged once, not per request;
// readiness and a metric show it until space returns, and then writes work.
func TestStorageFull(t *testing.T) {
	disk := mountSmallDisk(t, 48<<20)
	var logs syncBuffer
	m, adminTemp := engineServerLogging(t, "sqlite", slog.New(slog.NewJSONHandler(&logs, nil)), func(c *ServeConfig) {
		c.Storage.DataDir = filepath.Join(disk, "data")
		c.MetricsAddr = "127.0.0.1:0"
	})
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	caseID := num(admin.must("POST", "cases", map[string]any{"title": "Before the disk filled"})["case"].(map[string]any)["id"])
	docs := fmt.Sprintf("cases/%d/documents", caseID)
	upload := func() (int, string) {
		return admin.upload(docs, filePart{name: "title", value: "Scan"},
			filePart{name: "file", filename: "scan.txt", contentType: "text/plain", value: strings.Repeat("evidence ", 100000)})
	}
	if status, body := upload(); status != http.StatusCreated {
		t.Fatalf("upload before the disk filled: %d %s", status, body)
	}
	files := func() []string {
		names, _ := filepath.Glob(filepath.Join(m.Config.Storage.files(), "demo", "*"))
		hidden, _ := filepath.Glob(filepath.Join(m.Config.Storage.files(), "demo", ".*"))
		return append(names, hidden...)
	}
	before := files()
	ready := func() (int, string) { return get(t, admin.http, m.URL()+"readyz", "") }
	if status, _ := ready(); status != 200 || metric(t, m, "strongroom_storage_full") != "0" {
		t.Fatalf("ready before the disk filled: %d, metric %q", status, metric(t, m, "strongroom_storage_full"))
	}

	filler := fillDisk(t, disk)
	for i := range 3 {
		body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("Written to a full disk %d", i)})
		a := send(t, admin.http, "POST", admin.base+"cases", "", bytes.NewReader(body))
		if a.status != http.StatusInsufficientStorage || a.retryAfter == "" ||
			!strings.Contains(a.body, `"message":"The server has run out of storage space; nothing was saved."`) {
			t.Fatalf("case on a full disk: %d (Retry-After %q) %s", a.status, a.retryAfter, a.body)
		}
	}
	if status, body := upload(); status != http.StatusInsufficientStorage ||
		!strings.Contains(body, `"message":"The server has run out of storage space; nothing was saved."`) {
		t.Fatalf("upload on a full disk: %d %s", status, body)
	}
	form := strings.NewReader(url.Values{"title": {"Typed on a full disk"}, "status": {"open"}}.Encode())
	req, _ := http.NewRequest("POST", m.URL()+"t/demo/cases/new", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := admin.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pageBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(pageBody), "The server has run out of storage space; nothing was saved.") {
		t.Errorf("case form on a full disk: %d %s", resp.StatusCode, pageBody)
	}
	if after := files(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("files on the full disk: %v, before %v", after, before)
	}
	if status, body := ready(); status != http.StatusServiceUnavailable || !strings.Contains(body, "storage") {
		t.Errorf("ready on a full disk: %d %q", status, body)
	}
	if v := metric(t, m, "strongroom_storage_full"); v != "1" {
		t.Errorf("strongroom_storage_full on a full disk: %q", v)
	}
	if v := metric(t, m, "strongroom_storage_full_refusals_total"); v != "5" {
		t.Errorf("strongroom_storage_full_refusals_total: %q, want 5", v)
	}
	if n := strings.Count(logs.String(), "out of storage space"); n != 1 {
		t.Errorf("%d log lines about the full disk, want 1:\n%s", n, logs.String())
	}

	os.Remove(filler)
	if status, body := ready(); status != 200 || metric(t, m, "strongroom_storage_full") != "0" {
		t.Fatalf("ready once space returned: %d %q", status, body)
	}
	admin.must("POST", "cases", map[string]any{"title": "After space returned"})
	if status, body := upload(); status != http.StatusCreated {
		t.Fatalf("upload once space returned: %d %s", status, body)
	}
	list := fmt.Sprint(admin.must("GET", "cases", nil)["cases"])
	if strings.Contains(list, "Written to a full disk") || !strings.Contains(list, "After space returned") {
		t.Fatalf("cases after the full disk: %s", list)
	}
}

// syncBuffer is a log sink that handlers may write from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freezingProxy forwards TCP connections to a server until frozen: then
// it holds every byte in either direction, as a server that stopped
// answering (or a network that lost it) would, until thawed.
type freezingProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
	thawed *sync.Cond
}

func startFreezingProxy(t *testing.T, upstream string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln}
	p.thawed = sync.NewCond(&p.mu)
	t.Cleanup(func() { p.thaw(); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go p.pipe(c, up)
			go p.pipe(up, c)
		}
	}()
	return p
}

func (p *freezingProxy) pipe(from, to net.Conn) {
	defer from.Close()
	defer to.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		p.mu.Lock()
		for p.frozen {
			p.thawed.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *freezingProxy) freeze() { p.mu.Lock(); p.frozen = true; p.mu.Unlock() }

func (p *freezingProxy) thaw() {
	p.mu.Lock()
	p.frozen = false
	p.thawed.Broadcast()
	p.mu.Unlock()
}

// PostgreSQL that stops answering altogether (reached through a proxy
// that stops forwarding): requests are answered 503 within the deadline
// instead of hanging, and all is well once it answers again.
func TestPostgresFrozen(t *testing.T) {
	dsn, _ := url.Parse(storetest.PostgresDSN(t))
	var proxy *freezingProxy
	m, adminTemp := engineServer(t, "postgres", func(c *ServeConfig) {
		proxy = startFreezingProxy(t, dsn.Host)
		dsn.Host = proxy.ln.Addr().String()
		c.Storage.Database = dsn.String()
		c.Storage.DBTimeout = 500 * time.Millisecond
	})
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	admin.must("POST", "cases", map[string]any{"title": "Before the freeze"})

	proxy.freeze()
	guarded := &http.Client{Transport: admin.http.Transport, Jar: admin.http.Jar, Timeout: 30 * time.Second}
	body, _ := json.Marshal(map[string]any{"title": "During the freeze"})
	checkUnavailable(t, "case creation", send(t, guarded, "POST", admin.base+"cases", "", bytes.NewReader(body)))
	checkUnavailable(t, "case list", send(t, guarded, "GET", admin.base+"cases", "", nil))
	if status, _ := get(t, guarded, m.URL()+"readyz", ""); status != http.StatusServiceUnavailable {
		t.Errorf("ready while frozen: %d", status)
	}
	proxy.thaw()

	list := admin.must("GET", "cases", nil)["cases"].([]any)
	if len(list) != 1 || !strings.Contains(fmt.Sprint(list), "Before the freeze") {
		t.Fatalf("after the freeze the cases are %v, want only the one made before", list)
	}
}
