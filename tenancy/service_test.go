package tenancy_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// fixture is a tenant service over a real engine and a real key file.
type fixture struct {
	engine  store.Engine
	control *store.Control
	keeper  keys.Keeper
	svc     *tenancy.Service
	reg     *tenancy.Registry
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
	f := &fixture{engine: e, control: store.NewControl(db), keeper: k}
	f.svc = tenancy.NewService(e, f.control, k, discard)
	if err := f.svc.CheckMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	f.reg = tenancy.NewRegistry(e, f.control, k, discard, time.Minute, t.TempDir())
	t.Cleanup(f.reg.Close)
	return f
}

// exists reports whether the tenant's database can be opened at all.
func (f *fixture) dbExists(t *testing.T, slug string) bool {
	db, err := f.engine.OpenTenantDB(context.Background(), slug, f.engine.Placement(slug))
	if err != nil {
		return false
	}
	db.Close()
	return true
}

func TestCreate(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		tn, err := f.svc.Create(ctx, "smith-jones", "Smith & Jones LLP")
		if err != nil {
			t.Fatal(err)
		}
		if tn.Status != strongroom.TenantActive || tn.Placement != e.Placement("smith-jones") {
			t.Fatalf("created %+v", tn)
		}
		got, err := f.svc.Show(ctx, "smith-jones")
		if err != nil || got.DisplayName != "Smith & Jones LLP" {
			t.Fatalf("show: %+v, %v", got, err)
		}
		if _, err := f.svc.Create(ctx, "smith-jones", "Again"); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("duplicate: %v", err)
		}
		if ts, _ := f.svc.List(ctx); len(ts) != 1 {
			t.Fatalf("list after duplicate = %d tenants", len(ts))
		}

		for _, slug := range []string{"", "ab", strings.Repeat("a", 41), "Acme", "acme_law", "-acme", "acme-", "acme law", "admin", "api", "café-law"} {
			_, err := f.svc.Create(ctx, slug, "X")
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "slug" {
				t.Errorf("slug %q: got %v, want invalid slug", slug, err)
			}
		}
		for _, name := range []string{"", "bad\x00name", strings.Repeat("n", 201)} {
			_, err := f.svc.Create(ctx, "good-slug", name)
			if strongroom.ErrorField(err) != "display_name" {
				t.Errorf("name %q: got %v", name, err)
			}
		}
		if ts, _ := f.svc.List(ctx); len(ts) != 1 || f.dbExists(t, "good-slug") {
			t.Fatalf("invalid input left something behind: %d tenants", len(ts))
		}
	})
}

// A failure after the database is made leaves no database and no row.
func TestCreateAllOrNothing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		f.svc.AfterCreateDB = func(string) error { return errors.New("injected fault") }
		if _, err := f.svc.Create(ctx, "half-made", "Half"); err == nil {
			t.Fatal("create succeeded despite the fault")
		}
		if f.dbExists(t, "half-made") {
			t.Fatal("the database of a failed create remains")
		}
		if ps, _ := f.control.ListProvisioning(ctx); len(ps) != 0 {
			t.Fatalf("a row of a failed create remains: %v", ps)
		}
		f.svc.AfterCreateDB = nil
		if _, err := f.svc.Create(ctx, "half-made", "Half"); err != nil {
			t.Fatalf("retry after a failed create: %v", err)
		}
	})
}

