package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
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
