package store_test

import (
	"context"
	"testing"

	"strongroom/store"
	"strongroom/store/storetest"
)

// A migration numbered below one already applied (written beside it,
// landed after it) is still applied, once.
func TestMigrateAppliesAGapLater(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		ctx := context.Background()
		db, err := e.OpenControl(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		m := func(v int, table string) store.Migration {
			return store.Migration{Version: 900 + v, Name: table + ".sql", SQL: `CREATE TABLE ` + table + ` (id INTEGER PRIMARY KEY)`}
		}
		if err := store.Migrate(ctx, db, []store.Migration{m(1, "gap_one"), m(3, "gap_three")}); err != nil {
			t.Fatal(err)
		}
		all := []store.Migration{m(1, "gap_one"), m(2, "gap_two"), m(3, "gap_three")}
		for i := 0; i < 2; i++ {
			if err := store.Migrate(ctx, db, all); err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO gap_two (id) VALUES (1)`); err != nil {
			t.Fatalf("the migration in the gap was not applied: %v", err)
		}
	})
}
