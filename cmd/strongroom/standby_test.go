package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"crypto/tls"

	"filippo.io/age"

	"strongroom/blob"
	"strongroom/blob/blobtest"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// standbyRig is a primary and a standby installation sharing a master key
// file and a file backup target.
type standbyRig struct {
	dir, idFile, target, targetDir string
	primary, standby               []string
	recipient                      string
}

func newStandbyRig(t *testing.T, pg bool) *standbyRig {
	dir := t.TempDir()
	key := filepath.Join(dir, "master.key")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r := &standbyRig{dir: dir, idFile: filepath.Join(dir, "backup.key"), targetDir: filepath.Join(dir, "target"),
		primary:   []string{"--data-dir", filepath.Join(dir, "primary"), "--master-key-file", key},
		standby:   []string{"--data-dir", filepath.Join(dir, "standby"), "--master-key-file", key},
		recipient: id.Recipient().String()}
	r.target = "file://" + r.targetDir
	if pg {
		// Each installation has a control database of its own on the
		// server; the target is a real S3 server.
		r.primary = append(r.primary, "--database", storetest.PostgresDSN(t))
		r.standby = append(r.standby, "--database", storetest.PostgresDSN(t))
		r.target = blobtest.S3(t)
	}
	os.WriteFile(r.idFile, []byte(id.String()+"\n"), 0o600)
	os.MkdirAll(r.targetDir, 0o700)
	return r
}

var backupIDPattern = regexp.MustCompile(`[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}`)

func (r *standbyRig) backup(t *testing.T, slug string) string {
	t.Helper()
	out := mustCLI(t, append([]string{"backup", "run", slug, "--backup-recipient", r.recipient, "--backup-target", r.target}, r.primary...)...)
	time.Sleep(1100 * time.Millisecond) // backup ids are by the second; the next one must sort after this one
	return backupIDPattern.FindString(out)
}

func (r *standbyRig) once(args ...string) []string {
	return append(append([]string{"standby", "--once", "--from", r.target, "--backup-identity", r.idFile}, r.standby...), args...)
}

