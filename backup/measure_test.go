package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/documents"
	"strongroom/seed"
	"strongroom/store/storetest"
)

// TestMeasureBackupAndRestore times a backup and a restore of a demo
// tenant with STRONGROOM_BACKUP_MEASURE cases and 40 document files of a
// MiB each, on SQLite, to three file targets. It is skipped unless asked.
func TestMeasureBackupAndRestore(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STRONGROOM_BACKUP_MEASURE"))
	if n == 0 {
		t.Skip("set STRONGROOM_BACKUP_MEASURE to a number of cases")
	}
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	if _, err := src.tenants.Create(ctx, "firm", "Firm"); err != nil {
		t.Fatal(err)
	}
	h, release := src.handle("firm")
	if _, err := seed.Demo(ctx, h, src.ids, seed.DemoOptions{Cases: n}); err != nil {
		t.Fatal(err)
	}
	p := src.admin(h)
	list, _, _ := cases.New(discard).ListCases(ctx, h, p, cases.CaseFilter{})
	svc := documents.New(src.files, discard)
	for i := range 40 {
		body := make([]byte, 1<<20)
		rand.Read(body)
		if _, err := svc.Create(ctx, h, p, list[i%len(list)].ID, documents.Input{Title: "Scan"},
			documents.Upload{Filename: "scan.bin", Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	release()
	k := newAgeKeys(t)
	dir := t.TempDir()
	targets := []*faulty{{Store: openTarget(t, dir)}, {Store: openTarget(t, t.TempDir())}, {Store: openTarget(t, t.TempDir())}}
	b := src.backups(k, targets[0], targets[1], targets[2])
	begin := time.Now()
	res, err := b.RunTenant(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(begin)
	begin = time.Now()
	if _, err := b.RunTenant(ctx, "firm"); err != nil {
		t.Fatal(err)
	}
	second := time.Since(begin)
	dst := newServer(t, storetest.NewSQLite(t), src.keyPath)
	begin = time.Now()
	r := dst.restorer(k)
	last := ""
	r.Progress = func(stage string, done, total int64) {
		if stage != last {
			t.Logf("%s: stage %s", time.Since(begin).Round(time.Millisecond), stage)
			last = stage
		}
	}
	if _, err := r.Restore(ctx, targets[0].Store, RestoreOptions{Slug: "firm"}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases: first backup to 3 targets %s (%d bytes a target), second %s; restore %s",
		n, first.Round(time.Millisecond), res.Copies[0].Size, second.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}
