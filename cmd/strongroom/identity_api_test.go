package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"strongroom/store/storetest"
)

// engineServer runs a Main with the demo tenant on the named engine.
func engineServer(t *testing.T, engine string, configure func(*ServeConfig)) (*Main, string) {
	t.Helper()
	return engineServerLogging(t, engine, slog.New(slog.DiscardHandler), configure)
}

// engineServerLogging is engineServer logging to log.
func engineServerLogging(t *testing.T, engine string, log *slog.Logger, configure func(*ServeConfig)) (*Main, string) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Log: log, Config: ServeConfig{
		Storage:   StorageConfig{DataDir: filepath.Join(dir, "data"), MasterKeyFile: filepath.Join(dir, "master.key")},
		Addr:      "127.0.0.1:0",
		IdleClose: time.Minute,
		Demo:      true,
		DemoEmpty: true, // tests start from the bare demo tenant and add what they need
	}}
	if engine == "postgres" {
		m.Config.Storage.Database = storetest.PostgresDSN(t)
	}
	if configure != nil {
		configure(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	temp := regexp.MustCompile(`temporary password\n  (\S+)`).FindStringSubmatch(out.String())
	if temp == nil {
		t.Fatalf("no temporary password printed: %q", out.String())
	}
	return m, temp[1]
}

// forEachServer runs fn against a server on SQLite, then on one on
// PostgreSQL.
func forEachServer(t *testing.T, configure func(*ServeConfig), fn func(t *testing.T, m *Main, adminTemp string)) {
	eachServer(t, false, configure, fn)
}

// forEachServerAtOnce is forEachServer with the two engines side by side,
// for the package's longest tests: it halves their wall time. The two
// servers share nothing (data directories, databases, ports); fn must
// share nothing either (no variable of the enclosing test it writes, no
// test server it configures) and not change the process (t.Setenv,
// t.Chdir).
func forEachServerAtOnce(t *testing.T, configure func(*ServeConfig), fn func(t *testing.T, m *Main, adminTemp string)) {
	eachServer(t, true, configure, fn)
}

func eachServer(t *testing.T, parallel bool, configure func(*ServeConfig), fn func(t *testing.T, m *Main, adminTemp string)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			if engine == "postgres" && os.Getenv(storetest.PostgresEnv) == "" {
				t.Skip(storetest.PostgresEnv + " is not set")
			}
			m, temp := engineServer(t, engine, configure)
			fn(t, m, temp)
		})
	}
}

// apiClient is one user agent: its own cookie jar, trusting the server's
// self-signed certificate.
type apiClient struct {
	t    *testing.T
	http *http.Client
	base string // https://127.0.0.1:PORT/api/v1/t/demo/
}

