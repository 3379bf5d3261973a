package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	_ "gocloud.dev/blob/fileblob"

	"strongroom"
	"strongroom/access"
	"strongroom/blob"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// server is one installation on a real engine: its control plane, master
// key, tenant service and registry, document and checkpoint directories.
type server struct {
	t           *testing.T
	e           store.Engine
	dataDir     string
	keyPath     string
	keeper      keys.Keeper
	control     *store.Control
	tenants     *tenancy.Service
	reg         *tenancy.Registry
	ids         *identity.Service
	files       string
	checkpoints string
}

func newServer(t *testing.T, e store.Engine, keyPath string) *server {
	t.Helper()
	ctx := context.Background()
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	create := false
	if keyPath == "" {
		keyPath, create = filepath.Join(t.TempDir(), "master.key"), true
	}
	k, err := keys.Open(ctx, keyPath, create)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	dataDir := t.TempDir()
	s := &server{t: t, e: e, dataDir: dataDir, keyPath: keyPath, keeper: k, control: store.NewControl(db),
		files: filepath.Join(dataDir, "files"), checkpoints: filepath.Join(dataDir, "checkpoints")}
	s.ids = identity.New(password.NewHasher(password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0),
		identity.NewThrottle(1000, time.Second), discard)
	s.tenants = tenancy.NewService(e, s.control, k, discard)
	s.tenants.Checkpoints = s.checkpoints
	s.tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := s.ids.Bootstrap(ctx, h, "")
		return err
	}
	if err := s.tenants.CheckMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	s.reg = tenancy.NewRegistry(e, s.control, k, discard, time.Minute, s.checkpoints)
	t.Cleanup(s.reg.Close)
	return s
}

// tenant creates slug with a small demo and a few documents, and returns
// the documents' contents by id.
func (s *server) tenant(slug string, docs int) map[int64]string {
	s.t.Helper()
	ctx := context.Background()
	if _, err := s.tenants.Create(ctx, slug, "Firm "+slug); err != nil {
		s.t.Fatal(err)
	}
	h, release := s.handle(slug)
	defer release()
	if _, err := seed.Demo(ctx, h, s.ids, seed.DemoOptions{Cases: 12}); err != nil {
		s.t.Fatal(err)
	}
	p := s.admin(h)
	list, _, err := cases.New(discard).ListCases(ctx, h, p, cases.CaseFilter{})
	if err != nil || len(list) == 0 {
		s.t.Fatalf("list cases: %v (%d)", err, len(list))
	}
	out := map[int64]string{}
	svc := documents.New(s.files, discard)
	for i := range docs {
		body := fmt.Sprintf("%s document %d: %s", slug, i, strings.Repeat("privileged ", 50+i))
		d, err := svc.Create(ctx, h, p, list[i%len(list)].ID, documents.Input{Title: fmt.Sprintf("Memo %d", i)},
			documents.Upload{Filename: fmt.Sprintf("memo-%d.txt", i), Body: strings.NewReader(body)})
		if err != nil {
			s.t.Fatal(err)
		}
		out[d.ID] = body
	}
	if _, err := h.Audit.SignTail(ctx); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *server) handle(slug string) (*tenancy.Handle, func()) {
	s.t.Helper()
	h, release, err := s.reg.Get(context.Background(), slug)
	if err != nil {
		s.t.Fatal(err)
	}
	return h, release
}

func (s *server) admin(h *tenancy.Handle) *identity.Principal {
	s.t.Helper()
	ctx := context.Background()
	p, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		s.t.Fatal(err)
	}
	// Every class too, so that the whole demo is seen.
	rows, err := h.DB.QueryContext(ctx, `SELECT id FROM security_classes ORDER BY id`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var classes []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			s.t.Fatal(err)
		}
		classes = append(classes, id)
	}
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == access.AdministratorRole {
			roles = append(roles, r)
		}
	}
	p.Subject = access.NewSubject(p.User.ID, false, classes, roles)
	return p
}

// view is what a tenant serves, to compare a restore with its original.
type view struct {
	cases []string
	docs  map[int64]string
}

