package backup

// TEMPORARY STAND-IN for package snapshot and cases.RebuildIndex, so that
// backups compile and run before they land. When merging: delete this file
// and point the aliases and variables in snapshot_api.go at the real
// package. It copies every table row by row (gob), in one transaction; it
// is neither fast nor portable between engines, which the real one is.

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/store"
)

// standinFormat is the stand-in's snapshot format number.
const standinFormat = 1

// standinSummary mirrors snapshot.Summary.
type standinSummary struct {
	Format, SchemaVersion int
	Engine                string
	Tables                []standinTable
}

// standinTable mirrors snapshot.Table.
type standinTable struct {
	Name string
	Rows int64
}

// standinRecord is one message of the stand-in's stream.
type standinRecord struct {
	Head    *standinSummary
	Table   string
	Columns []string
	Row     []standinValue
	End     bool
}

type standinValue struct {
	K uint8 // 0 null, 1 int, 2 float, 3 text, 4 bytes, 5 bool, 6 time
	I int64
	F float64
	S string
	B []byte
}

func toValue(v any) standinValue {
	switch x := v.(type) {
	case nil:
		return standinValue{}
	case int64:
		return standinValue{K: 1, I: x}
	case int32:
		return standinValue{K: 1, I: int64(x)}
	case float64:
		return standinValue{K: 2, F: x}
	case string:
		return standinValue{K: 3, S: x}
	case []byte:
		return standinValue{K: 4, B: x}
	case bool:
		return standinValue{K: 5, I: map[bool]int64{true: 1}[x]}
	case time.Time:
		return standinValue{K: 6, S: x.Format(time.RFC3339Nano)}
	}
	return standinValue{K: 3, S: fmt.Sprint(v)}
}

func (v standinValue) value() any {
	switch v.K {
	case 1:
		return v.I
	case 2:
		return v.F
	case 3:
		return v.S
	case 4:
		if v.B == nil { // gob leaves an empty slice out
			return []byte{}
		}
		return v.B
	case 5:
		return v.I == 1
	case 6:
		t, _ := time.Parse(time.RFC3339Nano, v.S)
		return t
	}
	return nil
}

// standinSkipped are tables a snapshot leaves out: the fresh database has
// its own bookkeeping, and the subject keys travel in the key store part.
var standinSkipped = []string{"schema_migrations", "tenant_info", "audit_subject_keys"}

func standinTables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*store.Rows, error)
}, d store.Dialect, keys bool) ([]string, error) {
	query := `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if d == store.Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if keys == (n == "audit_subject_keys") && (keys || !slices.Contains(standinSkipped, n)) {
			names = append(names, n)
		}
	}
	return names, rows.Err()
}

func standinExport(ctx context.Context, db *store.DB, tmpDir string, w io.Writer) (standinSummary, error) {
	return standinDump(ctx, db, w, false)
}

func standinExportKeys(ctx context.Context, db *store.DB, w io.Writer) (standinSummary, error) {
	return standinDump(ctx, db, w, true)
}

func standinDump(ctx context.Context, db *store.DB, w io.Writer, keys bool) (standinSummary, error) {
	ctx = store.WithTimeout(ctx, 0)
	sum := standinSummary{Format: standinFormat, Engine: string(db.Dialect)}
	enc := gob.NewEncoder(w)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		v, err := standinSchemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		sum.SchemaVersion = v
		head := sum
		if err := enc.Encode(standinRecord{Head: &head}); err != nil {
			return err
		}
		tables, err := standinTables(ctx, tx, db.Dialect, keys)
		if err != nil {
			return err
		}
		for _, t := range tables {
			n, err := standinDumpTable(ctx, tx, enc, t)
			if err != nil {
				return fmt.Errorf("export table %s: %w", t, err)
			}
			sum.Tables = append(sum.Tables, standinTable{Name: t, Rows: n})
		}
		return enc.Encode(standinRecord{End: true})
	})
	return sum, err
}

func standinSchemaVersion(ctx context.Context, tx *store.Tx) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// standinColumns lists a table's columns but generated ones.
func standinColumns(ctx context.Context, tx *store.Tx, table string) ([]string, error) {
	query := `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`
	if tx.Dialect == store.Postgres {
		query = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?
			AND is_generated <> 'ALWAYS' ORDER BY ordinal_position`
	}
	rows, err := tx.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

