package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// recoveryChildEnv tells a re-executed test binary to be one of the
// processes TestRecoveryAfterKill runs: "crash" or "peer", then the
// storage flags, one a line.
const recoveryChildEnv = "STRONGROOM_RECOVERY_CHILD"

var storageKeyName = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestRecoveryAfterKill kills with SIGKILL a process that committed
// documents and audit events and was in the middle of two uploads (one
// still arriving, one written but not yet recorded), while a live peer
// uploads into the same directory. The next start removes the dead
// process's temporary upload and its file without a record once that is
// older than the grace period, keeps the peer's upload, every recorded
// file (older versions and deleted documents too) and a young unrecorded
// file, and signs the audit events left unsigned without a new event.
// Shutting down signs events a request still holding the tenant wrote.
func TestRecoveryAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			if code, _, errs := cli(t, append([]string{"tenant", "create", "firm"}, s...)...); code != 0 {
				t.Fatal(errs)
			}
			filesDir := filepath.Join(s[1], "files", "firm")
			crash := startRecoveryChild(t, "crash", s)
			if line := crash.line(t); line != "ready" {
				t.Fatalf("crashing child said %q", line)
			}
			crash.cmd.Process.Signal(syscall.SIGKILL)
			crash.cmd.Wait()
			checkpoints := filepath.Join(s[1], "checkpoints", "firm")
			signedBefore := names(t, checkpoints, func(string) bool { return true })
			deadTemps := names(t, filesDir, func(n string) bool { return strings.HasPrefix(n, ".upload-") })
			if len(deadTemps) != 1 {
				t.Fatalf("temporary uploads after the kill: %v", deadTemps)
			}
			// Every stored file is made older than the grace period; one
			// more, written now, has no record either.
			stored := names(t, filesDir, storageKeyName.MatchString)
			old := time.Now().Add(-2 * time.Hour)
			for _, n := range stored {
				os.Chtimes(filepath.Join(filesDir, n), old, old)
			}
			young := randomKey()
			os.WriteFile(filepath.Join(filesDir, young), []byte("young"), 0o600)

			peer := startRecoveryChild(t, "peer", s)
			if line := peer.line(t); line != "uploading" {
				t.Fatalf("peer said %q", line)
			}
			peerTemps := names(t, filesDir, func(n string) bool {
				return strings.HasPrefix(n, ".upload-") && n != deadTemps[0]
			})

			logs := &syncBuffer{}
			m := &Main{Stdout: io.Discard, Log: slog.New(slog.NewJSONHandler(logs, nil)), Config: ServeConfig{
				Addr: "127.0.0.1:0", IdleClose: time.Minute,
				Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
			}}
			if engine == "postgres" {
				m.Config.Storage.Database = s[5]
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			closed := false
			defer func() {
				if !closed {
					m.Close(context.Background())
				}
			}()
			<-m.recovered

			ctx := context.Background()
			h, release, err := m.registry.Get(ctx, "firm")
			if err != nil {
				t.Fatal(err)
			}
			recorded := map[string]bool{}
			rows, err := h.DB.QueryContext(ctx, `SELECT storage_key FROM document_versions`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				rows.Scan(&k)
				recorded[k] = true
			}
			rows.Close()
			if len(recorded) != 3 {
				t.Fatalf("%d recorded files, want 3 (two versions and a deleted document)", len(recorded))
			}
			left := names(t, filesDir, func(string) bool { return true })
			for _, n := range deadTemps {
				if contains(left, n) {
					t.Errorf("the killed process's temporary upload %s is still there", n)
				}
			}
			for _, n := range append(peerTemps, young) {
				if !contains(left, n) {
					t.Errorf("%s was removed: it belongs to a live upload or is younger than the grace period", n)
				}
			}
			orphans := 0
			for _, n := range stored {
				switch {
				case recorded[n] && !contains(left, n):
					t.Errorf("recorded file %s was removed", n)
				case !recorded[n]:
					orphans++
					if contains(left, n) {
						t.Errorf("file %s without a record, older than the grace period, is still there", n)
					}
				}
			}
			if orphans != 1 {
				t.Errorf("%d stored files without a record after the kill, want 1", orphans)
			}
			for _, want := range []string{`"msg":"removed temporary uploads left by stopped processes","count":1`,
				`"msg":"removed stored files with no record","tenant":"firm","count":1`} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %s:\n%s", want, logs.String())
				}
			}

			// The events the killed process wrote are signed without a new one.
			head := fmt.Sprintf("%012d.checkpoint", headSize(t, h))
			if contains(signedBefore, head) {
				t.Fatalf("the killed process signed its last events (%s): nothing to recover", head)
			}
			if _, err := os.Stat(filepath.Join(checkpoints, head)); err != nil {
				t.Fatalf("the events left by the killed process are not signed: %v", err)
			}

			// A request still holding the tenant at shutdown: its event is
			// signed before the databases close.
			var seq int64
			err = h.DB.InTx(ctx, func(tx *store.Tx) (err error) {
				seq, err = h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.late"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			m.Close(context.Background())
			closed = true
			if _, err := os.Stat(filepath.Join(checkpoints, fmt.Sprintf("%012d.checkpoint", seq))); err != nil {
				t.Errorf("the event written before shutdown is not signed: %v", err)
			}
			release()
		})
	}
}

