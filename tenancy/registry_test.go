package tenancy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// An open tenant's audit log is signed on the registry's tick once events
// arrive, once more when the registry closes the tenant (in use or not),
// and when the tenant is opened, for events a crash left unsigned.
func TestRegistryCheckpointer(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		if _, err := f.svc.Create(ctx, "ticking", "Ticking"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		// checkpointFile is where the note for a tree of size lands.
		checkpointFile := func(size int64) string {
			return filepath.Join(dir, "ticking", fmt.Sprintf("%012d.checkpoint", size))
		}
		open := func(every time.Duration) (*tenancy.Registry, int64) {
			t.Helper()
			reg := tenancy.NewRegistry(e, f.control, f.keeper, discard, time.Minute, dir)
			reg.CheckpointEvery = every
			h, release, err := reg.Get(ctx, "ticking")
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			var seq int64
			err = h.DB.InTx(ctx, func(tx *store.Tx) error {
				seq, err = h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.tick"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return reg, seq
		}

		t.Run("Tick", func(t *testing.T) {
			reg, seq := open(20 * time.Millisecond)
			defer reg.Close()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(checkpointFile(seq)); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no checkpoint of size %d a tick after the event", seq)
				}
			}
		})
		t.Run("Close", func(t *testing.T) {
			reg, seq := open(time.Hour) // no tick comes: only closing signs
			if _, err := os.Stat(checkpointFile(seq)); err == nil {
				t.Fatal("signed before any tick or close")
			}
			reg.Close()
			if _, err := os.Stat(checkpointFile(seq)); err != nil {
				t.Fatalf("the last event was not signed when the tenant closed: %v", err)
			}
		})
		t.Run("Open", func(t *testing.T) {
			// A process that appended and died before signing: opening the
			// tenant signs its events, with no new one and no tick.
			tn, err := f.control.FindTenant(ctx, "ticking")
			if err != nil {
				t.Fatal(err)
			}
			db, err := e.OpenTenantDB(ctx, tn.Slug, tn.Placement)
			if err != nil {
				t.Fatal(err)
			}
			key, _ := f.keeper.Unwrap(ctx, tn.WrappedKey)
			h, err := tenancy.NewHandle(ctx, tn, db, key, dir)
			if err != nil {
				t.Fatal(err)
			}
			var seq int64
			err = h.DB.InTx(ctx, func(tx *store.Tx) error {
				seq, err = h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.crash"})
				return err
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			reg := tenancy.NewRegistry(e, f.control, f.keeper, discard, time.Minute, dir)
			reg.CheckpointEvery = time.Hour
			defer reg.Close()
			_, release, err := reg.Get(ctx, "ticking")
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			if _, err := os.Stat(checkpointFile(seq)); err != nil {
				t.Fatalf("opening the tenant did not sign the events left unsigned: %v", err)
			}
		})
		t.Run("CloseInUse", func(t *testing.T) {
			// A request outlives the shutdown's grace: its event is signed
			// when the registry closes, though the database stays open for it.
			reg := tenancy.NewRegistry(e, f.control, f.keeper, discard, time.Minute, dir)
			reg.CheckpointEvery = time.Hour
			h, release, err := reg.Get(ctx, "ticking")
			if err != nil {
				t.Fatal(err)
			}
			var seq int64
			err = h.DB.InTx(ctx, func(tx *store.Tx) error {
				seq, err = h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.late"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			reg.Close()
			if _, err := os.Stat(checkpointFile(seq)); err != nil {
				t.Errorf("the event of a request still running was not signed at close: %v", err)
			}
			if err := h.DB.Ping(ctx); err != nil {
				t.Errorf("the database was closed under its user: %v", err)
			}
			release()
			// The last user closes it, in the background.
			for deadline := time.Now().Add(10 * time.Second); h.DB.Ping(ctx) == nil; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the database stays open after its last user left")
				}
			}
		})
	})
}

// An open SQLite tenant gets planner statistics for the tables that grew
// since it was opened once Optimize runs, and Optimize skips a database
// refreshed more recently than asked.
func TestRegistryOptimize(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		if e.Dialect() != store.SQLite {
			t.Skip("PostgreSQL's autovacuum keeps its statistics")
		}
		ctx := context.Background()
		f := newFixture(t, e)
		if _, err := f.svc.Create(ctx, "growing", "Growing"); err != nil {
			t.Fatal(err)
		}
		reg := tenancy.NewRegistry(e, f.control, f.keeper, discard, time.Minute, t.TempDir())
		defer reg.Close()
		h, release, err := reg.Get(ctx, "growing")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		err = h.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := range 2000 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
					VALUES (?, 'Case', 'open', '2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, fmt.Sprintf("N-%d", i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		stats := func() int {
			var n int
			if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'cases'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := reg.Optimize(ctx, time.Hour); n != 0 {
			t.Fatalf("optimized %d databases refreshed when opened", n)
		}
		if n := reg.Optimize(ctx, 0); n != 1 {
			t.Fatalf("optimized %d databases, want 1", n)
		}
		if stats() == 0 {
			t.Fatal("no statistics for cases after Optimize")
		}
	})
}
