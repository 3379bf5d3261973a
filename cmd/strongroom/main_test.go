package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom/store/storetest"
)

// cli runs a strongroom command line in-process and returns its exit code
// and what it printed.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// storage returns the storage flags of a fresh SQLite installation.
func storage(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"--data-dir", filepath.Join(dir, "data"), "--master-key-file", filepath.Join(dir, "master.key")}
}

func TestTenantCommands(t *testing.T) {
	s := storage(t)
	operatorSignedIn(t, s...)
	steps := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"tenant", "create", "acme-law", "--name", "Acme Law LLP"}, 0, "Created tenant acme-law (Acme Law LLP)"},
		{[]string{"tenant", "create", "acme-law"}, 1, `A tenant with the slug "acme-law" already exists.`},
		{[]string{"tenant", "create", "Bad_Slug"}, 1, "slug: A tenant slug may hold only"},
		{[]string{"tenant", "create", "admin"}, 1, "reserved"},
		{[]string{"tenant", "list"}, 0, "acme-law  Acme Law LLP  active"},
		{[]string{"tenant", "disable", "acme-law"}, 0, "disabled"},
		{[]string{"tenant", "show", "acme-law"}, 0, "Status:     disabled"},
		{[]string{"tenant", "enable", "acme-law"}, 0, "enabled"},
		{[]string{"tenant", "show", "no-such"}, 1, `No tenant "no-such".`},
		{[]string{"tenant", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"tenant", "show"}, 2, "strongroom tenant show"},
	}
	for i, st := range steps {
		if i == 1 {
			operatorGranted(t, "acme-law", s...) // tenant show reaches the tenant's data
		}
		code, out, errs := cli(t, append(st.args, s...)...)
		if code != st.code || !strings.Contains(out+errs, st.contains) {
			t.Errorf("%v: exit %d, out %q, err %q; want exit %d containing %q", st.args, code, out, errs, st.code, st.contains)
		}
	}
	if code, out, _ := cli(t, "--help"); code != 0 || !strings.Contains(out, "strongroom serve") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, out, _ := cli(t, "version"); code != 0 || !strings.HasPrefix(out, "strongroom ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestStartupFaults(t *testing.T) {
	t.Run("DataDirNotWritable", func(t *testing.T) {
		// Tests run as root, which ignores permission bits: put the data
		// directory under a regular file so that it cannot be made.
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, nil, 0o600)
		code, _, errs := cli(t, "tenant", "list", "--data-dir", filepath.Join(file, "data"), "--master-key-file", filepath.Join(t.TempDir(), "k"))
		if code != 1 || !strings.Contains(errs, "Cannot create the data directory") || strings.Contains(errs, "panic") {
			t.Fatalf("exit %d, %q", code, errs)
		}
	})
	t.Run("PostgresUnreachable", func(t *testing.T) {
		code, _, errs := cli(t, "tenant", "list", "--database", "postgres://strongroom:s3cret-pw@127.0.0.1:1/strongroom?connect_timeout=5",
			"--master-key-file", filepath.Join(t.TempDir(), "k"))
		if code != 1 || !strings.Contains(errs, "Cannot reach PostgreSQL at 127.0.0.1:1") || strings.Contains(errs, "s3cret") {
			t.Fatalf("exit %d, %q", code, errs)
		}
	})
	t.Run("MasterKeyMissing", func(t *testing.T) {
		s := storage(t)
		if code, _, errs := cli(t, append([]string{"tenant", "create", "keyed"}, s...)...); code != 0 {
			t.Fatal(errs)
		}
		os.Remove(s[3])
		code, _, errs := cli(t, append([]string{"tenant", "list"}, s...)...)
		if code != 1 || !strings.Contains(errs, s[3]) || !strings.Contains(errs, "does not exist") {
			t.Fatalf("exit %d, %q", code, errs)
		}
		if _, err := os.Stat(s[3]); err == nil {
			t.Fatal("a missing master key file was replaced by a new key")
		}
	})
	t.Run("MasterKeyWrong", func(t *testing.T) {
		s := storage(t)
		if code, _, errs := cli(t, append([]string{"tenant", "create", "keyed"}, s...)...); code != 0 {
			t.Fatal(errs)
		}
		other := filepath.Join(t.TempDir(), "other.key")
		if code, _, errs := cli(t, "tenant", "list", "--data-dir", t.TempDir(), "--master-key-file", other); code != 0 {
			t.Fatal(errs)
		}
		code, _, errs := cli(t, "tenant", "list", "--data-dir", s[1], "--master-key-file", other)
		if code != 1 || !strings.Contains(errs, "master key does not match") {
			t.Fatalf("exit %d, %q", code, errs)
		}
	})
	t.Run("KeyRotation", func(t *testing.T) {
		s := storage(t)
		operatorSignedIn(t, s...)
		cli(t, append([]string{"tenant", "create", "rotated"}, s...)...)
		operatorGranted(t, "rotated", s...)
		next := filepath.Join(t.TempDir(), "next.key")
		if code, out, errs := cli(t, append([]string{"key", "rotate", "--to", next}, s...)...); code != 0 || !strings.Contains(out, "Re-wrapped 1 tenant keys") {
			t.Fatalf("rotate: %d %q %q", code, out, errs)
		}
		if code, _, errs := cli(t, "tenant", "show", "rotated", "--data-dir", s[1], "--master-key-file", next); code != 0 {
			t.Fatalf("new key refused: %q", errs)
		}
		if code, _, _ := cli(t, append([]string{"tenant", "show", "rotated"}, s...)...); code != 1 {
			t.Fatal("old key still accepted")
		}
	})
}

