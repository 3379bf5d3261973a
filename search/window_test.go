package search_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestRankWindows: on SQLite a search with more hits than it counts is
// ranked a window at a time, the newest hits first. Records are written
// oldest to newest with a rank that is not their age (how often the word
// is in the title); with windows of four, the first page must be the best
// of the newest four, and walking every page must give each hit once,
// best first within each window, whatever the page size.
func TestRankWindows(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		if e.Dialect() != store.SQLite {
			t.Skip("PostgreSQL ranks every match")
		}
		f := newFixture(t, e)
		var ids []int64 // oldest first
		err := seed.Write(context.Background(), f.h, func(b *seed.Builder) {
			for i := range 11 {
				title := strings.Repeat("wombat ", 1+(i*7)%5) + fmt.Sprint("burrow ", i)
				ids = append(ids, b.Record(seed.Record{Type: cases.TypeNote, CaseID: f.cases[0].id, Title: title, Body: "dig"}))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer search.SetMaxCount(4)()
		p := f.subjects()[0].p
		for _, limit := range []int{1, 3, 4, 5, 100} {
			hits, res := walk(t, f, p, search.Query{Q: "wombat", Limit: limit})
			if !res.More || !res.Windowed || res.Total != 5 {
				t.Fatalf("limit %d: total %d more %v windowed %v", limit, res.Total, res.More, res.Windowed)
			}
			if len(hits) != len(ids) {
				t.Fatalf("limit %d: %d hits, want %d", limit, len(hits), len(ids))
			}
			// Windows of four, newest first: ids 10–7, 6–3, 2–0.
			for w, start := 0, 0; start < len(hits); w, start = w+1, start+4 {
				end := min(start+4, len(hits))
				var got, want []int64
				for i, h := range hits[start:end] {
					got = append(got, h.ID)
					if i > 0 && hits[start+i-1].Rank < h.Rank {
						t.Errorf("limit %d, window %d: rank goes up", limit, w)
					}
				}
				for i := len(ids) - 1 - start; i >= 0 && i > len(ids)-1-end; i-- {
					want = append(want, ids[i])
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("limit %d, window %d: %v, want %v", limit, w, got, want)
				}
			}
		}
	})
}

// TestClassesFollowChanges: the classes the full-text index holds for a
// restricted user's search follow every change of a record's classes, so
// such a user finds a record exactly while it carries one of their classes.
func TestClassesFollowChanges(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		var note int64
		err := seed.Write(ctx, f.h, func(b *seed.Builder) {
			note = b.Record(seed.Record{Type: cases.TypeNote, CaseID: f.cases[1].id, Title: "Echidna", Body: "spines"})
		})
		if err != nil {
			t.Fatal(err)
		}
		user := func(restricted bool, classes ...int64) *identity.Principal {
			return &identity.Principal{User: &identity.User{ID: 900, Username: "u900"},
				Subject: access.NewSubject(900, restricted, classes, []access.Role{role(access.ReadOnlyRole)})}
		}
		finds := func(p *identity.Principal) bool {
			t.Helper()
			res, err := search.New().Search(ctx, f.h, p, search.Query{Q: "echidna"})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total == 1 && len(res.Hits) == 1 && res.Hits[0].ID == note
		}
		set := func(classes ...int64) {
			t.Helper()
			err := f.h.DB.InTx(ctx, func(tx *store.Tx) error { return cases.SetClasses(ctx, tx, cases.TypeNote, note, classes) })
			if err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string, want map[string]bool) {
			t.Helper()
			users := map[string]*identity.Principal{"restricted A": user(true, f.A), "restricted B": user(true, f.B),
				"restricted AB": user(true, f.A, f.B), "unrestricted": user(false)}
			for name, p := range users {
				if got := finds(p); got != want[name] {
					t.Errorf("%s: %s finds the note: %v, want %v", step, name, got, want[name])
				}
			}
			if e.Dialect() == store.SQLite {
				if _, err := f.h.DB.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
					t.Fatalf("%s: full-text index: %v", step, err)
				}
			}
		}
		check("inherited A", map[string]bool{"restricted A": true, "restricted AB": true})
		// The words of the classes column are not for searching: typed in
		// any form, they find nothing.
		for _, q := range []string{fmt.Sprintf("class%d", f.A), fmt.Sprintf("\ue000class%d", f.A), fmt.Sprintf("echidna \ue000class%d", f.A)} {
			for _, p := range []*identity.Principal{user(false, f.A), user(true, f.A)} {
				res, err := search.New().Search(ctx, f.h, p, search.Query{Q: q})
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != 0 {
					t.Errorf("search %q (restricted %v): %d hits, want none", q, p.Subject.Restricted, res.Total)
				}
			}
		}
		set(f.B)
		check("own B", map[string]bool{"restricted B": true, "restricted AB": true})
		set(f.A, f.B)
		check("own A and B", map[string]bool{"restricted A": true, "restricted B": true, "restricted AB": true})
		set()
		check("unclassified", map[string]bool{"unrestricted": true})
		set(f.A)
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE search_index SET title = 'Echidna burrow' WHERE record_type = 'note' AND record_id = ?`, note)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		check("retitled", map[string]bool{"restricted A": true, "restricted AB": true})
	})
}

// TestRanksSameForEveryUser: a record's rank depends on the words searched
// and its text, not on who searches: a restricted user sees the ranks an
// unrestricted one does.
func TestRanksSameForEveryUser(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		user := func(restricted bool) *identity.Principal {
			return &identity.Principal{User: &identity.User{ID: 901, Username: "u901"},
				Subject: access.NewSubject(901, restricted, []int64{f.A, f.B, f.C}, []access.Role{role(access.ReadOnlyRole)})}
		}
		ranks := map[string]float64{}
		all, _ := walk(t, f, user(false), search.Query{Q: "quokka", Limit: 100})
		for _, h := range all {
			ranks[key(h.Type, h.ID)] = h.Rank
		}
		some, _ := walk(t, f, user(true), search.Query{Q: "quokka", Limit: 100})
		if len(some) == 0 || len(some) == len(all) {
			t.Fatalf("restricted user finds %d of %d hits: the fixture should hide some", len(some), len(all))
		}
		for _, h := range some {
			if r, ok := ranks[key(h.Type, h.ID)]; !ok || r != h.Rank {
				t.Errorf("%s: rank %v for the restricted user, %v (found %v) for the unrestricted one", key(h.Type, h.ID), h.Rank, r, ok)
			}
		}
	})
}