func newAPIClient(t *testing.T, m *Main) *apiClient {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: checkAPI(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	return &apiClient{t: t, http: c, base: m.URL() + "api/v1/t/demo/"}
}

// do sends a JSON request and returns the status and raw body.
func (c *apiClient) do(method, path string, body any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// must sends a request that has to succeed and decodes the answer.
func (c *apiClient) must(method, path string, body any) map[string]any {
	c.t.Helper()
	status, b := c.do(method, path, body)
	if status >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	var out map[string]any
	json.Unmarshal([]byte(b), &out)
	return out
}

// signIn signs in and, when the password is temporary, changes it.
func (c *apiClient) signIn(user, pw string) string {
	c.t.Helper()
	c.must("POST", "login", map[string]string{"username": user, "password": pw})
	me := c.must("GET", "me", nil)
	if me["must_change_password"] == true {
		next := fmt.Sprintf("quiet meadow lantern %x", user+"-own")
		c.must("POST", "me/password", map[string]string{"current_password": pw, "new_password": next})
		return next
	}
	return pw
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

// TestAuthorizationMatrix checks every identity endpoint against every
// grant of the administration area, for unrestricted users and restricted
// ones with and without a class: an endpoint answers with data only when
// the rules allow, and a refusal carries no data.
func TestAuthorizationMatrix(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		class := num(admin.must("POST", "classes", map[string]string{"name": "MDL 2741 — local counsel Smith LLP"})["class"].(map[string]any)["id"])

		// A target user whose data must not leak to those without access.
		target := admin.must("POST", "users", map[string]any{"username": "target", "display_name": "Secret Target Person"})
		targetID := num(target["user"].(map[string]any)["id"])

		// Roles: one per grant of administration, plus deny overriding edit.
		roleIDs := map[string][]int64{}
		for _, g := range []string{"none", "deny", "read", "edit"} {
			grants := map[string]string{"cases": "edit"}
			if g != "none" {
				grants["administration"] = g
			}
			r := admin.must("POST", "roles", map[string]any{"name": "admin-" + g, "grants": grants})
			roleIDs[g] = []int64{num(r["role"].(map[string]any)["id"])}
		}
		roleIDs["edit+deny"] = append(slices.Clone(roleIDs["edit"]), roleIDs["deny"]...)
		want := map[string]string{"none": "none", "deny": "none", "read": "read", "edit": "edit", "edit+deny": "none"}

		type endpoint struct {
			method, path string
			body         func(n int) any
			need         string // "read" or "edit"
		}
		endpoints := []endpoint{
			{"GET", "users", nil, "read"},
			{"GET", fmt.Sprintf("users/%d", targetID), nil, "read"},
			{"GET", fmt.Sprintf("users/%d/login-failures", targetID), nil, "read"},
			{"GET", fmt.Sprintf("users/%d/sessions", targetID), nil, "read"},
			{"GET", "roles", nil, "read"},
			{"GET", fmt.Sprintf("roles/%d", roleIDs["read"][0]), nil, "read"},
			{"GET", "classes", nil, "read"},
			{"GET", "settings", nil, "read"},
			{"POST", "users", func(n int) any {
				return map[string]any{"username": fmt.Sprintf("made-%d", n), "display_name": "Made"}
			}, "edit"},
			{"POST", fmt.Sprintf("users/%d/unlock", targetID), nil, "edit"},
			{"POST", "roles", func(n int) any { return map[string]any{"name": fmt.Sprintf("role-%d", n)} }, "edit"},
			{"POST", "classes", func(n int) any { return map[string]any{"name": fmt.Sprintf("class-%d", n)} }, "edit"},
			{"PUT", "settings", func(int) any {
				return map[string]any{"lockout_threshold": 5, "mfa": "optional", "idle_timeout_minutes": 30, "absolute_timeout_minutes": 720}
			}, "edit"},
		}
		allowed := func(level, need string) bool { return level == "edit" || (level == "read" && need == "read") }

		n := 0
		for _, grant := range []string{"none", "deny", "read", "edit", "edit+deny"} {
			for _, restriction := range []string{"unrestricted", "restricted-without-class", "restricted-with-class"} {
				n++
				name := fmt.Sprintf("u%d", n)
				body := map[string]any{"username": name, "display_name": "Matrix " + name, "roles": roleIDs[grant],
					"restricted": restriction != "unrestricted"}
				if restriction == "restricted-with-class" {
					body["classes"] = []int64{class}
				}
				temp := admin.must("POST", "users", body)["temporary_password"].(string)
				u := newAPIClient(t, m)
				u.signIn(name, temp)
				access := u.must("GET", "me", nil)["access"].(map[string]any)["administration"]
				if access != want[grant] {
					t.Fatalf("%s/%s: administration access %v, want %s", grant, restriction, access, want[grant])
				}
				for i, ep := range endpoints {
					var b any
					if ep.body != nil {
						b = ep.body(n*100 + i)
					}
					status, resp := u.do(ep.method, ep.path, b)
					ok := allowed(want[grant], ep.need)
					switch {
					case ok && status >= 300:
						t.Errorf("%s/%s %s %s: %d %s, want success", grant, restriction, ep.method, ep.path, status, resp)
					case !ok && status != http.StatusForbidden:
						t.Errorf("%s/%s %s %s: %d, want 403", grant, restriction, ep.method, ep.path, status)
					case !ok && (strings.Contains(resp, "Secret Target Person") || strings.Contains(resp, `"users"`) ||
						!strings.HasPrefix(resp, `{"error":{"code":"forbidden"`)):
						t.Errorf("%s/%s %s %s: a refusal carries data: %s", grant, restriction, ep.method, ep.path, resp)
					}
				}
			}
		}
		// Every refusal is in the audit log.
		h, release, err := m.registry.Get(context.Background(), "demo")
		if err != nil {
			t.Fatal(err)
		}
		events, err := h.Audit.Events(context.Background(), 0, 100000)
		release()
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range events {
			if e.Action == "auth.permission_denied" {
				denied++
			}
		}
		if refusals := 3 * 3 * len(endpoints); denied < refusals {
			t.Fatalf("%d refusals audited, want at least %d", denied, refusals)
		}

		// An unknown user id and a malformed one are both plain "not found".
		s1, b1 := admin.do("GET", "users/999999", nil)
		s2, b2 := admin.do("GET", "users/not-a-number", nil)
		if s1 != 404 || s2 != 404 || !strings.Contains(b1, `"code":"not_found"`) || !strings.Contains(b2, `"code":"not_found"`) {
			t.Fatalf("unknown ids: %d %s / %d %s", s1, b1, s2, b2)
		}
	})
}

func TestAPILockout(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		admin.must("PUT", "settings", map[string]any{"lockout_threshold": 4, "mfa": "optional", "idle_timeout_minutes": 30, "absolute_timeout_minutes": 720})
		temp := admin.must("POST", "users", map[string]any{"username": "clerk", "display_name": "Clerk"})["temporary_password"].(string)
		id := 0
		users := admin.must("GET", "users", nil)["users"].([]any)
		for _, u := range users {
			if u.(map[string]any)["username"] == "clerk" {
				id = int(num(u.(map[string]any)["id"]))
			}
		}
		pw := newAPIClient(t, m).signIn("clerk", temp)

		c := newAPIClient(t, m)
		login := func(user, pw string) (int, string) {
			return c.do("POST", "login", map[string]string{"username": user, "password": pw})
		}
		var wrongStatus int
		var wrongBody string
		for i := 1; i <= 4; i++ {
			wrongStatus, wrongBody = login("clerk", "definitely not the password")
			if locked := admin.must("GET", fmt.Sprintf("users/%d", id), nil)["user"].(map[string]any)["locked"]; locked != (i == 4) {
				t.Fatalf("after %d failures locked=%v", i, locked)
			}
		}
		rightStatus, rightBody := login("clerk", pw)
		unknownStatus, unknownBody := login("no-such-user", pw)
		if wrongStatus != 401 || rightStatus != wrongStatus || unknownStatus != wrongStatus || rightBody != wrongBody || unknownBody != wrongBody {
			t.Fatalf("locked right password %d %s, wrong %d %s, unknown %d %s", rightStatus, rightBody, wrongStatus, wrongBody, unknownStatus, unknownBody)
		}
		admin.must("POST", fmt.Sprintf("users/%d/unlock", id), nil)
		if status, body := login("clerk", pw); status != 200 {
			t.Fatalf("after unlock: %d %s", status, body)
		}
	})
}