// startServer runs a Main on a fresh SQLite installation and returns it with
// an HTTP client that trusts exactly its self-signed certificate.
func startServer(t *testing.T, configure func(*ServeConfig)) (*Main, *http.Client, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
		Storage:   StorageConfig{DataDir: filepath.Join(dir, "data"), MasterKeyFile: filepath.Join(dir, "master.key")},
		Addr:      "127.0.0.1:0",
		IdleClose: time.Minute,
		DemoEmpty: true, // tests start from the bare demo tenant and add what they need
	}}
	if configure != nil {
		configure(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	pemBytes, err := os.ReadFile(filepath.Join(dir, "data", "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: checkAPI(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(client.CloseIdleConnections)
	return m, client, &out
}

func get(t *testing.T, c *http.Client, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	m, c, out := startServer(t, func(c *ServeConfig) { c.Demo = true; c.TenantHostSuffix = "example.test" })
	if !strings.Contains(out.String(), "Self-signed certificate SHA-256 fingerprint:") || !strings.Contains(out.String(), m.URL()) {
		t.Fatalf("start-up output: %q", out.String())
	}
	u := m.URL()
	cases := []struct {
		name, path, host string
		status           int
		contains         string
		absent           string
	}{
		{"front page tells nothing of tenants", "", "", 200, "To sign in", "demo"},
		{"tenant page asks to sign in", "t/demo/", "", 303, "", ""},
		{"sign-in page", "t/demo/login", "", 200, "Demo Law LLP", ""},
		{"unknown tenant looks like any unknown page", "t/no-such-firm/", "", 404, "Page not found.", "tenant"},
		{"invalid slug", "t/NO/", "", 404, "Page not found.", ""},
		{"unknown page", "nothing-here", "", 404, "Page not found.", ""},
		{"API", "api/v1/t/demo/status", "", 200, `"slug":"demo"`, ""},
		{"API unknown tenant", "api/v1/t/no-such-firm/status", "", 404, `{"error":{"code":"not_found","message":"Page not found."}}`, ""},
		{"tenant by host name", "login", "demo.example.test", 200, "Demo Law LLP", ""},
		{"tenant path under its host name", "t/demo/login", "demo.example.test", 200, "Demo Law LLP", ""},
		{"API by host name", "api/v1/status", "demo.example.test", 200, `"slug":"demo"`, ""},
		{"health", "healthz", "", 200, "ok", ""},
		{"ready", "readyz", "", 200, "ready", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, c, u+tc.path, tc.host)
			if status != tc.status || !strings.Contains(body, tc.contains) || (tc.absent != "" && strings.Contains(body, tc.absent)) {
				t.Fatalf("GET /%s: %d %q", tc.path, status, body)
			}
		})
	}

	t.Run("disabled tenant", func(t *testing.T) {
		s := []string{"--data-dir", m.Config.Storage.DataDir, "--master-key-file", m.Config.Storage.MasterKeyFile}
		if code, _, errs := cli(t, append([]string{"tenant", "disable", "demo"}, s...)...); code != 0 {
			t.Fatal(errs)
		}
		if status, body := get(t, c, u+"t/demo/login", ""); status != 403 || !strings.Contains(body, "disabled") {
			t.Fatalf("disabled: %d %q", status, body)
		}
		cli(t, append([]string{"tenant", "enable", "demo"}, s...)...)
		if status, _ := get(t, c, u+"t/demo/login", ""); status != 200 {
			t.Fatalf("re-enabled: %d", status)
		}
	})
}

func TestServeRedirectsPlainHTTP(t *testing.T) {
	m, _, _ := startServer(t, func(c *ServeConfig) { c.HTTPAddr = "127.0.0.1:0" })
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		Get("http://" + m.server.HTTPListenAddr().String() + "/t/demo/?q=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") ||
		!strings.HasSuffix(resp.Header.Get("Location"), "/t/demo/?q=1") {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A process killed with SIGKILL in the middle of "tenant create" leaves no
// half tenant: after a restart there is no row, no database, and the same
// slug can be created again.
func TestKillDuringTenantCreate(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCreateAndHang$")
			cmd.Env = append(os.Environ(), "STRONGROOM_HANG_CHILD="+strings.Join(s, "\n"))
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || line != "database made\n" {
				cmd.Process.Kill()
				t.Fatalf("child said %q, %v", line, err)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			// Before a restart the half tenant is invisible; the restart
			// (serve) removes it; then the slug is free again.
			if code, out, _ := cli(t, append([]string{"tenant", "list"}, s...)...); code != 0 || strings.Contains(out, "half-made") {
				t.Fatalf("listed after kill: %q", out)
			}
			m := &Main{Stdout: io.Discard, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
				Addr: "127.0.0.1:0", IdleClose: time.Minute,
				Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
			}}
			if engine == "postgres" {
				m.Config.Storage.Database = s[5]
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ps, _ := m.app.control.ListProvisioning(context.Background()); len(ps) != 0 {
				t.Fatalf("after restart %d unfinished tenants remain", len(ps))
			}
			if db, err := m.app.engine.OpenTenantDB(context.Background(), "half-made", m.app.engine.Placement("half-made")); err == nil {
				db.Close()
				t.Fatal("after restart the half-made database remains")
			}
			m.Close(context.Background())
			if code, _, errs := cli(t, append([]string{"tenant", "create", "half-made"}, s...)...); code != 0 {
				t.Fatalf("create after restart: %q", errs)
			}
		})
	}
}

// TestHelperCreateAndHang is the child of TestKillDuringTenantCreate: it
// creates a tenant and stops for good once its database exists.
func TestHelperCreateAndHang(t *testing.T) {
	args := os.Getenv("STRONGROOM_HANG_CHILD")
	if args == "" {
		t.Skip("only run as the child of TestKillDuringTenantCreate")
	}
	var cfg StorageConfig
	fs := newFlagSet("child", os.Stderr, "")
	cfg.register(fs)
	if err := fs.Parse(strings.Split(args, "\n")); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.tenants.AfterCreateDB = func(string) error {
		os.Stdout.WriteString("database made\n")
		select {} // wait for SIGKILL
	}
	a.tenants.Create(context.Background(), "half-made", "Half made")
}