// counts reads what a tenant holds: cases, documents and document files.
func counts(t *testing.T, storage []string, slug string) string {
	t.Helper()
	var cfg StorageConfig
	cfg.DataDir, cfg.MasterKeyFile = storage[1], storage[3]
	if len(storage) > 5 {
		cfg.Database = storage[5]
	}
	ctx := context.Background()
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var nCases, nDocs int
	err = withTenant(ctx, a, cfg, slug, func(h *tenancy.Handle) error {
		if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&nCases); err != nil {
			return err
		}
		return h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_versions`).Scan(&nDocs)
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(filepath.Join(cfg.files(), slug))
	return fmt.Sprintf("cases=%d versions=%d files=%d", nCases, nDocs, len(files))
}

// The standby picks up every tenant, then a newer backup; refuses a
// damaged newer one and keeps the copy it holds; refuses to serve until
// promoted; after promotion serve answers with what the last good backup
// held, and the standby refuses the promoted data directory.
func TestStandbyFollowsAndPromotes(t *testing.T) {
	t.Run("sqlite-file", func(t *testing.T) { testStandbyFollowsAndPromotes(t, false) })
	t.Run("postgres-s3", func(t *testing.T) { testStandbyFollowsAndPromotes(t, true) })
}

func testStandbyFollowsAndPromotes(t *testing.T, pg bool) {
	r := newStandbyRig(t, pg)
	for _, slug := range []string{"acme", "beta"} {
		mustCLI(t, append([]string{"tenant", "create", slug, "--name", "Firm " + slug}, r.primary...)...)
		mustCLI(t, append([]string{"bench", "seed", "--records", "300", "--documents", "3", "--document-mib", "1", slug}, r.primary...)...)
		r.backup(t, slug)
	}
	out := mustCLI(t, r.once()...)
	if !strings.Contains(out, "acme: restored backup") || !strings.Contains(out, "beta: restored backup") {
		t.Fatalf("first pass: %s", out)
	}
	if out := mustCLI(t, r.once()...); !strings.Contains(out, "acme: up to date") {
		t.Fatalf("second pass: %s", out)
	}
	failCLI(t, "is a warm standby", append([]string{"serve", "--addr", "127.0.0.1:0", "--http-addr", ""}, r.standby...)...)

	// More data, a newer backup: the next pass takes it.
	mustCLI(t, append([]string{"bench", "seed", "--records", "200", "--documents", "2", "--document-mib", "1", "--seed", "2", "acme"}, r.primary...)...)
	good := r.backup(t, "acme")
	want := counts(t, r.primary, "acme")
	if first := counts(t, r.standby, "acme"); first == want {
		t.Fatalf("the standby already holds %s before the newer backup is restored", first)
	}
	if out := mustCLI(t, r.once()...); !strings.Contains(out, "acme: restored backup "+good) {
		t.Fatalf("pass after a newer backup: %s", out)
	}
	if got := counts(t, r.standby, "acme"); got != want {
		t.Fatalf("standby holds %s, the primary %s", got, want)
	}

	// A newer backup whose snapshot was damaged on the target is refused.
	mustCLI(t, append([]string{"bench", "seed", "--records", "100", "--seed", "3", "acme"}, r.primary...)...)
	bad := r.backup(t, "acme")
	damage(t, r.target, "tenants/acme/backups/"+bad+"/data.sr.age")
	failCLI(t, "hash mismatch", r.once()...)
	if got := counts(t, r.standby, "acme"); got != want {
		t.Fatalf("after a refused backup the standby holds %s, want %s", got, want)
	}
	st := mustCLI(t, append([]string{"standby", "status"}, r.standby...)...)
	if !strings.Contains(st, "acme  "+good) || !strings.Contains(st, "hash mismatch") {
		t.Fatalf("status: %s", st)
	}

	out = mustCLI(t, append([]string{"standby", "promote", "--from", r.target, "--backup-identity", r.idFile}, r.standby...)...)
	if !strings.Contains(out, "acme: backup "+good) || !strings.Contains(out, "Promoted in") {
		t.Fatalf("promote: %s", out)
	}
	failCLI(t, "was promoted from standby", r.once()...)
	failCLI(t, "already promoted", append([]string{"standby", "promote"}, r.standby...)...)

	m := &Main{Stdout: io.Discard, Log: slog.New(slog.DiscardHandler)}
	if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0", "--http-addr", ""}, r.standby...), io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
	for _, path := range []string{"readyz", "t/acme/login", "t/beta/login"} {
		resp, err := c.Get(m.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s after promotion: %d", path, resp.StatusCode)
		}
	}
	m.Close(context.Background())
	if got := counts(t, r.standby, "acme"); got != want {
		t.Fatalf("promoted tenant holds %s, want %s", got, want)
	}
	// Verifying the promoted tenant reads its data: the standby's own
	// operator does it under a grant.
	operatorSignedIn(t, r.standby...)
	operatorGranted(t, "acme", r.standby...)
	mustCLI(t, append([]string{"audit", "verify", "acme"}, r.standby...)...)
}

// A standby refuses an installation with tenants of its own: it would
// overwrite a primary.
func TestStandbyRefusesAPrimary(t *testing.T) {
	r := newStandbyRig(t, false)
	mustCLI(t, append([]string{"tenant", "create", "acme"}, r.primary...)...)
	failCLI(t, "has tenants of its own", append([]string{"standby", "--once", "--from", r.target, "--backup-identity", r.idFile}, r.primary...)...)
	failCLI(t, "is not a standby", append([]string{"standby", "promote"}, r.primary...)...)
	failCLI(t, "from: Name the backup target", append([]string{"standby", "--backup-identity", r.idFile}, r.standby...)...)
}

// damage flips a byte of an object on the target.
func damage(t *testing.T, targetURL, key string) {
	t.Helper()
	ctx := context.Background()
	st, err := blob.Open(ctx, targetURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if _, err := st.Put(ctx, key, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
}

func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } // a self-signed test server
