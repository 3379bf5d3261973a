// Package storetest holds the contract suite that every storage engine must
// pass, and helpers that give tests a real engine: SQLite always, and
// PostgreSQL when STRONGROOM_TEST_POSTGRES holds a DSN for a role that may
// create databases.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for cleanup

	"strongroom/store"
	"strongroom/store/postgres"
	"strongroom/store/sqlite"
)

// PostgresEnv names the variable that holds the PostgreSQL test DSN.
const PostgresEnv = "STRONGROOM_TEST_POSTGRES"

// ForEachEngine runs fn as a subtest per available engine, each with an
// engine of its own: a fresh data directory, or a fresh control database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, e store.Engine)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, NewSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(PostgresEnv) == "" {
			t.Skip(PostgresEnv + " is not set")
		}
		fn(t, NewPostgres(t))
	})
}

// NewSQLite returns a SQLite engine over a temporary data directory.
func NewSQLite(t testing.TB) *sqlite.Engine {
	t.Helper()
	e, err := sqlite.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// PostgresDSN returns a DSN naming a control database that no other test
// uses; the database and every tenant database made under it are dropped
// when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	var b [4]byte // "srtest_" + 8 hex characters stays under the 16 the engine keeps
	rand.Read(b[:])
	name := "srtest_" + hex.EncodeToString(b[:])
	u.Path = "/" + name
	t.Cleanup(func() { dropTestDatabases(t, base, name) })
	return u.String()
}

// NewPostgres returns a PostgreSQL engine over a fresh control database.
func NewPostgres(t testing.TB) *postgres.Engine {
	t.Helper()
	e, err := postgres.New(PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func dropTestDatabases(t testing.TB, base, control string) {
	u, _ := url.Parse(base)
	u.Path = "/postgres"
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
		control, "sr_"+control+"\\_%")
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("cleanup %s: %v", n, err)
		}
	}
}