func (s *server) view(slug string) view {
	s.t.Helper()
	ctx := context.Background()
	h, release := s.handle(slug)
	defer release()
	p := s.admin(h)
	var list []*cases.Case
	for cursor := ""; ; {
		page, next, err := cases.New(discard).ListCases(ctx, h, p, cases.CaseFilter{ListOptions: cases.ListOptions{Cursor: cursor, Limit: 100}})
		if err != nil {
			s.t.Fatal(err)
		}
		list = append(list, page...)
		if cursor = next; next == "" {
			break
		}
	}
	v := view{docs: map[int64]string{}}
	svc := documents.New(s.files, discard)
	for _, c := range list {
		v.cases = append(v.cases, fmt.Sprintf("%d %s %s %s %s", c.ID, c.Number, c.Title, c.Client, c.Status))
		docs, err := svc.List(ctx, h, p, c.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, d := range docs {
			dl, err := svc.Download(ctx, h, p, d.ID, 0)
			if err != nil {
				s.t.Fatalf("download document %d: %v", d.ID, err)
			}
			var b bytes.Buffer
			if _, err := dl.WriteTo(&b); err != nil {
				s.t.Fatalf("read document %d: %v", d.ID, err)
			}
			dl.Close()
			v.docs[d.ID] = b.String()
		}
	}
	return v
}

// verifyAudit fails the test unless slug's audit trail verifies.
func (s *server) verifyAudit(slug string) {
	s.t.Helper()
	h, release := s.handle(slug)
	defer release()
	rep, err := h.Audit.Verify(context.Background())
	if err != nil || !rep.OK() {
		s.t.Fatalf("audit of %s: %v %v", slug, err, rep)
	}
}

// absent fails the test unless nothing of slug exists on the server.
func (s *server) absent(slug string) {
	s.t.Helper()
	ctx := context.Background()
	all, err := s.control.AllTenants(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, tn := range all {
		if tn.Slug == slug {
			s.t.Fatalf("tenant %s has a row (%s)", slug, tn.Status)
		}
	}
	if db, err := s.e.OpenTenantDB(ctx, slug, s.e.Placement(slug)); err == nil {
		db.Close()
		s.t.Fatalf("tenant %s has a database", slug)
	}
	for _, d := range []string{s.files, s.checkpoints} {
		if entries, err := os.ReadDir(filepath.Join(d, slug)); err == nil && len(entries) > 0 {
			s.t.Fatalf("%s/%s holds %d files", d, slug, len(entries))
		}
	}
	if entries, _ := os.ReadDir(s.dataDir); len(entries) > 0 {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".restore-") {
				s.t.Fatalf("temporary directory %s left", e.Name())
			}
		}
	}
}

// keys is the operator's backup key pair.
type ageKeys struct {
	id        *age.X25519Identity
	escrow    *age.X25519Identity
	recipient []age.Recipient
}

func newAgeKeys(t *testing.T) ageKeys {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	escrow, _ := age.GenerateX25519Identity()
	return ageKeys{id: id, escrow: escrow, recipient: []age.Recipient{id.Recipient(), escrow.Recipient()}}
}

func openTarget(t *testing.T, dir string) blob.Store {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := blob.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (s *server) backups(k ageKeys, targets ...blob.Store) *Service {
	return &Service{Registry: s.reg, Control: s.control, Targets: targets, Recipients: k.recipient,
		FilesDir: s.files, CheckpointDir: s.checkpoints, TmpDir: s.dataDir, Log: discard,
		Backoff: time.Millisecond, sleep: func(context.Context, time.Duration) error { return nil }}
}

func (s *server) restorer(k ageKeys) *Restorer {
	return &Restorer{Tenants: s.tenants, Keeper: s.keeper, Identities: []age.Identity{k.id},
		FilesDir: s.files, CheckpointDir: s.checkpoints, TmpDir: s.dataDir, SchemaVersion: schemaVersion(s.t), Log: discard}
}

// schemaVersion is the newest tenant schema of this binary.
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

// freshEngine returns an engine of the same kind as e with nothing in it.
func freshEngine(t *testing.T, e store.Engine) store.Engine {
	if e.Dialect() == store.Postgres {
		return storetest.NewPostgres(t)
	}
	return storetest.NewSQLite(t)
}

// faulty is a target that fails: down (every call), or after letting
// failAfter bytes of a Put through.
type faulty struct {
	blob.Store
	down      atomic.Bool
	failAfter atomic.Int64 // 0: no limit
	puts      atomic.Int64
}

var errDown = strongroom.Errorf(strongroom.EUNAVAILABLE, "The object store is not answering.")

func (f *faulty) Put(ctx context.Context, key string, r io.Reader) (blob.Written, error) {
	f.puts.Add(1)
	if f.down.Load() {
		return blob.Written{}, errDown
	}
	if n := f.failAfter.Load(); n > 0 {
		r = &failingReader{r: r, left: n}
	}
	return f.Store.Put(ctx, key, r)
}

func (f *faulty) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Get(ctx, key)
}

func (f *faulty) Stat(ctx context.Context, key string) (blob.Info, error) {
	if f.down.Load() {
		return blob.Info{}, errDown
	}
	return f.Store.Stat(ctx, key)
}

func (f *faulty) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.List(ctx, prefix, fn)
}

type failingReader struct {
	r    io.Reader
	left int64
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, strongroom.Errorf(strongroom.EUNAVAILABLE, "The connection to the object store broke.")
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	return n, err
}
