package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"strongroom"
)

// Migration is one embedded schema change, applied once, in a transaction.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNNN_name.sql files from dir in fsys, in order.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations %s: %w", dir, err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// SchemaVersion returns the highest migration applied to db, or 0.
func SchemaVersion(ctx context.Context, db *DB) (int, error) {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("prepare schema_migrations on %s: %w", db.Name, err)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", db.Name, err)
	}
	return v, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// Migrate applies the migrations db has not seen (any it lacks, not only
// those past its highest), each in a transaction of
// its own together with its row in schema_migrations. A database that has
// seen a migration this binary does not know is refused: it was written by a
// newer Strongroom, and an older one must not guess at its schema.
func Migrate(ctx context.Context, db *DB, ms []Migration) error {
	current, err := SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	if current > latest {
		return strongroom.Errorf(strongroom.EUNAVAILABLE,
			"The database of %s is at schema version %d, newer than this strongroom binary knows (%d). Run a newer strongroom.",
			db.Name, current, latest)
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	// Every migration not yet recorded is applied, in order, also one
	// numbered below the highest applied: migrations written side by side
	// may land in another order than their numbers (0012 before 0010).
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// appliedVersions reads the versions schema_migrations records.
func appliedVersions(ctx context.Context, db *DB) (map[int]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations of %s: %w", db.Name, err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

func applyMigration(ctx context.Context, db *DB, m Migration) error {
	// A migration may rebuild a large table: it is bounded by the caller's
	// context only, not by the deadline of one request's work.
	ctx = WithTimeout(ctx, 0)
	return db.InTx(ctx, func(tx *Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0`); err != nil {
				return fmt.Errorf("lift timeouts for migrations on %s: %w", db.Name, err)
			}
			// Two nodes starting at once must not both apply a migration.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7274620)`); err != nil {
				return fmt.Errorf("lock migrations on %s: %w", db.Name, err)
			}
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
			return fmt.Errorf("check migration %s on %s: %w", m.Name, db.Name, err)
		}
		if done > 0 {
			return nil
		}
		// The body is sent as written: it may hold several statements and
		// must not have its '?' characters rebound.
		if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s on %s: %w", m.Name, db.Name, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, FormatTime(nowUTC()))
		return err
	})
}
