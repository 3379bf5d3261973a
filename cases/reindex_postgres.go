package cases

import (
	"context"
	"fmt"
	"strings"

	"strongroom/store"
)

// pgBuild says how the PostgreSQL rebuild fills search_index; the zero
// value is the first way (DELETE, multi-row INSERTs). The index-dropping
// settings are there for BenchmarkRebuildIndex: they did not pay, and
// they lock searches out while the rebuild runs.
type pgBuild struct {
	copy        bool // COPY rather than multi-row INSERTs
	dropIndexes bool // drop search_index's secondary indexes and make them again after
	truncate    bool // TRUNCATE rather than DELETE
}

// copyPage writes the entries of one page with COPY.
func copyPage(ctx context.Context, cp store.Copier, src indexSource, page []indexRow) error {
	rows := make([][]any, len(page))
	for i, r := range page {
		title, body := src.entry(r.texts)
		rows[i] = []any{string(src.typ), r.id, r.caseID, indexable(title, maxIndexedBody), indexable(body, maxIndexedBody)}
	}
	if _, err := cp.CopyFrom(ctx, "search_index", []string{"record_type", "record_id", "case_id", "title", "body"}, &copyRows{rows: rows, at: -1}); err != nil {
		return fmt.Errorf("index %d %s records from %d: %w", len(page), src.typ, page[0].id, err)
	}
	return nil
}

type copyRows struct {
	rows [][]any
	at   int
}

func (r *copyRows) Next() bool             { r.at++; return r.at < len(r.rows) }
func (r *copyRows) Values() ([]any, error) { return r.rows[r.at], nil }
func (r *copyRows) Err() error             { return nil }

func rebuildPostgres(ctx context.Context, tx *store.Tx, b pgBuild) (int, error) {
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return 0, fmt.Errorf("lift the statement timeout: %w", err)
	}
	empty := `DELETE FROM search_index`
	if b.truncate {
		empty = `TRUNCATE search_index`
	}
	if _, err := tx.ExecContext(ctx, empty); err != nil {
		return 0, fmt.Errorf("clear the search index: %w", err)
	}
	var defs map[string]string
	if b.dropIndexes {
		var err error
		if defs, err = dropPostgresIndexes(ctx, tx); err != nil {
			return 0, err
		}
	}
	var cp store.Copier
	if b.copy {
		cp = tx.Copier() // nil only on an engine without COPY: then INSERTs
	}
	total, err := fillIndex(ctx, tx, reindexPage, cp)
	if err != nil {
		return 0, err
	}
	if b.dropIndexes {
		if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return 0, err
		}
		for name, def := range defs {
			if _, err := tx.ExecContext(ctx, def); err != nil {
				return 0, fmt.Errorf("make index %s again: %w", name, err)
			}
		}
	}
	return total, nil
}

// dropPostgresIndexes drops the indexes of search_index but its primary
// key, returning their definitions.
func dropPostgresIndexes(ctx context.Context, tx *store.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = 'search_index'
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype = 'p')`)
	if err != nil {
		return nil, err
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
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return defs, nil
}
