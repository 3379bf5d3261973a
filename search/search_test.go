package search_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/store/storetest"
)

// walk runs a search page by page and returns every hit, failing on a hit
// seen twice or on ranks that go up.
func walk(t *testing.T, f *fixture, p *identity.Principal, q search.Query) ([]search.Hit, *search.Result) {
	t.Helper()
	var all []search.Hit
	seen := map[string]bool{}
	var first *search.Result
	for page := 0; ; page++ {
		res, err := search.New().Search(context.Background(), f.h, p, q)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if first == nil {
			first = res
		}
		if res.Total != first.Total || !slices.EqualFunc(res.Facets.Types, first.Facets.Types, func(a, b search.Count) bool { return a == b }) {
			t.Fatalf("page %d: total and facets differ from the first page's", page)
		}
		for _, h := range res.Hits {
			k := key(h.Type, h.ID)
			if seen[k] {
				t.Fatalf("page %d: %s seen twice", page, k)
			}
			seen[k] = true
			if n := len(all); n > 0 && all[n-1].Rank < h.Rank && !res.Windowed {
				t.Fatalf("page %d: rank goes up from %v to %v", page, all[n-1].Rank, h.Rank)
			}
			all = append(all, h)
		}
		if res.Next == "" {
			return all, first
		}
		if len(res.Hits) != q.Limit {
			t.Fatalf("page %d: %d hits and a next page", page, len(res.Hits))
		}
		q.Cursor = res.Next
		if page > 1000 {
			t.Fatal("no end to the pages")
		}
	}
}

func keys(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = key(h.Type, h.ID)
	}
	slices.Sort(out)
	return out
}

// TestSearchMatrix checks, for every role, restriction and class set, that
// the hits (walked page by page), the total and every facet are exactly
// what the oracle allows; that case details appear only with a visible
// case; and that each filter narrows within what the user may see.
//
// It runs again with the count limit lowered to two, so that every search
// has "more" hits: the pages must still hold exactly the hits allowed (on
// SQLite walked window by window, on PostgreSQL ranked all together).
func TestSearchMatrix(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		t.Run("counted", func(t *testing.T) { searchMatrix(t, f, false) })
		t.Run("more", func(t *testing.T) {
			defer search.SetMaxCount(2)()
			searchMatrix(t, f, true)
		})
	})
}

func searchMatrix(t *testing.T, f *fixture, more bool) {
	for _, sub := range f.subjects() {
		t.Run(sub.name, func(t *testing.T) {
			s := sub.p.Subject
			readable := slices.ContainsFunc(cases.RecordTypes(), func(rt cases.RecordType) bool { return s.Allowed(rt.Area(), access.Read) })
			if !readable {
				t.Fatal("matrix subject without a searchable area")
			}
			hits, res := walk(t, f, sub.p, search.Query{Q: "quokka", Limit: 3})
			want := f.expect(s, nil)
			if got := keys(hits); !slices.Equal(got, want) {
				t.Fatalf("hits\n got %v\nwant %v", got, want)
			}
			switch {
			case more && len(want) > 2:
				if res.Total != 3 || !res.More {
					t.Errorf("total %d (more %v), want 3 and more", res.Total, res.More)
				}
			case res.Total != len(want) || res.More:
				t.Errorf("total %d (more %v), want %d", res.Total, res.More, len(want))
			default:
				checkFacets(t, f, s, res)
			}
			byKey := map[string]frec{}
			for _, r := range f.recs {
				byKey[key(r.typ, r.id)] = r
			}
			for _, h := range hits {
				r := byKey[key(h.Type, h.ID)]
				if shown, visible := h.Case != nil, f.caseVisible(s, r); shown != visible {
					t.Errorf("%s: case shown %v, case visible %v", key(h.Type, h.ID), shown, visible)
				} else if shown && h.Case.ID != f.cases[r.caseIdx].id {
					t.Errorf("%s: case %d, want %d", key(h.Type, h.ID), h.Case.ID, f.cases[r.caseIdx].id)
				}
			}
			checkFilters(t, f, sub.p, more)
			checkByDate(t, f, sub.p, want)
		})
	}
}

