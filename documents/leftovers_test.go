package documents

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/store"
	"strongroom/store/storetest"
)

func TestLeftovers(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		for _, tc := range []struct {
			name string
			fn   func(*testing.T, *fixture)
		}{
			{"DeadUploads", testDeadUploads},
			{"UploadInFlight", testUploadInFlight},
			{"UnrecordedInFlight", testUnrecordedInFlight},
			{"Orphans", testOrphans},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.t = t
				tc.fn(t, f)
			})
		}
	})
}

// writeFile writes a file in the tenant's directory, aged by age.
func (f *fixture) writeFile(name string, content string, age time.Duration) string {
	f.t.Helper()
	os.MkdirAll(f.dir, 0o700)
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
	at := time.Now().Add(-age)
	os.Chtimes(path, at, at)
	return path
}

// lockedElsewhere opens path and locks it, as a live upload of another
// process (or node) holds its file; the lock goes with the returned close.
func lockedElsewhere(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

// Temporary uploads whose writer is gone are removed at once; those a live
// upload holds, empty ones just made and unlocked ones of older versions
// (until they are a day old) are kept.
func testDeadUploads(t *testing.T, f *fixture) {
	ctx := context.Background()
	dead := f.writeFile(lockedTempPrefix+"1", strings.Repeat("x", 3<<20), 0)
	live := f.writeFile(lockedTempPrefix+"2", "peer", 48*time.Hour)
	unlock := lockedElsewhere(t, live)
	fresh := f.writeFile(lockedTempPrefix+"3", "", 0)
	emptyOld := f.writeFile(lockedTempPrefix+"4", "", 2*time.Minute)
	legacy := f.writeFile(tempPrefix+"5", "old version", time.Hour)
	legacyOld := f.writeFile(tempPrefix+"6", "old version", 25*time.Hour)
	other := filepath.Join(filepath.Dir(f.dir), "other-firm")
	os.MkdirAll(other, 0o700)
	otherDead := filepath.Join(other, lockedTempPrefix+"7")
	os.WriteFile(otherDead, []byte("another tenant's"), 0o600)

	got, err := f.svc.RemoveDeadUploads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Uploads != 4 || got.UploadBytes != 3<<20+int64(len("old version")+len("another tenant's")) {
		t.Errorf("removed %+v", got)
	}
	for path, want := range map[string]bool{dead: false, live: true, fresh: true, emptyOld: false,
		legacy: true, legacyOld: false, otherDead: false} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	if !strings.Contains(f.logs.String(), "removed temporary uploads left by stopped processes") ||
		!strings.Contains(f.logs.String(), "count=4") {
		t.Errorf("log: %s", f.logs.String())
	}
	unlock()
	if got, _ := f.svc.RemoveDeadUploads(ctx); got.Uploads != 1 {
		t.Errorf("after the peer stopped: removed %+v", got)
	}
	if _, err := os.Stat(live); err == nil {
		t.Error("the stopped peer's upload is still there")
	}
}

// gate is an upload body that sends its first part, then waits for open
// before sending the rest.
type gate struct {
	first, rest io.Reader
	open        chan struct{}
	sent        chan struct{}
}

func newGate(first, rest string) *gate {
	return &gate{first: strings.NewReader(first), rest: strings.NewReader(rest),
		open: make(chan struct{}), sent: make(chan struct{})}
}

func (g *gate) Read(p []byte) (int, error) {
	if n, _ := g.first.Read(p); n > 0 {
		return n, nil
	}
	select {
	case <-g.sent:
	default:
		close(g.sent)
	}
	<-g.open
	return g.rest.Read(p)
}

// An upload still arriving keeps its temporary file through any sweep.
func testUploadInFlight(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	f.svc.RemoveLeftovers(ctx, f.h, time.Now().Add(48*time.Hour)) // what earlier tests left
	g := newGate(strings.Repeat("a", 1<<20), "end")
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Create(ctx, f.h, f.admin, caseID, Input{Title: "Slow"}, Upload{Filename: "slow.txt", Body: g})
		done <- err
	}()
	send := sync.OnceFunc(func() { close(g.open) })
	defer send() // a failure below must not leave the upload waiting
	<-g.sent
	if got, err := f.svc.RemoveDeadUploads(ctx); err != nil || got.Uploads != 0 {
		t.Fatalf("removed %+v, %v", got, err)
	}
	if got, err := f.svc.RemoveLeftovers(ctx, f.h, time.Now().Add(48*time.Hour)); err != nil || got != (Leftovers{}) {
		t.Fatalf("removed %+v, %v", got, err)
	}
	send()
	if err := <-done; err != nil {
		t.Fatalf("the upload failed after the sweeps: %v", err)
	}
}

