package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/store"
	"strongroom/store/storetest"
)

// A restore takes the backup asked for: by id, the newest at or before a
// time, or the newest; an expired key store part leaves the restore
// going, with personal values sealed; RunAll backs up every tenant.
func TestChooseBackupAndExpiredKeystore(t *testing.T) {
	storetest.ForEachEngine(t, testChooseBackup)
}

func testChooseBackup(t *testing.T, e store.Engine) {
	ctx := context.Background()
	src := newServer(t, e, "")
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

	// Key store parts expire before the backups do, but the newest's.
	svc.Now = func() time.Time { return clock.Add(36 * 24 * time.Hour) }
	if err := svc.Cleanup(ctx, target, "firm"); err != nil {
		t.Fatal(err)
	}
	if n := countObjects(t, target, "tenants/firm/keystore/"); n != 1 {
		t.Fatalf("%d key store parts left, want the newest backup's alone", n)
	}
	if _, err := target.Stat(ctx, keystoreKey("firm", second.ID)); err != nil {
		t.Fatalf("the newest backup's key store went: %v", err)
	}
	if l, _ := List(ctx, target, "firm"); len(l) != 2 {
		t.Fatalf("the backups went with their key stores: %d left", len(l))
	}
	dst := newServer(t, freshEngine(t, e), src.keyPath)
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

// A server with another master key cannot restore: the data key in the
// manifest does not open, and nothing is written.
func TestRestoreRefusesOtherMasterKey(t *testing.T) {
	storetest.ForEachEngine(t, testOtherMasterKey)
}

func testOtherMasterKey(t *testing.T, e store.Engine) {
	ctx := context.Background()
	src := newServer(t, e, "")
	src.tenant("firm", 1)
	k := newAgeKeys(t)
	target := openTarget(t, t.TempDir())
	if _, err := src.backups(k, target).RunTenant(ctx, "firm"); err != nil {
		t.Fatal(err)
	}
	dst := newServer(t, freshEngine(t, e), "")
	stale := filepath.Join(dst.dataDir, ".restore-old")
	os.Mkdir(stale, 0o700)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	_, err := dst.restorer(k).Restore(ctx, target, RestoreOptions{Slug: "firm"})
	if msg := strongroom.ErrorMessage(err); !strings.Contains(msg, "holds a data key this server's master key does not open") {
		t.Fatalf("restore with another master key: %v", err)
	}
	dst.absent("firm")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("a temporary directory a killed restore left two days ago is still there")
	}
}

// Two backups started in the same second have ids that differ only by
// their random part; the newest is the one whose marker records the later
// time, whichever id sorts first.
func TestNewestBackupByRecordedTime(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 0)
	k := newAgeKeys(t)
	target := openTarget(t, t.TempDir())
	svc := src.backups(k, target)
	clock := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return clock }
	var prev, last string
	for i := 1; i < 40 && (prev == "" || prev < last); i++ {
		res, err := svc.RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		prev, last = last, res.ID
		clock = clock.Add(10 * time.Millisecond)
	}
	if prev < last {
		t.Fatal("no two ids of one second sorted against their times")
	}
	e, err := pick(ctx, target, RestoreOptions{Slug: "firm"})
	if err != nil || e.ID != last {
		t.Fatalf("newest: %v %s, want %s (taken after %s)", err, e.ID, last, prev)
	}
	e, err = pick(ctx, target, RestoreOptions{Slug: "firm", At: clock.Add(-15 * time.Millisecond)})
	if err != nil || e.ID != prev {
		t.Fatalf("at a time between the two: %v %s, want %s", err, e.ID, prev)
	}
}
