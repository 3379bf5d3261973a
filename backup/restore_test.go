package backup

import (
	"context"
	"maps"
	"slices"
	"testing"

	"strongroom/store"
	"strongroom/store/storetest"
)

// A tenant backed up to a file target comes back on a fresh server (new
// data directory, new control plane, the same master key file, the backup
// identity) serving the same cases and documents, its trail verifying.
func TestRestoreOntoFreshServer(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		docs := src.tenant("firm", 3)
		k := newAgeKeys(t)
		dir := t.TempDir()
		target := openTarget(t, dir)
		res, err := src.backups(k, target).RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != "completed" || !res.Copies[0].OK || res.Copies[0].Uploaded != len(docs) {
			t.Fatalf("backup: %+v", res)
		}
		want := src.view("firm")
		if !maps.Equal(want.docs, docs) {
			t.Fatalf("source documents %v, want %v", want.docs, docs)
		}

		dst := newServer(t, freshEngine(t, e), src.keyPath)
		fresh := openTarget(t, dir) // the target alone, opened anew
		out, err := dst.restorer(k).Restore(ctx, fresh, RestoreOptions{Slug: "firm"})
		if err != nil {
			t.Fatal(err)
		}
		if out.Backup.ID != res.ID || out.Files != len(docs) || out.KeystoreMissing {
			t.Fatalf("restored %+v, want backup %s", out, res.ID)
		}
		got := dst.view("firm")
		if !slices.Equal(got.cases, want.cases) || len(got.cases) == 0 {
			t.Fatalf("cases differ: %d restored, %d in the original", len(got.cases), len(want.cases))
		}
		if !maps.Equal(got.docs, want.docs) {
			t.Fatal("documents differ")
		}
		dst.verifyAudit("firm")
	})
}
