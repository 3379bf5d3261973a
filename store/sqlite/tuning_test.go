package sqlite

import (
	"context"
	"testing"

	"strongroom/store"
)

// The page cache and memory map of a tuned engine are set on every
// connection of a tenant database: each of the read pool's, held at once
// so that none is reused, and the writer's. The control plane keeps
// SQLite's defaults.
func TestTenantTuning(t *testing.T) {
	ctx := context.Background()
	e, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.Tune(Tuning{CacheSize: 8 << 20, MmapSize: 64 << 20})
	p, err := e.CreateTenantDB(ctx, "tuned")
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, "tuned", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// cache_size in KiB (negative), mmap_size in bytes.
	pragmas := []struct {
		name string
		want int64
	}{{"cache_size", -8192}, {"mmap_size", 64 << 20}}
	for _, pr := range pragmas {
		// All the read pool's connections at once, each holding a row.
		var held []*store.Rows
		for i := range readConns {
			rows, err := db.QueryContext(ctx, `PRAGMA `+pr.name)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, rows)
			var got int64
			if !rows.Next() {
				t.Fatalf("reader %d: no %s: %v", i, pr.name, rows.Err())
			}
			if err := rows.Scan(&got); err != nil || got != pr.want {
				t.Fatalf("reader %d: %s = %d (%v), want %d", i, pr.name, got, err, pr.want)
			}
		}
		for _, rows := range held {
			rows.Close()
		}
		var got int64
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRowContext(ctx, `PRAGMA `+pr.name).Scan(&got) })
		if err != nil || got != pr.want {
			t.Fatalf("writer: %s = %d (%v), want %d", pr.name, got, err, pr.want)
		}
	}
	control, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()
	var mmap int64
	if err := control.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&mmap); err != nil || mmap != 0 {
		t.Fatalf("control plane: mmap_size = %d (%v), want SQLite's default 0", mmap, err)
	}
}
