// Package snapshot writes one tenant's database as a stream in a single
// portable, versioned format that both engines write and both engines load:
// a SQLite tenant can be restored onto PostgreSQL and back. Backups put
// compression and encryption around the stream; this package does neither.
//
// Export discovers the tables from the database's own catalogue and copies
// every one but those ExcludedReason names (the key store, derived search data,
// sessions, the owner's slug, the migrations' record), so a table a later
// migration adds is backed up without anyone remembering to list it.
//
// Import loads a stream into a freshly created and migrated tenant database
// (store.Engine.CreateTenantDB, opened before anything else writes to it:
// not through tenancy, whose audit log would make a signing key of its own).
// The database keeps the tenant_info that CreateTenantDB wrote, so the
// caller restores under whatever slug it created the database for. After
// Import, the caller rebuilds the search index (cases.RebuildIndex) and,
// separately, re-extracts document text.
//
// What a snapshot holds is sealed with the tenant's data key where it was
// sealed in the database (TOTP secrets, the audit signing key, document
// file keys): a restore needs the tenant's wrapped data key as well. The
// audit log's checkpoints and signing key name the tenant's slug; they
// verify only under the slug they were made for.
package snapshot

import (
	"context"
	"fmt"
	"io"
	"slices"

	"strongroom"
	"strongroom/store"
)

// Format is the stream format version.
const Format = 1

// Table is one table of a snapshot and the number of rows it holds.
type Table struct {
	Name string
	Rows int64
}

// Summary says what a snapshot holds.
type Summary struct {
	Format        int
	SchemaVersion int
	Engine        string // "sqlite" | "postgres": the engine that wrote it
	Tables        []Table
	// Slug is the tenant the snapshot was taken of (for the operator's
	// information; Import does not use it).
	Slug string
	// Bytes is the length of the stream.
	Bytes int64
}

// Rows is the number of rows of every table together.
func (s Summary) Rows() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rows
	}
	return n
}

// KeyStoreTables are the per-subject key tables; Export leaves them out.
// ExportKeys/ImportKeys write/load only them (the key store is backed up
// separately, with a short retention).
var KeyStoreTables = []string{"audit_subject_keys"}

const (
	kindData = "data"
	kindKeys = "keys"
)

// Export writes every backed-up table of the tenant database db to w,
// consistently. SQLite: VACUUM INTO a temporary file in tmpDir (fsync'd,
// removed afterwards), read from it; PostgreSQL: all tables read inside one
// REPEATABLE READ READ ONLY transaction. It is bounded by ctx only, not by
// the handle's per-operation deadline.
func Export(ctx context.Context, db *store.DB, tmpDir string, w io.Writer) (Summary, error) {
	return export(ctx, db, tmpDir, w, kindData)
}

// ExportKeys writes the key store tables (KeyStoreTables) of db to w, read
// in one transaction like Export's. The key store is small: it is read
// from the live database on SQLite too, inside one read transaction.
func ExportKeys(ctx context.Context, db *store.DB, w io.Writer) (Summary, error) {
	return export(ctx, db, "", w, kindKeys)
}

// Import loads a stream written by Export (by either engine) into db, a
// freshly created and migrated, empty tenant database, in one transaction.
// It checks the format and schema version first: a newer schema or format
// is refused with an EINVALID error before anything is written. A table
// or column the database does not have is refused too, and so is a
// database that already holds rows; nothing is kept of a failed import.
func Import(ctx context.Context, db *store.DB, r io.Reader) (Summary, error) {
	return importStream(ctx, db, r, kindData)
}

// ImportKeys loads a stream written by ExportKeys into db, whose key store
// tables must be empty, in one transaction.
func ImportKeys(ctx context.Context, db *store.DB, r io.Reader) (Summary, error) {
	return importStream(ctx, db, r, kindKeys)
}

// included reports whether a table belongs in a stream of kind.
func included(kind string) func(string) bool {
	if kind == kindKeys {
		return func(t string) bool { return slices.Contains(KeyStoreTables, t) }
	}
	return func(t string) bool { return ExcludedReason(t) == "" }
}

// ExportedTables returns the tables Export writes from db, in the order it
// writes them (each after the tables it refers to).
func ExportedTables(ctx context.Context, db *store.DB) ([]string, error) {
	tables, err := loadSchema(ctx, db, db.Dialect)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	order, err := loadOrder(tables, included(kindData))
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	names := make([]string, len(order))
	for i, t := range order {
		names[i] = t.name
	}
	return names, nil
}

// AllTables returns every table of db's schema, exported or not.
func AllTables(ctx context.Context, db *store.DB) ([]string, error) {
	tables, err := loadSchema(ctx, db, db.Dialect)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", db.Name, err)
	}
	var names []string
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func engineName(d store.Dialect) (string, error) {
	switch d {
	case store.SQLite, store.Postgres:
		return string(d), nil
	}
	return "", strongroom.Errorf(strongroom.EINTERNAL, "snapshot: unknown engine %q", d)
}
