package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strongroom"
	"strongroom/backup/retention"
	"strongroom/blob"
	"strongroom/blob/blobtest"
	"strongroom/store"
	"strongroom/store/storetest"
)

// Backups taken over six weeks (by the service's clock) on a directory
// target and a real S3 server are pruned: afterwards each target lists
// exactly the backups retention keeps, the removed ones have left no
// object, the oldest kept one still restores with its document files,
// and document file objects no backup names are gone once older than the
// grace, the young one staying.
func TestPruneKeepsWhatRetentionKeeps(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		docs := src.tenant("firm", 3)
		k := newAgeKeys(t)
		dir := openTarget(t, t.TempDir())
		s3, err := blob.Open(ctx, blobtest.S3(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s3.Close() })
		svc := src.backups(k, dir, s3)
		// Far enough ahead that every object written now is older than
		// any grace by the service's clock.
		base := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC) // a Monday
		var clock atomic.Int64
		svc.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		for _, day := range []int{0, 1, 2, 9, 20, 33, 40} {
			clock.Store(base.AddDate(0, 0, day).UnixNano())
			if res, err := svc.RunTenant(ctx, "firm"); err != nil || res.Status != "completed" {
				t.Fatalf("backup on day %d: %v %+v", day, err, res)
			}
		}
		orphan := plantFile(t, dir, s3, "firm", "no backup names this file")
		now := base.AddDate(0, 0, 57)
		clock.Store(now.UnixNano())
		loc, _ := time.LoadLocation("Europe/London")
		opt := PruneOptions{Policy: retention.Default, Location: loc, KeystoreKeep: 35 * 24 * time.Hour}

		for _, target := range []blob.Store{dir, s3} {
			before, err := List(ctx, target, "firm")
			if err != nil {
				t.Fatal(err)
			}
			bs := make([]retention.Backup, len(before))
			for i, b := range before {
				bs[i] = retention.Backup{ID: b.ID, At: b.Time}
			}
			keep, remove := retention.Default.Decide(now, loc, bs)
			if len(remove) == 0 || len(keep) < 2 {
				t.Fatalf("the schedule should both keep and remove: keep %v remove %v", keep, remove)
			}
			out, err := svc.Prune(ctx, target, "firm", opt)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := List(ctx, target, "firm")
			var ids []string
			for _, b := range after {
				ids = append(ids, b.ID)
			}
			want := slices.Sorted(maps.Keys(keep))
			if !slices.Equal(ids, want) || len(out.Removed) != len(remove) {
				t.Fatalf("%s lists %v, want %v (removed %v)", target.Name(), ids, want, out.Removed)
			}
			for _, b := range remove {
				if n := countObjects(t, target, backupDir("firm", b.ID)); n != 0 {
					t.Fatalf("removed backup %s left %d objects", b.ID, n)
				}
			}
			// Key store parts of kept backups older than 35 days go too.
			wantKeys := 0
			for _, b := range before {
				if _, kept := keep[b.ID]; kept && (now.Sub(b.Time) < 35*24*time.Hour || b.ID == want[len(want)-1]) {
					wantKeys++
				}
			}
			if n := countObjects(t, target, keystorePrefix("firm")); n != wantKeys || wantKeys == len(keep) {
				t.Fatalf("%d key store parts for %d backups kept, want %d", n, len(keep), wantKeys)
			}
			if _, err := target.Stat(ctx, fileObjectKey("firm", orphan)); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
				t.Fatalf("the unreferenced file is still there: %v", err)
			}
			if n := countObjects(t, target, tenantPrefix("firm")+"files/"); n != len(docs) || out.Files != 1 {
				t.Fatalf("%d document files left (%d collected), want %d", n, out.Files, len(docs))
			}
		}

		// The oldest backup kept restores from S3 with every file.
		after, _ := List(ctx, s3, "firm")
		dst := newServer(t, freshEngine(t, e), src.keyPath)
		if _, err := dst.restorer(k).Restore(ctx, s3, RestoreOptions{Slug: "firm", BackupID: after[0].ID}); err != nil {
			t.Fatal(err)
		}
		if got := dst.view("firm"); !maps.Equal(got.docs, docs) {
			t.Fatal("the restored documents differ")
		}

		// A file uploaded within the grace stays though no backup names it.
		young := plantFile(t, dir, s3, "firm", "being uploaded by a backup")
		svc.Now = time.Now
		if out, err := svc.Prune(ctx, dir, "firm", opt); err != nil || out.Files != 0 {
			t.Fatalf("young file collected: %v %+v", err, out)
		}
		if _, err := dir.Stat(ctx, fileObjectKey("firm", young)); err != nil {
			t.Fatalf("the young file went: %v", err)
		}
	})
}

