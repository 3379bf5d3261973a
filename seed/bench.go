package seed

import (
	"context"
	"fmt"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// BenchClassCount is how many security classes bench data spreads over.
const BenchClassCount = 20

// BenchClass names the i-th bench class (1-based).
func BenchClass(i int) string { return fmt.Sprintf("Bench class %02d", i) }

// BenchOptions tune Bench.
type BenchOptions struct {
	Records  int    // search entries to write: cases and their records (about ten per case)
	Seed     uint64 // default 1
	Now      time.Time
	Progress Progress
}

// benchCasesPerTx keeps one transaction around a hundred thousand rows.
const benchCasesPerTx = 10000

// Bench fills a tenant with about opts.Records records for benchmarks: a
// tenth are cases, the rest the records in them. 15% of cases carry one of
// BenchClassCount classes (a tenth of those two), and 2% of the records in
// other cases carry a class of their own, so restricted users see a thin,
// scattered slice, as local counsel do. It returns the class ids (in
// BenchClass order) and how many search entries were written. Afterwards
// the search index is optimised and the planner's statistics refreshed.
func Bench(ctx context.Context, h *tenancy.Handle, ids *identity.Service, opts BenchOptions) ([]int64, int, error) {
	if opts.Records < 10 {
		return nil, 0, strongroom.FieldError("records", "Generate at least 10 records.")
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	admin, err := AdminPrincipal(ctx, h)
	if err != nil {
		return nil, 0, err
	}
	names := make([]string, BenchClassCount)
	for i := range names {
		names[i] = BenchClass(i + 1)
	}
	byName, err := ensureClasses(ctx, h, ids, admin, names...)
	if err != nil {
		return nil, 0, err
	}
	classes := make([]int64, len(names))
	for i, n := range names {
		classes[i] = byName[n]
	}
	if h.DB.Dialect == store.SQLite {
		// A bulk load reads back what it just wrote (the triggers that
		// keep the search index look each record's classes up): a page
		// cache of 256 MiB on the writing connection instead of 2 MiB.
		if _, err := h.DB.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
			return nil, 0, err
		}
	}
	records, err := generate(ctx, h, plan{kind: "bench", cases: opts.Records / 10, perTx: benchCasesPerTx, seed: opts.Seed, now: opts.Now,
		report: opts.Progress,
		spec: func(g *textGen, i int) caseSpec {
			if !g.chance(0.15) {
				return caseSpec{ownClasses: classes}
			}
			cs := []int64{classes[g.intn(len(classes))]}
			if g.chance(0.1) {
				if c := classes[g.intn(len(classes))]; c != cs[0] {
					cs = append(cs, c)
				}
			}
			return caseSpec{classes: cs}
		}})
	if err != nil {
		return nil, records, err
	}
	return classes, records, Optimize(ctx, h.DB)
}

// Optimize merges the full-text index into one segment (SQLite) and
// refreshes the planner's statistics, as a bulk load should be followed.
func Optimize(ctx context.Context, db *store.DB) error {
	var stmts []string
	if db.Dialect == store.SQLite {
		stmts = []string{`INSERT INTO search_fts (search_fts) VALUES ('optimize')`, `ANALYZE`}
	} else {
		stmts = []string{`ANALYZE`}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// BenchQueries is the fixed list of searches a benchmark times: what
// people look for in a firm's records — surnames, parties, companies,
// places, legal terms alone and together, case numbers, and rarer words.
// Their match counts run from a handful to a few percent of the records.
func BenchQueries() []string {
	qs := []string{
		"smith", "garcia", "okafor", "lindqvist", "castellanos",
		"northwind logistics", "castlegate holdings", "blue harbor", "mill lane capital", "granite energy",
		"priya patel", "james smith", "fatima haddad", "kowalski deposition",
		"lymphoma", "easement", "escrow", "bellwether", "toxicology", "guardianship",
		"breach contract", "motion dismiss", "expert report", "deposition transcript", "settlement agreement",
		"share purchase agreement", "witness statement garcia", "lease renewal option", "medical records lymphoma", "privilege log",
		"springfield", "kingston lease", "oxford zoning",
		"00123", "04567", "31415", // case numbers, as typed from a letter
	}
	// Words of the rare tail, as specific as a product or a place name.
	v := vocabulary()
	for _, rank := range []int{601, 1501, 4001, 9001, 15001} {
		qs = append(qs, v[rank])
	}
	return qs
}
