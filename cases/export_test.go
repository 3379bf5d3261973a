package cases

import (
	"context"

	"strongroom/store"
)

// FTSBuild exposes the SQLite rebuild's settings to the benchmark.
type FTSBuild struct {
	Bypass                                bool
	Automerge, Crisis, Hashsize, CacheKiB int
	Optimize                              bool
	Page                                  int
	PGCopy, PGDrop, PGTruncate            bool
}

func RebuildIndexWith(ctx context.Context, db *store.DB, b FTSBuild) (int, error) {
	return rebuildIndex(ctx, db, ftsBuild{bypass: b.Bypass, automerge: b.Automerge, crisis: b.Crisis, hashsize: b.Hashsize,
		cacheKiB: b.CacheKiB, optimize: b.Optimize, page: b.Page,
		pg: pgBuild{copy: b.PGCopy, dropIndexes: b.PGDrop, truncate: b.PGTruncate}})
}

// EmptyIndex empties search_index (and search_fts), as a restore leaves
// them.
func EmptyIndex(ctx context.Context, db *store.DB) error {
	return db.InTx(store.WithTimeout(ctx, 0), func(tx *store.Tx) error {
		if db.Dialect != store.SQLite {
			// As a new database has it: no dead rows left behind.
			_, err := tx.ExecContext(ctx, `TRUNCATE search_index`)
			return err
		}
		defs, err := dropIndexTriggers(ctx, tx)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM search_index`, `INSERT INTO search_fts (search_fts) VALUES ('delete-all')`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, def := range defs {
			if _, err := tx.ExecContext(ctx, def); err != nil {
				return err
			}
		}
		return nil
	})
}
