package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"strongroom"
	"strongroom/store/storetest"
)

// A restore takes the backup asked for: by id, the newest at or before a
// time, or the newest; an expired key store part leaves the restore
// going, with personal values sealed; RunAll backs up every tenant.
func TestChooseBackupAndExpiredKeystore(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 1)
	src.tenant("other", 0)
	k := newAgeKeys(t)
	dir := t.TempDir()
	target := openTarget(t, dir)
	svc := src.backups(k, target)
	clock := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return clock }
	all, err := svc.RunAll(ctx)
	if err != nil || len(all) != 2 || all[0].Tenant != "firm" || all[1].Tenant != "other" {
		t.Fatalf("RunAll: %v %+v", err, all)
	}
	first := all[0].ID
	clock = clock.Add(6 * time.Hour)
	second, err := svc.RunTenant(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opt  RestoreOptions
		want string
	}{
		{RestoreOptions{Slug: "firm"}, second.ID},
		{RestoreOptions{Slug: "firm", BackupID: first}, first},
		{RestoreOptions{Slug: "firm", At: clock.Add(-time.Hour)}, first},
		{RestoreOptions{Slug: "firm", At: clock}, second.ID},
	} {
		e, err := pick(ctx, target, c.opt)
		if err != nil || e.ID != c.want {
			t.Errorf("%+v: %v %s, want %s", c.opt, err, e.ID, c.want)
		}
	}
	if _, err := pick(ctx, target, RestoreOptions{Slug: "firm", At: clock.Add(-24 * time.Hour)}); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Errorf("a time before every backup: %v", err)
	}

	// Key store parts expire before the backups do.
	svc.Now = func() time.Time { return clock.Add(36 * 24 * time.Hour) }
	if err := svc.Cleanup(ctx, target, "firm"); err != nil {
		t.Fatal(err)
	}
	if n := countObjects(t, target, "tenants/firm/keystore/"); n != 0 {
		t.Fatalf("%d key store parts outlived their retention", n)
	}
	if l, _ := List(ctx, target, "firm"); len(l) != 2 {
		t.Fatalf("the backups went with their key stores: %d left", len(l))
	}
	dst := newServer(t, storetest.NewSQLite(t), src.keyPath)
	out, err := dst.restorer(k).Restore(ctx, target, RestoreOptions{Slug: "firm", BackupID: first})
	if err != nil {
		t.Fatal(err)
	}
	if !out.KeystoreMissing {
		t.Fatal("the restore did not say the key store had expired")
	}
	dst.verifyAudit("firm")
	if got := auditActions(t, dst, "firm"); got == "" {
		t.Fatal("the restore is not in the restored trail")
	}
	if _, err := os.Stat(filepath.Join(dst.files, "firm")); err != nil {
		t.Fatal(err)
	}
}
