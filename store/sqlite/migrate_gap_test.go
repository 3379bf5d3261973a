package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"strongroom/store"
)

// TestMigrateFillsGaps: a database that has seen a later migration but
// not an earlier one (branches numbered 10, 11, 12 that landed in another
// order) gets the missing one applied, once.
func TestMigrateFillsGaps(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gap.db")
	if err := createFile(path, true); err != nil {
		t.Fatal(err)
	}
	db, err := (&Engine{}).open(path, "gap", Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := store.LoadMigrations(migrationFS, "migrations/tenant")
	if err != nil {
		t.Fatal(err)
	}
	// 0011 landed after 0012 (branches numbered 10, 11, 12); later
	// migrations may alter the tables of the one just before them, so the
	// gap is one that nothing after it needs.
	i := slices.IndexFunc(ms, func(m store.Migration) bool { return m.Version == 11 })
	if i < 0 || i == len(ms)-1 {
		t.Fatalf("no tenant migration 0011 before the newest")
	}
	gap := ms[i]
	without := slices.DeleteFunc(slices.Clone(ms), func(m store.Migration) bool { return m.Version == gap.Version })
	if err := store.Migrate(ctx, db, without); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, gap.Version).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() != 0 {
		t.Fatalf("migration %s applied though left out", gap.Name)
	}
	for range 2 {
		if err := store.Migrate(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
		if count() != 1 {
			t.Fatalf("migration %s not applied once after the gap", gap.Name)
		}
	}
}
