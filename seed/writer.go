package seed

import (
	"context"
	"fmt"
	"strings"

	"strongroom/store"
)

// tables lists the tables generated data goes into, in the order they are
// written (parents before children, for the foreign keys), with the
// columns the writer fills. search_index gets its id column on SQLite only,
// where it is the rowid of the FTS table.
var tables = []struct {
	name string
	cols []string
}{
	{"cases", []string{"id", "number", "title", "client", "practice_group", "status", "opened_on", "closed_on", "mdl_id", "tags", "created_at", "updated_at"}},
	{"contacts", []string{"id", "kind", "name", "email", "phone", "address", "created_at", "updated_at"}},
	{"documents", []string{"id", "case_id", "title", "description", "own_classes", "created_at", "updated_at"}},
	{"financial_records", []string{"id", "case_id", "kind", "amount_e4", "currency", "occurred_on", "description", "own_classes", "created_at", "updated_at"}},
	{"case_contacts", []string{"id", "case_id", "contact_id", "role", "own_classes", "created_at", "updated_at"}},
	{"notes", []string{"id", "case_id", "title", "body", "own_classes", "created_at", "updated_at"}},
	{"case_events", []string{"id", "case_id", "kind", "title", "due_on", "done", "own_classes", "created_at", "updated_at"}},
	{"record_classes", []string{"record_type", "record_id", "class_id"}},
	{"search_index", []string{"id", "record_type", "record_id", "case_id", "title", "body"}},
}

// maxParams bounds the parameters of one INSERT: well under SQLite's 32766
// and PostgreSQL's 65535.
const maxParams = 20000

// writer buffers generated rows and writes them as multi-row INSERTs with
// explicit ids, so that the ids of records are known when their classes
// and search entries are written beside them.
type writer struct {
	dialect store.Dialect
	next    map[string]int64 // the next free id of each table
	rows    map[string][][]any
	pending int // rows buffered
}

func newWriter(d store.Dialect) *writer {
	return &writer{dialect: d, next: map[string]int64{}, rows: map[string][][]any{}}
}

// start reads the next free id of every table with ids. It runs in the
// writing transaction, which on SQLite holds the database's write lock and
// on PostgreSQL has locked the tables (lockTables), so no other writer
// takes an id meanwhile.
func (w *writer) start(ctx context.Context, tx *store.Tx) error {
	if w.dialect == store.Postgres {
		if err := lockTables(ctx, tx); err != nil {
			return err
		}
	}
	for _, t := range tables {
		if !hasID(t.name, w.dialect) {
			continue
		}
		var max int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+t.name).Scan(&max); err != nil {
			return fmt.Errorf("highest id of %s: %w", t.name, err)
		}
		w.next[t.name] = max + 1
	}
	return nil
}

// hasID reports whether a table has an id column: record_classes has
// none, and search_index has one on SQLite only (the FTS rowid).
func hasID(table string, d store.Dialect) bool {
	return table != "record_classes" && (table != "search_index" || d == store.SQLite)
}

// lockTables keeps PostgreSQL writers from inserting rows (and taking
// sequence values) while explicit ids are handed out; readers go on.
func lockTables(ctx context.Context, tx *store.Tx) error {
	var names []string
	for _, t := range tables {
		names = append(names, t.name)
	}
	_, err := tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(names, ", ")+` IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// id hands out the next id of table.
func (w *writer) id(table string) int64 {
	id := w.next[table]
	w.next[table]++
	return id
}

// add buffers one row of table, its values in the order of tables' columns.
func (w *writer) add(table string, vals ...any) {
	w.rows[table] = append(w.rows[table], vals)
	w.pending++
}

// flush writes every buffered row, parents first.
func (w *writer) flush(ctx context.Context, tx *store.Tx) error {
	for _, t := range tables {
		rows := w.rows[t.name]
		cols := t.cols
		if t.name == "search_index" && w.dialect == store.Postgres {
			cols = cols[1:]
			for i, r := range rows {
				rows[i] = r[1:]
			}
		}
		per := max(1, maxParams/len(cols))
		for len(rows) > 0 {
			n := min(per, len(rows))
			if err := insert(ctx, tx, t.name, cols, rows[:n]); err != nil {
				return err
			}
			rows = rows[n:]
		}
		w.rows[t.name] = w.rows[t.name][:0]
	}
	w.pending = 0
	return nil
}

func insert(ctx context.Context, tx *store.Tx, table string, cols []string, rows [][]any) error {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	tuple := "(" + store.Placeholders(len(cols)) + ")"
	args := make([]any, 0, len(rows)*len(cols))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
		args = append(args, r...)
	}
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", len(rows), table, err)
	}
	return nil
}

// finish moves PostgreSQL's id sequences past the ids handed out, so that
// rows the application inserts later get fresh ones.
func (w *writer) finish(ctx context.Context, tx *store.Tx) error {
	if w.dialect != store.Postgres {
		return nil
	}
	for _, t := range tables {
		if !hasID(t.name, w.dialect) {
			continue
		}
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM `+t.name+`), 1))`)
		if err != nil {
			return fmt.Errorf("advance the id sequence of %s: %w", t.name, err)
		}
	}
	return nil
}
