package cases

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"strongroom/store"
)

// ftsBuild says how a rebuild fills the index. RebuildIndex uses
// rebuildWay; the other settings are kept so that
// BenchmarkRebuildIndex can measure them beside it (docs/benchmarks.md,
// "Faster database stage"). The zero value, but automerge -1, is the
// first way: every entry through search_index's triggers.
type ftsBuild struct {
	// bypass drops search_index's triggers, fills the table, sets the
	// class words in one UPDATE and builds search_fts with one FTS5
	// 'rebuild', then makes the triggers again.
	bypass    bool
	automerge int     // FTS5 'automerge' during the build; -1: left as it is
	crisis    int     // FTS5 'crisismerge' during the build; 0: left as it is
	hashsize  int     // FTS5 'hashsize' (pending terms before a flush) during the build; 0: left as it is
	cacheKiB  int     // the writing connection's page cache during the build; 0: left as it is
	optimize  bool    // one FTS5 'optimize' at the end
	page      int     // entries a statement; 0: reindexPage
	pg        pgBuild // the same for PostgreSQL
}

// rebuildWay is how RebuildIndex fills the index. On SQLite, at a million
// records: through the triggers 132 s, bypassed 65 s, and with 64 MiB of
// pending terms between flushes (FTS5's default is 1 MiB: each flush
// writes a segment that automerge then merges again) 43 s. An 'optimize'
// at the end cost another 52 s, more than it saves searches. On
// PostgreSQL COPY, which costs a little less processor time than INSERT;
// dropping the indexes and making them after did not measurably help.
var rebuildWay = ftsBuild{bypass: true, automerge: -1, hashsize: 64 << 20, pg: pgBuild{copy: true}}

// ftsDefaults are FTS5's own settings, those of a fresh search_fts (whose
// search_fts_config holds none of them).
var ftsDefaults = map[string]int{"automerge": 4, "crisismerge": 16, "hashsize": 1 << 20}

// rebuildSQLite empties search_index and search_fts and fills them again,
// leaving search_fts's settings and search_index's triggers as they were.
func rebuildSQLite(ctx context.Context, tx *store.Tx, b ftsBuild) (int, error) {
	restore, err := ftsSettings(ctx, tx, map[string]int{"automerge": b.automerge, "crisismerge": b.crisis, "hashsize": b.hashsize})
	if err != nil {
		return 0, err
	}
	if b.cacheKiB > 0 {
		var old int
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&old); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = `+strconv.Itoa(-b.cacheKiB)); err != nil {
			return 0, err
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+strconv.Itoa(old))
	}
	var triggers map[string]string
	if b.bypass {
		if triggers, err = dropIndexTriggers(ctx, tx); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_index`); err != nil {
		return 0, fmt.Errorf("clear the search index: %w", err)
	}
	total, err := fillIndex(ctx, tx, cmp.Or(b.page, reindexPage), nil)
	if err != nil {
		return 0, err
	}
	if b.bypass {
		if err := buildFTS(ctx, tx, triggers); err != nil {
			return 0, err
		}
	}
	if b.optimize {
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('optimize')`); err != nil {
			return 0, fmt.Errorf("optimize the full-text index: %w", err)
		}
	}
	return total, restore()
}

// buildFTS does what search_index's triggers would have done for the rows
// written without them: the class words of each entry (the insert
// trigger's UPDATE, for all rows at once), then the full-text index of
// every row in one 'rebuild' of search_fts from its content table, which
// is the trigger's INSERT without a savepoint, flush and merge per
// statement. Then the triggers are made again.
func buildFTS(ctx context.Context, tx *store.Tx, triggers map[string]string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE search_index SET classes = w.words FROM record_class_words w
		WHERE w.record_type = search_index.record_type AND w.record_id = search_index.record_id`); err != nil {
		return fmt.Errorf("set the class words of the search index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("build the full-text index: %w", err)
	}
	for name, def := range triggers {
		if _, err := tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("make trigger %s again: %w", name, err)
		}
	}
	return nil
}

// dropIndexTriggers drops the triggers of search_index, returning their
// definitions as the schema holds them. In the rebuild's transaction, so
// that no other writer ever sees the table without them.
func dropIndexTriggers(ctx context.Context, tx *store.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'search_index'`)
	if err != nil {
		return nil, fmt.Errorf("read the triggers of the search index: %w", err)
	}
	defs := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		defs[name] = def
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for name := range defs {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+strconv.Quote(name)); err != nil {
			return nil, fmt.Errorf("drop trigger %s: %w", name, err)
		}
	}
	return defs, nil
}

// ftsSettings sets those FTS5 settings of search_fts that are given
// (automerge >= 0, the others > 0) and returns what sets them back: to
// the value the table had, or, where it had none (a fresh table), to
// FTS5's default with its row removed, as a fresh table has it. Settings
// are rows of search_fts_config, written through FTS5's own commands so
// that every connection's cached copy follows.
func ftsSettings(ctx context.Context, tx *store.Tx, want map[string]int) (restore func() error, err error) {
	had, err := ftsConfig(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read the settings of the full-text index: %w", err)
	}
	var changed []string
	for key, v := range want {
		if v < 0 || (v == 0 && key != "automerge") {
			continue
		}
		if err := ftsSet(ctx, tx, key, v); err != nil {
			return nil, err
		}
		changed = append(changed, key)
	}
	return func() error {
		for _, key := range changed {
			old, ok := had[key]
			if !ok {
				old = ftsDefaults[key]
			}
			if err := ftsSet(ctx, tx, key, old); err != nil {
				return err
			}
			if ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts_config WHERE k = ?`, key); err != nil {
				return fmt.Errorf("reset the full-text index's %s: %w", key, err)
			}
		}
		return nil
	}, nil
}

func ftsSet(ctx context.Context, tx *store.Tx, key string, v int) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES (?, ?)`, key, v); err != nil {
		return fmt.Errorf("set the full-text index's %s: %w", key, err)
	}
	return nil
}

// ftsConfig reads the settings of ftsDefaults that search_fts_config
// holds rows for.
func ftsConfig(ctx context.Context, tx *store.Tx) (map[string]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT k, v FROM search_fts_config WHERE k IN ('automerge', 'crisismerge', 'hashsize')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
