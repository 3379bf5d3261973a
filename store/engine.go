package store

import (
	"context"
	"time"
)

// Engine is what differs between SQLite and PostgreSQL: where databases live
// and how they are opened, created and dropped. Everything above it (the
// control store, tenant stores) is shared SQL.
type Engine interface {
	// Dialect names the engine.
	Dialect() Dialect
	// OpenControl opens the control-plane database, creating it when absent,
	// and brings its schema up to date.
	OpenControl(ctx context.Context) (*DB, error)
	// Placement returns where the tenant with slug would live; it is
	// recorded before the database is made, so a sweep after a crash
	// knows what to remove.
	Placement(slug string) string
	// CreateTenantDB creates a new, empty database for the tenant with
	// the given slug, applies the tenant migrations, and returns where it
	// lives. It fails with ECONFLICT when that database already exists.
	CreateTenantDB(ctx context.Context, slug string) (placement string, err error)
	// OpenTenantDB opens an existing tenant database. It never creates
	// one: a missing or damaged database is an error, so a lost file is
	// noticed rather than replaced by an empty one.
	OpenTenantDB(ctx context.Context, slug, placement string) (*DB, error)
	// DropTenantDB removes a tenant database; an absent one is not an error.
	DropTenantDB(ctx context.Context, placement string) error
	// Close releases what the engine holds (not the DBs it returned).
	Close() error
}

// nowUTC is the clock for bookkeeping columns (migration times); records that
// tests reason about take their time from the caller.
var nowUTC = func() time.Time { return time.Now().UTC() }
