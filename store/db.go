// Package store is Strongroom's storage layer: the database handle both
// engines share, the migration runner, and the control-plane store. SQL in
// this package is written once, with '?' placeholders, and runs unchanged on
// SQLite and PostgreSQL; the engine packages (store/sqlite, store/postgres)
// only open, create and drop databases. Only cmd/ imports an engine package.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"strongroom"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultTimeout bounds each database operation of a handle whose
// Timeout is not set: a statement, or a transaction from waiting for a
// connection to its commit.
const DefaultTimeout = 10 * time.Second

// DB is a handle on one database: the control plane or one tenant's.
// Queries written with '?' placeholders are rebound for the engine.
//
// Every operation runs under a deadline (Timeout, or what WithTimeout put
// in its context), so that a database that stops answering costs a request
// a bounded wait, not a hang; past it the operation fails with EUNAVAILABLE
// and a transaction is rolled back. Errors that are faults of the database
// rather than of the request (unreachable, too slow, out of space) come
// back as *strongroom.Error (EUNAVAILABLE, ESTORAGE) wrapping their cause.
type DB struct {
	// write is the pool used for writes; on SQLite it holds a single
	// connection so that writers queue in Go instead of failing on a lock.
	write   *sql.DB
	read    *sql.DB
	stmts   *stmtCache // the read pool's prepared statements; nil on PostgreSQL
	Dialect Dialect
	Name    string // what the handle is, for error messages ("tenant acme")
	// Timeout bounds each operation; 0 means DefaultTimeout. Set it
	// before the handle is shared.
	Timeout time.Duration
	// Faults names the fault an engine's error is, by the driver's codes:
	// strongroom.EUNAVAILABLE, strongroom.ESTORAGE, or "" for none. The
	// engine that opened the handle sets it.
	Faults func(error) string
	// Copy loads rows in bulk on one of the engine's driver connections
	// (PostgreSQL's COPY); nil for an engine without one. The engine that
	// opened the handle sets it; transactions offer it as Tx.Copier.
	Copy   CopyFunc
	closed atomic.Bool
}

// NewDB wraps the pools of an opened database. read may equal write.
func NewDB(name string, dialect Dialect, write, read *sql.DB) *DB {
	db := &DB{write: write, read: read, Dialect: dialect, Name: name}
	if dialect == SQLite {
		db.stmts = newStmtCache(read)
	}
	return db
}

// Close closes the pools and the statements prepared on them. Operations
// afterwards fail with EUNAVAILABLE.
func (db *DB) Close() error {
	db.closed.Store(true)
	db.stmts.close()
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

type timeoutKey struct{}

// WithTimeout returns a context under which each database operation is
// bounded by d instead of its handle's Timeout; d <= 0 leaves only ctx's
// own deadline. It is for work that is not a request's: migrations, and
// background jobs with deadlines of their own.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

// bound returns ctx limited by the operation deadline.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	d := cmp.Or(db.Timeout, DefaultTimeout)
	if v, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		d = v
	}
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// fault classifies err from an operation run under bounded, a context
// derived from the caller's ctx. A caller that gave up gets its own error
// back; a deadline that passed is EUNAVAILABLE whatever the operation made
// of it (a transaction concluding "not found" from a cancelled query must
// not be believed).
func (db *DB) fault(ctx, bounded context.Context, err error) error {
	switch {
	case err == nil || ctx.Err() != nil:
		return err
	case bounded.Err() != nil:
		return newFault(strongroom.EUNAVAILABLE, MsgUnavailable, db.Name, fmt.Errorf("deadline passed: %w", err))
	}
	var safe *strongroom.Error
	if db.closed.Load() && !errors.As(err, &safe) && !errors.Is(err, sql.ErrNoRows) {
		return newFault(strongroom.EUNAVAILABLE, MsgUnavailable, db.Name, fmt.Errorf("handle closed: %w", err))
	}
	return classify(err, db.engineFaults, db.Name)
}

func (db *DB) engineFaults(err error) string {
	if db.Faults == nil {
		return ""
	}
	return db.Faults(err)
}