// plantFile puts a document file object no backup names on the targets.
func plantFile(t *testing.T, dir, s3 blob.Store, slug, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	name := hex.EncodeToString(sum[:])
	for _, st := range []blob.Store{dir, s3} {
		if _, err := st.Put(context.Background(), fileObjectKey(slug, name), strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// deleteFails lets deletes through until it has let after of them, then
// fails every one, like a target that goes away midway through a prune.
type deleteFails struct {
	*faulty
	after, n atomic.Int64
}

func (d *deleteFails) Delete(ctx context.Context, key string) error {
	if d.n.Add(1) > d.after.Load() {
		return errDown
	}
	return d.faulty.Store.Delete(ctx, key)
}

// A prune cut off after removing a backup's commit marker leaves a
// backup nobody lists; a target that is down is not pruned; the next
// prune that reaches them removes what is left.
func TestPruneInterruptedAndUnreachable(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		src.tenant("firm", 1)
		k := newAgeKeys(t)
		cut := &deleteFails{faulty: &faulty{Store: openTarget(t, t.TempDir())}}
		cut.after.Store(1 << 40)
		down := &faulty{Store: openTarget(t, t.TempDir())}
		svc := src.backups(k, cut, down)
		base := time.Date(2030, 6, 3, 10, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		svc.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		for _, day := range []int{0, 100} {
			clock.Store(base.AddDate(0, 0, day).UnixNano())
			if _, err := svc.RunTenant(ctx, "firm"); err != nil {
				t.Fatal(err)
			}
		}
		// 13 months later the first backup is past every bucket.
		clock.Store(base.AddDate(0, 0, 101+400).UnixNano())
		opt := PruneOptions{Policy: retention.Default, KeystoreKeep: 35 * 24 * time.Hour}
		first, _ := List(ctx, cut, "firm")
		cut.n.Store(0)
		cut.after.Store(1) // the marker goes, nothing after it
		down.down.Store(true)
		if _, err := svc.Prune(ctx, cut, "firm", opt); err == nil {
			t.Fatal("the cut prune succeeded")
		}
		if _, err := svc.Prune(ctx, down, "firm", opt); err == nil {
			t.Fatal("the down target was pruned")
		}
		if l, _ := List(ctx, cut, "firm"); len(l) != 1 || l[0].ID != first[1].ID {
			t.Fatalf("after the cut prune the target lists %+v, want only %s", l, first[1].ID)
		}
		if countObjects(t, cut, backupDir("firm", first[0].ID)) == 0 {
			t.Fatal("the cut prune removed everything (the test cut nothing)")
		}
		cut.after.Store(1 << 40)
		down.down.Store(false)
		for _, target := range []blob.Store{cut, down} {
			if _, err := svc.Prune(ctx, target, "firm", opt); err != nil {
				t.Fatal(err)
			}
			if n := countObjects(t, target, backupDir("firm", first[0].ID)); n != 0 {
				t.Fatalf("%s keeps %d objects of the removed backup", target.Name(), n)
			}
			if l, _ := List(ctx, target, "firm"); len(l) != 1 || l[0].ID != first[1].ID {
				t.Fatalf("%s lists %+v", target.Name(), l)
			}
		}
	})
}