func standinDumpTable(ctx context.Context, tx *store.Tx, enc *gob.Encoder, table string) (int64, error) {
	cols, err := standinColumns(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if err := enc.Encode(standinRecord{Table: table, Columns: cols}); err != nil {
		return 0, err
	}
	var n int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		row := make([]standinValue, len(cols))
		for i, v := range vals {
			row[i] = toValue(v)
		}
		if err := enc.Encode(standinRecord{Row: row}); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func standinImport(ctx context.Context, db *store.DB, r io.Reader) (standinSummary, error) {
	return standinLoad(ctx, db, r)
}

func standinImportKeys(ctx context.Context, db *store.DB, r io.Reader) (standinSummary, error) {
	return standinLoad(ctx, db, r)
}

func standinLoad(ctx context.Context, db *store.DB, r io.Reader) (standinSummary, error) {
	ctx = store.WithTimeout(ctx, 0)
	dec := gob.NewDecoder(r)
	var first standinRecord
	if err := dec.Decode(&first); err != nil || first.Head == nil {
		return standinSummary{}, errors.New("snapshot: not a snapshot stream")
	}
	sum := *first.Head
	sum.Tables = nil
	if sum.Format != standinFormat {
		return sum, strongroom.Errorf(strongroom.EINVALID, "Snapshot format %d is not one this version reads.", sum.Format)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if db.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		if v, err := standinSchemaVersion(ctx, tx); err != nil {
			return err
		} else if sum.SchemaVersion > v {
			return strongroom.Errorf(strongroom.EINVALID, "The snapshot has schema version %d; this version of Strongroom knows up to %d.", sum.SchemaVersion, v)
		}
		return standinLoadTables(ctx, tx, db.Dialect, dec, &sum)
	})
	return sum, err
}

func standinLoadTables(ctx context.Context, tx *store.Tx, d store.Dialect, dec *gob.Decoder, sum *standinSummary) error {
	var insert string
	for {
		var rec standinRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("snapshot: read: %w", err)
		}
		switch {
		case rec.End:
			if d == store.Postgres {
				return standinResetSequences(ctx, tx)
			}
			return nil
		case rec.Table != "":
			verb := "INSERT OR REPLACE INTO "
			if d == store.Postgres {
				verb = "INSERT INTO "
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+rec.Table); err != nil {
					return err
				}
			}
			insert = verb + rec.Table + " (" + strings.Join(rec.Columns, ", ") + ") VALUES (" + store.Placeholders(len(rec.Columns)) + ")"
			sum.Tables = append(sum.Tables, standinTable{Name: rec.Table})
		default:
			args := make([]any, len(rec.Row))
			for i, v := range rec.Row {
				args[i] = v.value()
			}
			if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
				return fmt.Errorf("snapshot: load %s: %w", sum.Tables[len(sum.Tables)-1].Name, err)
			}
			sum.Tables[len(sum.Tables)-1].Rows++
		}
	}
}

func standinResetSequences(ctx context.Context, tx *store.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`)
	if err != nil {
		return err
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	for _, tc := range cols {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 1), MAX(%s) IS NOT NULL) FROM %s`, tc[0], tc[1], tc[1], tc[1], tc[0])
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// standinRebuildIndex stands in for cases.RebuildIndex: the stand-in
// snapshot carries the search index along, so there is nothing to rebuild.
func standinRebuildIndex(ctx context.Context, db *store.DB) error { return nil }
