package documents

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// fixture is one tenant on a real engine with a documents service whose
// files live in a temporary directory.
type fixture struct {
	t     *testing.T
	svc   *Service
	h     *tenancy.Handle
	dir   string        // the tenant's file directory
	logs  *syncedBuffer // what the service logged
	admin *identity.Principal
	cases int
}

type syncedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t *testing.T, e store.Engine) *fixture {
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
	discard := slog.New(slog.DiscardHandler)
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, discard)
	tenants.Checkpoints = t.TempDir()
	if _, err := tenants.Create(ctx, "firm", "Firm LLP"); err != nil {
		t.Fatal(err)
	}
	reg := tenancy.NewRegistry(e, control, k, discard, time.Minute, tenants.Checkpoints)
	t.Cleanup(reg.Close)
	h, release, err := reg.Get(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	files := t.TempDir()
	logs := &syncedBuffer{}
	f := &fixture{t: t, h: h, dir: filepath.Join(files, "firm"), logs: logs,
		svc: New(files, slog.New(slog.NewTextHandler(logs, nil)))}
	all := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		all[a] = access.EditGrant
	}
	f.admin = f.principal(1, false, nil, all)
	return f
}

// principal is a user with the given grants (as one role) and classes.
func (f *fixture) principal(id int64, restricted bool, classes []int64, grants map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id}, IP: "192.0.2.7",
		Subject: access.NewSubject(id, restricted, classes, []access.Role{{Name: "test", Grants: grants}})}
}

// staff may edit cases and documents.
func (f *fixture) staff(id int64, restricted bool, classes ...int64) *identity.Principal {
	return f.principal(id, restricted, classes, map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Documents: access.EditGrant})
}

// newCase inserts a case directly (package cases' service is not used
// here) with the given classes.
func (f *fixture) newCase(classes ...int64) int64 {
	f.t.Helper()
	ctx := context.Background()
	f.cases++
	var id int64
	now := store.FormatTime(time.Now())
	err := f.h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
			VALUES (?, ?, 'open', '2026-01-05', ?, ?) RETURNING id`, fmt.Sprintf("C-%03d", f.cases), "Case", now, now).Scan(&id); err != nil {
			return err
		}
		return cases.SetClasses(ctx, tx, cases.TypeCase, id, classes)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) newClass(name string) int64 {
	f.t.Helper()
	var id int64
	err := f.h.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO security_classes (name, name_key) VALUES (?, ?) RETURNING id`,
			name, strings.ToLower(name)).Scan(&id)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) upload(p *identity.Principal, caseID int64, in Input, name, content string) (*Document, error) {
	return f.svc.Create(context.Background(), f.h, p, caseID, in, Upload{Filename: name, Body: strings.NewReader(content)})
}

func (f *fixture) mustUpload(p *identity.Principal, caseID int64, in Input, name, content string) *Document {
	f.t.Helper()
	d, err := f.upload(p, caseID, in, name, content)
	if err != nil {
		f.t.Fatalf("upload %s: %v", name, err)
	}
	return d
}

// download returns the plaintext of a version, or the error.
func (f *fixture) download(p *identity.Principal, id int64, number int) ([]byte, *Download, error) {
	d, err := f.svc.Download(context.Background(), f.h, p, id, number)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), d, nil
}

// files lists the tenant's stored files, temporary ones included.
func (f *fixture) files() []string {
	f.t.Helper()
	entries, err := os.ReadDir(f.dir)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// count runs a COUNT(*) query.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.h.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// wantCode fails unless err carries code (and field, when given).
func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	if strongroom.ErrorCode(err) != code || (field != "" && strongroom.ErrorField(err) != field) {
		t.Fatalf("error %v; want code %s field %q", err, code, field)
	}
}

// events returns the audit actions written so far.
func (f *fixture) events() []string {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action+" "+e.ObjectID)
	}
	return out
}
