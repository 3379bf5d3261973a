package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"strongroom"
	"strongroom/store"
)

// maxParams bounds the placeholders of one INSERT: PostgreSQL takes at
// most 65,535, SQLite 32,766.
const (
	maxParams    = 30000
	maxBatchRows = 5000
	// maxCopyRows is the batch of one COPY, which has no placeholders to
	// bound it: few enough rows to hold in memory (the widest table,
	// audit_events, has bodies of a few KiB).
	maxCopyRows = 20000
)

func importStream(ctx context.Context, db *store.DB, r io.Reader, kind string) (Summary, error) {
	ctx = store.WithTimeout(ctx, 0)
	dec, h, err := readHeader(r, kind)
	if err != nil {
		return Summary{}, err
	}
	var current int
	if err := readOne(ctx, db, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`, &current); err != nil {
		return Summary{}, fmt.Errorf("restore into %s: read its schema version: %w", db.Name, err)
	}
	if h.schema > current {
		return Summary{}, strongroom.FieldError("snapshot",
			"The snapshot is of schema version %d, newer than the database it would be restored into (%d). Restore it with a newer strongroom.",
			h.schema, current)
	}
	sum := Summary{Format: dec.format, SchemaVersion: h.schema, Engine: h.engine, Slug: h.slug}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if db.Dialect == store.Postgres {
			// The batches of a table are one prepared statement: planned
			// once (generic plan) rather than for every batch's values.
			if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
				return fmt.Errorf("lift the timeouts: %w", err)
			}
		}
		tables, err := loadSchema(ctx, tx, db.Dialect)
		if err != nil {
			return err
		}
		if err := checkEmpty(ctx, tx, tables, kind); err != nil {
			return err
		}
		l := &loader{tx: tx, dec: dec, dialect: db.Dialect, tables: tables, keep: included(kind)}
		if sum.Tables, err = walk(ctx, dec, l); err != nil {
			return err
		}
		sum.Bytes = dec.consumed()
		return l.resetSequences(ctx)
	})
	if err != nil {
		return Summary{}, fmt.Errorf("restore into %s: %w", db.Name, err)
	}
	return sum, nil
}

// readHeader checks the stream's format and header before anything else.
func readHeader(r io.Reader, kind string) (*decoder, header, error) {
	dec, err := newDecoder(r)
	if err != nil {
		return nil, header{}, err
	}
	t, err := dec.tag()
	if err != nil {
		return nil, header{}, err
	}
	if t != tagHeader {
		return nil, header{}, damaged("it has no header")
	}
	h, err := dec.header()
	if err != nil {
		return nil, header{}, err
	}
	if _, err := engineName(store.Dialect(h.engine)); err != nil {
		return nil, header{}, damaged("it names the unknown engine %q", h.engine)
	}
	if kind == "" && (h.kind == kindData || h.kind == kindKeys) {
		kind = h.kind
	}
	if h.kind != kind {
		what := map[string]string{kindData: "a tenant's data", kindKeys: "a tenant's key store"}
		if what[h.kind] == "" {
			return nil, header{}, damaged("it holds the unknown kind %q", h.kind)
		}
		return nil, header{}, strongroom.FieldError("snapshot", "The snapshot holds %s, not %s.", what[h.kind], what[kind])
	}
	if h.schema == 0 {
		return nil, header{}, damaged("its schema version is 0")
	}
	return dec, h, nil
}

// checkEmpty refuses a database that already holds rows in a table the
// stream would load: a snapshot is restored into a new database, never
// merged into a used one.
func checkEmpty(ctx context.Context, tx *store.Tx, tables map[string]*tableInfo, kind string) error {
	keep := included(kind)
	var names []string
	for n := range tables {
		if keep(n) && !slices.Contains(migrationRows, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		var one int
		err := readOne(ctx, tx, `SELECT 1 FROM `+quote(n)+` LIMIT 1`, &one)
		if err == nil {
			return strongroom.Errorf(strongroom.ECONFLICT,
				"The database already holds rows in table %s; a snapshot is restored only into a new, empty tenant database.", n)
		}
		if !isNoRows(err) {
			return err
		}
	}
	return nil
}

// loader inserts the tables of a stream.
type loader struct {
	tx      *store.Tx
	dec     *decoder
	dialect store.Dialect
	tables  map[string]*tableInfo
	keep    func(string) bool
	loaded  []*tableInfo
	target  []column // the columns of the table being loaded
	batch   *batch
}

// begin checks a table of the stream against the database and readies
// its INSERTs.
func (l *loader) begin(ctx context.Context, name string, cols []string) error {
	info := l.tables[name]
	if info == nil || !l.keep(name) {
		if info != nil && ExcludedReason(name) != "" {
			return strongroom.FieldError("snapshot", "The snapshot holds table %s, which a restore does not load.", name)
		}
		return strongroom.FieldError("snapshot", "The snapshot holds table %s, which this database does not have.", name)
	}
	l.target = make([]column, len(cols))
	for i, c := range cols {
		col, ok := info.column(c)
		if !ok {
			return strongroom.FieldError("snapshot", "The snapshot's table %s has a column %s that this database does not have.", name, c)
		}
		l.target[i] = col
	}
	for _, c := range info.cols {
		if c.required && !slices.Contains(cols, c.name) {
			return strongroom.FieldError("snapshot", "The snapshot's table %s lacks the column %s, which this database requires.", name, c.name)
		}
	}
	l.loaded = append(l.loaded, info)
	l.batch = newBatch(info, cols, slices.Contains(migrationRows, name), copier(l.tx))
	return nil
}

func (l *loader) slots() []any { return l.batch.next() }

func (l *loader) rowDone(ctx context.Context, vals []any) error {
	if err := convertRow(vals, l.target, l.dialect, l.batch.info.name); err != nil {
		return err
	}
	if l.batch.full() {
		return l.batch.flush(ctx, l.tx)
	}
	return nil
}

func (l *loader) end(ctx context.Context) error { return l.batch.flush(ctx, l.tx) }

// resetSequences moves each PostgreSQL identity column's sequence past the
// ids just loaded, so that new rows get fresh ids. SQLite takes the next
// rowid from the table itself.
func (l *loader) resetSequences(ctx context.Context) error {
	if l.dialect != store.Postgres {
		return nil
	}
	for _, t := range l.loaded {
		for _, c := range t.cols {
			if !c.identity {
				continue
			}
			var v int64
			err := readOne(ctx, l.tx, `SELECT setval(pg_get_serial_sequence('`+quote(t.name)+`', '`+c.name+`'),
				(SELECT COALESCE(MAX(`+quote(c.name)+`), 0) + 1 FROM `+quote(t.name)+`), false)`, &v)
			if err != nil {
				return fmt.Errorf("reset the ids of %s: %w", t.name, err)
			}
		}
	}
	return nil
}

// batch collects rows for one multi-row INSERT, or for one COPY where the
// engine has it (PostgreSQL: several times faster than INSERT, which
// parses and plans its statement and binds each value as a parameter).
// An INSERT's text is the same for every full batch, so the engine (pgx's
// statement cache) prepares it once. Tables whose rows a migration put in
// are upserted, which COPY cannot do.
type batch struct {
	info    *tableInfo
	cols    []string
	upsert  bool
	copier  store.Copier // nil: INSERT
	per     int
	args    []any
	rows    int
	fullSQL string
}

func newBatch(info *tableInfo, cols []string, upsert bool, copier store.Copier) *batch {
	per := max(1, min(maxBatchRows, maxParams/len(cols)))
	if upsert {
		copier = nil
	}
	if copier != nil {
		per = maxCopyRows
	}
	return &batch{info: info, cols: cols, upsert: upsert, copier: copier, per: per, args: make([]any, per*len(cols))}
}

// next returns the slots of the next row.
func (b *batch) next() []any {
	k := len(b.cols)
	vals := b.args[b.rows*k : (b.rows+1)*k]
	b.rows++
	return vals
}

func (b *batch) full() bool { return b.rows == b.per }

func (b *batch) flush(ctx context.Context, tx *store.Tx) error {
	if b.rows == 0 {
		return nil
	}
	if b.copier != nil {
		src := &batchRows{args: b.args[:b.rows*len(b.cols)], width: len(b.cols), at: -1}
		if _, err := b.copier.CopyFrom(ctx, b.info.name, b.cols, src); err != nil {
			return fmt.Errorf("load table %s: %w", b.info.name, err)
		}
		clear(b.args)
		b.rows = 0
		return nil
	}
	query := b.fullSQL
	if b.rows != b.per || query == "" {
		query = b.sql(b.rows)
		if b.rows == b.per {
			b.fullSQL = query
		}
	}
	if _, err := tx.ExecContext(ctx, query, b.args[:b.rows*len(b.cols)]...); err != nil {
		return fmt.Errorf("load table %s: %w", b.info.name, err)
	}
	clear(b.args)
	b.rows = 0
	return nil
}

// copier is the bulk load of a transaction, nil where the engine has
// none; a test turns it off to compare COPY with INSERT.
var copier = (*store.Tx).Copier

// batchRows hands a batch's rows to a COPY.
type batchRows struct {
	args  []any
	width int
	at    int
}

func (r *batchRows) Next() bool {
	r.at++
	return (r.at+1)*r.width <= len(r.args)
}

func (r *batchRows) Values() ([]any, error) { return r.args[r.at*r.width : (r.at+1)*r.width], nil }
func (r *batchRows) Err() error             { return nil }

func (b *batch) sql(rows int) string {
	var s strings.Builder
	s.WriteString(`INSERT INTO ` + quote(b.info.name) + ` (` + quoteList(b.cols) + `) VALUES `)
	row := "(" + store.Placeholders(len(b.cols)) + ")"
	for i := range rows {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(row)
	}
	if b.upsert && len(b.info.pk) > 0 {
		// The row a migration put in is replaced by the snapshot's.
		set := make([]string, 0, len(b.cols))
		for _, c := range b.cols {
			if !slices.Contains(b.info.pk, c) {
				set = append(set, quote(c)+" = excluded."+quote(c))
			}
		}
		s.WriteString(` ON CONFLICT (` + quoteList(b.info.pk) + `) DO UPDATE SET ` + strings.Join(set, ", "))
	}
	return s.String()
}

// convertRow adapts values written by the other engine to the columns
// they go into: booleans to PostgreSQL's boolean from SQLite's 0/1 and
// back, bytes and text across BYTEA and TEXT.
func convertRow(vals []any, cols []column, d store.Dialect, table string) error {
	for i, v := range vals {
		c := cols[i]
		switch x := v.(type) {
		case bool:
			if d == store.SQLite || c.typ != "boolean" {
				vals[i] = boolInt(x)
			}
		case int64:
			if d == store.Postgres && c.typ == "boolean" {
				if x != 0 && x != 1 {
					return strongroom.FieldError("snapshot", "The snapshot's %s.%s holds %d where a boolean belongs.", table, c.name, x)
				}
				vals[i] = x == 1
			}
		case string:
			if d == store.Postgres && c.typ == "bytea" {
				vals[i] = []byte(x)
			}
		case []byte:
			if d == store.Postgres && c.typ != "bytea" {
				if !utf8.Valid(x) {
					return strongroom.FieldError("snapshot", "The snapshot's %s.%s holds bytes that are not text.", table, c.name)
				}
				vals[i] = string(x)
			}
		}
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
