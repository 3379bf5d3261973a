package audit

import (
	"context"
	"os"
	"strconv"
	"testing"

	"strongroom/store"
	"strongroom/store/storetest"
)

// benchEventsEnv sets how many events BenchmarkVerify verifies (default
// 20,000 so that `go test -bench .` stays quick). The target is 1,000,000
// verified in under 10 s: STRONGROOM_AUDIT_BENCH_EVENTS=1000000.
const benchEventsEnv = "STRONGROOM_AUDIT_BENCH_EVENTS"

// benchBatch is the events per transaction in the batched benchmark.
const benchBatch = 1000

// benchEngines runs fn per engine, PostgreSQL only when configured.
func benchEngines(b *testing.B, fn func(b *testing.B, e store.Engine)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.NewSQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(storetest.PostgresEnv) == "" {
			b.Skip(storetest.PostgresEnv + " is not set")
		}
		fn(b, storetest.NewPostgres(b))
	})
}

// BenchmarkAppend measures appends per second, each event in a transaction
// of its own (a commit, and on SQLite an fsync, per event) and batched
// (benchBatch events per transaction). Target: ≥20,000 events/s batched on
// SQLite.
func BenchmarkAppend(b *testing.B) {
	benchEngines(b, func(b *testing.B, e store.Engine) {
		n := 0
		b.Run("own-transaction", func(b *testing.B) {
			n++
			f := newFixture(b, e, "bench-single-"+strconv.Itoa(n))
			ctx := context.Background()
			ev := sampleEvent(1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.Append(ctx, tx, ev); return err })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("batched", func(b *testing.B) {
			n++
			f := newFixture(b, e, "bench-batch-"+strconv.Itoa(n))
			ctx := context.Background()
			batch := make([]Event, benchBatch)
			for i := range batch {
				batch[i] = sampleEvent(i)
			}
			b.ResetTimer()
			for done := 0; done < b.N; done += benchBatch {
				es := batch[:min(benchBatch, b.N-done)]
				err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.AppendBatch(ctx, tx, es); return err })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	})
}

// BenchmarkVerify measures a full Verify over N events (see benchEventsEnv)
// with a checkpoint every 10,000 events. Target: 1M events in under 10 s.
func BenchmarkVerify(b *testing.B) {
	n := 20000
	if s := os.Getenv(benchEventsEnv); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", benchEventsEnv, s)
		}
	}
	benchEngines(b, func(b *testing.B, e store.Engine) {
		f := newFixture(b, e, "bench-verify")
		for done := 0; done < n; done += benchBatch {
			f.appendBatch(b, min(benchBatch, n-done))
			if (done+benchBatch)%10000 == 0 {
				f.checkpoint(b)
			}
		}
		f.checkpoint(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rep := f.mustVerify(b)
			if rep.Events != int64(n) {
				b.Fatalf("verified %d events, want %d", rep.Events, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