func checkFacets(t *testing.T, f *fixture, s *access.Subject, res *search.Result) {
	t.Helper()
	types, statuses, groups := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range f.recs {
		if !f.visible(s, r) {
			continue
		}
		types[string(r.typ)]++
		if f.caseVisible(s, r) {
			statuses[f.cases[r.caseIdx].status]++
			groups[f.cases[r.caseIdx].group]++
		}
	}
	for name, pair := range map[string]struct {
		got  []search.Count
		want map[string]int
	}{"types": {res.Facets.Types, types}, "statuses": {res.Facets.Statuses, statuses}, "groups": {res.Facets.PracticeGroups, groups}} {
		got := map[string]int{}
		for _, c := range pair.got {
			got[c.Value] = c.Count
		}
		if !maps.Equal(got, pair.want) {
			t.Errorf("facet %s = %v, want %v", name, got, pair.want)
		}
	}
}

func checkFilters(t *testing.T, f *fixture, p *identity.Principal, more bool) {
	t.Helper()
	s := p.Subject
	cs := func(r frec) fcase { return f.cases[r.caseIdx] }
	filters := []struct {
		name string
		q    search.Query
		keep func(frec) bool
	}{
		{"status", search.Query{Status: "open"}, func(r frec) bool { return f.caseVisible(s, r) && cs(r).status == "open" }},
		{"group", search.Query{PracticeGroup: "Litigation"}, func(r frec) bool { return f.caseVisible(s, r) && cs(r).group == "Litigation" }},
		{"opened", search.Query{OpenedFrom: "2024-01-01", OpenedTo: "2024-12-31"}, func(r frec) bool {
			return f.caseVisible(s, r) && cs(r).opened >= "2024-01-01" && cs(r).opened <= "2024-12-31"
		}},
		{"types", search.Query{Types: []cases.RecordType{cases.TypeNote, cases.TypeDocument}}, func(r frec) bool {
			return r.typ == cases.TypeNote || r.typ == cases.TypeDocument
		}},
	}
	for _, c := range s.Classes {
		filters = append(filters, struct {
			name string
			q    search.Query
			keep func(frec) bool
		}{fmt.Sprintf("class %d", c), search.Query{ClassID: c}, func(r frec) bool { return slices.Contains(r.classes, c) }})
	}
	for _, flt := range filters {
		q := flt.q
		q.Q, q.Limit = "quokka", 4
		hits, res := walk(t, f, p, q)
		want := f.expect(s, flt.keep)
		if got := keys(hits); !slices.Equal(got, want) {
			t.Errorf("filter %s: hits\n got %v\nwant %v", flt.name, got, want)
		}
		if wantTotal := len(want); res.Total != wantTotal && !(more && wantTotal > 2 && res.Total == 3) {
			t.Errorf("filter %s: total %d, want %d", flt.name, res.Total, wantTotal)
		}
	}
}

// TestBadQueries sends what users (and attackers) type: FTS syntax,
// quotes, operators, control characters, very long text. Each is either
// searched for as words or refused as EINVALID naming "q"; nothing else.
func TestBadQueries(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		p := f.subjects()[0].p
		for _, q := range badQueries() {
			res, err := search.New().Search(context.Background(), f.h, p, search.Query{Q: q})
			if err != nil {
				if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "q" {
					t.Errorf("%.40q: %v", q, err)
				}
				continue
			}
			// Text whose only word is quokka finds the quokkas.
			words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			if len(words) > 0 && !slices.ContainsFunc(words, func(w string) bool { return w != "quokka" }) && res.Total == 0 {
				t.Errorf("%q finds nothing", q)
			}
		}
	})
}

func badQueries() []string {
	return []string{
		`"`, `""`, `"quokka`, `quokka"`, `'`, `''quokka`, `NEAR(`, `NEAR(quokka`, `NEAR(quokka keeper, 2)`, `*`, `quokka*`,
		`-`, `-quokka`, `quokka -keeper`, `(`, `)`, `(quokka`, `quokka)`, `)(`, `((quokka))`, `quokka AND (`, `OR`, `AND`,
		`NOT`, `quokka OR`, `quokka NOT keeper`, `title:quokka`, `{title}: quokka`, `{title body}:`, `^quokka`, `quokka +`,
		`:`, `;--`, `%`, `_`, `\`, `\"quokka\"`, "quokka\x00keeper", "\xff\xfe", "quokka\u200b", "ｑｕｏｋｋａ", "Quökka",
		`<script>alert(1)</script>`, `' OR 1=1 --`, `quokka' OR '1'='1`, `$1`, `?`, `??`, `@@`, "\t\n", "   ",
		strings.Repeat("quokka ", 28), strings.Repeat("a", 200), strings.Repeat("é", 200), strings.Repeat("a", 201),
		strings.Repeat("x", 10<<10), strings.Repeat(`"(`, 5000), strings.Repeat("a b ", 40),
	}
}

