package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the engine the floor is measured on
)

// BenchmarkDeadline measures what the per-operation deadline and the
// classification of errors add to a query, beside its floor: the same
// query on the bare pool, under a cancellable context as a request's is.
func BenchmarkDeadline(b *testing.B) {
	pool, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "bench.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	db := NewDB("bench", SQLite, pool, pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n int
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			if err := pool.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("with-deadline", func(b *testing.B) {
		for b.Loop() {
			if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("transaction-floor", func(b *testing.B) {
		for b.Loop() {
			tx, err := pool.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := tx.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			tx.Commit()
		}
	})
	b.Run("transaction-with-deadline", func(b *testing.B) {
		for b.Loop() {
			err := db.InTx(ctx, func(tx *Tx) error { return tx.QueryRowContext(ctx, `SELECT 1`).Scan(&n) })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
