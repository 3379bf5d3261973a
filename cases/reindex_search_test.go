package cases_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// searchAll runs every query for every principal, both orders, and
// returns the results as text, hit by hit.
func searchAll(t *testing.T, h *tenancy.Handle, ps []*identity.Principal, queries []string) []string {
	t.Helper()
	ctx := context.Background()
	svc := search.New()
	var out []string
	for _, p := range ps {
		for _, q := range queries {
			for _, sort := range []string{search.SortRelevance, search.SortDate} {
				res, err := svc.Search(ctx, h, p, search.Query{Q: q, Sort: sort, Limit: search.MaxLimit})
				if err != nil {
					t.Fatalf("search %q: %v", q, err)
				}
				out = append(out, fmt.Sprintf("user %d %q %s: total %d more %v facets %v", p.User.ID, q, sort, res.Total, res.More, res.Facets))
				for _, hit := range res.Hits {
					// Ranks are floats computed from the index's statistics:
					// equal to many digits when the index holds the same.
					out = append(out, fmt.Sprintf("  %s:%d %q %q %v %v %.9g", hit.Type, hit.ID, hit.Title, hit.Snippet,
						hit.TitleMarks, hit.SnippetMarks, math.Round(hit.Rank*1e9)/1e9))
				}
			}
		}
	}
	return out
}

// ftsState is what a fresh tenant's full-text table is set up with: its
// settings, and the triggers that keep it.
func ftsState(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT 'config ' || k || '=' || v FROM search_fts_config
		UNION ALL SELECT 'trigger ' || name || ' ' || sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// A rebuilt index answers every search exactly as one rebuilt through the
// triggers, entry by entry, does, for unrestricted and restricted users, whether the rebuild
// found it full or empty (as a restore leaves it). On SQLite the
// full-text table is left as a fresh tenant's: its settings and triggers,
// and it keeps following search_index.
func TestRebuildIndexSearches(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := store.WithTimeout(context.Background(), 0)
		h, ids := seedtest.Tenant(t, e)
		var fresh []string
		if h.DB.Dialect == store.SQLite {
			fresh = ftsState(t, h.DB)
		}
		classes, _, err := seed.Bench(ctx, h, ids, seed.BenchOptions{Records: 3000, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := seed.AdminPrincipal(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		var reader access.Role
		for _, r := range access.BuiltinRoles() {
			if r.Name == access.ReadOnlyRole {
				reader = r
			}
		}
		ps := []*identity.Principal{admin}
		for i, cs := range [][]int64{{classes[0]}, {classes[1], classes[2]}} {
			id := int64(1000 + i)
			ps = append(ps, &identity.Principal{User: &identity.User{ID: id, Username: fmt.Sprint("restricted", i)},
				Subject: access.NewSubject(id, true, cs, []access.Role{reader})})
		}
		// The seed indexes text extracted from document files, which a
		// rebuild leaves to package documents: the searches to match are
		// those after a rebuild the way it was first written (entries
		// through the triggers, on PostgreSQL by INSERT).
		if _, err := cases.RebuildIndexWith(ctx, h.DB, cases.FTSBuild{Automerge: -1}); err != nil {
			t.Fatal(err)
		}
		queries := append(seed.BenchQueries()[:12], "bench", "agreement")
		want := searchAll(t, h, ps, queries)
		if len(want) < 100 {
			t.Fatalf("only %d lines of results: the test proves little", len(want))
		}
		check := func(when string) {
			t.Helper()
			if got := searchAll(t, h, ps, queries); !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("%s: results differ at line %d:\n got %s\nwant %s", when, i, got[i], want[i])
					}
				}
				t.Fatalf("%s: %d lines of results, want %d", when, len(got), len(want))
			}
			if h.DB.Dialect != store.SQLite {
				return
			}
			if _, err := h.DB.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('integrity-check')`); err != nil {
				t.Fatalf("%s: full-text index: %v", when, err)
			}
			if got := ftsState(t, h.DB); !slices.Equal(got, fresh) {
				t.Fatalf("%s: full-text table set up as\n%v\nnot as a fresh tenant's\n%v", when, got, fresh)
			}
		}
		if _, err := cases.RebuildIndex(ctx, h.DB); err != nil {
			t.Fatal(err)
		}
		check("rebuilt over the full index")
		if err := cases.EmptyIndex(ctx, h.DB); err != nil {
			t.Fatal(err)
		}
		if _, err := cases.RebuildIndex(ctx, h.DB); err != nil {
			t.Fatal(err)
		}
		check("rebuilt from empty")

		// The triggers still index what the services write.
		svc := cases.New(discard)
		var adminRoles []access.Role
		for _, r := range access.BuiltinRoles() {
			if r.Name == access.AdministratorRole {
				adminRoles = append(adminRoles, r)
			}
		}
		writer := &identity.Principal{User: admin.User, Subject: access.NewSubject(admin.User.ID, false, []int64{classes[0]}, adminRoles)}
		c, err := svc.CreateCase(ctx, h, writer, cases.CaseInput{Title: "Zyzzogeton matter", Client: "Acme", Status: "open", OpenedOn: "2026-02-01",
			Classes: []int64{classes[0]}})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range []*identity.Principal{writer, ps[1]} {
			res, err := search.New().Search(ctx, h, p, search.Query{Q: "zyzzogeton"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 1 || res.Hits[0].ID != c.ID {
				t.Fatalf("principal %d: a case written after the rebuild: hits %+v", i, res.Hits)
			}
		}
	})
}
