// Package postgres is the scale-out engine: the control plane in the database
// named by the operator's URL, and one PostgreSQL database per tenant on the
// same server, each reached through a small pool of its own.
package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"strongroom"
	"strongroom/store"
)

//go:embed migrations
var migrationFS embed.FS

// Engine places tenants as databases on the server of the control plane.
type Engine struct {
	config *pgx.ConnConfig
	prefix string // tenant database names start with it: "sr_" + control database
	// Timeout bounds each operation on the databases the engine opens
	// (store.DB.Timeout); the server is told the same as statement and
	// lock timeouts, so that it stops work nobody waits for any more.
	// 0 means store.DefaultTimeout.
	Timeout time.Duration
}

var _ store.Engine = (*Engine)(nil)

// New parses a postgres:// URL. Nothing is connected yet.
func New(dsn string) (*Engine, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, strongroom.FieldError("database", "The PostgreSQL URL cannot be parsed; expected postgres://user:password@host:port/database.")
	}
	if cfg.Database == "" {
		return nil, strongroom.FieldError("database", "The PostgreSQL URL must name a database for the control plane.")
	}
	name := nonIdent.ReplaceAllString(strings.ToLower(cfg.Database), "_")
	if len(name) > 16 {
		name = name[:16]
	}
	return &Engine{config: cfg, prefix: "sr_" + name + "_"}, nil
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]`)

func (e *Engine) Dialect() store.Dialect { return store.Postgres }
func (e *Engine) Close() error           { return nil }

// Where returns host:port of the server, for messages (never the password).
func (e *Engine) Where() string {
	return net.JoinHostPort(e.config.Host, fmt.Sprint(e.config.Port))
}

// TenantDatabase returns the database name for a tenant slug. Slugs are
// validated to [a-z0-9-], so the name is a plain identifier.
func (e *Engine) Placement(slug string) string {
	return e.prefix + strings.ReplaceAll(slug, "-", "_")
}

func (e *Engine) connConfig(database string) *pgx.ConnConfig {
	cfg := e.config.Copy()
	cfg.Database = database
	timeout := cmp.Or(e.Timeout, store.DefaultTimeout)
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > timeout {
		cfg.ConnectTimeout = timeout
	}
	ms := strconv.FormatInt(timeout.Milliseconds(), 10)
	for name, value := range map[string]string{"statement_timeout": ms, "lock_timeout": ms,
		// A transaction whose client vanished must not hold its locks
		// until TCP notices.
		"idle_in_transaction_session_timeout": strconv.FormatInt(2*timeout.Milliseconds(), 10)} {
		if _, set := cfg.RuntimeParams[name]; !set {
			cfg.RuntimeParams[name] = value
		}
	}
	return cfg
}

// open returns a small pool for database. database/sql connects lazily and
// drops connections idle for a minute, so an idle tenant holds none.
func (e *Engine) open(ctx context.Context, database, name string) (*store.DB, error) {
	pool := stdlib.OpenDB(*e.connConfig(database))
	pool.SetMaxOpenConns(4)
	pool.SetMaxIdleConns(2)
	pool.SetConnMaxIdleTime(time.Minute)
	db := store.NewDB(name, store.Postgres, pool, pool)
	db.Timeout, db.Faults, db.Copy = cmp.Or(e.Timeout, store.DefaultTimeout), faultOf, copyFrom
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, e.connectError(err, database)
	}
	return db, nil
}

// copyFrom is COPY … FROM STDIN (binary) on the pgx connection beneath a
// database/sql one, within whatever transaction that connection is in.
func copyFrom(ctx context.Context, driverConn any, table string, columns []string, rows store.CopySource) (int64, error) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return 0, fmt.Errorf("copy into %s: the connection is a %T, not pgx's", table, driverConn)
	}
	return c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
}

// connectError says what went wrong reaching the server, naming the host and
// database, never the password.
func (e *Engine) connectError(err error, database string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "3D000" {
			return strongroom.Errorf(strongroom.ENOTFOUND, "PostgreSQL at %s has no database %q.", e.Where(), database)
		}
		return strongroom.Errorf(strongroom.EUNAVAILABLE, "PostgreSQL at %s refused database %q: %s (SQLSTATE %s).",
			e.Where(), database, pgErr.Message, pgErr.Code)
	}
	msg := "the server did not answer"
	var netErr *net.OpError
	if errors.As(err, &netErr) && netErr.Err != nil {
		msg = netErr.Err.Error()
	} else if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out"
	}
	if e.config.Password != "" {
		msg = strings.ReplaceAll(msg, e.config.Password, "***")
	}
	return strongroom.Errorf(strongroom.EUNAVAILABLE, "Cannot reach PostgreSQL at %s: %s.", e.Where(), msg)
}

// OpenControl opens the control-plane database, creating it on the server
// when it does not exist yet.
func (e *Engine) OpenControl(ctx context.Context) (*store.DB, error) {
	db, err := e.open(ctx, e.config.Database, "control plane")
	if strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
		if err := e.createDatabase(ctx, e.config.Database); err != nil && strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			return nil, err
		}
		db, err = e.open(ctx, e.config.Database, "control plane")
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "migrations/control"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// admin runs fn on a connection to the maintenance database "postgres":
// CREATE and DROP DATABASE cannot run inside the database they name.
func (e *Engine) admin(ctx context.Context, fn func(*sql.DB) error) error {
	cfg := e.connConfig("postgres")
	// CREATE and DROP DATABASE take as long as they take: they are the
	// operator's, run from commands and tenant creation, not a request's.
	cfg.RuntimeParams["statement_timeout"], cfg.RuntimeParams["lock_timeout"] = "0", "0"
	pool := stdlib.OpenDB(*cfg)
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	if err := pool.PingContext(ctx); err != nil {
		return e.connectError(err, "postgres")
	}
	return fn(pool)
}

func (e *Engine) createDatabase(ctx context.Context, database string) error {
	return e.admin(ctx, func(pool *sql.DB) error {
		_, err := pool.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize())
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
			return strongroom.Errorf(strongroom.ECONFLICT, "PostgreSQL at %s already has a database %q.", e.Where(), database)
		} else if err != nil {
			return fmt.Errorf("create database %q at %s: %w", database, e.Where(), err)
		}
		return nil
	})
}

func (e *Engine) CreateTenantDB(ctx context.Context, slug string) (string, error) {
	database := e.Placement(slug)
	if err := e.createDatabase(ctx, database); err != nil {
		return "", err
	}
	db, err := e.open(ctx, database, "tenant "+slug)
	if err == nil {
		err = migrate(ctx, db, "migrations/tenant")
		if err == nil {
			err = store.InitTenantInfo(ctx, db, slug)
		}
		db.Close()
	}
	if err != nil {
		_ = e.DropTenantDB(context.WithoutCancel(ctx), database)
		return "", err
	}
	return database, nil
}

func (e *Engine) OpenTenantDB(ctx context.Context, slug, placement string) (*store.DB, error) {
	db, err := e.open(ctx, placement, "tenant "+slug)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "migrations/tenant"); err != nil {
		db.Close()
		return nil, err
	}
	if err := store.CheckTenantInfo(ctx, db, slug); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (e *Engine) DropTenantDB(ctx context.Context, placement string) error {
	if placement == "" || !strings.HasPrefix(placement, e.prefix) {
		return nil // never drop a database this installation did not name
	}
	return e.admin(ctx, func(pool *sql.DB) error {
		_, err := pool.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{placement}.Sanitize()+" WITH (FORCE)")
		if err != nil {
			return fmt.Errorf("drop database %q at %s: %w", placement, e.Where(), err)
		}
		return nil
	})
}

func migrate(ctx context.Context, db *store.DB, dir string) error {
	ms, err := store.LoadMigrations(migrationFS, dir)
	if err != nil {
		return err
	}
	return store.Migrate(ctx, db, ms)
}
