package drill

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	_ "gocloud.dev/blob/fileblob"

	"strongroom/backup"
	"strongroom/blob"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// world is one live installation on a real engine with a tenant "firm",
// its backups on file targets, and a drill service over them.
type world struct {
	t       *testing.T
	e       store.Engine
	control *store.Control
	keeper  keys.Keeper
	tenants *tenancy.Service
	reg     *tenancy.Registry
	dataDir string
	files   string
	checks  string
	ids     *age.X25519Identity
	targets []blob.Store
	dirs    []string
	backups *backup.Service
	drills  *Service
	log     *syncBuffer
}

func newWorld(t *testing.T, e store.Engine, targets int) *world {
	t.Helper()
	ctx := context.Background()
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := keys.Open(ctx, filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	dataDir := t.TempDir()
	w := &world{t: t, e: e, control: store.NewControl(db), keeper: k, dataDir: dataDir,
		files: filepath.Join(dataDir, "files"), checks: filepath.Join(dataDir, "checkpoints"), log: &syncBuffer{}}
	ids := identity.New(password.NewHasher(password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0),
		identity.NewThrottle(1000, time.Second), discard)
	w.tenants = tenancy.NewService(e, w.control, k, discard)
	w.tenants.Checkpoints = w.checks
	w.tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := ids.Bootstrap(ctx, h, "")
		return err
	}
	if err := w.tenants.CheckMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	w.reg = tenancy.NewRegistry(e, w.control, k, discard, time.Minute, w.checks)
	t.Cleanup(w.reg.Close)
	if _, err := w.tenants.Create(ctx, "firm", "Firm LLP"); err != nil {
		t.Fatal(err)
	}
	h, release, err := w.reg.Get(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, h, ids, seed.DemoOptions{Cases: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Audit.SignTail(ctx); err != nil {
		t.Fatal(err)
	}
	release()
	w.ids, _ = age.GenerateX25519Identity()
	for range targets {
		dir := t.TempDir()
		st, err := blob.Open(ctx, "file://"+dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		w.targets, w.dirs = append(w.targets, st), append(w.dirs, dir)
	}
	w.backups = &backup.Service{Registry: w.reg, Control: w.control, Targets: w.targets,
		Recipients: []age.Recipient{w.ids.Recipient()}, FilesDir: w.files, CheckpointDir: w.checks,
		TmpDir: dataDir, Log: discard, Backoff: time.Millisecond}
	w.drills = &Service{Control: w.control, Tenants: w.reg, Targets: w.targets, Keeper: k,
		Identities: []age.Identity{w.ids}, SchemaVersion: schemaVersion(t), ScratchDir: dataDir,
		Scratch: func(dir string) (store.Engine, error) { return sqlite.New(dir) },
		Log:     slog.New(slog.NewTextHandler(w.log, nil))}
	return w
}

func (w *world) backup() backup.Result {
	w.t.Helper()
	res, err := w.backups.RunTenant(store.WithTimeout(context.Background(), 0), "firm")
	if err != nil || res.Status != "completed" {
		w.t.Fatalf("backup: %v %+v", err, res)
	}
	return res
}

// corrupt flips a byte in the middle of the data part of backup id on
// every target.
func (w *world) corrupt(id string) {
	w.t.Helper()
	for _, dir := range w.dirs {
		path := filepath.Join(dir, "tenants", "firm", "backups", id, "data.sr.age")
		b, err := os.ReadFile(path)
		if err != nil {
			w.t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			w.t.Fatal(err)
		}
	}
}

// noScratch fails the test if a scratch directory, or any restore's
// temporary directory, was left in the data directory.
func (w *world) noScratch() {
	w.t.Helper()
	entries, err := os.ReadDir(w.dataDir)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			w.t.Errorf("left in the data directory: %s", e.Name())
		}
	}
}

// events returns the actions and details of the tenant's backup.drill events.
func (w *world) drillEvents() []map[string]string {
	w.t.Helper()
	ctx := context.Background()
	h, release, err := w.reg.Get(ctx, "firm")
	if err != nil {
		w.t.Fatal(err)
	}
	defer release()
	evs, err := h.Audit.Events(ctx, 0, 100000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []map[string]string
	for _, e := range evs {
		if e.Action == "backup.drill" {
			out = append(out, e.Details)
		}
	}
	return out
}

func schemaVersion(t *testing.T) int {
	t.Helper()
	e := storetest.NewSQLite(t)
	ctx := context.Background()
	p, err := e.CreateTenantDB(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, "probe", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := store.SchemaVersion(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// syncBuffer is a log sink safe for the drill's goroutines.
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
