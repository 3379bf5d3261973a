package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
)

// benchRecords is the size of the generated tenant: about this many
// records (a tenth of them cases), STRONGROOM_SNAPSHOT_BENCH_RECORDS to
// change it (100000 for the figures in docs/architecture.md).
func benchRecords(b *testing.B) int {
	if s := os.Getenv("STRONGROOM_SNAPSHOT_BENCH_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			b.Fatalf("STRONGROOM_SNAPSHOT_BENCH_RECORDS=%q: want a number of at least 10", s)
		}
		return n
	}
	return 20000
}

// BenchmarkExportImport measures both directions over a generated tenant,
// on SQLite, and on PostgreSQL when STRONGROOM_TEST_POSTGRES is set:
// rows/s and (through SetBytes) MB/s of stream.
//
//	go test ./snapshot -run '^$' -bench ExportImport -benchtime 3x
func BenchmarkExportImport(b *testing.B) {
	engines := []func(testing.TB) store.Engine{
		func(tb testing.TB) store.Engine { return storetest.NewSQLite(tb) },
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		engines = append(engines, func(tb testing.TB) store.Engine { return storetest.NewPostgres(tb) })
	}
	n := benchRecords(b)
	for _, mk := range engines {
		e := mk(b)
		b.Run(fmt.Sprintf("%s/records=%d", e.Dialect(), n), func(b *testing.B) {
			// Generating a large tenant takes longer than a request may.
			ctx := store.WithTimeout(context.Background(), 0)
			h, ids := seedtest.Tenant(b, e)
			if _, _, err := seed.Bench(ctx, h, ids, seed.BenchOptions{Records: n, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
				b.Fatal(err)
			}
			var stream bytes.Buffer
			sum, err := Export(ctx, h.DB, b.TempDir(), &stream)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("export", func(b *testing.B) {
				b.SetBytes(sum.Bytes)
				for b.Loop() {
					var buf bytes.Buffer
					buf.Grow(int(sum.Bytes))
					if _, err := Export(ctx, h.DB, b.TempDir(), &buf); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(sum.Rows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
			restores := 0
			importBench := func(b *testing.B) {
				b.SetBytes(sum.Bytes)
				cpu := 0.0
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					restores++
					db := target(b, e, "restore-"+strconv.Itoa(restores))
					b.StartTimer()
					cpu -= storetest.CPUSeconds(b, db)
					if _, err := Import(ctx, db, bytes.NewReader(stream.Bytes())); err != nil {
						b.Fatal(err)
					}
					cpu += storetest.CPUSeconds(b, db)
					b.StopTimer()
					db.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(sum.Rows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
			}
			b.Run("import", importBench)
			if e.Dialect() == store.Postgres {
				// The same load with INSERTs, as before COPY.
				b.Run("import-insert", func(b *testing.B) {
					copier = func(*store.Tx) store.Copier { return nil }
					defer func() { copier = (*store.Tx).Copier }()
					importBench(b)
				})
			}
		})
	}
}