// TestSearchInput covers the other fields' validation and refusals.
func TestSearchInput(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		reader := f.subjects()[0].p // read-only, unrestricted, no classes
		for _, tc := range []struct {
			name  string
			q     search.Query
			field string
		}{
			{"empty", search.Query{Q: "  "}, "q"},
			{"too long", search.Query{Q: strings.Repeat("a", 201)}, "q"},
			{"type", search.Query{Q: "quokka", Types: []cases.RecordType{"invoice"}}, "type"},
			{"status", search.Query{Q: "quokka", Status: "shut"}, "status"},
			{"date", search.Query{Q: "quokka", OpenedFrom: "2024-13-01"}, "opened_from"},
			{"range", search.Query{Q: "quokka", OpenedFrom: "2025-01-01", OpenedTo: "2024-01-01"}, "opened_to"},
			{"class not held", search.Query{Q: "quokka", ClassID: f.A}, "class"},
			{"limit", search.Query{Q: "quokka", Limit: 101}, "limit"},
			{"cursor", search.Query{Q: "quokka", Cursor: "bm90IGEgY3Vyc29y"}, "cursor"},
			{"cursor garbage", search.Query{Q: "quokka", Cursor: "%%%"}, "cursor"},
			{"cursor NaN", search.Query{Q: "quokka", Cursor: "MXxOYU58MXxub3RlfDE"}, "cursor"},
		} {
			_, err := search.New().Search(ctx, f.h, reader, tc.q)
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != tc.field {
				t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
			}
		}
		nothing := &identity.Principal{User: &identity.User{ID: 9}, Subject: access.NewSubject(9, false, nil,
			[]access.Role{{Name: "reports", Grants: map[access.Area]access.Grant{access.Reports: access.ReadGrant}}})}
		if _, err := search.New().Search(ctx, f.h, nothing, search.Query{Q: "quokka"}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("a user with no searchable area: %v", err)
		}
		// A type the user may not read is no error, just no hits.
		casesOnly := &identity.Principal{User: &identity.User{ID: 8}, Subject: access.NewSubject(8, false, nil, []access.Role{role("cases-only")})}
		res, err := search.New().Search(ctx, f.h, casesOnly, search.Query{Q: "quokka", Types: []cases.RecordType{cases.TypeNote}})
		if err != nil || len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("notes for a cases-only user: %+v, %v", res, err)
		}
	})
}

