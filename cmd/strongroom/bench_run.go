package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
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

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// benchRun times, for each user, the first page of search results over
// the fixed queries and the first page of the case list, each beside its
// floor (the same SQL run directly on the file, see floor), and each
// report.
func benchRun(ctx context.Context, h *tenancy.Handle, fl *floor, queries int, verbose bool, stdout io.Writer) error {
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
	b := &bencher{h: h, floor: fl, pool: poolFloor(h.DB), queries: queries, search: search.New(), cases: cases.New(slog.New(slog.DiscardHandler)), reports: reports.New()}
	results := make([]benchResult, len(users))
	for i, u := range users {
		if results[i], err = b.user(ctx, u); err != nil {
			return err
		}
	}
	printResults(stdout, users, results, fl != nil)
	if verbose {
		fmt.Fprintln(stdout, "\nPer query (hits counted up to the limit; median time):")
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "query\t%s hits\tmedian\t%s hits\tmedian\n", users[0].name, users[1].name)
		for _, q := range qs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", q, results[0].hits[q], ms(results[0].perQuery[q].quantile(0.5)),
				results[1].hits[q], ms(results[1].perQuery[q].quantile(0.5)))
		}
		tw.Flush()
	}
	return nil
}
