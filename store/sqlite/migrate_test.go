package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"strongroom/store"
)

// TestSearchClassesMigration upgrades a tenant database holding search
// entries from before the classes column (schema version 4) and checks
// that every entry is indexed with its classes' words, that the full-text
// index is consistent, and that the triggers then follow new changes.
func TestSearchClassesMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	if err := createFile(path, true); err != nil {
		t.Fatal(err)
	}
	db, err := (&Engine{}).open(path, "old", Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := store.LoadMigrations(migrationFS, "migrations/tenant")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m store.Migration) bool { return m.Version > 4 })
	if err := store.Migrate(ctx, db, ms[:i]); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`INSERT INTO security_classes (id, name, name_key) VALUES (1, 'One', 'one'), (2, 'Two', 'two')`,
			`INSERT INTO record_classes (record_type, record_id, class_id) VALUES ('note', 2, 1), ('note', 3, 2), ('note', 3, 1)`,
			`INSERT INTO search_index (id, record_type, record_id, case_id, title, body) VALUES
				(1, 'note', 1, 1, 'Wallaby', 'open'), (2, 'note', 2, 1, 'Wallaby', 'one'), (3, 'note', 3, 1, 'Wallaby', 'both')`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, ms); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want map[string][]int64) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("%s: full-text index: %v", step, err)
		}
		for match, ids := range want {
			rows, err := db.QueryContext(ctx, `SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid`, match)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			if !slices.Equal(got, ids) {
				t.Errorf("%s: %s matches %v, want %v", step, match, got, ids)
			}
		}
	}
	check("migrated", map[string][]int64{
		`"wallaby"`:                          {1, 2, 3},
		`"` + "\ue000class1" + `"`:           {2, 3},
		`"` + "\ue000class2" + `"`:           {3},
		`"wallaby" "` + "\ue000class2" + `"`: {3},
		`"class1"`:                           nil,
	})
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM record_classes WHERE record_type = 'note' AND record_id = 3 AND class_id = 1`,
			`INSERT INTO record_classes (record_type, record_id, class_id) VALUES ('note', 1, 2)`,
			`UPDATE search_index SET title = 'Wombat' WHERE id = 2`,
			`DELETE FROM search_index WHERE id = 3`,
			`INSERT INTO search_index (id, record_type, record_id, case_id, title, body) VALUES (4, 'note', 3, 1, 'Wallaby', 'again')`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An UPDATE would change a record's classes behind the triggers' back.
	if _, err := db.ExecContext(ctx, `UPDATE record_classes SET class_id = 1 WHERE record_type = 'note' AND record_id = 1`); err == nil {
		t.Error("record_classes rows can be updated")
	}
	check("changed", map[string][]int64{
		`"wallaby"`:                {1, 4},
		`"wombat"`:                 {2},
		`"` + "\ue000class1" + `"`: {2},
		`"` + "\ue000class2" + `"`: {1, 4},
	})
}