// A file written and named whose rows wait for the database is kept by a
// sweep however old it looks, and recorded afterwards.
func testUnrecordedInFlight(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	held, free := make(chan struct{}), make(chan struct{})
	go f.h.DB.InTx(ctx, func(tx *store.Tx) error {
		if f.h.DB.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE documents IN SHARE MODE`); err != nil {
				return err
			}
		}
		close(held)
		<-free
		return nil
	})
	unblock := sync.OnceFunc(func() { close(free) })
	defer unblock() // a failure below must not leave the database held
	<-held
	before := f.files()
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Create(ctx, f.h, f.admin, caseID, Input{Title: "Waiting"}, Upload{Filename: "w.txt", Body: strings.NewReader("waiting")})
		done <- err
	}()
	var named string
	for deadline := time.Now().Add(time.Minute); named == ""; time.Sleep(5 * time.Millisecond) {
		for _, n := range f.files() {
			if storageKeyPattern.MatchString(n) && !slices.Contains(before, n) {
				named = n
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload's file never appeared")
		}
	}
	if got, err := f.svc.RemoveLeftovers(ctx, f.h, time.Now().Add(48*time.Hour)); err != nil || got.Files != 0 {
		t.Fatalf("removed %+v, %v", got, err)
	}
	unblock()
	if err := <-done; err != nil {
		t.Fatalf("the upload failed after the sweep: %v", err)
	}
	if n := f.count(`SELECT COUNT(*) FROM document_versions WHERE storage_key = ?`, named); n != 1 {
		t.Fatalf("the file is recorded %d times", n)
	}
}

// Files without a record go once older than the grace period and free of
// any upload's lock; recorded ones stay, old versions and deleted
// documents' included.
func testOrphans(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	d := f.mustUpload(f.admin, caseID, Input{Title: "Versions"}, "v1.txt", "one")
	if _, err := f.svc.AddVersion(ctx, f.h, f.admin, d.ID, d.Version, Upload{Filename: "v2.txt", Body: strings.NewReader("two")}); err != nil {
		t.Fatal(err)
	}
	gone := f.mustUpload(f.admin, caseID, Input{Title: "Deleted"}, "gone.txt", "gone")
	if err := f.svc.Delete(ctx, f.h, f.admin, gone.ID, gone.Version); err != nil {
		t.Fatal(err)
	}
	recorded := f.files()
	old := time.Now().Add(-2 * orphanGrace)
	for _, n := range recorded {
		os.Chtimes(filepath.Join(f.dir, n), old, old)
	}
	orphan := f.writeFile(newStorageKey(), "orphan", 2*orphanGrace)
	young := f.writeFile(newStorageKey(), "young", orphanGrace/2)
	peers := f.writeFile(newStorageKey(), "a peer's, being recorded", 2*orphanGrace)
	unlock := lockedElsewhere(t, peers)
	notOurs := f.writeFile("notes.txt", "not a storage key", 2*orphanGrace)

	got, err := f.svc.RemoveLeftovers(ctx, f.h, time.Now())
	if err != nil || got.Files != 1 {
		t.Fatalf("removed %+v, %v", got, err)
	}
	left := f.files()
	for _, n := range recorded {
		if !slices.Contains(left, n) {
			t.Errorf("recorded file %s removed", n)
		}
	}
	for path, want := range map[string]bool{orphan: false, young: true, peers: true, notOurs: true} {
		if slices.Contains(left, filepath.Base(path)) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(path), !want, want)
		}
	}
	if !strings.Contains(f.logs.String(), "removed stored files with no record") {
		t.Errorf("log: %s", f.logs.String())
	}
	unlock()
	if got, _ := f.svc.RemoveLeftovers(ctx, f.h, time.Now()); got.Files != 1 {
		t.Errorf("after the peer stopped: removed %+v", got)
	}
}
