package backup

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/blob"
	"strongroom/store"
	"strongroom/store/storetest"
)

// A target that is down gets nothing while the others get the backup;
// its failure is retried, recorded in the control plane, in the tenant's
// trail and in the figures; a later run fills it, sending only what it
// lacks.
func TestTargetDownDuringBackup(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		docs := src.tenant("firm", 2)
		k := newAgeKeys(t)
		a, c := openTarget(t, t.TempDir()), openTarget(t, t.TempDir())
		b := &faulty{Store: openTarget(t, t.TempDir())}
		b.down.Store(true)
		svc := src.backups(k, a, b, c)
		res, err := svc.RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != "partial" || !res.Copies[0].OK || res.Copies[1].OK || !res.Copies[2].OK {
			t.Fatalf("copies: %+v", res.Copies)
		}
		if res.Copies[1].Attempts != 4 || !strings.Contains(res.Copies[1].Error, "not answering") {
			t.Fatalf("failed copy: %+v", res.Copies[1])
		}
		var status, msg string
		var attempts int
		if err := src.control.DB().QueryRowContext(ctx, `SELECT status, attempts, error FROM backup_copies WHERE backup_id = ? AND target = ?`,
			res.ID, b.Name()).Scan(&status, &attempts, &msg); err != nil {
			t.Fatal(err)
		}
		if status != "failed" || attempts != 4 || msg != res.Copies[1].Error {
			t.Fatalf("recorded %s %d %q", status, attempts, msg)
		}
		if got := auditActions(t, src, "firm"); !strings.Contains(got, "backup.completed "+a.Name()) || !strings.Contains(got, "backup.failed "+b.Name()) {
			t.Fatalf("audit trail: %s", got)
		}
		figs := svc.TargetStats()
		if figs[0].LastSuccess.IsZero() || !figs[1].LastSuccess.IsZero() || figs[1].Failures != 4 || figs[0].Failures != 0 {
			t.Fatalf("figures: %+v", figs)
		}
		if l, _ := List(ctx, b.Store, "firm"); len(l) != 0 {
			t.Fatalf("the down target lists %d backups", len(l))
		}

		b.down.Store(false)
		res2, err := svc.RunTenant(ctx, "firm")
		if err != nil || res2.Status != "completed" {
			t.Fatalf("second run: %v %+v", err, res2)
		}
		if res2.Copies[0].Uploaded != 0 || res2.Copies[0].Reused != len(docs) || res2.Copies[1].Uploaded != len(docs) {
			t.Fatalf("document files sent again: %+v", res2.Copies)
		}
		if l, _ := List(ctx, b.Store, "firm"); len(l) != 1 || l[0].ID != res2.ID {
			t.Fatalf("filled target lists %+v", l)
		}
		// Figures read back from the control plane by a new process.
		again := src.backups(k, a, b, c)
		if err := again.LoadFigures(ctx); err != nil {
			t.Fatal(err)
		}
		if f := again.TargetStats(); f[1].Failures != 4 || f[1].LastSuccess.IsZero() {
			t.Fatalf("loaded figures: %+v", f)
		}
	})
}

// A target that is back before the tries run out gets the backup in the
// same run.
func TestTargetRecoversWithinRun(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 1)
	k := newAgeKeys(t)
	b := &faulty{Store: openTarget(t, t.TempDir())}
	b.down.Store(true)
	svc := src.backups(k, openTarget(t, t.TempDir()), b)
	var waits []time.Duration
	svc.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 2 {
			b.down.Store(false)
		}
		return nil
	}
	res, err := svc.RunTenant(ctx, "firm")
	if err != nil || res.Status != "completed" || res.Copies[1].Attempts != 3 {
		t.Fatalf("%v %+v", err, res.Copies)
	}
	if len(waits) != 2 || waits[1] != 2*waits[0] {
		t.Fatalf("waits %v, want growing", waits)
	}
}

