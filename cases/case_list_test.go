package cases_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/store"
)

// testCaseListParams checks the case list's parameters on a small set of
// cases of its own (tagged "listparams"): a contains-match on number,
// title and client without regard to case and with wildcards literal,
// filters without regard to case, every order both ways, numbered pages
// with the total, cursors in any order, my cases and a responsible user;
// and that a restricted user's list, total, choices, contents and export
// hold only what they may see.
func testCaseListParams(t *testing.T, f *fixture) {
	ctx := context.Background()
	now := store.FormatTime(f.clock.Now())
	other := f.exec(`INSERT INTO users (username, username_key, display_name, status, password_hash, password_temporary,
		password_changed_at, created_at, updated_at) VALUES ('clerk-lp', 'clerk-lp', 'Cleo Clerk', 'active', 'x', 0, ?, ?, ?) RETURNING id`, now, now, now)
	specs := []cases.CaseInput{
		{Title: "Granite Energy v. Northwind", Client: "Northwind Logistics", PracticeGroup: "Corporate", Status: "open",
			OpenedOn: f.year + "-01-05", Responsible: []int64{f.userID}},
		{Title: "In re Solar energy merger", Client: "Blue Harbor", PracticeGroup: "corporate", Status: "pending",
			OpenedOn: f.year + "-02-10", Classes: []int64{f.classA}},
		{Title: "Smith v. Jones", Client: "Energy Partners LLC", PracticeGroup: "Listparams secret group", Status: "closed",
			OpenedOn: f.year + "-03-15", ClosedOn: f.year + "-03-16", Classes: []int64{f.classB}, Responsible: []int64{f.userID}},
		{Title: "Acme 100%_off", Client: "@Acme", PracticeGroup: "Tax", Status: "open", OpenedOn: f.year + "-04-20"},
		{Title: "zeta holdings", Client: "zed", PracticeGroup: "Corporate", Status: "archived", OpenedOn: f.year + "-05-25",
			Classes: []int64{f.classA}, Responsible: []int64{other}},
	}
	var ids []int64
	for _, in := range specs {
		in.Tags = []string{"listparams"}
		c, err := f.svc.CreateCase(ctx, f.h, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		f.clock.Add(time.Hour) // each case updated later than the one before
	}
	id := func(i ...int) []int64 {
		var out []int64
		for _, n := range i {
			out = append(out, ids[n-1])
		}
		return out
	}
	list := func(who string, fl cases.CaseFilter) *cases.CasePage {
		t.Helper()
		fl.Tag = "listparams"
		page, err := f.svc.ListCasePage(ctx, f.h, principalOf(f, who), fl)
		if err != nil {
			t.Fatalf("%+v: %v", fl, err)
		}
		return page
	}
	idsOf := func(p *cases.CasePage) []int64 {
		var out []int64
		for _, c := range p.Cases {
			out = append(out, c.ID)
		}
		return out
	}
	check := func(name string, p *cases.CasePage, want []int64, total int) {
		t.Helper()
		if got := idsOf(p); !slices.Equal(got, want) || p.Total != total {
			t.Errorf("%s: %v (total %d), want %v (total %d)", name, got, p.Total, want, total)
		}
	}

	t.Run("Contains", func(t *testing.T) {
		check("Energy", list("admin", cases.CaseFilter{Contains: "Energy"}), id(1, 2, 3), 3)
		check("eNeRgY", list("admin", cases.CaseFilter{Contains: "eNeRgY"}), id(1, 2, 3), 3)
		check("client", list("admin", cases.CaseFilter{Contains: "harbor"}), id(2), 1)
		num := list("admin", cases.CaseFilter{}).Cases[4].Number
		check("number", list("admin", cases.CaseFilter{Contains: num[len(num)-3:]}), id(5), 1)
		check("literal %_", list("admin", cases.CaseFilter{Contains: "%_"}), id(4), 1)
		check("literal _", list("admin", cases.CaseFilter{Contains: "0_o"}), nil, 0)
		check("restricted", list("counsel-A", cases.CaseFilter{Contains: "Energy"}), id(2), 1)
	})
	t.Run("Filters", func(t *testing.T) {
		check("corporate", list("admin", cases.CaseFilter{PracticeGroup: "corporate"}), id(1, 2, 5), 3)
		check("CORPORATE", list("admin", cases.CaseFilter{PracticeGroup: "CORPORATE"}), id(1, 2, 5), 3)
		check("OPEN", list("admin", cases.CaseFilter{Status: "OPEN"}), id(1, 4), 2)
		check("restricted corporate", list("counsel-A", cases.CaseFilter{PracticeGroup: "Corporate"}), id(2, 5), 2)
		_, err := f.svc.ListCasePage(ctx, f.h, f.admin, cases.CaseFilter{Status: "dormant"})
		wantCode(t, err, strongroom.EINVALID, "status")
	})
	t.Run("Sort", func(t *testing.T) {
		for _, tc := range []struct {
			sort string
			want []int64
		}{
			{cases.SortNumber, id(1, 2, 3, 4, 5)},
			{cases.SortTitle, id(4, 1, 2, 3, 5)}, // not case sensitive: "zeta" last
			{cases.SortClient, id(4, 2, 3, 1, 5)},
			{cases.SortStatus, id(5, 3, 1, 4, 2)}, // archived, closed, open, open, pending
			{cases.SortOpened, id(1, 2, 3, 4, 5)},
			{cases.SortUpdated, id(1, 2, 3, 4, 5)},
		} {
			check(tc.sort+" asc", list("admin", cases.CaseFilter{Sort: tc.sort, Dir: cases.Asc}), tc.want, 5)
			desc := slices.Clone(tc.want)
			slices.Reverse(desc)
			check(tc.sort+" desc", list("admin", cases.CaseFilter{Sort: tc.sort, Dir: cases.Desc}), desc, 5)
		}
		check("opened, newest first by default", list("admin", cases.CaseFilter{Sort: cases.SortOpened}), id(5, 4, 3, 2, 1), 5)
		_, err := f.svc.ListCasePage(ctx, f.h, f.admin, cases.CaseFilter{Sort: "colour"})
		wantCode(t, err, strongroom.EINVALID, "sort")
		_, err = f.svc.ListCasePage(ctx, f.h, f.admin, cases.CaseFilter{Dir: "sideways"})
		wantCode(t, err, strongroom.EINVALID, "dir")
	})
	t.Run("Pages", func(t *testing.T) {
		by := cases.CaseFilter{Sort: cases.SortTitle, ListOptions: cases.ListOptions{Limit: 2}}
		for n, want := range [][]int64{id(4, 1), id(2, 3), id(5), nil} {
			by.Page = n + 1
			p := list("admin", by)
			check("page "+itoa(int64(n+1)), p, want, 5)
			if p.Pages() != 3 {
				t.Errorf("page %d: %d pages, want 3", n+1, p.Pages())
			}
		}
		// Cursors page any order, and say which order they belong to.
		by = cases.CaseFilter{Sort: cases.SortClient, Dir: cases.Desc, ListOptions: cases.ListOptions{Limit: 2}}
		var all []int64
		for range 4 {
			p := list("admin", by)
			all = append(all, idsOf(p)...)
			if p.Total != 5 {
				t.Errorf("total %d on a page by cursor", p.Total)
			}
			if p.Next == "" {
				break
			}
			by.Cursor = p.Next
		}
		if want := id(5, 1, 3, 2, 4); !slices.Equal(all, want) {
			t.Errorf("by client, descending, with cursors: %v, want %v", all, want)
		}
		by.Dir = cases.Asc
		_, err := f.svc.ListCasePage(ctx, f.h, f.admin, by)
		wantCode(t, err, strongroom.EINVALID, "cursor")
		by.Page = 2
		_, err = f.svc.ListCasePage(ctx, f.h, f.admin, by)
		wantCode(t, err, strongroom.EINVALID, "page")
		// The page and its total are one statement; with the classes and
		// the responsible users, a page costs three queries.
		rctx, log := store.RecordQueries(ctx)
		if _, err := f.svc.ListCasePage(rctx, f.h, f.admin, cases.CaseFilter{Tag: "listparams", Page: 2, ListOptions: cases.ListOptions{Limit: 2}}); err != nil {
			t.Fatal(err)
		}
		if n := len(log.Queries()); n > 3 {
			t.Errorf("a page with its total took %d queries, want at most 3", n)
		}
		// Counting stops at MaxCount: the total then says "more than".
		defer func(n int) { cases.MaxCount = n }(cases.MaxCount)
		cases.MaxCount = 3
		for _, pg := range []int{1, 3} {
			p := list("admin", cases.CaseFilter{Page: pg, ListOptions: cases.ListOptions{Limit: 2}})
			if p.Total != 3 || !p.Capped || p.More != (pg == 1) {
				t.Errorf("page %d past the count's cap: total %d, capped %v, more %v", pg, p.Total, p.Capped, p.More)
			}
		}
		if p := list("admin", cases.CaseFilter{Status: "open"}); p.Total != 2 || p.Capped {
			t.Errorf("under the cap: total %d, capped %v", p.Total, p.Capped)
		}
	})
	t.Run("People", func(t *testing.T) {
		lawyer := principal(f.userID, false, []int64{f.classA, f.classB}, everything())
		page, err := f.svc.ListCasePage(ctx, f.h, lawyer, cases.CaseFilter{Tag: "listparams", Mine: true})
		if err != nil {
			t.Fatal(err)
		}
		check("my cases", page, id(1, 3), 2)
		check("responsible", list("admin", cases.CaseFilter{Responsible: other}), id(5), 1)
		check("counsel's own cases", list("counsel-A", cases.CaseFilter{Mine: true}), nil, 0)
		_, err = f.svc.ListCasePage(ctx, f.h, principalOf(f, "counsel-A"), cases.CaseFilter{Responsible: other})
		wantCode(t, err, strongroom.EINVALID, "responsible")
	})
	t.Run("Restricted", func(t *testing.T) {
		check("counsel's list and total", list("counsel-A", cases.CaseFilter{}), id(2, 5), 2)
		for who, want := range map[string]bool{"admin": true, "counsel-A": false} {
			groups, err := f.svc.PracticeGroups(ctx, f.h, principalOf(f, who))
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(groups, "Listparams secret group") != want {
				t.Errorf("%s offered the group of a class-B case: %v", who, !want)
			}
			if n := len(slices.DeleteFunc(slices.Clone(groups), func(g string) bool { return !strings.EqualFold(g, "corporate") })); n != 1 {
				t.Errorf("%s offered %d spellings of Corporate, want one", who, n)
			}
		}
		// A note of class B in case 2 (class A): counsel is not told of it.
		if _, err := f.svc.CreateNote(ctx, f.h, f.admin, ids[1], cases.NoteInput{Title: "Class B note", Classes: []int64{f.classB}}); err != nil {
			t.Fatal(err)
		}
		f.newFinancial(ids[1], "10")
		for who, notes := range map[string]int{"admin": 1, "counsel-A": 0} {
			got, err := f.svc.CaseContents(ctx, f.h, principalOf(f, who), ids[1])
			if err != nil {
				t.Fatal(err)
			}
			if got[cases.TypeNote] != notes || got[cases.TypeFinancial] != 1 || got[cases.TypeDocument] != 0 {
				t.Errorf("%s: contents of case 2 %v, want %d notes and 1 financial record", who, got, notes)
			}
		}
		_, err := f.svc.CaseContents(ctx, f.h, principalOf(f, "counsel-A"), ids[2])
		wantCode(t, err, strongroom.ENOTFOUND)
	})
	t.Run("Export", func(t *testing.T) {
		before := len(f.events())
		exp, err := f.svc.ExportCases(ctx, f.h, principalOf(f, "counsel-A"), cases.CaseFilter{Tag: "listparams", Sort: cases.SortTitle, Dir: cases.Desc},
			map[int64]string{f.userID: "Lena Lawyer"})
		if err != nil {
			t.Fatal(err)
		}
		if len(exp.Rows) != 2 || exp.Rows[0][1] != "zeta holdings" || exp.Rows[1][1] != "In re Solar energy merger" {
			t.Fatalf("counsel's export: %v", exp.Rows)
		}
		evs := f.events()
		if len(evs) != before+1 || evs[len(evs)-1].Action != "case.export" || evs[len(evs)-1].Details["rows"] != "2" {
			t.Fatalf("export audited as %+v", evs[len(evs)-1])
		}
		exp, err = f.svc.ExportCases(ctx, f.h, f.admin, cases.CaseFilter{Tag: "listparams"}, map[int64]string{f.userID: "Lena Lawyer"})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := exp.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		csv := buf.String()
		if !strings.HasPrefix(csv, "number,title,client,practice_group,status,opened_on,closed_on,updated_at,tags,responsible\n") ||
			!strings.Contains(csv, ",'@Acme,") || !strings.Contains(csv, ",Lena Lawyer\n") || strings.Count(csv, "\n") != 6 {
			t.Fatalf("export:\n%s", csv)
		}
	})
}