func headSize(t *testing.T, h *tenancy.Handle) int64 {
	t.Helper()
	var n int64
	if err := h.DB.QueryRowContext(context.Background(), `SELECT size FROM audit_head WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func names(t *testing.T, dir string, keep func(string) bool) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if keep(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func randomKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type child struct {
	cmd *exec.Cmd
	out *bufio.Reader
}

func (c *child) line(t *testing.T) string {
	t.Helper()
	l, err := c.out.ReadString('\n')
	if err != nil {
		c.cmd.Process.Kill()
		t.Fatalf("child: %v", err)
	}
	return strings.TrimSuffix(l, "\n")
}

func startRecoveryChild(t *testing.T, mode string, storage []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRecoveryChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), recoveryChildEnv+"="+mode+"\n"+strings.Join(storage, "\n"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stop := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	t.Cleanup(func() { stop.Stop() })
	return &child{cmd: cmd, out: bufio.NewReader(out)}
}

// blockingBody is an upload that sends n bytes and then nothing, forever.
func blockingBody(n int) io.Reader {
	return io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("upload "), n/7)), blockForever{})
}

type blockForever struct{}

func (blockForever) Read([]byte) (int, error) { select {} }

// TestHelperRecoveryChild is a process TestRecoveryAfterKill runs. As
// "crash" it records documents (two versions of one, a deleted other),
// then starts an upload that never finishes and one whose rows cannot
// commit, says "ready" and waits to be killed. As "peer" it starts an
// upload that never finishes and says "uploading".
func TestHelperRecoveryChild(t *testing.T) {
	spec := os.Getenv(recoveryChildEnv)
	if spec == "" {
		t.Skip("run by TestRecoveryAfterKill")
	}
	lines := strings.Split(spec, "\n")
	var cfg StorageConfig
	fs := newFlagSet("child", os.Stderr, "")
	cfg.register(fs)
	if err := fs.Parse(lines[1:]); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	discard := slog.New(slog.DiscardHandler)
	a, err := openApp(ctx, cfg, discard)
	if err != nil {
		t.Fatal(err)
	}
	var h *tenancy.Handle
	if lines[0] == "peer" {
		// Not through a registry, which would sign what the killed process
		// left unsigned before the restart could.
		h = openDirect(t, a, cfg)
	} else {
		reg := tenancy.NewRegistry(a.engine, a.control, a.keeper, discard, time.Hour, cfg.checkpoints())
		reg.CheckpointEvery = time.Hour // only the kill ends this process
		if h, _, err = reg.Get(ctx, "firm"); err != nil {
			t.Fatal(err)
		}
	}
	docs := documents.New(cfg.files(), discard)
	all := map[access.Area]access.Grant{}
	for _, ar := range access.Areas() {
		all[ar] = access.EditGrant
	}
	p := &identity.Principal{User: &identity.User{ID: 1}, IP: "192.0.2.1",
		Subject: access.NewSubject(1, false, nil, []access.Role{{Name: "all", Grants: all}})}
	dir := filepath.Join(cfg.files(), "firm")
	if lines[0] == "peer" {
		var caseID int64
		if err := h.DB.QueryRowContext(ctx, `SELECT id FROM cases ORDER BY id LIMIT 1`).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		before := names(t, dir, func(string) bool { return true })
		go docs.Create(ctx, h, p, caseID, documents.Input{Title: "Peer"}, documents.Upload{Filename: "peer.txt", Body: blockingBody(1 << 20)})
		waitFor(t, func() bool {
			return len(names(t, dir, func(n string) bool { return strings.HasPrefix(n, ".upload-") && !contains(before, n) })) == 1
		})
		fmt.Println("uploading")
		select {}
	}
	caseID := insertTestCase(t, h)
	upload := func(name, content string) *documents.Document {
		d, err := docs.Create(ctx, h, p, caseID, documents.Input{}, documents.Upload{Filename: name, Body: strings.NewReader(content)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	kept := upload("kept.txt", "first version")
	if _, err := docs.AddVersion(ctx, h, p, kept.ID, kept.Version, documents.Upload{Filename: "kept.txt", Body: strings.NewReader("second version")}); err != nil {
		t.Fatal(err)
	}
	gone := upload("gone.txt", "deleted, within its 30 days")
	if err := docs.Delete(ctx, h, p, gone.ID, gone.Version); err != nil {
		t.Fatal(err)
	}
	go docs.Create(ctx, h, p, caseID, documents.Input{}, documents.Upload{Filename: "slow.txt", Body: blockingBody(1 << 20)})
	// The writer is held, so the next upload is written and named but its
	// rows wait: what a kill between the two leaves.
	held := make(chan struct{})
	go h.DB.InTx(ctx, func(tx *store.Tx) error {
		if h.DB.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE documents IN SHARE MODE`); err != nil {
				return err
			}
		}
		close(held)
		select {}
	})
	<-held
	go docs.Create(ctx, h, p, caseID, documents.Input{}, documents.Upload{Filename: "unrecorded.txt", Body: strings.NewReader("never recorded")})
	waitFor(t, func() bool {
		temps := names(t, dir, func(n string) bool { return strings.HasPrefix(n, ".upload-") })
		if len(temps) != 1 {
			return false
		}
		if info, err := os.Stat(filepath.Join(dir, temps[0])); err != nil || info.Size() < 1<<19 {
			return false
		}
		return len(names(t, dir, storageKeyName.MatchString)) == 4
	})
	fmt.Println("ready")
	select {}
}

