package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"strongroom"
	"strongroom/store"
)

// testRacedWrites checks that a write that loses a race with another (a
// unique key the other committed first, after both had checked it was
// free) is answered as a conflict to repeat, never as an internal error:
// directly, and from two writers that check and insert at the same time.
func testRacedWrites(t *testing.T, e store.Engine) {
	ctx := context.Background()
	p, err := e.CreateTenantDB(ctx, "tenant-raced")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.DropTenantDB(ctx, p) })
	db, err := e.OpenTenantDB(ctx, "tenant-raced", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE raced (name_key TEXT PRIMARY KEY, label TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	insert := func(key, label string) error {
		return db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO raced (name_key, label) VALUES (?, ?)`, key, label)
			return err
		})
	}
	if err := insert("a", "A"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, label string }{{"a", "other"}, {"b", "A"}} {
		err := insert(tc.key, tc.label)
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT || !strings.Contains(strongroom.ErrorMessage(err), "try again") {
			t.Errorf("duplicate (%s, %s): %v, want ECONFLICT saying to try again", tc.key, tc.label, err)
		}
	}

	// Check, then insert, from several writers at once: each either
	// inserts, finds the key taken, or is told of the conflict.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			errs <- db.InTx(ctx, func(tx *store.Tx) error {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM raced WHERE name_key = ?`, "c").Scan(&n); err != nil || n > 0 {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO raced (name_key, label) VALUES (?, ?)`, "c", "C")
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Errorf("check-then-insert race: %v, want success or ECONFLICT", err)
		}
	}
}
