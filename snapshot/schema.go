package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom/store"
)

// excluded names the tables Export leaves out, each with the reason. Every
// other table the schema holds is exported: a table a later migration adds
// is backed up unless someone decides here that it must not be.
var excluded = map[string]string{
	"schema_migrations":  "the migrations that made the database record its own schema; the snapshot's header carries the version",
	"tenant_info":        "the owner's slug: the database restored into records its own (store.InitTenantInfo), so a tenant can be restored under another slug",
	"audit_subject_keys": "the per-subject key store, backed up on its own (ExportKeys) with a short retention, so that an erased subject's key does not outlive it in old backups",
	"search_index":       "derived from the records: rebuilt after import (cases.RebuildIndex); on PostgreSQL its tsvector is a generated column",
	"sessions":           "short-lived sign-ins: a restored tenant signs everyone in again",
	"passkey_challenges": "passkey ceremonies begun and not finished, each good for five minutes: a restored tenant begins them again",
	"sso_states":         "single sign-ons under way, ten minutes at most: a restored tenant starts them again",
}

// Kiosk links (kiosk_links, kiosk_link_dashboards, kiosk_link_classes) are
// exported, token hashes included: they are the tenant's data, a SHA-256 of
// a 256-bit token lets nobody view a screen, and a restored tenant's screens
// keep working without anyone visiting each wall again. A link revoked
// after the backup was taken comes back live with a restore of it: revoke
// it again (or regenerate) after restoring an older backup.

// excludedPrefixes are tables excluded by the start of their name: the
// FTS5 table over search_index and its shadow tables.
var excludedPrefixes = []string{"search_fts"}

// ExcludedReason says why Export leaves table out, or "" when it does not.
func ExcludedReason(table string) string {
	if r, ok := excluded[table]; ok {
		return r
	}
	for _, p := range excludedPrefixes {
		if strings.HasPrefix(table, p) {
			return "the full-text index over search_index, rebuilt with it"
		}
	}
	if slices.Contains(KeyStoreTables, table) {
		return excluded["audit_subject_keys"]
	}
	return ""
}

// migrationRows are tables whose migrations insert a row, so that a fresh
// database already holds one: import replaces it (by primary key) instead
// of refusing the database as not empty.
var migrationRows = []string{"audit_head", "ip_allowlist_state", "sso_policy"}

type column struct {
	name     string
	typ      string // as the engine names it, lower case ("integer", "bytea" …)
	identity bool   // PostgreSQL identity column: its sequence is reset after import
	// required: NOT NULL with no default, so every row must give it.
	required bool
}

type tableInfo struct {
	name string
	cols []column // by name
	pk   []string
	refs []string // tables its foreign keys point to
}

func (t *tableInfo) column(name string) (column, bool) {
	i, ok := slices.BinarySearchFunc(t.cols, name, func(c column, n string) int { return strings.Compare(c.name, n) })
	if !ok {
		return column{}, false
	}
	return t.cols[i], true
}

func (t *tableInfo) colNames() []string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return names
}

// querier is a database handle or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
}

// loadSchema reads every table of the database from its catalogue.
func loadSchema(ctx context.Context, q querier, d store.Dialect) (map[string]*tableInfo, error) {
	var tables map[string]*tableInfo
	var err error
	if d == store.Postgres {
		tables, err = postgresSchema(ctx, q)
	} else {
		tables, err = sqliteSchema(ctx, q)
	}
	if err != nil {
		return nil, fmt.Errorf("read the schema: %w", err)
	}
	for _, t := range tables {
		slices.SortFunc(t.cols, func(a, b column) int { return strings.Compare(a.name, b.name) })
	}
	return tables, nil
}

