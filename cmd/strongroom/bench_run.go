package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/reports"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/tenancy"
)

// benchUser is a user the benchmark acts as.
type benchUser struct {
	name string
	p    *identity.Principal
}

// benchUsers are an unrestricted user (read-only role, holding the first
// bench class: sees every unclassified record and that class's) and a
// restricted one (same role and class: sees only that class's records, as
// local counsel do).
func benchUsers(ctx context.Context, h *tenancy.Handle) ([]benchUser, error) {
	var class int64
	err := h.DB.QueryRowContext(ctx, `SELECT id FROM security_classes WHERE name = ?`, seed.BenchClass(1)).Scan(&class)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Tenant %s has no bench data; run \"strongroom bench seed\" first.", h.Tenant.Slug)
	}
	var role access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == access.ReadOnlyRole {
			role = r
		}
	}
	var out []benchUser
	for i, restricted := range []bool{false, true} {
		id := int64(-1 - i) // no such user: the subject is all that is read
		name := "unrestricted"
		if restricted {
			name = "restricted"
		}
		out = append(out, benchUser{name, &identity.Principal{User: &identity.User{ID: id, Username: "bench-" + name},
			Subject: access.NewSubject(id, restricted, []int64{class}, []access.Role{role})}})
	}
	return out, nil
}

// timings are the durations of one operation, repeated.
type timings []time.Duration

func (t timings) quantile(q float64) time.Duration {
	if len(t) == 0 {
		return 0
	}
	s := slices.Clone(t)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// benchRun times, for each user, the first page of search results over
// the fixed queries, the first page of the case list, and each report.
func benchRun(ctx context.Context, h *tenancy.Handle, queries int, verbose bool, stdout io.Writer) error {
	users, err := benchUsers(ctx, h)
	if err != nil {
		return err
	}
	var records int
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_index`).Scan(&records); err != nil {
		return err
	}
	qs := seed.BenchQueries()
	fmt.Fprintf(stdout, "Tenant %s on %s: %d records (cases included); %d searches and %d case lists per user over %d queries; %s, GOMAXPROCS %d.\n\n",
		h.Tenant.Slug, h.DB.Dialect, records, queries, queries, len(qs), runtime.Version(), runtime.GOMAXPROCS(0))
	svc, cs, rs := search.New(), cases.New(slog.New(slog.DiscardHandler)), reports.New()
	type result struct {
		search, list timings
		perQuery     map[string]timings
		hits         map[string]string
		reports      []time.Duration
	}
	results := make([]result, len(users))
	reportNames := []string{"cases", "financial by kind", "financial by month", "financial by case", "financial by currency", "deadlines"}
	for ui, u := range users {
		r := result{perQuery: map[string]timings{}, hits: map[string]string{}}
		// One warm-up round, untimed: the first touch of each page of the
		// index would otherwise be counted as the query's.
		for i := range len(qs) + queries {
			q := qs[i%len(qs)]
			start := time.Now()
			res, err := svc.Search(ctx, h, u.p, search.Query{Q: q})
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("search %q: %w", q, err)
			}
			if i >= len(qs) {
				r.search = append(r.search, d)
				r.perQuery[q] = append(r.perQuery[q], d)
			}
			r.hits[q] = fmt.Sprint(res.Total)
			if res.More {
				r.hits[q] = fmt.Sprintf(">%d", search.MaxCount)
			}
		}
		lists := []cases.CaseFilter{{}, {Sort: cases.SortOpened}, {Status: "open"}, {PracticeGroup: "Litigation", Sort: cases.SortOpened}}
		for i := range len(lists) + queries {
			start := time.Now()
			if _, _, err := cs.ListCases(ctx, h, u.p, lists[i%len(lists)]); err != nil {
				return fmt.Errorf("case list: %w", err)
			}
			if i >= len(lists) {
				r.list = append(r.list, time.Since(start))
			}
		}
		for _, name := range reportNames {
			start := time.Now()
			var err error
			switch {
			case name == "cases":
				_, err = rs.Cases(ctx, h, u.p)
			case name == "deadlines":
				_, err = rs.Deadlines(ctx, h, u.p, 100)
			default:
				_, err = rs.Financial(ctx, h, u.p, strings.TrimPrefix(name, "financial by "))
			}
			if err != nil {
				return fmt.Errorf("report %s: %w", name, err)
			}
			r.reports = append(r.reports, time.Since(start))
		}
		results[ui] = r
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t%s\t\n", users[0].name, users[1].name)
	row := func(label string, f func(result) time.Duration) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", label, ms(f(results[0])), ms(f(results[1])))
	}
	row("search, first page, p50", func(r result) time.Duration { return r.search.quantile(0.5) })
	row("search, first page, p99", func(r result) time.Duration { return r.search.quantile(0.99) })
	row("case list, first page, p50", func(r result) time.Duration { return r.list.quantile(0.5) })
	row("case list, first page, p99", func(r result) time.Duration { return r.list.quantile(0.99) })
	for i, name := range reportNames {
		row("report: "+name, func(r result) time.Duration { return r.reports[i] })
	}
	tw.Flush()
	if verbose {
		fmt.Fprintln(stdout, "\nPer query (hits counted up to the limit; median time):")
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "query\t%s hits\tmedian\t%s hits\tmedian\n", users[0].name, users[1].name)
		for _, q := range qs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", q, results[0].hits[q], ms(results[0].perQuery[q].quantile(0.5)),
				results[1].hits[q], ms(results[1].perQuery[q].quantile(0.5)))
		}
		tw.Flush()
	}
	return nil
}
