package cases_test

import (
	"context"
	"slices"
	"testing"

	"strongroom/cases"
	"strongroom/store"
)

// testListQueries checks that a page of the case list costs the same few
// queries however many cases it lists (the page, then the classes and the
// responsible users of all its cases at once), and that what those
// queries fill in is each case's own.
func testListQueries(t *testing.T, f *fixture) {
	ctx := context.Background()
	now := store.FormatTime(f.clock.Now())
	second := f.exec(`INSERT INTO users (username, username_key, display_name, status, password_hash, password_temporary,
		password_changed_at, created_at, updated_at) VALUES ('clerk-lq', 'clerk-lq', 'Cleo Clerk', 'active', 'x', 0, ?, ?, ?) RETURNING id`, now, now, now)
	type want struct{ users, classes []int64 }
	wants := map[int64]want{}
	for i := range 12 {
		in := cases.CaseInput{Title: "Listqueries " + itoa(int64(i)), Classes: [][]int64{{f.classA}, {f.classB}, {f.classA, f.classB}, nil}[i%4]}
		switch i % 3 {
		case 1:
			in.Responsible = []int64{f.userID}
		case 2:
			in.Responsible = []int64{second, f.userID}
		}
		c, err := f.svc.CreateCase(ctx, f.h, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		w := want{users: []int64{}, classes: []int64{}}
		w.users = append(w.users, in.Responsible...)
		slices.Sort(w.users)
		w.classes = append(w.classes, in.Classes...)
		wants[c.ID] = w
	}
	list := func(p *cases.CaseFilter, who string) ([]*cases.Case, int) {
		t.Helper()
		rctx, log := store.RecordQueries(ctx)
		got, _, err := f.svc.ListCases(rctx, f.h, principalOf(f, who), *p)
		if err != nil {
			t.Fatal(err)
		}
		return got, len(log.Queries())
	}
	for _, limit := range []int{3, 12} {
		got, n := list(&cases.CaseFilter{Prefix: "listqueries", ListOptions: cases.ListOptions{Limit: limit}}, "admin")
		if len(got) != limit {
			t.Fatalf("limit %d: %d cases listed", limit, len(got))
		}
		if n > 3 {
			t.Errorf("a page of %d cases took %d queries, want at most 3", limit, n)
		}
		for _, c := range got {
			w := wants[c.ID]
			if !slices.Equal(c.Responsible, w.users) || !slices.Equal(c.Classes, w.classes) {
				t.Errorf("case %s listed with users %v and classes %v, want %v and %v", c.Title, c.Responsible, c.Classes, w.users, w.classes)
			}
		}
	}
	// Local counsel are shown neither the firm's staff nor classes other
	// than theirs, in the list as on the case's own page.
	got, n := list(&cases.CaseFilter{Prefix: "listqueries"}, "counsel-A")
	if len(got) != 6 {
		t.Fatalf("counsel listed %d cases, want 6", len(got))
	}
	if n > 3 {
		t.Errorf("counsel's page took %d queries, want at most 3", n)
	}
	for _, c := range got {
		if len(c.Responsible) != 0 || !slices.Equal(c.Classes, []int64{f.classA}) {
			t.Errorf("counsel is shown case %s with users %v and classes %v", c.Title, c.Responsible, c.Classes)
		}
	}
}
