package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"strongroom/cases"
	"strongroom/reports"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/tenancy"
)

// bencher times one tenant's service calls beside their floor.
type bencher struct {
	h       *tenancy.Handle
	floor   *floor // nil: no floor (PostgreSQL)
	pool    *floor // the same SQL on the service's own pool
	queries int
	search  *search.Service
	cases   *cases.Service
	reports *reports.Service
}

// benchResult is what was measured for one user.
type benchResult struct {
	search, searchFloor, searchPool timings
	list, listFloor, listPool       timings
	// listQuery is the floor of the case list's own query alone, without
	// the queries that fill in each listed case's classes and users.
	listQuery timings
	perQuery  map[string]timings
	hits      map[string]string
	reports   []time.Duration
}

var benchReports = []string{"cases", "financial by kind", "financial by month", "financial by case", "financial by currency", "deadlines"}

var benchLists = []cases.CaseFilter{{}, {Sort: cases.SortOpened}, {Status: "open"}, {PracticeGroup: "Litigation", Sort: cases.SortOpened}}

func (b *bencher) user(ctx context.Context, u benchUser) (benchResult, error) {
	r := benchResult{perQuery: map[string]timings{}, hits: map[string]string{}}
	if err := b.searches(ctx, u, &r); err != nil {
		return r, err
	}
	if err := b.lists(ctx, u, &r); err != nil {
		return r, err
	}
	return r, b.runReports(ctx, u, &r)
}

// paired times call and the floor of the SQL it issued, in one iteration,
// alternating which goes first so that neither is always the one to find
// the caches warm. sqlOf is the SQL to run on the floor for this call.
func (b *bencher) paired(ctx context.Context, first bool, call func(context.Context) error, sqlOf []store.Query) (svc, fl, pool time.Duration, err error) {
	runCall := func() error {
		start := time.Now()
		err := call(ctx)
		svc = time.Since(start)
		return err
	}
	runFloor := func() error {
		if b.floor == nil {
			return nil
		}
		var err error
		fl, err = b.floor.run(ctx, sqlOf)
		return err
	}
	runPool := func() error {
		if b.floor == nil {
			return nil
		}
		var err error
		pool, err = b.pool.run(ctx, sqlOf)
		return err
	}
	steps := []func() error{runCall, runFloor, runPool}
	if !first {
		steps[0], steps[2] = steps[2], steps[0]
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return 0, 0, 0, err
		}
	}
	return svc, fl, pool, nil
}

// searches times the first page of each fixed query. One untimed round
// first records each query's SQL and touches the pages of the index, whose
// first reading would otherwise be counted as the query's.
func (b *bencher) searches(ctx context.Context, u benchUser, r *benchResult) error {
	qs := seed.BenchQueries()
	reads := map[string][]store.Query{}
	for _, q := range qs {
		rctx, log := store.RecordQueries(ctx)
		res, err := b.search.Search(rctx, b.h, u.p, search.Query{Q: q})
		if err != nil {
			return fmt.Errorf("search %q: %w", q, err)
		}
		reads[q] = log.Reads()
		r.hits[q] = fmt.Sprint(res.Total)
		if res.More {
			r.hits[q] = fmt.Sprintf(">%d", search.MaxCount)
		}
		if b.floor != nil {
			if _, err := b.floor.run(ctx, reads[q]); err != nil {
				return err
			}
		}
	}
	for i := range b.queries {
		q := qs[i%len(qs)]
		svc, fl, pool, err := b.paired(ctx, i%2 == 0, func(ctx context.Context) error {
			_, err := b.search.Search(ctx, b.h, u.p, search.Query{Q: q})
			return err
		}, reads[q])
		if err != nil {
			return fmt.Errorf("search %q: %w", q, err)
		}
		r.search, r.searchFloor, r.searchPool = append(r.search, svc), append(r.searchFloor, fl), append(r.searchPool, pool)
		r.perQuery[q] = append(r.perQuery[q], svc)
	}
	return nil
}

// lists times the first page of the case list in four variants, as the
// page and the API read it: with its total (cases.ListCasePage).
func (b *bencher) lists(ctx context.Context, u benchUser, r *benchResult) error {
	reads := make([][]store.Query, len(benchLists))
	for i, f := range benchLists {
		rctx, log := store.RecordQueries(ctx)
		if _, err := b.cases.ListCasePage(rctx, b.h, u.p, f); err != nil {
			return fmt.Errorf("case list: %w", err)
		}
		reads[i] = log.Reads()
	}
	for i := range b.queries {
		v := i % len(benchLists)
		svc, fl, pool, err := b.paired(ctx, i%2 == 0, func(ctx context.Context) error {
			_, err := b.cases.ListCasePage(ctx, b.h, u.p, benchLists[v])
			return err
		}, reads[v])
		if err != nil {
			return fmt.Errorf("case list: %w", err)
		}
		r.list, r.listFloor, r.listPool = append(r.list, svc), append(r.listFloor, fl), append(r.listPool, pool)
		if b.floor != nil && len(reads[v]) > 0 {
			d, err := b.floor.run(ctx, reads[v][:1])
			if err != nil {
				return err
			}
			r.listQuery = append(r.listQuery, d)
		}
	}
	return nil
}

func (b *bencher) runReports(ctx context.Context, u benchUser, r *benchResult) error {
	for _, name := range benchReports {
		start := time.Now()
		var err error
		switch {
		case name == "cases":
			_, err = b.reports.Cases(ctx, b.h, u.p, reports.Range{})
		case name == "deadlines":
			_, err = b.reports.Deadlines(ctx, b.h, u.p, reports.Range{}, 100, 0)
		default:
			_, err = b.reports.Financial(ctx, b.h, u.p, strings.TrimPrefix(name, "financial by "), reports.Range{})
		}
		if err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
		r.reports = append(r.reports, time.Since(start))
	}
	return nil
}

// printResults prints the service's times beside their floors, with the
// ratios, then the reports.
func printResults(w io.Writer, users []benchUser, results []benchResult, withFloor bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\tservice p50\tfloor p50\tratio\tservice p99\tfloor p99\tratio\t\n")
	line := func(label string, svc, fl timings) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, q := range []float64{0.5, 0.99} {
			if withFloor {
				fmt.Fprintf(tw, "%s\t%s\t%s\t", ms(svc.quantile(q)), ms(fl.quantile(q)), ratio(svc.quantile(q), fl.quantile(q)))
			} else {
				fmt.Fprintf(tw, "%s\t-\t-\t", ms(svc.quantile(q)))
			}
		}
		fmt.Fprintln(tw)
	}
	for i, u := range users {
		line("search, first page, "+u.name, results[i].search, results[i].searchFloor)
	}
	for i, u := range users {
		line("case list, first page, "+u.name, results[i].list, results[i].listFloor)
	}
	if withFloor {
		for i, u := range users {
			line("case list; floor: its list query alone, "+u.name, results[i].list, results[i].listQuery)
		}
		for i, u := range users {
			line("search's SQL on the service's pool; floor, "+u.name, results[i].searchPool, results[i].searchFloor)
		}
		for i, u := range users {
			line("case list's SQL on the service's pool; floor, "+u.name, results[i].listPool, results[i].listFloor)
		}
	}
	fmt.Fprintf(tw, "\t\t\t\t\t\t\t\n\t%s\t%s\t\t\t\t\t\n", users[0].name, users[1].name)
	for i, name := range benchReports {
		fmt.Fprintf(tw, "report: %s\t%s\t%s\t\t\t\t\t\n", name, ms(results[0].reports[i]), ms(results[1].reports[i]))
	}
	tw.Flush()
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}
