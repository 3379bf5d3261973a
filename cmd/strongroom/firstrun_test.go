package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// firstRun starts a server as "strongroom serve --demo --demo-empty" does
// in the working directory, with no key flag, and returns what it printed.
func firstRun(t *testing.T, keyFile string) string {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
		Storage: StorageConfig{DataDir: "strongroom-data", MasterKeyFile: keyFile},
		Addr:    "127.0.0.1:0", IdleClose: time.Minute, Demo: true, DemoEmpty: true,
	}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	m.Close(context.Background())
	return out.String()
}

// A first start without --master-key-file makes the master key in the
// user's configuration directory, not in the working directory that holds
// the data, and says where it is; the next start uses it quietly.
func TestFirstStartKeyInConfigDir(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config")
	t.Setenv("XDG_CONFIG_HOME", config)
	work := t.TempDir()
	t.Chdir(work)

	out := firstRun(t, "")
	key := filepath.Join(config, "strongroom", "master.key")
	st, err := os.Stat(key)
	if err != nil {
		t.Fatalf("no key at %s: %v\n%s", key, err, out)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", st.Mode().Perm())
	}
	if dir, _ := os.Stat(filepath.Dir(key)); dir.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", dir.Mode().Perm())
	}
	if !strings.Contains(out, "Created the master key "+key) {
		t.Errorf("the start did not say where the key is:\n%s", out)
	}
	filepath.WalkDir(work, func(path string, d os.DirEntry, err error) error {
		if strings.Contains(d.Name(), "master") {
			t.Errorf("a key file in the working directory: %s", path)
		}
		return nil
	})

	again := firstRun(t, "")
	if strings.Contains(again, "master key") {
		t.Errorf("the second start talks of the key:\n%s", again)
	}
}

// A key at the old default place (strongroom-master.key in the working
// directory) keeps working, with a warning that says how to move it; an
// explicit --master-key-file is used as given.
func TestOldKeyLocationStillWorks(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config")
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Chdir(t.TempDir())

	firstRun(t, legacyKeyFile) // as the old default made it
	out := firstRun(t, "")
	old, _ := filepath.Abs(legacyKeyFile)
	key := filepath.Join(config, "strongroom", "master.key")
	for _, want := range []string{"Warning: The master key file " + old + " is in the working directory", "mv " + old + " " + key} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(key); err == nil {
		t.Errorf("a new key was made at %s beside the old one", key)
	}

	// Moved as the warning says, the key works from its new place.
	os.MkdirAll(filepath.Dir(key), 0o700)
	if err := os.Rename(old, key); err != nil {
		t.Fatal(err)
	}
	if out := firstRun(t, ""); strings.Contains(out, "Warning") || strings.Contains(out, "Created the master key") {
		t.Errorf("after the move:\n%s", out)
	}
	// An explicit key file wins over the default place; this one is not
	// the installation's, so it is refused.
	var buf bytes.Buffer
	m := &Main{Stdout: &buf, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
		Storage: StorageConfig{DataDir: "strongroom-data", MasterKeyFile: filepath.Join(t.TempDir(), "other.key")},
		Addr:    "127.0.0.1:0", IdleClose: time.Minute,
	}}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		m.Close(context.Background())
		t.Errorf("an explicit key file that does not exist: %v", err)
	}
}

// --demo fills the demo tenant with realistic data; the start-up output
// begins with the full sign-in address, then the demo's logins, each with
// the full address.
func TestStartupOutputOrder(t *testing.T) {
	m, _, out := startServer(t, func(c *ServeConfig) { c.Demo, c.DemoEmpty = true, false })
	// The demo with its sample data says what it made.
	for _, want := range []string{"cases with", "temporary password", "local counsel"} {
		if !strings.Contains(strings.ToLower(out.String()), strings.ToLower(want)) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	signIn := m.URL() + "t/demo/login"
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "Sign in at "+signIn {
		t.Fatalf("first line %q, want the sign-in address %s", lines[0], signIn)
	}
	at := func(s string) int {
		for i, l := range lines {
			if strings.Contains(l, s) {
				return i
			}
		}
		t.Fatalf("no line with %q:\n%s", s, out)
		return -1
	}
	admin, users, serving := at(`as "admin" with the temporary password`), at("Demo users"), at("Strongroom is serving at "+m.URL())
	if !(admin < users && users < serving) {
		t.Errorf("admin login (line %d), demo users (%d), serving (%d) out of order:\n%s", admin, users, serving, out)
	}
	logins := 0
	for _, l := range lines[users+1 : serving] {
		if !strings.HasPrefix(strings.TrimSpace(l), signIn+" ") {
			t.Errorf("a demo login without the full sign-in address: %q", l)
		}
		logins++
	}
	if logins < 3 {
		t.Errorf("%d demo logins printed:\n%s", logins, out)
	}
}

// Any command may be the first: "tenant create" makes the key in the same
// place and says so on standard error.
func TestFirstCommandKeyInConfigDir(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config")
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Chdir(t.TempDir())
	code, _, errs := cli(t, "tenant", "create", "first-firm", "--data-dir", "strongroom-data")
	key := filepath.Join(config, "strongroom", "master.key")
	if code != 0 || !strings.Contains(errs, key) {
		t.Fatalf("exit %d, stderr %q; want the key's path %s", code, errs, key)
	}
	if _, err := os.Stat(key); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, "tenant", "list", "--data-dir", "strongroom-data"); code != 0 || !strings.Contains(out, "first-firm") || errs != "" {
		t.Fatalf("with the key made: exit %d, %q %q", code, out, errs)
	}
}