// Optimize refreshes the query planner's statistics where they are
// missing or out of date (SQLite's PRAGMA optimize, each table sampled
// rather than read whole). Without them SQLite plans from guesses, and
// a guess that an index is small can turn a report into a walk of every
// case. PostgreSQL's autovacuum keeps its own statistics: nothing to do.
func (db *DB) Optimize(ctx context.Context) error {
	if db.Dialect != SQLite {
		return nil
	}
	// 0x10002: look at every table, not only those this connection used.
	bounded, cancel := db.bound(ctx)
	defer cancel()
	_, err := db.write.ExecContext(bounded, `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`)
	if err = db.fault(ctx, bounded, err); err != nil {
		return fmt.Errorf("optimize %s: %w", db.Name, err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	bounded, cancel := db.bound(ctx)
	defer cancel()
	return db.fault(ctx, bounded, db.read.PingContext(bounded))
}

// Rebind turns '?' placeholders into the engine's own ($1, $2 … on PostgreSQL).
// Question marks inside single-quoted literals are left alone.
func (db *DB) Rebind(query string) string {
	return Rebind(db.Dialect, query)
}

// Placeholders is n '?' placeholders separated by commas, for an IN list
// or a row of values.
func Placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Rebind is DB.Rebind for a bare dialect.
func Rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n, quoted := 0, false
	for _, r := range query {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// QueryContext runs a read query on the read pool.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*Rows, error) {
	note(ctx, true, query, args)
	bounded, cancel := db.bound(ctx)
	rows, err := db.query(bounded, db.Rebind(query), args)
	return db.rows(ctx, bounded, cancel, rows, err)
}

// QueryRowContext runs a single-row read query on the read pool.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *Row {
	note(ctx, true, query, args)
	bounded, cancel := db.bound(ctx)
	return &Row{row: db.queryRow(bounded, db.Rebind(query), args), op: op{db, ctx, bounded, cancel}}
}

// ExecContext runs one statement on the write pool.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	note(ctx, false, query, args)
	bounded, cancel := db.bound(ctx)
	defer cancel()
	res, err := db.write.ExecContext(bounded, db.Rebind(query), args...)
	return res, db.fault(ctx, bounded, err)
}

func (db *DB) rows(ctx, bounded context.Context, cancel context.CancelFunc, rows *sql.Rows, err error) (*Rows, error) {
	if err != nil {
		cancel()
		return nil, db.fault(ctx, bounded, err)
	}
	return &Rows{Rows: rows, op: op{db, ctx, bounded, cancel}}, nil
}

// op is one bounded operation: the caller's context, the bounded one
// derived from it, and what ends the bound.
type op struct {
	db      *DB
	ctx     context.Context
	bounded context.Context
	cancel  context.CancelFunc
}

func (o op) fault(err error) error { return o.db.fault(o.ctx, o.bounded, err) }

// Rows is sql.Rows whose errors are classified like DB's; Close ends the
// operation's deadline.
type Rows struct {
	*sql.Rows
	op op
}

func (r *Rows) Err() error { return r.op.fault(r.Rows.Err()) }

func (r *Rows) Scan(dest ...any) error { return r.op.fault(r.Rows.Scan(dest...)) }

func (r *Rows) Close() error {
	err := r.Rows.Close()
	r.op.cancel()
	return r.op.fault(err)
}

// Row is sql.Row whose error is classified like DB's. sql.ErrNoRows is
// passed on as it is.
type Row struct {
	row *sql.Row
	op  op
}

func (r *Row) Scan(dest ...any) error {
	defer r.op.cancel()
	return r.op.fault(r.row.Scan(dest...))
}

func (r *Row) Err() error { return r.op.fault(r.row.Err()) }

// Tx is a write transaction whose statements are rebound like DB's. Its
// statements run under the caller's context and the transaction's deadline.
type Tx struct {
	tx      *sql.Tx
	conn    *sql.Conn // the connection tx runs on, when the engine has Copy
	Dialect Dialect
	db      *DB
	ctx     context.Context // the transaction's bounded context
}