// openDirect opens the tenant "firm" without a registry.
func openDirect(t *testing.T, a *app, cfg StorageConfig) *tenancy.Handle {
	t.Helper()
	ctx := context.Background()
	tn, err := a.control.FindTenant(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	key, err := a.keeper.Unwrap(ctx, tn.WrappedKey)
	if err != nil {
		t.Fatal(err)
	}
	db, err := a.engine.OpenTenantDB(ctx, tn.Slug, tn.Placement)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tenancy.NewHandle(ctx, tn, db, key, cfg.checkpoints())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func insertTestCase(t *testing.T, h *tenancy.Handle) int64 {
	t.Helper()
	ctx := context.Background()
	now := store.FormatTime(time.Now())
	var id int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
			VALUES ('C-1', 'Case', 'open', '2026-01-05', ?, ?) RETURNING id`, now, now).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFor polls cond until it holds, failing after a minute.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
	}
}

// A tenant whose database is unavailable is skipped by the start-up
// recovery, and said so; the others are recovered. A new tenant's first
// events are signed when it is created.
func TestRecoverySkipsUnavailableTenant(t *testing.T) {
	s := storage(t)
	for _, slug := range []string{"healthy", "lost"} {
		if code, _, errs := cli(t, append([]string{"tenant", "create", slug}, s...)...); code != 0 {
			t.Fatal(errs)
		}
	}
	cps := names(t, filepath.Join(s[1], "checkpoints", "healthy"), func(n string) bool { return strings.HasSuffix(n, ".checkpoint") })
	if len(cps) != 1 {
		t.Fatalf("checkpoints after creation: %v", cps)
	}
	orphan := filepath.Join(s[1], "files", "healthy", randomKey())
	os.MkdirAll(filepath.Dir(orphan), 0o700)
	os.WriteFile(orphan, []byte("orphan"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(orphan, old, old)

	logs := &syncBuffer{}
	m := &Main{Stdout: io.Discard, Log: slog.New(slog.NewJSONHandler(logs, nil)), Config: ServeConfig{
		Addr: "127.0.0.1:0", IdleClose: time.Minute,
		Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
	}}
	// The database file goes after the control plane knows the tenant.
	e, err := newEngine(m.Config.Storage)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.(interface{ TenantPath(string) string }).TenantPath(e.Placement("lost"))); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	<-m.recovered
	for _, want := range []string{`"msg":"start-up: skipped a tenant; its leftovers are looked at again by the hourly purge","tenant":"lost"`,
		`"msg":"start-up recovery done","tenants":2,"skipped":1`,
		`"msg":"removed stored files with no record","tenant":"healthy","count":1`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}
