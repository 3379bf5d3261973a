package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"strongroom/seed"
	"strongroom/store"
	"strongroom/tenancy"
)

// runBench is "strongroom bench seed|run|login": generated data at scale,
// the timings of search, case lists and reports over it, and of sign-in
// during a flood of failed ones.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "login" {
		return runBenchLogin(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "seed" && args[0] != "run") {
		fmt.Fprint(stderr, "strongroom bench: say seed --records N TENANT, run TENANT, or login\n")
		return errUsage
	}
	var cfg StorageConfig
	var records, queries int
	var seedValue uint64
	var about string
	var verbose bool
	fs := newFlagSet("bench "+args[0], stderr, "")
	cfg.register(fs)
	if args[0] == "seed" {
		about = "strongroom bench seed --records N TENANT [flags]\n\nAdds about N generated records (a tenth of them cases) to a tenant, in bulk,\nspread over 20 security classes, and prints progress."
		fs.IntVar(&records, "records", 1000000, "how many records (cases included) to generate")
		fs.Uint64Var(&seedValue, "seed", 1, "random seed; the same seed gives the same data")
	} else {
		about = "strongroom bench run TENANT [flags]\n\nTimes, for an unrestricted and a restricted user, the first page of search\nresults over a fixed list of queries, the first page of the case list, and\neach report, and prints p50/p99. On SQLite each search and case list is timed\nbeside its floor: the same SQL run on a plain connection to the file."
		fs.IntVar(&queries, "queries", 200, "how many searches (and case lists) to time per user")
		fs.BoolVar(&verbose, "v", false, "also print each query's hits and median time")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nFlags:\n", about)
		fs.PrintDefaults()
	}
	rest, err := parse(fs, args[1:], 1)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	return withTenant(ctx, a, cfg, rest[0], func(h *tenancy.Handle) error {
		if args[0] == "seed" {
			return benchSeed(ctx, a, h, records, seedValue, stdout)
		}
		fl, err := openFloor(a.engine, h)
		if err != nil {
			return err
		}
		defer fl.Close()
		return benchRun(ctx, h, fl, queries, verbose, stdout)
	})
}

func benchSeed(ctx context.Context, a *app, h *tenancy.Handle, records int, seedValue uint64, stdout io.Writer) error {
	start := time.Now()
	fmt.Fprintf(stdout, "Generating about %d records in tenant %s (%s)…\n", records, h.Tenant.Slug, h.DB.Dialect)
	// Bulk loading writes thousands of rows a transaction: it is bounded
	// by the operator's patience, not by a request's database deadline.
	_, n, err := seed.Bench(store.WithTimeout(ctx, 0), h, a.identity, seed.BenchOptions{Records: records, Seed: seedValue,
		Progress: func(cases, written int) {
			el := time.Since(start)
			fmt.Fprintf(stdout, "  %9d records (%d cases)  %8s  %6.0f records/s\n", written, cases, el.Round(time.Second),
				float64(written)/el.Seconds())
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %d records in %s (including optimising the search index).\n", n, time.Since(start).Round(time.Second))
	return nil
}