// A backup cut off midway (a target that breaks after some bytes, or the
// process stopped) leaves no commit marker and is not listed; the next run
// completes, and the unfinished objects go once they are a day old.
func TestInterruptedBackup(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		src.tenant("firm", 2)
		k := newAgeKeys(t)
		ft := &faulty{Store: openTarget(t, t.TempDir())}
		ft.failAfter.Store(2000)
		svc := src.backups(k, ft)
		svc.Attempts = 1
		if _, err := svc.RunTenant(ctx, "firm"); err == nil {
			t.Fatal("a broken backup succeeded")
		}
		// Stopped outright: the context ends while the snapshot streams.
		ft.failAfter.Store(0)
		cut, cancel := context.WithCancel(ctx)
		cw := &cancelAfter{faulty: ft, cancel: cancel, after: 3}
		svc.Targets[0] = cw
		if _, err := svc.RunTenant(cut, "firm"); err == nil {
			t.Fatal("a cancelled backup succeeded")
		}
		if l, err := List(ctx, ft, "firm"); err != nil || len(l) != 0 {
			t.Fatalf("unfinished backups listed: %v %+v", err, l)
		}
		orphans := countObjects(t, ft, "tenants/firm/backups/")
		if orphans == 0 {
			t.Fatal("the interrupted runs left nothing to clean up (the test did not interrupt them midway)")
		}
		svc.Targets[0] = ft
		res, err := svc.RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if l, _ := List(ctx, ft, "firm"); len(l) != 1 || l[0].ID != res.ID {
			t.Fatalf("listed %+v, want only %s", l, res.ID)
		}
		if n := countObjects(t, ft, "tenants/firm/backups/"); n != orphans+5 {
			t.Fatalf("%d objects; a young unfinished backup must stay (%d) beside the new one", n, orphans)
		}
		svc.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		if err := svc.Cleanup(ctx, ft, "firm"); err != nil {
			t.Fatal(err)
		}
		// A row left running by a process that died is closed by the next
		// run once it is older than any backup takes.
		if _, err := src.control.DB().ExecContext(ctx, `UPDATE backups SET status = 'running' WHERE id <> ?`, res.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RunTenant(ctx, "firm"); err != nil {
			t.Fatal(err)
		}
		var running int
		src.control.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM backups WHERE status = 'running'`).Scan(&running)
		if running != 0 {
			t.Fatalf("%d backups still running", running)
		}
		if n := countObjects(t, ft, "tenants/firm/backups/"); n != 10 {
			t.Fatalf("%d objects after the cleanup, want the 5 of each committed backup", n)
		}
		if n := countObjects(t, ft, "tenants/firm/keystore/"); n != 2 {
			t.Fatalf("%d key store parts after the cleanup, want 2", n)
		}
		// The survivor still restores.
		dst := newServer(t, freshEngine(t, e), src.keyPath)
		if _, err := dst.restorer(k).Restore(ctx, ft.Store, RestoreOptions{Slug: "firm"}); err != nil {
			t.Fatal(err)
		}
	})
}

// cancelAfter ends the run's context a little way into its after-th Put,
// as a stopped process would: the data part is written, the next is cut.
type cancelAfter struct {
	*faulty
	cancel context.CancelFunc
	after  int64
	n      atomic.Int64
}

func (c *cancelAfter) Put(ctx context.Context, key string, r io.Reader) (blob.Written, error) {
	if c.n.Add(1) == c.after {
		r = &cancellingReader{r: r, cancel: c.cancel}
	}
	return c.faulty.Put(ctx, key, r)
}

type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
	read   int
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.read > 100 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func countObjects(t *testing.T, st blob.Store, prefix string) int {
	t.Helper()
	n := 0
	if err := st.List(context.Background(), prefix, func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditActions(t *testing.T, s *server, slug string) string {
	t.Helper()
	h, release := s.handle(slug)
	defer release()
	events, err := h.Audit.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range events {
		if strings.HasPrefix(e.Action, "backup.") || e.Action == "tenant.restored" {
			b.WriteString(e.Action + " " + e.Details["target"] + "\n")
		}
	}
	return b.String()
}

// Remembered hashes spare reading every document file again, but a wrong
// one cannot make a backup that names other bytes than it holds.
func TestStaleFileHashIsCaught(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 2)
	k := newAgeKeys(t)
	svc := src.backups(k, openTarget(t, t.TempDir()))
	if _, err := svc.RunTenant(ctx, "firm"); err != nil {
		t.Fatal(err)
	}
	var n int
	src.control.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM backup_file_hashes WHERE tenant_slug = 'firm'`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d hashes remembered, want 2", n)
	}
	if _, err := src.control.DB().ExecContext(ctx, `UPDATE backup_file_hashes SET sha256 = ? WHERE tenant_slug = 'firm'`,
		strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	svc.Targets = []blob.Store{openTarget(t, t.TempDir())}
	svc.Attempts = 1
	res, err := svc.RunTenant(ctx, "firm")
	if err == nil || !strings.Contains(res.Copies[0].Error, "changed while it was backed up") {
		t.Fatalf("a wrong remembered hash gave %v %+v", err, res.Copies)
	}
	if res, err := svc.RunTenant(ctx, "firm"); err != nil {
		t.Fatalf("the next run still fails: %v %+v", err, res.Copies)
	}
}

// hanging is a target that takes a write and then never answers.
type hanging struct{ blob.Store }

func (h hanging) Put(ctx context.Context, key string, r io.Reader) (blob.Written, error) {
	<-ctx.Done()
	return blob.Written{}, ctx.Err()
}

// A target that stops answering is given up once nothing moved for the
// stall time; the others are not held up for ever.
func TestHangingTargetIsGivenUp(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 1)
	svc := src.backups(newAgeKeys(t), openTarget(t, t.TempDir()), hanging{openTarget(t, t.TempDir())})
	svc.Stall = 50 * time.Millisecond
	res, err := svc.RunTenant(ctx, "firm")
	if err != nil || !res.Copies[0].OK || res.Copies[1].OK {
		t.Fatalf("%v %+v", err, res.Copies)
	}
	if res.Copies[1].Error != "The target stopped answering." {
		t.Fatalf("hanging target: %q", res.Copies[1].Error)
	}
}