// bound returns ctx limited by the transaction's deadline.
func (tx *Tx) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := tx.ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl)
	}
	return context.WithCancel(ctx)
}

func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*Rows, error) {
	note(ctx, false, query, args)
	bounded, cancel := tx.bound(ctx)
	rows, err := tx.tx.QueryContext(bounded, Rebind(tx.Dialect, query), args...)
	return tx.db.rows(ctx, bounded, cancel, rows, err)
}

func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *Row {
	note(ctx, false, query, args)
	bounded, cancel := tx.bound(ctx)
	return &Row{row: tx.tx.QueryRowContext(bounded, Rebind(tx.Dialect, query), args...), op: op{tx.db, ctx, bounded, cancel}}
}

func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	note(ctx, false, query, args)
	bounded, cancel := tx.bound(ctx)
	defer cancel()
	res, err := tx.tx.ExecContext(bounded, Rebind(tx.Dialect, query), args...)
	return res, tx.db.fault(ctx, bounded, err)
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. The deadline covers the wait for a connection,
// fn and the commit; past it the transaction is rolled back and the error
// is EUNAVAILABLE.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	bounded, cancel := db.bound(ctx)
	defer cancel()
	tx := &Tx{Dialect: db.Dialect, db: db, ctx: bounded}
	var err error
	if db.Copy != nil {
		// A bulk load needs the driver's connection beneath the
		// transaction, which only a reserved connection hands out.
		if tx.conn, err = db.write.Conn(bounded); err != nil {
			return db.fault(ctx, bounded, fmt.Errorf("begin transaction on %s: %w", db.Name, err))
		}
		defer tx.conn.Close()
		tx.tx, err = tx.conn.BeginTx(bounded, nil)
	} else {
		tx.tx, err = db.write.BeginTx(bounded, nil)
	}
	if err != nil {
		return db.fault(ctx, bounded, fmt.Errorf("begin transaction on %s: %w", db.Name, err))
	}
	if err := fn(tx); err != nil {
		_ = tx.tx.Rollback()
		return db.fault(ctx, bounded, err)
	}
	if err := tx.tx.Commit(); err != nil {
		return db.fault(ctx, bounded, fmt.Errorf("commit on %s: %w", db.Name, err))
	}
	return nil
}

// CopySource yields the rows of a bulk load one at a time (the method set
// of pgx.CopyFromSource).
type CopySource interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// CopyFunc is an engine's bulk load of rows into a table, on driverConn,
// one of its database/sql driver connections (sql.Conn.Raw).
type CopyFunc func(ctx context.Context, driverConn any, table string, columns []string, rows CopySource) (int64, error)

// Copier loads rows into a table in bulk within the transaction it came
// from, faster than INSERTs can (PostgreSQL's COPY). The table and column
// names are identifiers, quoted by the engine.
type Copier interface {
	CopyFrom(ctx context.Context, table string, columns []string, rows CopySource) (int64, error)
}

// Copier returns the engine's bulk load within tx, or nil when the engine
// has none (SQLite, whose multi-row INSERTs are as fast): callers keep an
// INSERT path for that.
func (tx *Tx) Copier() Copier {
	if tx.conn == nil || tx.db.Copy == nil {
		return nil
	}
	return txCopier{tx}
}

type txCopier struct{ tx *Tx }

func (c txCopier) CopyFrom(ctx context.Context, table string, columns []string, rows CopySource) (int64, error) {
	note(ctx, false, "COPY "+table, nil)
	bounded, cancel := c.tx.bound(ctx)
	defer cancel()
	var n int64
	err := c.tx.conn.Raw(func(dc any) error {
		var err error
		n, err = c.tx.db.Copy(bounded, dc, table, columns, rows)
		return err
	})
	return n, c.tx.db.fault(ctx, bounded, err)
}

// timeLayout is fixed-width so that stored times sort as text on both engines.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t, in UTC, as stored in every time column.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads a time written by FormatTime.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}