func sqliteSchema(ctx context.Context, q querier) (map[string]*tableInfo, error) {
	names, err := strings1(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, err
	}
	tables := map[string]*tableInfo{}
	for _, n := range names {
		t := &tableInfo{name: n}
		rows, err := q.QueryContext(ctx, `SELECT name, lower(type), pk, "notnull" = 1 AND dflt_value IS NULL
			FROM pragma_table_info(?) ORDER BY pk`, n)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c column
			var pk int
			if err := rows.Scan(&c.name, &c.typ, &pk, &c.required); err != nil {
				rows.Close()
				return nil, err
			}
			t.cols = append(t.cols, c)
			if pk > 0 {
				t.pk = append(t.pk, c.name)
			}
		}
		if err := closeRows(rows); err != nil {
			return nil, err
		}
		if len(t.pk) == 1 {
			// An INTEGER PRIMARY KEY is the rowid: SQLite assigns it.
			for i := range t.cols {
				if t.cols[i].name == t.pk[0] && t.cols[i].typ == "integer" {
					t.cols[i].required = false
				}
			}
		}
		if t.refs, err = strings1(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n); err != nil {
			return nil, err
		}
		tables[n] = t
	}
	return tables, nil
}

func postgresSchema(ctx context.Context, q querier) (map[string]*tableInfo, error) {
	names, err := strings1(ctx, q, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	tables := map[string]*tableInfo{}
	for _, n := range names {
		tables[n] = &tableInfo{name: n}
	}
	// Generated columns (search_index.tsv) are computed, never loaded.
	rows, err := q.QueryContext(ctx, `SELECT table_name, column_name, data_type, is_identity = 'YES',
		is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
		FROM information_schema.columns WHERE table_schema = current_schema() AND is_generated = 'NEVER'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tn string
		var c column
		if err := rows.Scan(&tn, &c.name, &c.typ, &c.identity, &c.required); err != nil {
			rows.Close()
			return nil, err
		}
		if t := tables[tn]; t != nil {
			c.typ = strings.ToLower(c.typ)
			t.cols = append(t.cols, c)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if err := postgresKeys(ctx, q, tables); err != nil {
		return nil, err
	}
	return tables, nil
}

// postgresKeys reads primary keys and the tables foreign keys point to.
func postgresKeys(ctx context.Context, q querier, tables map[string]*tableInfo) error {
	rows, err := q.QueryContext(ctx, `SELECT cl.relname, c.contype, COALESCE(rf.relname, ''), a.attname
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		LEFT JOIN pg_class rf ON rf.oid = c.confrelid
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f')
		ORDER BY cl.relname, array_position(c.conkey, a.attnum)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var tn, kind, ref, col string
		if err := rows.Scan(&tn, &kind, &ref, &col); err != nil {
			rows.Close()
			return err
		}
		t := tables[tn]
		switch {
		case t == nil:
		case kind == "p":
			t.pk = append(t.pk, col)
		case !slices.Contains(t.refs, ref):
			t.refs = append(t.refs, ref)
		}
	}
	return closeRows(rows)
}

func strings1(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	return out, closeRows(rows)
}

func closeRows(rows *store.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadOrder returns the tables to copy, among those keep admits, so that
// every table comes after the tables its foreign keys point to (a
// reference to itself aside); ties go by name, so both engines agree.
func loadOrder(tables map[string]*tableInfo, keep func(string) bool) ([]*tableInfo, error) {
	var names []string
	for n := range tables {
		if keep(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	placed := map[string]bool{}
	var order []*tableInfo
	for len(order) < len(names) {
		progress := false
		for _, n := range names {
			if placed[n] || !refsPlaced(tables[n], placed, keep) {
				continue
			}
			placed[n] = true
			order = append(order, tables[n])
			progress = true
		}
		if !progress {
			return nil, fmt.Errorf("the foreign keys between the tables form a cycle; no load order exists")
		}
	}
	return order, nil
}

func refsPlaced(t *tableInfo, placed map[string]bool, keep func(string) bool) bool {
	for _, r := range t.refs {
		if r != t.name && keep(r) && !placed[r] {
			return false
		}
	}
	return true
}
