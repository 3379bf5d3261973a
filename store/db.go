// Package store is Strongroom's storage layer: the database handle both
// engines share, the migration runner, and the control-plane store. SQL in
// this package is written once, with '?' placeholders, and runs unchanged on
// SQLite and PostgreSQL; the engine packages (store/sqlite, store/postgres)
// only open, create and drop databases. Only cmd/ imports an engine package.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a handle on one database: the control plane or one tenant's.
// Queries written with '?' placeholders are rebound for the engine.
type DB struct {
	// write is the pool used for writes; on SQLite it holds a single
	// connection so that writers queue in Go instead of failing on a lock.
	write   *sql.DB
	read    *sql.DB
	stmts   *stmtCache // the read pool's prepared statements; nil on PostgreSQL
	Dialect Dialect
	Name    string // what the handle is, for error messages ("tenant acme")
}

// NewDB wraps the pools of an opened database. read may equal write.
func NewDB(name string, dialect Dialect, write, read *sql.DB) *DB {
	db := &DB{write: write, read: read, Dialect: dialect, Name: name}
	if dialect == SQLite {
		db.stmts = newStmtCache(read)
	}
	return db
}

// Close closes the pools and the statements prepared on them.
func (db *DB) Close() error {
	db.stmts.close()
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
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
	_, err := db.write.ExecContext(ctx, `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`)
	if err != nil {
		return fmt.Errorf("optimize %s: %w", db.Name, err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
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
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	note(ctx, true, query, args)
	return db.query(ctx, db.Rebind(query), args)
}

// QueryRowContext runs a single-row read query on the read pool.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	note(ctx, true, query, args)
	return db.queryRow(ctx, db.Rebind(query), args)
}

// ExecContext runs one statement on the write pool.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	note(ctx, false, query, args)
	return db.write.ExecContext(ctx, db.Rebind(query), args...)
}

// Tx is a write transaction whose statements are rebound like DB's.
type Tx struct {
	tx      *sql.Tx
	Dialect Dialect
}

func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	note(ctx, false, query, args)
	return tx.tx.QueryContext(ctx, Rebind(tx.Dialect, query), args...)
}

func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	note(ctx, false, query, args)
	return tx.tx.QueryRowContext(ctx, Rebind(tx.Dialect, query), args...)
}

func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	note(ctx, false, query, args)
	return tx.tx.ExecContext(ctx, Rebind(tx.Dialect, query), args...)
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	sqltx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction on %s: %w", db.Name, err)
	}
	if err := fn(&Tx{tx: sqltx, Dialect: db.Dialect}); err != nil {
		_ = sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit on %s: %w", db.Name, err)
	}
	return nil
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
