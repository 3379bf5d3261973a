package cases_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
)

// reindexBenchRecords is the size of the generated tenant: about this
// many records, STRONGROOM_REINDEX_BENCH_RECORDS to change it (1000000
// for the figures in docs/benchmarks.md).
func reindexBenchRecords(b *testing.B) int {
	if s := os.Getenv("STRONGROOM_REINDEX_BENCH_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			b.Fatalf("STRONGROOM_REINDEX_BENCH_RECORDS=%q: want a number of at least 10", s)
		}
		return n
	}
	return 5000
}

// reindexVariants are the ways of building the SQLite full-text index
// the benchmark compares; "before" is entries through the triggers of
// search_index, 6,000 a statement, "after" what RebuildIndex does.
var reindexVariants = map[string]cases.FTSBuild{
	"before":                  {Automerge: -1},
	"pg-copy":                 {PGCopy: true},
	"pg-drop":                 {PGDrop: true},
	"pg-copy-drop":            {PGCopy: true, PGDrop: true},
	"pg-copy-drop-trunc":      {PGCopy: true, PGDrop: true, PGTruncate: true},
	"triggers-page1000":       {Automerge: -1, Page: 1000},
	"triggers-page6500":       {Automerge: -1, Page: 6500},
	"triggers-nomerge":        {Automerge: 0, Crisis: 64, Optimize: true},
	"triggers-hash64m":        {Automerge: -1, Hashsize: 64 << 20},
	"triggers-cache256m":      {Automerge: -1, CacheKiB: 256 << 10},
	"bypass":                  {Bypass: true, Automerge: -1},
	"bypass-nomerge":          {Bypass: true, Automerge: 0, Crisis: 64, Optimize: true},
	"bypass-hash64m":          {Bypass: true, Automerge: -1, Hashsize: 64 << 20},
	"bypass-cache256m":        {Bypass: true, Automerge: -1, CacheKiB: 256 << 10},
	"bypass-optimize":         {Bypass: true, Automerge: -1, Optimize: true},
	"bypass-hash64m-nomerge":  {Bypass: true, Automerge: 0, Crisis: 64, Hashsize: 64 << 20, Optimize: true},
	"bypass-hash256m":         {Bypass: true, Automerge: -1, Hashsize: 256 << 20},
	"bypass-hash64m-optimize": {Bypass: true, Automerge: -1, Hashsize: 64 << 20, Optimize: true},
}

// BenchmarkRebuildIndex times RebuildIndex over a generated tenant whose
// search index was emptied first, as a restore leaves it: on SQLite each
// variant of STRONGROOM_REINDEX_BENCH_VARIANTS (default "before,after"),
// on PostgreSQL (when STRONGROOM_TEST_POSTGRES is set) RebuildIndex.
//
//	STRONGROOM_REINDEX_BENCH_RECORDS=1000000 go test ./cases -run '^$' -bench RebuildIndex -benchtime 1x -timeout 2h
func BenchmarkRebuildIndex(b *testing.B) {
	engines := []func(testing.TB) store.Engine{
		func(tb testing.TB) store.Engine { return storetest.NewSQLite(tb) },
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		engines = append(engines, func(tb testing.TB) store.Engine { return storetest.NewPostgres(tb) })
	}
	names := strings.Split(cmpOr(os.Getenv("STRONGROOM_REINDEX_BENCH_VARIANTS"), "before,after"), ",")
	n := reindexBenchRecords(b)
	for _, mk := range engines {
		e := mk(b)
		b.Run(fmt.Sprintf("%s/records=%d", e.Dialect(), n), func(b *testing.B) {
			ctx := store.WithTimeout(context.Background(), 0)
			h, ids := seedtest.Tenant(b, e)
			start := time.Now()
			_, entries, err := seed.Bench(ctx, h, ids, seed.BenchOptions{Records: n, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d entries in %v", entries, time.Since(start).Round(time.Millisecond))
			for _, name := range names {
				if pg := strings.HasPrefix(name, "pg-"); pg != (e.Dialect() == store.Postgres) && name != "before" && name != "after" {
					continue
				}
				b.Run(name, func(b *testing.B) {
					rebuild := func() (int, error) { return cases.RebuildIndex(ctx, h.DB) }
					if v, ok := reindexVariants[name]; ok {
						rebuild = func() (int, error) { return cases.RebuildIndexWith(ctx, h.DB, v) }
					} else if name != "after" {
						b.Fatalf("no variant %q", name)
					}
					cpu := 0.0
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						if err := cases.EmptyIndex(ctx, h.DB); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						cpu -= storetest.CPUSeconds(b, h.DB)
						got, err := rebuild()
						cpu += storetest.CPUSeconds(b, h.DB)
						if err != nil {
							b.Fatal(err)
						}
						if got != entries {
							b.Fatalf("rebuilt %d entries, seeded %d", got, entries)
						}
					}
					b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
					b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
				})
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
