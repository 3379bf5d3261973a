package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"strongroom"
	"strongroom/store"
)

func export(ctx context.Context, db *store.DB, tmpDir string, w io.Writer, kind string) (Summary, error) {
	// A large tenant takes longer than one request's deadline: the
	// caller's context (a backup job's own deadline) bounds the export.
	ctx = store.WithTimeout(ctx, 0)
	engine, err := engineName(db.Dialect)
	if err != nil {
		return Summary{}, err
	}
	if kind == kindData && db.Dialect == store.SQLite {
		return exportSQLiteCopy(ctx, db, tmpDir, w, engine)
	}
	var sum Summary
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if db.Dialect == store.Postgres {
			// One snapshot of the whole database: every table is read as
			// of the transaction's first query, whatever commits meanwhile.
			if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
				return fmt.Errorf("start a consistent read: %w", err)
			}
			// A table is read for as long as the writer takes (an upload
			// to an object store, say). The server may sit idle in the
			// transaction meanwhile, once it has sent what the socket
			// holds: allow minutes of that, not the seconds a request
			// gets, yet not forever for a client that vanished.
			if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = '10min'`); err != nil {
				return fmt.Errorf("lift the statement timeout: %w", err)
			}
		}
		var err error
		sum, err = writeAll(ctx, tx, db.Dialect, engine, w, kind)
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	return sum, nil
}

// exportSQLiteCopy copies the database with VACUUM INTO (one read
// transaction on a connection of its own, so the tenant's writer is not
// held) and writes the stream from the copy.
func exportSQLiteCopy(ctx context.Context, db *store.DB, tmpDir string, w io.Writer, engine string) (Summary, error) {
	var live string
	if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&live); err != nil {
		return Summary{}, fmt.Errorf("snapshot of %s: find its file: %w", db.Name, err)
	}
	if live == "" {
		return Summary{}, strongroom.Errorf(strongroom.EINTERNAL, "snapshot of %s: the database has no file to copy", db.Name)
	}
	tmp, err := vacuumInto(ctx, db, live, tmpDir)
	if tmp != "" {
		defer removeCopy(tmp)
	}
	if err != nil {
		return Summary{}, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	cp, err := openSQLite(db, tmp, "mode=ro", " (copy)")
	if err != nil {
		return Summary{}, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	defer cp.Close()
	sum, err := writeAll(ctx, cp, store.SQLite, engine, w, kindData)
	if err != nil {
		return Summary{}, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	return sum, nil
}

// vacuumInto writes a consistent copy of the file live into a new file in
// tmpDir, readable by its owner only, and syncs it: SQLite does not sync
// what VACUUM INTO writes, and a full disk or a failing device is better
// reported here than met as a short read later. It returns the copy's
// name, also on failure once the file exists, for the caller to remove.
func vacuumInto(ctx context.Context, db *store.DB, live, tmpDir string) (string, error) {
	if tmpDir == "" {
		tmpDir = os.TempDir()
	}
	f, err := os.CreateTemp(tmpDir, ".snapshot-*.db")
	if err != nil {
		if err := store.Classify(err); strongroom.ErrorCode(err) == strongroom.ESTORAGE {
			return "", err
		}
		return "", strongroom.Errorf(strongroom.EUNAVAILABLE, "Cannot make the temporary copy of a snapshot in %s: %s.", tmpDir, pathProblem(err))
	}
	tmp := f.Name()
	f.Close() // VACUUM INTO writes into an empty file
	src, err := openSQLite(db, live, "mode=ro&_pragma=busy_timeout(10000)", " (source of copy)")
	if err != nil {
		return tmp, err
	}
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	src.Close()
	if err != nil {
		return tmp, fmt.Errorf("copy the database: %w", err)
	}
	f, err = os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return tmp, store.Classify(fmt.Errorf("sync the copy: %w", err))
	}
	return tmp, nil
}

// pathProblem describes a file-system error without Go's operation prefix.
func pathProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// openSQLite opens a SQLite file beside db, whose errors it classifies as
// db's are. The driver is the one the SQLite engine registered: a SQLite
// handle exists only where that engine is linked in.
func openSQLite(db *store.DB, path, params, what string) (*store.DB, error) {
	pool, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	pool.SetMaxOpenConns(1)
	h := store.NewDB(db.Name+what, store.SQLite, pool, pool)
	h.Faults = db.Faults
	return h, nil
}

// removeCopy removes the copy and whatever SQLite made beside it. A
// failure leaves a file readable only by its owner in the operator's
// temporary space; the export's result stands either way.
func removeCopy(path string) {
	for _, p := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}

// writeAll writes the stream of kind from q: header, tables in load order,
// end record.
func writeAll(ctx context.Context, q querier, d store.Dialect, engine string, w io.Writer, kind string) (Summary, error) {
	h := header{engine: engine, kind: kind}
	if err := readOne(ctx, q, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`, &h.schema); err != nil {
		return Summary{}, fmt.Errorf("read the schema version: %w", err)
	}
	if err := readOne(ctx, q, `SELECT value FROM tenant_info WHERE name = 'slug'`, &h.slug); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Summary{}, fmt.Errorf("read the owner: %w", err)
	}
	tables, err := loadSchema(ctx, q, d)
	if err != nil {
		return Summary{}, err
	}
	order, err := loadOrder(tables, included(kind))
	if err != nil {
		return Summary{}, err
	}
	enc, err := newEncoder(w)
	if err != nil {
		return Summary{}, err
	}
	enc.header(h)
	sum := Summary{Format: Format, SchemaVersion: h.schema, Engine: engine, Slug: h.slug}
	for _, t := range order {
		n, err := writeTable(ctx, q, enc, t)
		if err != nil {
			return Summary{}, fmt.Errorf("table %s: %w", t.name, err)
		}
		sum.Tables = append(sum.Tables, Table{Name: t.name, Rows: n})
	}
	enc.streamEnd(len(order))
	if err := enc.close(); err != nil {
		return Summary{}, err
	}
	sum.Bytes = enc.n
	return sum, nil
}

func readOne(ctx context.Context, q querier, query string, dst any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	if !rows.Next() {
		if err := closeRows(rows); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dst); err != nil {
		rows.Close()
		return err
	}
	return closeRows(rows)
}

// writeTable streams one table's rows: each is encoded as it is read.
func writeTable(ctx context.Context, q querier, enc *encoder, t *tableInfo) (int64, error) {
	cols := t.colNames()
	enc.table(t.name, cols)
	rows, err := q.QueryContext(ctx, `SELECT `+quoteList(cols)+` FROM `+quote(t.name))
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return 0, err
		}
		if err := enc.row(vals); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if err := enc.endRecord(); err != nil {
			rows.Close()
			return 0, err
		}
	}
	if err := closeRows(rows); err != nil {
		return 0, err
	}
	enc.tableEnd(n)
	return n, enc.endRecord()
}

func quote(name string) string { return `"` + name + `"` }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}