// What a crash midway leaves is invisible, and Sweep removes it.
func TestSweep(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		// The state a process killed between making the database and
		// activating the tenant leaves behind (cmd/strongroom tests the kill itself).
		if err := f.control.InsertProvisioning(ctx, &strongroom.Tenant{Slug: "crashed", DisplayName: "Crashed",
			Placement: e.Placement("crashed"), CreatedAt: time.Now(), WrappedKey: []byte{1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateTenantDB(ctx, "crashed"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Show(ctx, "crashed"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("an unfinished tenant is visible: %v", err)
		}
		if err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if f.dbExists(t, "crashed") {
			t.Fatal("sweep left the database")
		}
		if ps, _ := f.control.ListProvisioning(ctx); len(ps) != 0 {
			t.Fatalf("sweep left rows: %v", ps)
		}
	})
}

func TestDisableEnable(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		if _, err := f.svc.Create(ctx, "acme", "Acme"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Disable(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.reg.Get(ctx, "acme"); strongroom.ErrorCode(err) != strongroom.EDISABLED ||
			!strings.Contains(strongroom.ErrorMessage(err), "disabled") {
			t.Fatalf("disabled tenant: %v", err)
		}
		if err := f.svc.Enable(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		h, release, err := f.reg.Get(ctx, "acme")
		if err != nil {
			t.Fatalf("enabled tenant: %v", err)
		}
		release()
		if h.Tenant.Slug != "acme" || len(h.DataKey()) != 32 {
			t.Fatalf("handle %+v", h.Tenant)
		}
		if err := f.svc.Disable(ctx, "no-such"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("disable unknown: %v", err)
		}
		if _, _, err := f.reg.Get(ctx, "no-such"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("get unknown: %v", err)
		}
	})
}

// Each tenant's handle reaches its own database only, and closes when idle.
func TestRegistry(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		for _, s := range []string{"firm-one", "firm-two"} {
			if _, err := f.svc.Create(ctx, s, s); err != nil {
				t.Fatal(err)
			}
		}
		one, rel1, err := f.reg.Get(ctx, "firm-one")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CheckTenantInfo(ctx, one.DB, "firm-one"); err != nil {
			t.Fatal(err)
		}
		two, rel2, err := f.reg.Get(ctx, "firm-two")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CheckTenantInfo(ctx, two.DB, "firm-two"); err != nil {
			t.Fatal(err)
		}
		if string(one.DataKey()) == string(two.DataKey()) {
			t.Fatal("two tenants share a data key")
		}
		again, rel3, _ := f.reg.Get(ctx, "firm-one")
		if again.DB != one.DB {
			t.Fatal("a second request opened the tenant again")
		}
		rel1()
		rel3()
		if n := f.reg.CloseIdle(); n != 0 {
			// not idle yet: idle is a minute
			t.Fatalf("closed %d before the idle period", n)
		}
		rel2()
		if f.reg.Open() != 2 {
			t.Fatalf("open = %d", f.reg.Open())
		}
	})
}

// One tenant's deleted or corrupted file makes that tenant unavailable;
// the others keep working, and nothing is re-created in its place.
func TestDamagedTenantFile(t *testing.T) {
	ctx := context.Background()
	e := storetest.NewSQLite(t)
	f := newFixture(t, e)
	for _, s := range []string{"healthy", "deleted", "corrupt"} {
		if _, err := f.svc.Create(ctx, s, s); err != nil {
			t.Fatal(err)
		}
	}
	del := e.TenantPath(e.Placement("deleted"))
	if err := os.Remove(del); err != nil {
		t.Fatal(err)
	}
	bad := e.TenantPath(e.Placement("corrupt"))
	if err := os.WriteFile(bad, []byte(strings.Repeat("this is not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"deleted", "corrupt"} {
		_, _, err := f.reg.Get(ctx, s)
		if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Fatalf("%s: got %v, want unavailable", s, err)
		}
		if strings.Contains(strongroom.ErrorMessage(err), "/") || strings.Contains(strongroom.ErrorMessage(err), "sql") {
			t.Fatalf("%s: message leaks detail: %q", s, strongroom.ErrorMessage(err))
		}
	}
	if _, err := os.Stat(del); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("opening a deleted tenant re-created its file")
	}
	h, release, err := f.reg.Get(ctx, "healthy")
	if err != nil {
		t.Fatalf("healthy tenant: %v", err)
	}
	defer release()
	if err := h.DB.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestMasterKey(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		if _, err := f.svc.Create(ctx, "keyed", "Keyed"); err != nil {
			t.Fatal(err)
		}
		// Another key is refused, with a message that says so.
		wrong, err := keys.Open(ctx, filepath.Join(t.TempDir(), "other.key"), true)
		if err != nil {
			t.Fatal(err)
		}
		err = tenancy.NewService(e, f.control, wrong, discard).CheckMasterKey(ctx)
		if strongroom.ErrorCode(err) != strongroom.EINVALID || !strings.Contains(strongroom.ErrorMessage(err), "master key") {
			t.Fatalf("wrong key: %v", err)
		}

		// Rotation re-wraps tenant keys; the new key then opens tenants
		// with the same data key, and the old key is refused.
		before, rel, _ := f.reg.Get(ctx, "keyed")
		oldKey := string(before.DataKey())
		rel()
		next, err := keys.Open(ctx, filepath.Join(t.TempDir(), "next.key"), true)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.RotateMasterKey(ctx, next); err != nil || n != 1 {
			t.Fatalf("rotate: %d, %v", n, err)
		}
		if err := tenancy.NewService(e, f.control, next, discard).CheckMasterKey(ctx); err != nil {
			t.Fatalf("new key after rotation: %v", err)
		}
		if err := tenancy.NewService(e, f.control, f.keeper, discard).CheckMasterKey(ctx); err == nil {
			t.Fatal("old key accepted after rotation")
		}
		reg := tenancy.NewRegistry(e, f.control, next, discard, time.Minute, t.TempDir())
		defer reg.Close()
		after, rel, err := reg.Get(ctx, "keyed")
		if err != nil {
			t.Fatal(err)
		}
		rel()
		if string(after.DataKey()) != oldKey {
			t.Fatal("rotation changed the tenant's data key")
		}
	})
}
