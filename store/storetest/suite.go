package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/store"
)

// RunSuite is the contract every engine passes: the control store, tenant
// databases that are created, opened, refused and dropped as specified, and
// the migration rules.
func RunSuite(t *testing.T, e store.Engine) {
	ctx := context.Background()
	control, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatalf("open control: %v", err)
	}
	t.Cleanup(func() { control.Close() })
	c := store.NewControl(control)

	t.Run("ControlReopens", func(t *testing.T) {
		again, err := e.OpenControl(ctx)
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		defer again.Close()
		v, err := store.SchemaVersion(ctx, again)
		if err != nil || v < 1 {
			t.Fatalf("schema version = %d, %v; want >= 1", v, err)
		}
	})
	t.Run("TenantRows", func(t *testing.T) { testTenantRows(t, c, e) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, c) })
	t.Run("TenantDatabases", func(t *testing.T) { testTenantDatabases(t, e) })
	t.Run("NewerSchemaRefused", func(t *testing.T) { testNewerSchemaRefused(t, e) })
	t.Run("StatementCache", func(t *testing.T) { testStatementCache(t, e) })
	t.Run("RacedWrites", func(t *testing.T) { testRacedWrites(t, e) })
}

func testTenantRows(t *testing.T, c *store.Control, e store.Engine) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 30, 0, 123456000, time.UTC)
	tn := &strongroom.Tenant{Slug: "acme-law", DisplayName: "Acme Law LLP", Placement: e.Placement("acme-law"),
		CreatedAt: now, WrappedKey: []byte{1, 2, 3}}
	if err := c.InsertProvisioning(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindTenant(ctx, "acme-law"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Fatalf("provisioning tenant visible: %v", err)
	}
	if ts, _ := c.ListTenants(ctx); len(ts) != 0 {
		t.Fatalf("provisioning tenant listed: %v", ts)
	}
	dup := *tn
	if err := c.InsertProvisioning(ctx, &dup); strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "slug" {
		t.Fatalf("duplicate slug: got %v, want conflict on slug", err)
	}
	if err := c.ActivateTenant(ctx, "acme-law", tn.Placement, now); err != nil {
		t.Fatal(err)
	}
	got, err := c.FindTenant(ctx, "acme-law")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != strongroom.TenantActive || got.DisplayName != "Acme Law LLP" || !got.CreatedAt.Equal(now) ||
		string(got.WrappedKey) != "\x01\x02\x03" || got.Placement != tn.Placement {
		t.Fatalf("found %+v", got)
	}
	if err := c.ActivateTenant(ctx, "acme-law", tn.Placement, now); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Fatalf("second activate: %v", err)
	}
	if err := c.SetTenantStatus(ctx, "acme-law", strongroom.TenantDisabled, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.FindTenant(ctx, "acme-law"); got.Status != strongroom.TenantDisabled {
		t.Fatalf("status = %s, want disabled", got.Status)
	}
	if err := c.SetTenantStatus(ctx, "no-such", strongroom.TenantDisabled, now); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Fatalf("disable unknown: %v", err)
	}
	if err := c.SetTenantStatus(ctx, "acme-law", strongroom.TenantProvisioning, now); strongroom.ErrorCode(err) != strongroom.EINVALID {
		t.Fatalf("set provisioning: %v", err)
	}

	// A provisioning row can be removed; an active one cannot by that path.
	other := &strongroom.Tenant{Slug: "beta-tax", DisplayName: "Beta", Placement: "x", CreatedAt: now, WrappedKey: []byte{9}}
	if err := c.InsertProvisioning(ctx, other); err != nil {
		t.Fatal(err)
	}
	if ps, _ := c.ListProvisioning(ctx); len(ps) != 1 || ps[0].Slug != "beta-tax" {
		t.Fatalf("provisioning = %v", ps)
	}
	if err := c.DeleteProvisioning(ctx, "beta-tax"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteProvisioning(ctx, "acme-law"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := c.ListTenants(ctx); len(ts) != 1 || ts[0].Slug != "acme-law" {
		t.Fatalf("list = %v", ts)
	}
}

func testSettings(t *testing.T, c *store.Control) {
	ctx := context.Background()
	if _, ok, err := c.Setting(ctx, "k"); ok || err != nil {
		t.Fatalf("unset setting: ok=%v err=%v", ok, err)
	}
	if stored, err := c.PutSettingOnce(ctx, "k", []byte("one")); !stored || err != nil {
		t.Fatalf("first put: %v %v", stored, err)
	}
	if stored, err := c.PutSettingOnce(ctx, "k", []byte("two")); stored || err != nil {
		t.Fatalf("second put: %v %v", stored, err)
	}
	if v, ok, _ := c.Setting(ctx, "k"); !ok || string(v) != "one" {
		t.Fatalf("setting = %q", v)
	}
}

func testTenantDatabases(t *testing.T, e store.Engine) {
	ctx := context.Background()
	pa, err := e.CreateTenantDB(ctx, "tenant-a")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := e.CreateTenantDB(ctx, "tenant-b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTenantDB(ctx, "tenant-a"); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
		t.Fatalf("second create: %v", err)
	}
	a, err := e.OpenTenantDB(ctx, "tenant-a", pa)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.ExecContext(ctx, `INSERT INTO tenant_info (name, value) VALUES ('marker', ?)`, "only-in-a"); err != nil {
		t.Fatal(err)
	}
	b, err := e.OpenTenantDB(ctx, "tenant-b", pb)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_info WHERE name = 'marker'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("tenant b sees a's row: n=%d err=%v", n, err)
	}
	b.Close()

	// A's database opened under B's name is refused, not served.
	if db, err := e.OpenTenantDB(ctx, "tenant-b", pa); err == nil {
		db.Close()
		t.Fatal("tenant-a's database opened as tenant-b")
	}
	if err := e.DropTenantDB(ctx, pb); err != nil {
		t.Fatal(err)
	}
	if err := e.DropTenantDB(ctx, pb); err != nil {
		t.Fatalf("dropping twice: %v", err)
	}
	// A dropped database is not silently re-created by opening it.
	if db, err := e.OpenTenantDB(ctx, "tenant-b", pb); err == nil {
		db.Close()
		t.Fatal("opened a dropped tenant database")
	}
	if db, err := e.OpenTenantDB(ctx, "tenant-b", pb); err == nil {
		db.Close()
		t.Fatal("opening a dropped tenant database created it")
	}
}

func testNewerSchemaRefused(t *testing.T, e store.Engine) {
	ctx := context.Background()
	p, err := e.CreateTenantDB(ctx, "from-future")
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, "from-future", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = e.OpenTenantDB(ctx, "from-future", p)
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "newer than this strongroom binary") {
		t.Fatalf("newer schema: got %v", err)
	}
}
