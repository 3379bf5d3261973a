package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/tenancy"
)

// floor runs again, on a plain connection to the tenant's file, the read
// queries a service call issued: what the same SQL costs with nothing of
// the service around it (no authorization, no audit write, no Go
// structures) and none of its tuning (the driver's default pragmas, each
// statement parsed afresh). It is the floor a service call is compared
// with.
//
// The same queries can also be run on the service's own pool (the tenant
// handle's DB, with its pragmas and prepared statements): what the SQL
// costs as the service runs it, without the rest of the service.
type floor struct {
	query  func(ctx context.Context, query string, args ...any) (floorRows, error)
	closer func() error
}

// floorRows are the rows of a plain connection (*sql.Rows) or of the
// service's pool (*store.Rows).
type floorRows interface {
	Columns() ([]string, error)
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// poolFloor runs the queries on the service's own pool.
func poolFloor(db *store.DB) *floor {
	return &floor{query: func(ctx context.Context, q string, args ...any) (floorRows, error) {
		return db.QueryContext(ctx, q, args...)
	}}
}

// openFloor opens the floor connection on a SQLite tenant's file; nil on
// PostgreSQL, where there is no file to run the SQL on directly.
func openFloor(engine store.Engine, h *tenancy.Handle) (*floor, error) {
	e, ok := engine.(*sqlite.Engine)
	if !ok {
		return nil, nil
	}
	path := e.TenantPath(h.Tenant.Placement)
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	query := func(ctx context.Context, q string, args ...any) (floorRows, error) {
		return db.QueryContext(ctx, q, args...)
	}
	return &floor{query: query, closer: db.Close}, nil
}

func (f *floor) Close() error {
	if f == nil || f.closer == nil {
		return nil
	}
	return f.closer()
}

// run runs qs one after the other, reading every row of each, and returns
// how long that took.
func (f *floor) run(ctx context.Context, qs []store.Query) (time.Duration, error) {
	start := time.Now()
	for _, q := range qs {
		if err := f.read(ctx, q); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (f *floor) read(ctx context.Context, q store.Query) error {
	rows, err := f.query(ctx, q.SQL, q.Args...)
	if err != nil {
		return fmt.Errorf("floor query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("floor query: %w", err)
		}
	}
	return rows.Err()
}
