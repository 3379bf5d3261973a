package erasure_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/search"
	"strongroom/store"
	"strongroom/store/postgres"
	"strongroom/store/sqlite"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// fixture is the tenant "firm" on a real engine with every service that
// writes personal data, and the erasure service over the real control
// database.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	e       store.Engine
	control *store.DB
	reg     *tenancy.Registry
	release func()
	h       *tenancy.Handle
	ids     *identity.Service
	cases   *cases.Service
	docs    *documents.Service
	search  *search.Service
	er      *erasure.Service
	admin   *identity.Principal
	keeper  keys.Keeper
	points  string // checkpoint directory
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
	params := password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	f := &fixture{t: t, ctx: ctx, e: e, control: db,
		ids:   identity.New(password.NewHasher(params, 0), identity.NewThrottle(1000, time.Second), discard),
		cases: cases.New(discard), docs: documents.New(t.TempDir(), discard), search: search.New(),
		er: erasure.New(db, discard)}
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, discard)
	tenants.Checkpoints = t.TempDir()
	tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := f.ids.Bootstrap(ctx, h, "")
		return err
	}
	if _, err := tenants.Create(ctx, "firm", "Firm LLP"); err != nil {
		t.Fatal(err)
	}
	f.keeper, f.points = k, tenants.Checkpoints
	f.reopen()
	t.Cleanup(func() { f.release(); f.reg.Close() })
	f.admin = principal(1, everything())
	return f
}

func everything() map[access.Area]access.Grant {
	g := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		g[a] = access.EditGrant
	}
	return g
}

func principal(id int64, g map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id, Username: "u"}, IP: "192.0.2.7",
		Subject: access.NewSubject(id, false, nil, []access.Role{{Name: "r", Grants: g}})}
}

// count counts rows with the test's own query (what is stored).
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.h.DB.QueryRowContext(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// snapshot copies the tenant database as a backup would, and returns a
// handle on the copy (same tenant, same data key): an older backup
// restored. On PostgreSQL the copy is made from the database as a
// template, which needs every connection to it closed: the registry is
// closed and opened again.
func (f *fixture) snapshot() *tenancy.Handle {
	f.t.Helper()
	key := append([]byte(nil), f.h.DataKey()...)
	tenant := *f.h.Tenant
	var placement string
	switch e := f.e.(type) {
	case *sqlite.Engine:
		placement = "tenants/old-firm.db"
		path := e.TenantPath(placement)
		if _, err := f.h.DB.ExecContext(f.ctx, `VACUUM INTO ?`, path); err != nil {
			f.t.Fatal(err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			f.t.Fatal(err)
		}
	case *postgres.Engine:
		placement = tenant.Placement + "_old"
		f.release()
		f.reg.Close()
		_, err := f.control.ExecContext(f.ctx, "CREATE DATABASE "+pgx.Identifier{placement}.Sanitize()+
			" TEMPLATE "+pgx.Identifier{tenant.Placement}.Sanitize())
		if err != nil {
			f.t.Fatal(err)
		}
		f.reopen()
	default:
		f.t.Fatalf("no snapshot for %T", f.e)
	}
	db, err := f.e.OpenTenantDB(f.ctx, tenant.Slug, placement)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	tenant.Placement = placement
	h, err := tenancy.NewHandle(f.ctx, &tenant, db, key, f.t.TempDir())
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// reopen gets the tenant from a fresh registry.
func (f *fixture) reopen() {
	f.t.Helper()
	f.reg = tenancy.NewRegistry(f.e, store.NewControl(f.control), f.keeper, discard, time.Minute, f.points)
	var err error
	if f.h, f.release, err = f.reg.Get(f.ctx, "firm"); err != nil {
		f.t.Fatal(err)
	}
}