// TestLoginTimingDoesNotRevealUsers compares how long a wrong password for
// a real user and any password for an unknown user take, with the real
// password-hash parameters. The margin is generous: it catches a path that
// skips the hash (a difference of the hash's whole cost), not jitter.
func TestLoginTimingDoesNotRevealUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	m, adminTemp := engineServer(t, "sqlite", func(c *ServeConfig) { c.ThrottleBurst, c.SignIn.BudgetBurst = 10000, 10000 })
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	admin.must("PUT", "settings", map[string]any{"lockout_threshold": 100, "mfa": "optional", "idle_timeout_minutes": 30, "absolute_timeout_minutes": 720})
	c := newAPIClient(t, m)
	measure := func(user string) time.Duration {
		start := time.Now()
		if status, _ := c.do("POST", "login", map[string]string{"username": user, "password": "wrong password, long enough"}); status != 401 {
			t.Fatalf("status %d", status)
		}
		return time.Since(start)
	}
	var known, unknown []time.Duration
	for i := 0; i < 15; i++ { // interleaved, so machine load affects both alike
		known = append(known, measure("admin"))
		unknown = append(unknown, measure(fmt.Sprintf("nobody-%d", i)))
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	mk, mu := median(known), median(unknown)
	diff := mk - mu
	if diff < 0 {
		diff = -diff
	}
	if diff > max(mk, mu)/2 {
		t.Fatalf("median sign-in time: known user %v, unknown user %v: the difference tells them apart", mk, mu)
	}
	t.Logf("median sign-in time: known user %v, unknown user %v", mk, mu)
}