// TestPaginationTies walks records of identical text, whose ranks tie:
// every one comes exactly once, whatever the page size.
func TestPaginationTies(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		var want []string
		err := seed.Write(context.Background(), f.h, func(b *seed.Builder) {
			for i := range 23 {
				c := f.cases[i%2].id // an unclassified case and one of class A
				id := b.Record(seed.Record{Type: cases.TypeNote, CaseID: c, Title: "Numbat", Body: "numbat numbat"})
				if i%2 == 0 {
					want = append(want, key(cases.TypeNote, id))
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		p := f.subjects()[0].p
		for _, limit := range []int{1, 2, 5, 100} {
			hits, res := walk(t, f, p, search.Query{Q: "numbat", Limit: limit})
			if got := keys(hits); !slices.Equal(got, want) || res.Total != len(want) {
				t.Fatalf("limit %d: %v (total %d), want %v", limit, got, res.Total, want)
			}
			if hits[0].Rank != hits[len(hits)-1].Rank {
				t.Fatalf("ranks do not tie: %v … %v", hits[0].Rank, hits[len(hits)-1].Rank)
			}
		}
	})
}

// TestCountLimit: past MaxCount hits the total stops counting and says so.
func TestCountLimit(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		err := seed.Write(context.Background(), f.h, func(b *seed.Builder) {
			for range search.MaxCount + 5 {
				b.Record(seed.Record{Type: cases.TypeEvent, CaseID: f.cases[0].id, Title: "Bilby check"})
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := search.New().Search(context.Background(), f.h, f.subjects()[0].p, search.Query{Q: "bilby"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.More || res.Total != search.MaxCount+1 || len(res.Hits) != search.DefaultLimit || res.Next == "" {
			t.Fatalf("total %d more %v hits %d", res.Total, res.More, len(res.Hits))
		}
	})
}

// Every new search is in the audit log with its query; the next pages of
// the same search are not written again.
func TestSearchAudited(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		reader := f.subjects()[0].p
		count := func() (n int, last map[string]string) {
			events, err := f.h.Audit.Events(ctx, 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				if ev.Action == "search.query" {
					n, last = n+1, maps.Clone(ev.Details)
					last["q"] = ev.Personal["q"] // typed: sealed, opened for the reader
				}
			}
			return n, last
		}
		before, _ := count()
		res, err := search.New().Search(ctx, f.h, reader, search.Query{Q: "quokka paperwork", Status: "open", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		n, details := count()
		if n != before+1 || details["q"] != "quokka paperwork" || details["status"] != "open" {
			t.Fatalf("search audit: %d → %d events, details %v", before, n, details)
		}
		if res.Next != "" {
			if _, err := search.New().Search(ctx, f.h, reader, search.Query{Q: "quokka paperwork", Status: "open", Limit: 1, Cursor: res.Next}); err != nil {
				t.Fatal(err)
			}
			if n2, _ := count(); n2 != n {
				t.Fatalf("a next page was audited again: %d → %d", n, n2)
			}
		}
	})
}

// checkByDate walks the same search sorted by date: the same hits, newest
// case first, and no date for a hit whose case the user may not see (such
// hits come last).
func checkByDate(t *testing.T, f *fixture, p *identity.Principal, want []string) {
	t.Helper()
	hits, _ := walk(t, f, p, search.Query{Q: "quokka", Sort: search.SortDate, Limit: 2})
	if got := keys(hits); !slices.Equal(got, want) {
		t.Fatalf("by date: hits\n got %v\nwant %v", got, want)
	}
	last := "9999-12-31"
	for _, h := range hits {
		day := ""
		if h.Case != nil {
			day = h.Case.OpenedOn
		}
		if day > last {
			t.Fatalf("by date: %s (%q) after %q", key(h.Type, h.ID), day, last)
		}
		last = day
	}
}

// TestSnippetsHoldTheWords checks on both engines that a hit's snippet
// holds the searched word and marks it where it stands, however far into
// a long text it is, that the title's words are marked too, and that the
// text comes back as the record holds it (escaping is for whoever shows
// it).
func TestSnippetsHoldTheWords(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 400) +
			`Here <script>alert("x")</script> the Numbat & burrow. ` + strings.Repeat("Sed do eiusmod tempor. ", 100)
		err := seed.Write(context.Background(), f.h, func(b *seed.Builder) {
			b.Record(seed.Record{Type: cases.TypeDocument, CaseID: f.cases[0].id, Title: "The numbat file", Body: long})
		})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := seed.AdminPrincipal(context.Background(), f.h)
		if err != nil {
			t.Fatal(err)
		}
		for _, sort := range []string{search.SortRelevance, search.SortDate} {
			res, err := search.New().Search(context.Background(), f.h, admin, search.Query{Q: "NUMBAT burrow", Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 1 {
				t.Fatalf("%s: %d hits", sort, len(res.Hits))
			}
			h := res.Hits[0]
			if !strings.Contains(h.Snippet, `<script>alert("x")</script> the Numbat & burrow.`) || !strings.HasPrefix(h.Snippet, "…") {
				t.Fatalf("%s: snippet %q", sort, h.Snippet)
			}
			var marked []string
			for _, m := range h.SnippetMarks {
				marked = append(marked, h.Snippet[m.Start:m.End])
			}
			if !slices.Equal(marked, []string{"Numbat", "burrow"}) {
				t.Fatalf("%s: marks %v in %q", sort, marked, h.Snippet)
			}
			if len(h.TitleMarks) != 1 || h.Title[h.TitleMarks[0].Start:h.TitleMarks[0].End] != "numbat" {
				t.Fatalf("%s: title marks %v", sort, h.TitleMarks)
			}
		}
		if _, err := search.New().Search(context.Background(), f.h, admin, search.Query{Q: "numbat", Sort: "newest"}); strongroom.ErrorField(err) != "sort" {
			t.Fatalf("bad sort: %v", err)
		}
		rel, err := search.New().Search(context.Background(), f.h, admin, search.Query{Q: "quokka", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := search.New().Search(context.Background(), f.h, admin, search.Query{Q: "quokka", Sort: search.SortDate, Cursor: rel.Next}); strongroom.ErrorField(err) != "cursor" {
			t.Fatalf("a relevance cursor sorted by date: %v", err)
		}
	})
}
