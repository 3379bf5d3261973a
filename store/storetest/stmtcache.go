package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"strongroom/store"
)

// testStatementCache checks that a read query run again reuses its
// prepared statement (SQLite; pgx keeps PostgreSQL's per connection, so
// the store keeps none there), that long IN lists are not kept, that
// eviction spares a statement whose rows are still being read, and that
// IDList matches what a plain IN list matches.
func testStatementCache(t *testing.T, e store.Engine) {
	ctx := context.Background()
	p, err := e.CreateTenantDB(ctx, "tenant-stmts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.DropTenantDB(ctx, p) })
	db, err := e.OpenTenantDB(ctx, "tenant-stmts", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const q = `SELECT COUNT(*) FROM tenant_info WHERE name <> ?`
	before := db.StatementStats()
	for i := range 20 {
		var n int
		if err := db.QueryRowContext(ctx, q, fmt.Sprint("x", i)).Scan(&n); err != nil || n == 0 {
			t.Fatalf("query %d: n=%d err=%v", i, n, err)
		}
	}
	got := db.StatementStats()
	if db.Dialect == store.Postgres {
		if got != (store.StatementStats{}) {
			t.Fatalf("PostgreSQL statements kept by the store too: %+v", got)
		}
		return
	}
	if got.Prepared-before.Prepared != 1 || got.Reused-before.Reused != 19 {
		t.Fatalf("one query run 20 times: %+v (before %+v), want 1 prepared and 19 reused", got, before)
	}

	// An IN list too long to keep runs unprepared, with the same answer.
	ids := make([]int64, 400)
	for i := range ids {
		ids[i] = int64(i)
	}
	in, args := store.IDList(ids)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_info WHERE rowid IN (`+in+`)`, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	var plain int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_info WHERE rowid < 400`).Scan(&plain); err != nil || n != plain {
		t.Fatalf("IDList of 400 ids counted %d rows, want %d (%v)", n, plain, err)
	}
	if s := db.StatementStats(); s.Prepared != got.Prepared+1 {
		t.Fatalf("a statement of %d arguments was kept: %+v", len(args), s)
	}

	// Rows still being read survive their statement's eviction.
	rows, err := db.QueryContext(ctx, `SELECT name FROM tenant_info ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				var v int
				if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + ? + 0*%d`, i, g), 1).Scan(&v); err != nil || v != i+1 {
					t.Errorf("distinct query %d/%d: %d, %v", g, i, v, err)
				}
			}
		}()
	}
	wg.Wait()
	if s := db.StatementStats(); s.Cached > 64 {
		t.Fatalf("%d statements kept, want at most 64", s.Cached)
	}
	names := 0
	for rows.Next() {
		names++
	}
	if err := rows.Close(); err != nil || rows.Err() != nil || names == 0 {
		t.Fatalf("rows of an evicted statement: %d read, %v %v", names, err, rows.Err())
	}
}
